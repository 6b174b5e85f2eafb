"""Conformance for :mod:`handoff.stores.rules` and the contract's primitives.

The rules are public so that every backend refuses the same input the same way; here
each store shows it does: NUL in any key is refused naming the field and writes nothing,
NUL in free text is kept, a look-up by a key holding NUL finds nothing. And the look-ups
:class:`~handoff.stores.Store` derives from the primitives give the store's own answers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.errors import NotFound, ValidationError
from handoff.identity import parse_identity
from handoff.models import Contact
from handoff.stores.base import Changeset, Store
from handoff.stores.capabilities import BulkImport
from handoff.testing._kit import KitBase, seed
from handoff.testing.factories import (
    appended,
    make_contact,
    make_decision,
    make_handoff,
    make_journey,
    make_link,
    make_notification,
)

_KEYS = (
    ("contact", "id"),
    ("journey", "id"),
    ("journey", "reference"),
    ("journey", "contact_id"),
    ("interactions", "id"),
    ("interactions", "journey_id"),
    ("interactions", "contact_id"),
    ("interactions", "external_id"),
    ("handoffs", "id"),
    ("handoffs", "journey_id"),
    ("notifications", "id"),
    ("notifications", "journey_id"),
    ("notifications", "contact_id"),
    ("notifications", "provider_id"),
    ("decisions", "id"),
    ("decisions", "journey_id"),
    ("decisions", "contact_id"),
)
_RULE_SETTINGS = settings(max_examples=25, deadline=None)


def _everything(contact: Contact) -> Changeset:
    """A new contact and journey with one record of every kind, each with its keys set."""
    journey = make_journey(contact)
    after, interaction = appended(journey, external_id="<m1@mail>")
    return Changeset(
        contact=contact,
        journey=after,
        interactions=[interaction],
        handoffs=[make_handoff(after, interaction_id=interaction.id)],
        notifications=[make_notification(after, provider_id="SM-1")],
        decisions=[make_decision(after)],
    )


def _with_nul(changes: Changeset, part: str, name: str, cut: int) -> Changeset:
    """``changes`` with U+0000 inserted in one key, at position ``cut`` of its text."""

    def spoil(record: object) -> object:
        value = getattr(record, name)
        at = min(cut, len(value))
        return attrs.evolve(record, **{name: value[:at] + "\x00" + value[at:]})  # type: ignore[misc]

    current = getattr(changes, part)
    spoiled = (spoil(current[0]), *current[1:]) if isinstance(current, tuple) else spoil(current)
    return attrs.evolve(changes, **{part: spoiled})  # type: ignore[arg-type]


def _field(part: str, name: str) -> str:
    return f"{part}.{name}" if part in ("contact", "journey") else f"{part}[0].{name}"


def _assert_empty(store: Store, contact: Contact) -> None:
    with pytest.raises(NotFound):
        store.get_contact(contact.id)
    for link in contact.identities:
        assert store.find_contact(link) is None
    assert list(store.all_journeys()) == []


class RuleConformance(KitBase):
    def test_nul_in_any_key_is_refused_naming_the_field(self, store: Store) -> None:
        self.require("validates_input")

        # Hypothesis runs inside the test: the kit's methods are shared by many classes.
        @_RULE_SETTINGS
        @given(key=st.sampled_from(_KEYS), cut=st.integers(0, 40))
        def refused(key: tuple[str, str], cut: int) -> None:
            contact = make_contact()
            part, name = key
            with pytest.raises(ValidationError) as caught:
                store.commit(_with_nul(_everything(contact), part, name, cut))
            assert caught.value.field == _field(part, name)
            assert "NUL" in caught.value.problem
            _assert_empty(store, contact)

        refused()

    def test_nul_in_a_batch_is_refused_naming_the_changeset(self, store: Store) -> None:
        self.require("validates_input")
        if not isinstance(store, BulkImport):
            pytest.skip(f"{type(store).__name__} is not BulkImport (optional capability)")

        @_RULE_SETTINGS
        @given(key=st.sampled_from(_KEYS))
        def refused(key: tuple[str, str]) -> None:
            first, second = make_contact(), make_contact()
            part, name = key
            with pytest.raises(ValidationError) as caught:
                store.commit_many([_everything(first), _with_nul(_everything(second), part, name, 1)])
            assert caught.value.field == f"changes[1].{_field(part, name)}"
            _assert_empty(store, first)
            _assert_empty(store, second)

        refused()

    def test_link_changes_without_their_contact_or_twice_are_refused(self, store: Store) -> None:
        self.require("validates_input")
        contact = make_contact()
        store.commit(Changeset(contact=contact))
        bumped: dict[str, Any] = {"contact": attrs.evolve(contact, version=2), "expected_contact_version": 1}
        identity = parse_identity("email:twice@example.com")
        text: Any = "email:x@example.com"  # not a record: refused by the field's name
        refusals = [
            ("links", Changeset(links=[make_link(identity)])),
            ("unlinks", Changeset(unlinks=[identity])),
            ("links[1]", Changeset(**bumped, links=[make_link(identity)] * 2)),
            ("unlinks[0]", Changeset(**bumped, links=[make_link(identity)],
                                     unlinks=[identity])),
            ("links[0]", Changeset(**bumped, links=[text])),
            ("unlinks[0]", Changeset(**bumped, unlinks=[text])),
            ("links[0]", Changeset(contact=make_contact(identity), links=[make_link(identity)])),
        ]  # fmt: skip
        for field, changes in refusals:
            with pytest.raises(ValidationError) as caught:
                store.commit(changes)
            assert caught.value.field == field
        assert store.get_contact(contact.id) == contact
        assert store.find_contact(identity) is None

    def test_nul_in_free_text_is_kept(self, store: Store) -> None:
        contact = make_contact(name="Ana\x00K")
        journey = make_journey(contact, subject="order \x00 A-1042")
        after, interaction = appended(journey, body="a\x00b \\u0000", metadata={"k\x00": "v\x00"})
        store.commit(Changeset(contact=contact, journey=after, interactions=[interaction]))
        assert store.get_contact(contact.id) == contact
        assert store.get_journey(journey.id) == after
        assert store.interactions(journey.id) == [interaction]

    def test_a_look_up_by_a_key_holding_nul_finds_nothing(self, store: Store) -> None:
        contact, journey = seed(store, "email:ana@example.com")
        assert store.find_interaction("email", "m\x00") is None
        assert store.find_journey_by_thread(["m\x00"]) is None
        assert store.find_journey_by_reference(journey.reference + "\x00") is None
        assert store.find_notification("SM\x00") is None
        assert store.journeys_of(contact.id + "\x00") == []
        assert store.interactions(journey.id + "\x00") == []
        for missing in (
            lambda: store.get_journey(journey.id + "\x00"),
            lambda: store.get_contact(contact.id + "\x00"),
            lambda: store.get_notification("nt\x00"),
            lambda: store.get_decision("dc\x00"),
            lambda: store.erase_contact(contact.id + "\x00"),
        ):
            with pytest.raises(NotFound):
                missing()
        assert store.get_contact(contact.id) == contact

    def test_a_provider_id_holding_nul_is_refused(self, store: Store) -> None:
        self.require("validates_input")
        _, journey = seed(store)
        notification = make_notification(journey)
        store.commit(Changeset(notifications=[notification]))
        with pytest.raises(ValidationError) as caught:
            store.mark_notification(notification.id, "sent", journey.updated_at, provider_id="SM\x00")
        assert caught.value.field == "provider_id"
        assert store.get_notification(notification.id) == notification

    # -- the primitives, and the look-ups derived from them ---------------------------------
    def test_all_journeys_lists_every_journey_oldest_first(self, store: Store) -> None:
        contact = make_contact()
        later = make_journey(contact, opened_at=contact.created_at + timedelta(hours=2))
        earlier = make_journey(contact, opened_at=contact.created_at + timedelta(hours=1))
        same = make_journey(contact, opened_at=later.opened_at)
        store.commit(Changeset(contact=contact, journey=later))
        store.commit(Changeset(journey=earlier))
        store.commit(Changeset(journey=same))
        assert list(store.all_journeys()) == [earlier, later, same]

    def test_decisions_of_a_journey_in_time_order(self, store: Store) -> None:
        _, journey = seed(store)
        late = make_decision(journey, at=journey.updated_at + timedelta(minutes=2))
        early = make_decision(journey, at=journey.updated_at + timedelta(minutes=1))
        tied = make_decision(journey, at=late.at)
        store.commit(Changeset(decisions=[late]))
        store.commit(Changeset(decisions=[early, tied]))
        assert store.decisions(journey.id) == [early, late, tied]
        assert store.decisions("no-such-journey") == []

    def test_derived_look_ups_agree_with_the_store(self, store: Store) -> None:
        """What :class:`Store` derives from the primitives is what the store answers itself."""
        contact = make_contact("email:ana@example.com")
        changes = _everything(contact)
        store.commit(changes)
        journey = changes.journey
        assert journey is not None
        notification, decision = changes.notifications[0], changes.decisions[0]
        identity = parse_identity("email:ana@example.com")
        now = notification.send_at + timedelta(seconds=1)
        asked = [
            ("get_journey", (journey.id,)),
            ("find_journey_by_reference", (journey.reference,)),
            ("active_journeys", ()),
            ("journeys_of", (contact.id,)),
            ("find_journey_by_thread", (["<m1@mail>", "other"],)),
            ("find_interaction", ("email", "<m1@mail>")),
            ("get_notification", (notification.id,)),
            ("find_notification", ("SM-1",)),
            ("due_notifications", (now,)),
            ("get_decision", (decision.id,)),
            ("contact_records", (contact.id,)),
            ("get_contact_brief", (contact.id,)),
            ("find_contact_brief", (identity,)),
        ]
        assert store.find_contact(identity) == contact
        for method, args in asked:
            derived = getattr(Store, method)(store, *args)
            assert derived == getattr(store, method)(*args), method
