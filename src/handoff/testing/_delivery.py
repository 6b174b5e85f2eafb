"""Conformance: delivery reports from providers land on the right notification, in order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from attrs import evolve

from handoff.errors import ConcurrencyConflict
from handoff.models import Notification
from handoff.stores.base import Changeset, Store
from handoff.testing._kit import KitBase, seed
from handoff.testing.factories import T0, make_notification, new_id


def _outbox(store: Store, count: int) -> list[Notification]:
    _, journey = seed(store)
    made = [make_notification(journey) for _ in range(count)]
    store.commit(Changeset(notifications=tuple(made)))
    return made


class DeliveryConformance(KitBase):
    def test_a_provider_id_finds_its_notification(self, store: Store) -> None:
        notification, other = _outbox(store, 2)
        sid = new_id("SM")
        updated = store.mark_notification(notification.id, "sent", T0, provider_id=sid)
        assert updated == evolve(notification, status="sent", sent_at=T0, provider_id=sid)
        assert store.find_notification(sid) == updated == store.get_notification(notification.id)
        assert store.find_notification(new_id("SM")) is None
        assert store.get_notification(other.id) == other

    def test_a_notification_written_with_a_provider_id_is_found(self, store: Store) -> None:
        _, journey = seed(store)
        sid = new_id("wamid")
        notification = make_notification(journey, status="sent", sent_at=T0, provider_id=sid)
        store.commit(Changeset(notifications=(notification,)))
        assert store.find_notification(sid) == notification

    def test_delivery_moves_forward_and_keeps_the_send_time(self, store: Store) -> None:
        (notification,) = _outbox(store, 1)
        sid = new_id("SM")
        sent = store.mark_notification(notification.id, "sent", T0, provider_id=sid)
        delivered = store.mark_notification(notification.id, "delivered", T0 + timedelta(seconds=5))
        read = store.mark_notification(notification.id, "read", T0 + timedelta(minutes=3))
        assert [sent.status, delivered.status, read.status] == ["sent", "delivered", "read"]
        assert sent.sent_at == delivered.sent_at == read.sent_at == T0
        assert read.provider_id == sid
        assert store.find_notification(sid) == read

    @pytest.mark.parametrize("late", ["delivered", "sent"])
    def test_a_late_report_after_read_is_ignored(self, store: Store, late: str) -> None:
        (notification,) = _outbox(store, 1)
        store.mark_notification(notification.id, "sent", T0, provider_id=new_id("SM"))
        read = store.mark_notification(notification.id, "read", T0 + timedelta(minutes=1))
        again = store.mark_notification(notification.id, late, T0 + timedelta(minutes=2))
        assert again == read
        assert store.get_notification(notification.id) == read

    def test_failure_is_recorded_after_a_send(self, store: Store) -> None:
        (notification,) = _outbox(store, 1)
        store.mark_notification(notification.id, "sent", T0, provider_id=new_id("SM"))
        failed = store.mark_notification(notification.id, "failed", T0 + timedelta(minutes=1))
        assert (failed.status, failed.sent_at) == ("failed", T0)

    def test_a_provider_id_belongs_to_one_notification(self, store: Store) -> None:
        first, second = _outbox(store, 2)
        sid = new_id("SM")
        held = store.mark_notification(first.id, "sent", T0, provider_id=sid)
        with pytest.raises(ConcurrencyConflict):
            store.mark_notification(second.id, "sent", T0, provider_id=sid)
        assert store.get_notification(second.id) == second
        assert store.find_notification(sid) == held
        # The holder may repeat it: a redelivered callback is harmless.
        assert store.mark_notification(first.id, "delivered", T0, provider_id=sid).provider_id == sid

    def test_a_new_provider_id_frees_the_old_one(self, store: Store) -> None:
        first, second = _outbox(store, 2)
        old, new = new_id("SM"), new_id("SM")
        store.mark_notification(first.id, "sent", T0, provider_id=old)
        resent = store.mark_notification(first.id, "sent", T0 + timedelta(minutes=1), provider_id=new)
        assert store.find_notification(new) == resent
        assert store.find_notification(old) is None
        taken = store.mark_notification(second.id, "sent", T0, provider_id=old)
        assert store.find_notification(old) == taken
