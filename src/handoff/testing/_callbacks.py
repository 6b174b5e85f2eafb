"""The conformance checks of :class:`~handoff.stores.capabilities.CallbackBook`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from handoff.errors import ConcurrencyConflict, NotFound, ValidationError
from handoff.models import Callback, Contact, Journey
from handoff.stores.base import Changeset, Store
from handoff.stores.capabilities import CallbackBook
from handoff.testing._kit import KitBase, seed
from handoff.testing.factories import T0, append_changeset, make_notification, new_id


def make_callback(journey: Journey, **overrides: Any) -> Callback:
    """A callback of ``journey`` scheduled an hour after :data:`T0`."""
    values: dict[str, Any] = {
        "id": new_id("cb"),
        "journey_id": journey.id,
        "contact_id": journey.contact_id,
        "at": T0 + timedelta(hours=1),
        "number": "+14155550100",
        "created_at": T0,
    }
    return Callback(**(values | overrides))


def _book(store: Store) -> CallbackBook:
    if not isinstance(store, CallbackBook):
        pytest.skip(f"{type(store).__name__} is not CallbackBook (optional capability)")
    return store


def _seeded(store: Store) -> tuple[Contact, Journey]:
    return seed(store, f"phone:+1415555{new_id('n')[-4:]}")


class CallbackConformance(KitBase):
    """Callbacks are written with their changeset, read back in order, closed once, erased."""

    def test_callbacks_are_read_back_by_journey_time_and_id(self, store: Store) -> None:
        book = _book(store)
        _, journey = _seeded(store)
        late = make_callback(journey, at=T0 + timedelta(hours=3))
        early = make_callback(journey, at=T0 + timedelta(hours=1))
        store.commit(Changeset(callbacks=(late, early)))
        assert book.callbacks(journey.id) == [early, late]
        assert book.get_callback(late.id) == late
        assert book.callbacks("jr_missing") == []
        assert book.scheduled_callbacks(T0 + timedelta(hours=2)) == [early]
        assert book.scheduled_callbacks(T0 + timedelta(hours=3), limit=1) == [early]
        assert book.callbacks_between(T0, T0 + timedelta(hours=3)) == [early]
        assert book.callbacks_between(T0, T0 + timedelta(days=1)) == [early, late]
        with pytest.raises(NotFound):
            book.get_callback("cb_missing")

    def test_a_callback_closes_once_and_keeps_what_it_was_booked_for(self, store: Store) -> None:
        book = _book(store)
        _, journey = _seeded(store)
        booked = make_callback(journey)
        store.commit(Changeset(callbacks=(booked,)))
        done = attrs.evolve(booked, status="done", closed_at=T0 + timedelta(hours=1))
        store.commit(Changeset(callbacks=(done,)))
        assert book.get_callback(booked.id) == done
        assert book.scheduled_callbacks(T0 + timedelta(days=1)) == []
        missed = attrs.evolve(booked, status="missed", closed_at=T0 + timedelta(hours=2))
        with pytest.raises(ConcurrencyConflict):
            store.commit(Changeset(callbacks=(missed,)))
        assert book.get_callback(booked.id) == done
        other = make_callback(journey)
        store.commit(Changeset(callbacks=(other,)))
        moved = attrs.evolve(other, status="cancelled", at=other.at + timedelta(hours=1))
        with pytest.raises(ValidationError) as caught:
            store.commit(Changeset(callbacks=(moved,)))
        assert caught.value.field == "callbacks.at"
        with pytest.raises(ValidationError):
            store.commit(Changeset(callbacks=(make_callback(journey, status="done"),)))
        assert book.get_callback(other.id) == other

    def test_a_refused_changeset_books_nothing(self, store: Store) -> None:
        book = _book(store)
        _, journey = _seeded(store)
        stale = append_changeset(journey)
        store.commit(stale)
        callback = make_callback(journey)
        again = attrs.evolve(append_changeset(journey), callbacks=(callback,))
        with pytest.raises(ConcurrencyConflict):
            store.commit(again)
        assert book.callbacks(journey.id) == []
        self.require("validates_input")
        with pytest.raises(NotFound):
            store.commit(Changeset(callbacks=(make_callback(attrs.evolve(journey, id="jr_missing")),)))

    def test_cancelled_notifications_are_cancelled_only_while_pending(self, store: Store) -> None:
        _book(store)
        _, journey = _seeded(store)
        reminder, sent = make_notification(journey), make_notification(journey)
        store.commit(Changeset(notifications=(reminder, sent)))
        store.mark_notification(sent.id, "sent", T0)
        store.commit(Changeset(cancelled_notifications=(reminder.id, sent.id, "nt_missing")))
        assert store.get_notification(reminder.id).status == "cancelled"
        assert store.get_notification(sent.id).status == "sent"
        assert [n.id for n in store.due_notifications(T0 + timedelta(days=1))] == []

    def test_callbacks_are_erased_with_their_contact(self, store: Store) -> None:
        book = _book(store)
        contact, journey = _seeded(store)
        _, kept_journey = _seeded(store)
        erased, kept = make_callback(journey), make_callback(kept_journey)
        store.commit(Changeset(callbacks=(erased, kept)))
        store.erase_contact(contact.id)
        with pytest.raises(NotFound):
            book.get_callback(erased.id)
        assert book.callbacks(journey.id) == []
        assert book.callbacks(kept_journey.id) == [kept]
