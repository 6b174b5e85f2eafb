"""PostgreSQL: a commit is one statement in one round trip, and still all or nothing."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from attrs import evolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql
from psycopg.pq import Trace

from handoff import FixedClock, Inbound, SeededIds, Switchboard
from handoff.errors import ConcurrencyConflict
from handoff.identity import parse_identity
from handoff.models import Contact, Journey
from handoff.stores import Changeset, MemoryStore, linked_contact
from handoff.stores.postgres import PostgresStore
from handoff.stores.postgres import _bulk as bulk
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
from tests import test_bulk_batches as batches
from tests import test_bulk_import as bulk_import
from tests.pgserver import PgServer


@pytest.fixture
def store(postgres: PgServer, postgres_schema: str, postgres_partitions: int) -> Iterator[PostgresStore]:
    """A store of one connection, so that tracing it sees everything the store sends."""
    with PostgresStore(
        postgres.conninfo(), schema=postgres_schema, min_size=1, max_size=1, partitions=postgres_partitions
    ) as opened:
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
    change = Changeset(
        contact=evolve(contact, version=2),
        expected_contact_version=1,
        links=[make_link(i) for i in sorted(after - before)],
        unlinks=[parse_identity(i) for i in sorted(before - after)],
    )
    store.commit(change)
    updated = linked_contact(change, contact)
    assert {str(i) for i in updated.identities} == after
    assert store.get_contact(contact.id) == updated
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
    grabbing = evolve(change, links=(make_link("email:taken@example.com"),))
    with pytest.raises(ConcurrencyConflict, match="identity already belongs to another contact"):
        store.commit(grabbing)
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


# -- commit_many: set-based ---------------------------------------------------------------------
def _batch_of_new(count: int) -> list[Changeset]:
    """``count`` customers, each a new contact with a new journey and its first message."""
    batch = []
    for _ in range(count):
        contact = make_contact()
        change = append_changeset(make_journey(contact, version=0))
        batch.append(evolve(change, contact=contact, decisions=(make_decision(change.journey),)))
    return batch


def _batch_of_appends(store: PostgresStore, batch: list[Changeset]) -> list[Changeset]:
    """The next message of every journey ``batch`` wrote, with the contact updated too."""
    follow: list[Changeset] = []
    for change in batch:
        assert change.journey is not None and change.contact is not None
        journey = store.get_journey(change.journey.id)
        follow.append(_full_append(journey, store.get_contact(change.contact.id)))
    return follow


@pytest.mark.parametrize("count", [3, 60])
def test_a_batch_takes_as_many_round_trips_whatever_its_number_of_journeys(
    store: PostgresStore, count: int
) -> None:
    """Set-based: a few statements per table, not one per journey (the numbers do not grow)."""
    first = _batch_of_new(count)
    with _round_trips(store) as created:
        store.commit_many(first)
    follow = _batch_of_appends(store, first)
    with _round_trips(store) as updated:
        store.commit_many(follow)
    assert created[0] <= 12 and updated[0] <= 14
    for change in follow:
        assert change.journey is not None and change.contact is not None
        assert store.get_journey(change.journey.id) == change.journey
        assert store.get_contact(change.contact.id) == change.contact
        assert len(store.interactions(change.journey.id)) == 2
        assert len(store.handoffs(change.journey.id)) == 1
        assert len(store.decisions(change.journey.id)) == 2


def test_a_stale_journey_in_a_batch_is_named_and_nothing_of_the_batch_is_written(
    store: PostgresStore,
) -> None:
    first = _batch_of_new(4)
    store.commit_many(first)
    follow = _batch_of_appends(store, first)
    stale = follow[2]
    assert stale.journey is not None
    follow[2] = evolve(stale, expected_journey_version=stale.expected_journey_version + 1,
                       journey=evolve(stale.journey, version=stale.journey.version + 1))  # fmt: skip
    with pytest.raises(ConcurrencyConflict, match=rf"journey '{stale.journey.id}' is not at version 2"):
        store.commit_many(follow)
    for change in first:
        assert change.journey is not None and change.contact is not None
        assert store.get_journey(change.journey.id) == change.journey
        assert store.get_contact(change.contact.id) == change.contact
        assert len(store.interactions(change.journey.id)) == 1
        assert store.handoffs(change.journey.id) == [] == store.notifications(change.journey.id)


@pytest.fixture
def two_stores(postgres: PgServer, postgres_schema: str) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores in schemas of their own, dropped afterwards."""
    names = (postgres_schema, f"{postgres_schema}_in_order")
    stores = [PostgresStore(postgres.conninfo(), schema=name, max_size=1) for name in names]
    try:
        yield stores[0], stores[1]
    finally:
        for opened in stores:
            opened.close()
        with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(names[1])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(batches.OP, min_size=1, max_size=8))
def test_a_batch_a_table_at_a_time_stores_what_one_changeset_after_another_stores(
    two_stores: tuple[PostgresStore, PostgresStore],
    ops: list[tuple[str, int, bool]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whatever the batch (appends, new customers, stale versions, duplicates, dangling
    messages, taken identities), both ways store, or refuse with, the same."""
    by_table, in_order = two_stores
    seeds = batches.seeded()
    contacts = [contact for contact, _, _ in seeds]
    batch = [
        batches.change(op, seeds[n], extras, contacts[n + 1 :] + contacts[: n + 1]) for op, n, extras in ops
    ]
    for opened in two_stores:
        opened.commit_many([Changeset(contact=c, journey=j, interactions=(i,)) for c, j, i in seeds])
    with monkeypatch.context() as patch:
        patch.setattr(bulk, "set_based", lambda batch, rows: False)
        expected = batches.outcome(in_order, batch)
    chosen: list[object] = []
    written: list[object] = []
    with monkeypatch.context() as patch:
        patch.setattr(bulk, "set_based", _spy(bulk.set_based, chosen))
        patch.setattr(bulk, "write_set", _spy(bulk.write_set, written))
        assert batches.outcome(by_table, batch) == expected
    everyone = {c.contact.id for c in batch if c.contact is not None} | {c.id for c in contacts}
    for contact_id in everyone:
        assert batches.contact_records(by_table, contact_id) == batches.contact_records(in_order, contact_id)
    if expected is None and chosen == [True]:
        assert written == [None]  # went a table at a time, not refused and written again


def _spy(function: Callable[..., object], calls: list[object]) -> Callable[..., object]:
    """``function``, noting what each call returned (calls that raise note nothing)."""

    def spied(*args: object) -> object:
        result = function(*args)
        calls.append(result)
        return result

    return spied


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=bulk_import._events, batch_size=st.integers(1, 8))
def test_a_backfill_goes_a_table_at_a_time_and_stores_what_the_memory_store_stores(
    postgres: PgServer,
    events: list[tuple[int, int, int, bool]],
    batch_size: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbounds = bulk_import._history(events)
    memory = MemoryStore()
    expected = bulk_import._board(memory).receive_many(inbounds, batch_size=batch_size)
    name = f"t_{secrets.token_hex(6)}"
    chosen: list[object] = []
    try:
        with PostgresStore(postgres.conninfo(), schema=name, max_size=1) as stored:
            with monkeypatch.context() as patch:
                patch.setattr(bulk, "set_based", _spy(bulk.set_based, chosen))
                got = bulk_import._board(stored).receive_many(inbounds, batch_size=batch_size)
            assert got == expected
            contacts = [outcome.contact.id for outcome in expected]
            assert bulk_import._everything(stored, contacts) == bulk_import._everything(memory, contacts)
    finally:
        with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
    assert chosen and all(chosen)  # the planner's coalesced batches always qualify
