"""SQLite updates a journey setting only its state when its owner, reference and opening
are unchanged, and every column otherwise: one changeset after another, it stores (or
refuses) what the memory store does, whichever way each journey was written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.errors import ConcurrencyConflict, HandoffError, NotFound
from handoff.models import Contact, Journey
from handoff.stores import Changeset, MemoryStore, SQLiteStore, Store
from handoff.testing.factories import appended, make_contact, make_journey

_KINDS = ("state",) * 4 + ("reference", "opened_at", "contact_id", "taken", "stale")
OP = st.tuples(st.sampled_from(_KINDS), st.integers(0, 3), st.integers(1, 90))


def _seeded() -> tuple[list[Contact], list[Journey], list[Changeset]]:
    contacts, journeys, changes = [], [], []
    for n in range(4):
        contact = make_contact()
        journey, message = appended(make_journey(contact, version=0), external_id=f"seed-{n}")
        contacts.append(contact)
        journeys.append(journey)
        changes.append(Changeset(contact=contact, journey=journey, interactions=(message,)))
    return contacts, journeys, changes


def _next(op: tuple[str, int, int], contacts: list[Contact], journeys: list[Journey]) -> Changeset:
    """The next version of journey ``n``, with one message, changed as ``kind`` says."""
    kind, n, minutes = op
    journey = journeys[n]
    if kind == "stale":  # read at a version the store never held
        journey = evolve(journey, version=journey.version + 1)
    after, message = appended(journey)
    if kind == "reference":
        after = evolve(after, reference=f"J-N{minutes}-{n}")
    elif kind == "opened_at":
        after = evolve(after, opened_at=journey.opened_at - timedelta(minutes=minutes))
    elif kind == "contact_id":
        after = evolve(after, contact_id=contacts[(n + minutes) % len(contacts)].id)
    elif kind == "taken":  # another journey's reference
        after = evolve(after, reference=journeys[(n + 1) % len(journeys)].reference)
    elif kind == "state":
        after = evolve(after, status="pending" if minutes % 2 else "open", subject=f"about {minutes}")
    return Changeset(journey=after, expected_journey_version=journey.version, interactions=(message,))


def _outcome(store: Store, changes: Changeset) -> type[HandoffError] | None:
    try:
        store.commit(changes)
    except HandoffError as exc:
        return type(exc)
    return None


def _stored(store: Store, contacts: list[Contact], journeys: list[Journey]) -> object:
    """Everything a reader sees of the journeys: by id, by reference and by owner."""
    found = []
    for journey in journeys:
        stored = store.get_journey(journey.id)
        by_reference = store.find_journey_by_reference(stored.reference)
        found.append((stored, by_reference and by_reference.id, store.interactions(journey.id)))
    # Journeys opened at the same time may come in either order: compared as sets.
    owners = [{j.id for j in store.journeys_of(contact.id)} for contact in contacts]
    return found, owners


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(OP, min_size=1, max_size=10))
def test_each_journey_update_stores_what_the_memory_store_stores(ops: list[tuple[str, int, int]]) -> None:
    contacts, journeys, seeds = _seeded()
    sqlite, memory = SQLiteStore(), MemoryStore()
    for store in (sqlite, memory):
        for changes in seeds:
            store.commit(changes)
    for op in ops:
        changes = _next(op, contacts, journeys)
        refused = _outcome(memory, changes)
        assert _outcome(sqlite, changes) is refused
        if refused is None:
            assert changes.journey is not None
            journeys[op[1]] = changes.journey
    assert _stored(sqlite, contacts, journeys) == _stored(memory, contacts, journeys)
    # A reference a journey gave up finds nothing, on both.
    given_up = {f"J-N{minutes}-{n}" for kind, n, minutes in ops if kind == "reference"}
    given_up |= {seed.journey.reference for seed in seeds if seed.journey is not None}
    given_up -= {journey.reference for journey in journeys}
    for reference in given_up:
        assert sqlite.find_journey_by_reference(reference) is None
        assert memory.find_journey_by_reference(reference) is None


def test_a_stale_update_with_a_new_reference_writes_nothing_and_frees_nothing() -> None:
    _contacts, journeys, seeds = _seeded()
    store = SQLiteStore()
    for changes in seeds:
        store.commit(changes)
    journey = journeys[0]
    after, message = appended(evolve(journey, version=journey.version + 1))
    stale = Changeset(
        journey=evolve(after, reference="J-ELSEWHERE"),
        expected_journey_version=journey.version + 1,
        interactions=(message,),
    )
    with pytest.raises(ConcurrencyConflict, match="is not at version"):
        store.commit(stale)
    assert store.get_journey(journey.id) == journey
    assert store.find_journey_by_reference("J-ELSEWHERE") is None
    assert store.interactions(journey.id) == [seeds[0].interactions[0]]


def test_moving_a_journey_to_a_contact_nobody_stored_is_refused_as_not_found() -> None:
    _contacts, journeys, seeds = _seeded()
    store = SQLiteStore()
    for changes in seeds:
        store.commit(changes)
    journey = journeys[1]
    after, message = appended(journey)
    moved = Changeset(
        journey=evolve(after, contact_id="ct_nobody"),
        expected_journey_version=journey.version,
        interactions=(message,),
    )
    with pytest.raises(NotFound, match="ct_nobody"):
        store.commit(moved)
    assert store.get_journey(journey.id) == journey
