"""Conformance for the optional :class:`~handoff.stores.capabilities.IntakeReads` capability.

``load_intake`` must answer exactly what the plain look-ups answer, so each check builds
a history and compares the two, for the inbounds ``receive`` meets: a redelivery, a
known or new identity, a reference, a thread, notifications old and new.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from attrs import define

from handoff.errors import ValidationError
from handoff.identity import Identity, parse_identity
from handoff.models import Contact, Interaction, Journey
from handoff.stores.base import Changeset, Store
from handoff.stores.capabilities import IntakeReads, IntakeRecords
from handoff.stores.records import BRIEF_LINKS, brief_contact
from handoff.testing._kit import KitBase
from handoff.testing.factories import (
    T0,
    append_changeset,
    make_contact,
    make_journey,
    make_notification,
    new_id,
)

SINCE = T0 + timedelta(hours=1)


def plain_intake(
    store: Store,
    identity: Identity,
    channel: str,
    external_id: str | None,
    references: Sequence[str],
    thread_refs: Sequence[str],
    since: datetime,
) -> IntakeRecords:
    """What ``load_intake`` must return, from the plain look-ups of :class:`Store`."""
    seen = store.find_interaction(channel, external_id) if external_id is not None else None
    contact = store.find_contact_brief(identity)
    by_reference = {ref: j for ref in references if (j := store.find_journey_by_reference(ref)) is not None}
    by_thread = store.find_journey_by_thread(thread_refs) if thread_refs else None
    anchors = [*by_reference.values(), *([by_thread] if by_thread else [])]
    if seen is not None:
        anchors.append(store.get_journey(seen.journey_id))
    owners = {j.contact_id for j in anchors} | ({contact.id} if contact else set())
    journeys = {owner: store.journeys_of(owner) for owner in owners}
    return IntakeRecords(
        seen=seen,
        contact=contact,
        by_reference=by_reference,
        by_thread=by_thread,
        contacts={
            owner: contact if contact is not None and owner == contact.id else store.get_contact_brief(owner)
            for owner in owners
        },
        journeys=journeys,
        notifications={
            j.id: [n for n in store.notifications(j.id) if n.created_at >= since]
            for owned in journeys.values()
            for j in owned
        },
    )


def _comparable(records: IntakeRecords) -> dict[str, Any]:
    """The records with the entries a store may leave out (empty lists) left out."""
    return {
        "seen": records.seen,
        "contact": records.contact,
        "by_reference": records.by_reference,
        "by_thread": records.by_thread,
        "contacts": records.contacts,
        "journeys": {key: value for key, value in records.journeys.items() if value},
        "notifications": {key: value for key, value in records.notifications.items() if value},
    }


@define(frozen=True)
class _History:
    """Two contacts: one with an old resolved journey and a current one, one with a journey."""

    identity: Identity
    contact: Contact
    old: Journey
    current: Journey
    other: Journey
    message: Interaction


def _history(store: Store) -> _History:
    identity = parse_identity(f"email:{new_id('intake')}@example.com")
    # More emails than a brief holds, linked before this one: the brief must fetch it.
    earlier = [f"email:{new_id('earlier')}@example.com" for _ in range(BRIEF_LINKS + 1)]
    contact = make_contact(*earlier, identity, f"twitter:@{new_id('t')}")
    old = make_journey(contact, status="resolved", resolved_at=T0, resolved_by="agent")
    current = make_journey(contact, opened_at=T0 + timedelta(minutes=5))
    stranger = make_contact()
    other = make_journey(stranger, opened_at=T0 + timedelta(minutes=7))
    store.commit(Changeset(contact=contact, journey=old))
    store.commit(Changeset(contact=stranger, journey=other))
    old_note = make_notification(current, created_at=T0)
    new_notes = [
        make_notification(current, created_at=SINCE + timedelta(minutes=n), status=status)
        for n, status in ((2, "pending"), (1, "cancelled"), (3, "sent"))
    ]
    store.commit(Changeset(contact=None, journey=current, notifications=(old_note, *new_notes)))
    store.commit(Changeset(notifications=(make_notification(other, created_at=SINCE),)))
    change = append_changeset(current, external_id=new_id("msg"), at=SINCE)
    store.commit(change)
    after = change.journey
    assert after is not None
    return _History(identity, contact, old, after, other, change.interactions[0])


class IntakeConformance(KitBase):
    def intake(self, store: Store) -> IntakeReads:
        """The store as IntakeReads, or a visible skip if it is not one."""
        if not isinstance(store, IntakeReads):
            pytest.skip(f"{type(store).__name__} is not IntakeReads (optional capability)")
        return store

    def _same(self, store: Store, *args: Any) -> IntakeRecords:
        loaded = self.intake(store).load_intake(*args)
        assert _comparable(loaded) == _comparable(plain_intake(store, *args))
        return loaded

    def test_a_known_identity_brings_its_contact_journeys_and_recent_notifications(
        self, store: Store
    ) -> None:
        h = _history(store)
        loaded = self._same(store, h.identity, "email", new_id("msg"), (), (), SINCE)
        assert loaded.contact == brief_contact(h.contact, h.identity)
        assert loaded.journeys[h.contact.id] == (h.old, h.current)
        assert [n.created_at for n in loaded.notifications[h.current.id]] == [
            SINCE + timedelta(minutes=n) for n in (1, 2, 3)
        ]

    def test_a_redelivery_brings_the_stored_message_its_journey_and_contact(self, store: Store) -> None:
        h = _history(store)
        stranger = parse_identity(f"email:{new_id('x')}@example.com")
        loaded = self._same(store, stranger, h.message.channel, h.message.external_id, (), (), SINCE)
        assert loaded.seen == h.message
        assert loaded.journey(h.message.journey_id) == h.current
        assert loaded.contacts[h.contact.id] == brief_contact(h.contact)

    def test_references_and_threads_bring_their_journeys_and_owners(self, store: Store) -> None:
        h = _history(store)
        assert h.message.external_id is not None
        refs = (h.other.reference, "J-NOSUCH", h.old.reference)
        loaded = self._same(store, h.identity, "sms", None, refs, (h.message.external_id, "nope"), SINCE)
        assert loaded.by_reference == {h.other.reference: h.other, h.old.reference: h.old}
        assert loaded.by_thread == h.current
        assert set(loaded.contacts) == {h.contact.id, h.other.contact_id}

    def test_a_new_identity_finds_nothing(self, store: Store) -> None:
        _history(store)
        fresh = parse_identity(f"email:{new_id('fresh')}@example.com")
        loaded = self._same(store, fresh, "sms", new_id("msg"), ("J-NOSUCH",), ("nope",), SINCE)
        assert loaded == IntakeRecords()

    def test_text_a_store_cannot_hold_finds_nothing(self, store: Store) -> None:
        h = _history(store)
        loaded = self._same(store, h.identity, "sms\x00", "a\x00", ("J-\x00",), ("x\x00",), SINCE)
        assert loaded.seen is None and not loaded.by_reference and loaded.by_thread is None

    @pytest.mark.parametrize(
        ("args", "field"),
        [
            (("email:a@example.com", "sms", None, (), (), SINCE), "identity"),
            ((None, 5, None, (), (), SINCE), "channel"),
            ((None, "sms", 5, (), (), SINCE), "external_id"),
            ((None, "sms", None, "J-1", (), SINCE), "references"),
            ((None, "sms", None, (None,), (), SINCE), "references[0]"),
            ((None, "sms", None, (), "m-1", SINCE), "thread_refs"),
            ((None, "sms", None, (), (), datetime(2024, 1, 1)), "since"),
        ],
    )
    def test_bad_intake_arguments_name_the_field(
        self, store: Store, args: tuple[Any, ...], field: str
    ) -> None:
        self.require("validates_input")
        reads = self.intake(store)
        identity = parse_identity("email:a@example.com")
        call: tuple[Any, ...] = tuple(identity if i == 0 and a is None else a for i, a in enumerate(args))
        with pytest.raises(ValidationError) as raised:
            reads.load_intake(*call)
        assert raised.value.field == field
