"""PostgreSQL: the first read of a serialised writer takes the writer's lock itself.

Inside ``serialized(key)`` the block's first ``load_intake`` calls the schema function
``intake_rows_locked``, which takes the transaction-scoped advisory lock on ``key`` and
then reads. A second writer of the key waits in that read until the first commits, and
then reads what the first wrote; a writer of another key does not wait. The asyncio
store does the same.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from psycopg.pq import Trace

from handoff import FixedClock, Inbound, SeededIds, Switchboard
from handoff.identity import parse_identity
from handoff.stores import Changeset, IntakeRecords
from handoff.stores.postgres import PostgresStore
from handoff.stores.postgres._async import AsyncPostgresStore
from handoff.testing.factories import T0, make_contact, make_journey
from tests.pgserver import PgServer

_WAIT_SECONDS = 30.0


@pytest.fixture
def stores(
    postgres: PgServer, postgres_schema: str, postgres_partitions: int
) -> Iterator[list[PostgresStore]]:
    """Two stores on one schema (plain or partitioned), as two processes would hold."""
    with (
        PostgresStore(postgres.conninfo(), schema=postgres_schema, partitions=postgres_partitions) as first,
        PostgresStore(postgres.conninfo(), schema=postgres_schema) as second,
    ):
        yield [first, second]


def _waiting_for(postgres: PgServer, key: str) -> int:
    """How many sessions wait for the advisory lock of ``key`` (the store's lock class)."""
    query = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 18511"
        " AND objid::bigint = (hashtext(%s)::bigint + 4294967296) %% 4294967296"
    )
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        row = conn.execute(query, (key,)).fetchone()
    return int(str(row[0])) if row else 0


def _until(condition: object, what: str) -> None:
    deadline = time.monotonic() + _WAIT_SECONDS
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"waited {_WAIT_SECONDS:.0f} s for {what}")
        time.sleep(0.01)


def _read_in_thread(store: PostgresStore, key: str, identity: str) -> tuple[threading.Thread, list[object]]:
    """A writer of ``key`` whose first read is ``load_intake`` for ``identity``, on a thread;
    the list receives its records (or the exception it raised)."""
    found: list[object] = []

    def writer() -> None:
        try:
            with store.serialized(key):
                found.append(store.load_intake(parse_identity(identity), "sms", None, (), (), T0))
        except BaseException as exc:  # reported by the test, not lost on the thread
            found.append(exc)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    return thread, found


def test_a_second_writer_of_the_key_waits_in_its_first_read_and_then_reads_the_first_ones_write(
    stores: list[PostgresStore], postgres: PgServer
) -> None:
    first, second = stores
    phone = f"phone:+1415555{secrets.randbelow(10_000):04d}"
    contact = make_contact(phone)
    journey = make_journey(contact)
    with first.serialized(phone):
        assert first.load_intake(parse_identity(phone), "sms", None, (), (), T0).contact is None
        thread, found = _read_in_thread(second, phone, phone)
        _until(lambda: _waiting_for(postgres, phone) == 1, "the second writer to wait for the lock")
        assert not found  # still waiting: it has read nothing
        first.commit(Changeset(contact=contact, journey=journey))  # COMMIT lets the lock go
    thread.join(_WAIT_SECONDS)
    assert not thread.is_alive()
    assert len(found) == 1 and isinstance(found[0], IntakeRecords), found
    records = found[0]
    assert records.contact is not None and records.contact.id == contact.id
    assert [j.id for j in records.journeys[contact.id]] == [journey.id]


def test_a_writer_that_gives_up_after_its_first_read_lets_the_next_one_in(
    stores: list[PostgresStore], postgres: PgServer
) -> None:
    first, second = stores
    phone = f"phone:+1415556{secrets.randbelow(10_000):04d}"

    class GaveUp(Exception):
        pass

    def give_up() -> tuple[threading.Thread, list[object]]:
        with first.serialized(phone):
            first.load_intake(parse_identity(phone), "sms", None, (), (), T0)
            waiting = _read_in_thread(second, phone, phone)
            _until(lambda: _waiting_for(postgres, phone) == 1, "the second writer to wait for the lock")
            raise GaveUp(waiting)

    with pytest.raises(GaveUp) as gave_up:
        give_up()
    thread, found = gave_up.value.args[0]
    thread.join(_WAIT_SECONDS)
    assert not thread.is_alive()
    assert len(found) == 1 and isinstance(found[0], IntakeRecords), found
    assert found[0].contact is None


def test_a_writer_of_another_key_does_not_wait(stores: list[PostgresStore], postgres: PgServer) -> None:
    first, second = stores
    phone, other = (f"phone:+1415557{secrets.randbelow(10_000):04d}", "phone:+14155550199")
    with first.serialized(phone):
        first.load_intake(parse_identity(phone), "sms", None, (), (), T0)
        thread, found = _read_in_thread(second, other, other)
        thread.join(_WAIT_SECONDS)  # it finishes while the first writer still holds its key
        assert not thread.is_alive()
        assert len(found) == 1 and isinstance(found[0], IntakeRecords), found
        assert _waiting_for(postgres, phone) == 0


def test_a_receive_sends_begin_with_the_locking_read_then_its_write_with_commit(
    postgres: PgServer, postgres_schema: str, postgres_partitions: int
) -> None:
    """Two round trips: ``BEGIN`` and the read that takes the lock as one query, then the
    write and ``COMMIT``; the lock is no statement of its own."""
    with PostgresStore(
        postgres.conninfo(), schema=postgres_schema, min_size=1, max_size=1, partitions=postgres_partitions
    ) as store:
        board = Switchboard(store, clock=FixedClock(T0 + timedelta(days=1)), ids=SeededIds(3))
        for n in range(3):
            inbound = Inbound(
                channel="sms", identity="phone:+14155550100", body=f"hello {n}", at=T0 + timedelta(minutes=n)
            )
            with tempfile.TemporaryFile("w+") as log:
                with store._pool.connection() as conn:
                    conn.pgconn.trace(log.fileno())
                    conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
                try:
                    board.receive(inbound)
                finally:
                    with store._pool.connection() as conn:
                        conn.pgconn.untrace()
                log.seek(0)
                lines = log.read().splitlines()
            sent = [line.split("\t")[2] for line in lines if line.startswith("F\t")]
            queries = [line for line in lines if line.startswith("F\t") and "\tQuery\t" in line]
            assert sum(line.startswith("B\t5\tReadyForQuery") for line in lines) == 2
            assert len(queries) == 1 and '"BEGIN; SELECT' in queries[0]
            assert "intake_rows_locked(" in queries[0]
            assert sent.count("Execute") == 2  # the write, COMMIT
            assert not any("pg_advisory_xact_lock" in line for line in lines)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_the_asyncio_store_s_first_read_waits_for_the_writer_ahead_and_reads_its_write(
    postgres: PgServer, postgres_schema: str, postgres_partitions: int
) -> None:
    phone = f"phone:+1415558{secrets.randbelow(10_000):04d}"
    contact = make_contact(phone)
    journey = make_journey(contact)
    first = await AsyncPostgresStore.open(
        postgres.conninfo(), schema=postgres_schema, partitions=postgres_partitions
    )
    second = await AsyncPostgresStore.open(postgres.conninfo(), schema=postgres_schema)
    try:

        async def second_writer() -> IntakeRecords:
            async with second.serialized(phone):
                return await second.load_intake(parse_identity(phone), "sms", None, (), (), T0)

        async with first.serialized(phone):
            assert (await first.load_intake(parse_identity(phone), "sms", None, (), (), T0)).contact is None
            waiting = asyncio.ensure_future(second_writer())
            deadline = time.monotonic() + _WAIT_SECONDS
            while await asyncio.to_thread(_waiting_for, postgres, phone) != 1:
                assert time.monotonic() < deadline, "the second writer never waited for the lock"
                await asyncio.sleep(0.01)
            assert not waiting.done()
            await first.commit(Changeset(contact=contact, journey=journey))
        records = await asyncio.wait_for(waiting, _WAIT_SECONDS)
        assert records.contact is not None and records.contact.id == contact.id
        assert [j.id for j in records.journeys[contact.id]] == [journey.id]
    finally:
        await first.close()
        await second.close()
