"""Conformance: refused writes raise the promised error and leave no trace."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from attrs import define, evolve

from handoff.errors import ConcurrencyConflict, DuplicateInteraction, HandoffError, NotFound, ValidationError
from handoff.identity import parse_identity
from handoff.models import Contact, Journey
from handoff.stores.base import Changeset, Store
from handoff.testing._kit import KitBase, seed
from handoff.testing.factories import (
    T0,
    append_changeset,
    appended,
    make_contact,
    make_decision,
    make_handoff,
    make_interaction,
    make_journey,
    make_notification,
    new_id,
)


class _World:
    """What is stored before the refused write: one contact, journey, interaction..."""

    def __init__(self, store: Store) -> None:
        self.identity = parse_identity(f"email:{new_id('taken')}@example.com")
        self.contact, first = seed(store, str(self.identity))
        self.journey, self.interaction = appended(first, external_id=new_id("msg"))
        self.handoff = make_handoff(self.journey)
        self.notification = make_notification(self.journey, provider_id=new_id("SM"))
        self.decision = make_decision(self.journey)
        store.commit(
            Changeset(
                journey=self.journey,
                expected_journey_version=first.version,
                interactions=(self.interaction,),
                handoffs=(self.handoff,),
                notifications=(self.notification,),
                decisions=(self.decision,),
            )
        )


@define(frozen=True)
class _Event:
    """A new contact's first event, touching every kind of record."""

    contact: Contact
    journey: Journey
    change: Changeset

    @classmethod
    def fresh(cls) -> _Event:
        contact = make_contact(f"email:{new_id('new')}@example.com")
        journey = make_journey(contact, opened_at=T0 + timedelta(hours=1), version=0)
        after, interaction = appended(journey, external_id=new_id("msg"))
        change = Changeset(
            contact=contact,
            journey=after,
            interactions=(interaction,),
            handoffs=(make_handoff(after),),
            notifications=(make_notification(after, send_at=T0, provider_id=new_id("SM")),),
            decisions=(make_decision(after),),
        )
        return cls(contact, after, change)


def _duplicate_external_id(change: Changeset, event: _Event, world: _World) -> Changeset:
    taken = world.interaction
    extra = make_interaction(event.journey, sequence=2, channel=taken.channel, external_id=taken.external_id)
    return evolve(change, interactions=(*change.interactions, extra))


def _taken_reference(change: Changeset, event: _Event, world: _World) -> Changeset:
    return evolve(change, journey=evolve(event.journey, reference=world.journey.reference))


def _identity_of_another_contact(change: Changeset, event: _Event, world: _World) -> Changeset:
    return evolve(change, contact=evolve(event.contact, links=(*event.contact.links, world.contact.links[0])))


def _taken_journey_id(change: Changeset, event: _Event, world: _World) -> Changeset:
    # The records follow their journey to the taken id: records naming a journey that is
    # never written would be a second fault, for which NotFound is as right a refusal.
    repointed = _repointed(change, "journey_id", world.journey.id)
    return evolve(repointed, journey=evolve(event.journey, id=world.journey.id))


def _taken_contact_id(change: Changeset, event: _Event, world: _World) -> Changeset:
    # Likewise the journey and the records name the contact by the id it takes.
    repointed = _repointed(change, "contact_id", world.contact.id)
    return evolve(repointed, contact=evolve(event.contact, id=world.contact.id))


def _repointed(change: Changeset, name: str, value: str) -> Changeset:
    """``change`` with the journey and every record that has the reference ``name`` set to ``value``."""

    def moved(record: Any) -> Any:
        return evolve(record, **{name: value}) if hasattr(record, name) else record

    return evolve(
        change,
        journey=None if change.journey is None else moved(change.journey),
        interactions=[moved(r) for r in change.interactions],
        handoffs=[moved(r) for r in change.handoffs],
        notifications=[moved(r) for r in change.notifications],
        decisions=[moved(r) for r in change.decisions],
    )


def _taken_notification_id(change: Changeset, event: _Event, world: _World) -> Changeset:
    return evolve(change, notifications=(evolve(change.notifications[0], id=world.notification.id),))


def _taken_handoff_id(change: Changeset, event: _Event, world: _World) -> Changeset:
    return evolve(change, handoffs=(evolve(change.handoffs[0], id=world.handoff.id),))


def _taken_provider_id(change: Changeset, event: _Event, world: _World) -> Changeset:
    notification = evolve(change.notifications[0], provider_id=world.notification.provider_id)
    return evolve(change, notifications=(notification,))


def _taken_decision_id(change: Changeset, event: _Event, world: _World) -> Changeset:
    return evolve(change, decisions=(evolve(change.decisions[0], id=world.decision.id),))


# One thing wrong with an otherwise good changeset, and the error it must raise.
_SPOILERS: dict[str, tuple[Callable[[Changeset, _Event, _World], Changeset], type[HandoffError]]] = {
    "duplicate external id": (_duplicate_external_id, DuplicateInteraction),
    "taken reference": (_taken_reference, ConcurrencyConflict),
    "identity of another contact": (_identity_of_another_contact, ConcurrencyConflict),
    "taken journey id": (_taken_journey_id, ConcurrencyConflict),
    "taken contact id": (_taken_contact_id, ConcurrencyConflict),
    "taken notification id": (_taken_notification_id, ConcurrencyConflict),
    "taken handoff id": (_taken_handoff_id, ConcurrencyConflict),
    "taken provider id": (_taken_provider_id, ConcurrencyConflict),
    "taken decision id": (_taken_decision_id, ConcurrencyConflict),
}


class ConflictConformance(KitBase):
    @pytest.mark.parametrize("spoiler", sorted(_SPOILERS))
    def test_a_refused_changeset_writes_nothing(self, store: Store, spoiler: str) -> None:
        world = _World(store)
        event = _Event.fresh()
        spoil, error = _SPOILERS[spoiler]
        with pytest.raises(error):
            store.commit(spoil(event.change, event, world))
        _assert_nothing_of(store, event)
        _assert_world_intact(store, world)
        store.commit(event.change)  # the unspoilt changeset still goes through
        assert store.get_journey(event.journey.id) == event.journey

    def test_a_refused_update_changes_nothing(self, store: Store) -> None:
        world = _World(store)
        change = append_changeset(
            world.journey,
            channel=world.interaction.channel,
            external_id=world.interaction.external_id,
            notifications=(make_notification(world.journey),),
        )
        with pytest.raises(DuplicateInteraction):
            store.commit(change)
        _assert_world_intact(store, world)
        assert store.notifications(world.journey.id) == [world.notification]

    def test_same_external_id_on_another_channel_is_no_duplicate(self, store: Store) -> None:
        world = _World(store)
        change = append_changeset(world.journey, channel="sms", external_id=world.interaction.external_id)
        store.commit(change)
        assert store.find_interaction("sms", str(world.interaction.external_id)) == change.interactions[0]

    def test_duplicate_interaction_id_is_refused(self, store: Store) -> None:
        world = _World(store)
        with pytest.raises(DuplicateInteraction):
            store.commit(append_changeset(world.journey, id=world.interaction.id))
        _assert_world_intact(store, world)

    def test_stale_journey_version_conflicts(self, store: Store) -> None:
        world = _World(store)
        stale = evolve(world.journey, version=world.journey.version - 1)
        with pytest.raises(ConcurrencyConflict):
            store.commit(append_changeset(stale, sequence=world.journey.version + 1))
        _assert_world_intact(store, world)
        # A journey that does not exist yet cannot be updated either.
        with pytest.raises(ConcurrencyConflict):
            store.commit(append_changeset(make_journey(world.contact)))

    def test_stale_contact_version_conflicts(self, store: Store) -> None:
        world = _World(store)
        renamed = evolve(world.contact, name="Someone Else", version=world.contact.version + 1)
        store.commit(Changeset(contact=renamed, expected_contact_version=world.contact.version))
        with pytest.raises(ConcurrencyConflict):
            store.commit(Changeset(contact=evolve(renamed, name="Lost update"), expected_contact_version=1))
        assert store.get_contact(world.contact.id) == renamed
        with pytest.raises(ConcurrencyConflict):
            store.commit(Changeset(contact=make_contact(version=2), expected_contact_version=1))

    def test_records_must_name_stored_journeys_and_contacts(self, store: Store) -> None:
        self.require("validates_input")
        ghost = make_journey(make_contact())
        for change in (
            Changeset(journey=ghost),
            Changeset(interactions=(make_interaction(ghost),)),
            Changeset(handoffs=(make_handoff(ghost),)),
            Changeset(notifications=(make_notification(ghost),)),
        ):
            with pytest.raises(NotFound):
                store.commit(change)
        with pytest.raises(NotFound):
            store.get_journey(ghost.id)

    def test_versions_must_grow(self, store: Store) -> None:
        self.require("validates_input")
        world = _World(store)
        same = evolve(world.journey, subject="kept version")
        with pytest.raises(ValidationError):
            store.commit(Changeset(journey=same, expected_journey_version=world.journey.version))
        with pytest.raises(ValidationError):
            store.commit(Changeset(contact=world.contact, expected_contact_version=world.contact.version))
        _assert_world_intact(store, world)


def _assert_nothing_of(store: Store, event: _Event) -> None:
    """Every read method agrees that the refused changeset left no trace."""
    contact, journey, change = event.contact, event.journey, event.change
    with pytest.raises(NotFound):
        store.get_contact(contact.id)
    for identity in contact.identities:
        assert store.find_contact(identity) is None
    with pytest.raises(NotFound):
        store.get_journey(journey.id)
    assert store.find_journey_by_reference(journey.reference) is None
    assert store.journeys_of(contact.id) == []
    assert store.interactions(journey.id) == []
    for interaction in change.interactions:
        assert store.find_interaction(interaction.channel, str(interaction.external_id)) is None
    assert store.find_journey_by_thread([str(i.external_id) for i in change.interactions]) is None
    assert store.handoffs(journey.id) == []
    assert store.notifications(journey.id) == []
    for notification in change.notifications:
        with pytest.raises(NotFound):
            store.get_notification(notification.id)
        if notification.provider_id is not None:
            assert store.find_notification(notification.provider_id) is None
    due = store.due_notifications(T0 + timedelta(days=365), limit=1000)
    assert not {n.id for n in due} & {n.id for n in change.notifications}
    for decision in change.decisions:
        with pytest.raises(NotFound):
            store.get_decision(decision.id)
    assert journey.id not in {j.id for j in store.active_journeys()}


def _assert_world_intact(store: Store, world: _World) -> None:
    assert store.get_contact(world.contact.id) == world.contact
    assert store.find_contact(world.identity) == world.contact
    assert store.get_journey(world.journey.id) == world.journey
    assert store.find_journey_by_reference(world.journey.reference) == world.journey
    assert store.interactions(world.journey.id) == [world.interaction]
    assert store.handoffs(world.journey.id) == [world.handoff]
    assert store.get_notification(world.notification.id) == world.notification
    assert store.find_notification(str(world.notification.provider_id)) == world.notification
    assert store.get_decision(world.decision.id) == world.decision
