"""PostgreSQL: a commit is one statement in one round trip, and still all or nothing."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from attrs import evolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.pq import Trace

from handoff import FixedClock, Inbound, SeededIds, Switchboard
from handoff.errors import ConcurrencyConflict
from handoff.models import Contact, Journey
from handoff.stores import Changeset
from handoff.stores.postgres import PostgresStore
from handoff.stores.postgres._commit import MOST_APPENDED
from handoff.testing.factories import (
    T0,
    append_changeset,
    make_contact,
    make_decision,
    make_handoff,
    make_journey,
    make_link,
    make_notification,
)
from tests.pgserver import PgServer


@pytest.fixture
def store(postgres: PgServer, postgres_schema: str) -> Iterator[PostgresStore]:
    """A store of one connection, so that tracing it sees everything the store sends."""
    with PostgresStore(postgres.conninfo(), schema=postgres_schema, min_size=1, max_size=1) as opened:
        yield opened


@contextmanager
def _round_trips(store: PostgresStore) -> Iterator[list[int]]:
    """Count the server's ReadyForQuery answers, one per round trip, inside the block."""
    counted: list[int] = []
    with tempfile.TemporaryFile("w+") as log:
        with store._pool.connection() as conn:
            conn.pgconn.trace(log.fileno())
            conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield counted
        finally:
            with store._pool.connection() as conn:
                conn.pgconn.untrace()
        log.seek(0)
        counted.append(sum(line.startswith("B\t5\tReadyForQuery") for line in log))


def _opened(store: PostgresStore) -> tuple[Contact, Journey]:
    contact = make_contact()
    journey = make_journey(contact)
    store.commit(Changeset(contact=contact, journey=journey))
    return contact, journey


def _full_append(journey: Journey, contact: Contact) -> Changeset:
    """An event that writes every kind of record: the contact, the journey and all appended rows."""
    change = append_changeset(
        journey, handoffs=(make_handoff(journey),), notifications=(make_notification(journey),)
    )
    return evolve(
        change,
        contact=evolve(contact, version=contact.version + 1, name="Ana K."),
        expected_contact_version=contact.version,
        decisions=(make_decision(journey),),
    )


# -- round trips ------------------------------------------------------------------------------
def test_a_commit_is_one_round_trip(store: PostgresStore) -> None:
    contact, journey = _opened(store)
    for _ in range(2):  # the first use of a statement prepares it
        change = _full_append(journey, contact)
        with _round_trips(store) as trips:
            store.commit(change)
        assert change.journey is not None and change.contact is not None
        journey, contact = change.journey, change.contact
    assert trips == [1]
    assert store.get_journey(journey.id) == journey
    assert store.get_contact(contact.id) == contact


def test_receive_is_two_round_trips(store: PostgresStore) -> None:
    board = Switchboard(store, clock=FixedClock(T0 + timedelta(days=1)), ids=SeededIds(3))
    for n in range(4):
        inbound = Inbound(
            channel="sms", identity="phone:+14155550100", body=f"hello {n}", at=T0 + timedelta(minutes=n)
        )
        with _round_trips(store) as trips:
            board.receive(inbound)
    assert trips == [2]  # read everything, then commit


# -- all or nothing ---------------------------------------------------------------------------
def test_a_stale_journey_writes_nothing_of_the_changeset(store: PostgresStore) -> None:
    contact, journey = _opened(store)
    store.commit(append_changeset(journey))
    stale = _full_append(journey, contact)  # expects version 1; version 2 is stored
    with pytest.raises(ConcurrencyConflict, match=rf"journey '{journey.id}' is not at version 1"):
        store.commit(stale)
    records = store.contact_records(contact.id)
    assert records.contact == contact
    assert [j.version for j in records.journeys] == [2]
    assert len(records.interactions) == 1
    assert records.handoffs == records.notifications == records.decisions == ()


def test_a_stale_contact_writes_nothing_of_the_changeset(store: PostgresStore) -> None:
    contact, journey = _opened(store)
    stale = _full_append(journey, evolve(contact, version=7))
    with pytest.raises(ConcurrencyConflict, match=rf"contact '{contact.id}' is not at version 7"):
        store.commit(stale)
    assert store.get_journey(journey.id) == journey
    assert store.interactions(journey.id) == []


def test_a_refused_commit_leaves_the_connection_fit_for_the_next(store: PostgresStore) -> None:
    """Statements prepared before and after a failure keep working on the one connection."""
    _, journey = _opened(store)
    for n in range(12):
        change = append_changeset(journey)
        if n % 3 == 1:
            with pytest.raises(ConcurrencyConflict):
                store.commit(evolve(change, expected_journey_version=journey.version - 1))
        store.commit(change)
        assert change.journey is not None
        journey = change.journey
    assert len(store.interactions(journey.id)) == 12


def test_a_large_changeset_is_all_or_nothing_too(store: PostgresStore) -> None:
    _, journey = _opened(store)
    many = tuple(make_notification(journey) for _ in range(MOST_APPENDED + 1))
    store.commit(append_changeset(journey))
    with pytest.raises(ConcurrencyConflict, match="not at version 1"):
        store.commit(append_changeset(journey, notifications=many))  # expects version 1, not 2
    assert store.notifications(journey.id) == []
    latest = store.get_journey(journey.id)
    store.commit(append_changeset(latest, notifications=many))
    assert len(store.notifications(journey.id)) == MOST_APPENDED + 1


# -- identities -------------------------------------------------------------------------------
_IDENTITIES = [f"email:person{n}@example.com" for n in range(6)]
_SOME = st.sets(st.sampled_from(_IDENTITIES), min_size=1, max_size=4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=_SOME, after=_SOME)
def test_a_contact_update_replaces_its_identities(
    store: PostgresStore, before: set[str], after: set[str]
) -> None:
    contact = make_contact(*sorted(before))
    store.commit(Changeset(contact=contact))
    updated = evolve(contact, version=2, links=tuple(make_link(i) for i in sorted(after)))
    store.commit(Changeset(contact=updated, expected_contact_version=1))
    for identity in contact.identities + updated.identities:
        found = store.find_contact(identity)
        assert (found == updated) if str(identity) in after else (found is None)
    store.erase_contact(contact.id)


def test_an_identity_held_by_another_contact_refuses_the_whole_changeset(store: PostgresStore) -> None:
    holder = make_contact("email:taken@example.com")
    store.commit(Changeset(contact=holder))
    contact, journey = _opened(store)
    change = _full_append(journey, contact)
    assert change.contact is not None
    grabbing = evolve(change.contact, links=(*change.contact.links, make_link("email:taken@example.com")))
    with pytest.raises(ConcurrencyConflict, match="identity already belongs to another contact"):
        store.commit(evolve(change, contact=grabbing))
    assert store.get_contact(contact.id) == contact
    assert store.get_journey(journey.id) == journey
    assert store.find_contact(holder.identities[0]) == holder


def test_the_version_check_is_a_schema_function(postgres: PgServer, store: PostgresStore) -> None:
    """Migration 3 installs written_once in the store's schema."""
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_proc JOIN pg_namespace ON pg_namespace.oid = pronamespace"
            " WHERE proname = 'written_once' AND nspname = %s",
            (store.schema,),
        ).fetchone()
    assert found == (1,)
