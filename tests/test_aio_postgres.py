"""handoff.aio on PostgreSQL: the write path on psycopg's asyncio pool.

The async board opened on a ``postgresql://`` URL must run its writes and its outbox
without a worker thread, decide what the sync board decides, cost the same two round
trips per ``receive``, serialise writers of one customer on the server (the loop keeps
running while one waits), and refuse bad input as the blocking store does.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from attrs import evolve
from hypothesis import HealthCheck, given, settings
from psycopg import sql
from psycopg.pq import Trace

from handoff import FixedClock, SeededIds, Switchboard
from handoff.aio import AsyncSwitchboard
from handoff.aio._native import Native
from handoff.aio._worker import Worker
from handoff.errors import ConcurrencyConflict, NotFound, StoreError, ValidationError
from handoff.identity import parse_identity
from handoff.stores import Changeset
from handoff.stores.postgres import PostgresStore
from handoff.stores.postgres._async import AsyncPostgresStore
from handoff.stores.postgres._commit import MOST_APPENDED
from handoff.stores.postgres._store import _LOCK_CLASS
from handoff.testing.factories import (
    append_changeset,
    make_contact,
    make_journey,
    make_notification,
)
from tests import test_aio as aio
from tests.pgserver import PgServer

T0 = aio.T0
ANA = aio.PEOPLE["ana"][0]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def board(postgres_url: str) -> AsyncIterator[AsyncSwitchboard]:
    async with await AsyncSwitchboard.open(postgres_url, clock=FixedClock(T0), ids=SeededIds(3)) as opened:
        yield opened


@pytest.fixture
async def store(
    postgres: PgServer, postgres_schema: str, postgres_partitions: int
) -> AsyncIterator[AsyncPostgresStore]:
    """An asyncio store of one connection, so that tracing it sees everything it sends."""
    opened = await AsyncPostgresStore.open(
        postgres.conninfo(), schema=postgres_schema, min_size=1, max_size=1, partitions=postgres_partitions
    )
    try:
        yield opened
    finally:
        await opened.close()


def _no_thread(*_: Any, **__: Any) -> Any:
    raise AssertionError("a worker thread was used")


# -- the native path -----------------------------------------------------------------------
@pytest.mark.anyio
async def test_writes_and_the_outbox_run_without_a_worker_thread(board: AsyncSwitchboard) -> None:
    assert isinstance(board._native, Native)
    thread_path = board._worker.run
    board._worker.run = _no_thread  # type: ignore[method-assign]
    first = await board.receive(aio.message("ana", "sms", "Where is A-1042?", T0, "n1"))
    moved = await board.receive(aio.message("ana", "whatsapp", "Here now", T0 + timedelta(minutes=5)))
    assert moved.handoff is not None and moved.journey.id == first.journey.id
    journey = first.journey.reference  # agent verbs take a reference too
    later = T0 + timedelta(minutes=6)
    assert (await board.reply(journey, agent="al", body="On it", at=later)).interaction.author == "agent"
    assert (await board.note(journey, agent="al", body="courier", at=later)).interaction.kind == "note"
    moved = await board.transfer(journey, to_channel="phone", reason="escalation", by="al", at=later)
    assert moved.handoff is not None and moved.handoff.to_channel == "phone"
    assert (await board.resolve(journey, by="al", at=later)).journey.status == "resolved"
    assert (await board.rate(journey, csat=4, at=later)).interaction.kind == "survey"
    with pytest.raises(NotFound):
        await board.reply("J-NOPE1", agent="al", body="hello")
    due = await board.outbox.due(T0 + timedelta(days=2))
    assert due
    claimed = await board.outbox.claim("w1", now=T0 + timedelta(days=2))
    assert [n.id for n in claimed] == [n.id for n in due]
    assert (await board.outbox.ack(due[0].id, provider_id="SM1")).provider_id == "SM1"
    assert (await board.outbox.get(due[0].id)).status == "sent"
    board._worker.run = thread_path  # type: ignore[method-assign]
    assert len(await board.history(first.journey.id)) == 7  # the rest stays on the thread path


@pytest.mark.anyio
async def test_an_erasure_leaves_no_decoded_copy_in_the_asyncio_store(board: AsyncSwitchboard) -> None:
    out = await board.receive(aio.message("ana", "sms", "my card is 4111 1111 1111 1111", T0))
    assert board._native is not None
    decoded = board._native.store._decoded
    assert decoded._items  # the contact, journey and message were kept decoded
    await board.erase_contact(out.contact.id)
    assert not decoded._items
    assert await board.find_contact(ANA) is None


@pytest.mark.anyio
async def test_concurrent_claims_never_return_one_notification_twice(board: AsyncSwitchboard) -> None:
    for n in range(6):
        person = ("ana", "ben", "cho")[n % 3]
        channel = aio.PEOPLE[person][1][n % 2]
        await board.receive(aio.message(person, channel, f"message {n}", T0 + timedelta(minutes=n), f"c{n}"))
    later = T0 + timedelta(days=2)
    due = await board.outbox.due(later)
    claims = await asyncio.gather(*(board.outbox.claim(f"w{k}", limit=1, now=later) for k in range(8)))
    got = [n.id for claim in claims for n in claim]
    assert sorted(got) == sorted(n.id for n in due[:8])
    assert len(got) == len(set(got))


# -- the same decisions as the sync board ----------------------------------------------------
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(plan=aio.plans)
def test_the_native_board_decides_what_the_sync_board_decides(
    plan: list[tuple[str, str, int, int, str]], postgres: PgServer
) -> None:
    names = [f"t_{secrets.token_hex(6)}" for _ in range(2)]
    try:
        expected, got = aio.both(*(postgres.url(schema=name) for name in names), aio.script(plan))
    finally:
        with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
            for name in names:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
    assert got == expected


# -- round trips -------------------------------------------------------------------------------
@contextmanager
def _traced(conn: Any) -> Iterator[list[int]]:
    """Count the server's ReadyForQuery answers on ``conn``, one per round trip."""
    counted: list[int] = []
    with tempfile.TemporaryFile("w+") as log:
        conn.pgconn.trace(log.fileno())
        conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield counted
        finally:
            conn.pgconn.untrace()
        log.seek(0)
        counted.append(sum(line.startswith("B\t5\tReadyForQuery") for line in log))


@pytest.mark.anyio
async def test_receive_is_two_round_trips_on_the_asyncio_pool(store: AsyncPostgresStore) -> None:
    board = Switchboard("memory://", clock=FixedClock(T0 + timedelta(days=1)), ids=SeededIds(3))
    native = Native(board, store, Worker(1))
    async with store._pool.connection() as conn:
        pass  # the pool's one connection, traced below while the store uses it
    for n in range(4):  # the first uses of a statement prepare it
        inbound = aio.message("ana", "sms", f"hello {n}", T0 + timedelta(minutes=n))
        with _traced(conn) as trips:
            await native.receive(inbound)
    assert trips == [2]  # BEGIN, the lock and every read; then the commit and COMMIT
    contact = await store.find_contact(parse_identity(ANA))
    assert contact is not None
    (journey,) = await store.journeys_of(contact.id)
    assert journey.version == 4


# -- serialised on the server; the loop keeps running -----------------------------------------
@pytest.mark.anyio
async def test_the_loop_keeps_running_while_a_receive_waits_for_the_server(
    board: AsyncSwitchboard, postgres: PgServer, postgres_schema: str
) -> None:
    """Another session holds the customer's lock: the receive waits on the server while a
    task on the loop ticks, then lands once the lock is let go."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    with psycopg.connect(postgres.conninfo(), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (_LOCK_CLASS, ANA))
        task = asyncio.create_task(ticker())
        receiving = asyncio.create_task(board.receive(aio.message("ana", "sms", "Where is A-1042?", T0)))
        try:
            while ticks < 50:
                await asyncio.sleep(0.005)
            assert not receiving.done()  # still queued behind the lock
            holder.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (_LOCK_CLASS, ANA))
            out = await asyncio.wait_for(receiving, 10)
        finally:
            task.cancel()
    assert out.interaction.body == "Where is A-1042?"


@pytest.mark.anyio
async def test_a_cancelled_caller_does_not_stop_its_write(
    board: AsyncSwitchboard, postgres: PgServer
) -> None:
    """As on a worker thread: the write goes on (whole) after its caller stopped waiting."""
    with psycopg.connect(postgres.conninfo(), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (_LOCK_CLASS, ANA))
        waiting = asyncio.create_task(board.receive(aio.message("ana", "sms", "first", T0, "x1")))
        await asyncio.sleep(0.2)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        holder.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (_LOCK_CLASS, ANA))
    await board._idle.wait()
    out = await board.receive(aio.message("ana", "sms", "second", T0 + timedelta(seconds=1), "x2"))
    assert [i.external_id for i in await board.history(out.journey.id)] == ["x1", "x2"]


# -- the store refuses as the blocking store does -------------------------------------------
@pytest.mark.anyio
async def test_a_stale_commit_writes_nothing(store: AsyncPostgresStore) -> None:
    contact = make_contact(ANA)
    journey = make_journey(contact)
    await store.commit(Changeset(contact=contact, journey=journey))
    await store.commit(append_changeset(journey))
    stale = append_changeset(journey, notifications=(make_notification(journey),))
    with pytest.raises(ConcurrencyConflict, match=rf"journey '{journey.id}' is not at version 1"):
        await store.commit(stale)
    assert [j.version for j in await store.journeys_of(contact.id)] == [2]
    assert len(await store.interactions(journey.id)) == 1
    assert await store.notifications(journey.id) == []


@pytest.mark.anyio
async def test_a_write_to_a_missing_journey_is_not_found(store: AsyncPostgresStore) -> None:
    journey = make_journey(make_contact(ANA))
    orphan = evolve(append_changeset(journey), journey=None, expected_journey_version=0)
    with pytest.raises(NotFound) as missing:
        await store.commit(orphan)
    assert missing.value.kind == "journey"


@pytest.mark.anyio
async def test_a_long_changeset_commits_whole(store: AsyncPostgresStore) -> None:
    contact = make_contact(ANA)
    journey = make_journey(contact)
    notes = tuple(make_notification(journey, id=f"nt_{n}") for n in range(MOST_APPENDED + 4))
    await store.commit(Changeset(contact=contact, journey=journey, notifications=notes))
    assert [n.id for n in await store.notifications(journey.id)] == [n.id for n in notes]
    due = await store.due_notifications(T0 + timedelta(days=1), limit=3)
    assert len(due) == 3


@pytest.mark.anyio
async def test_bad_arguments_name_their_field(store: AsyncPostgresStore) -> None:
    for call, field in (
        (lambda: store.get_journey(7), "journey_id"),  # type: ignore[arg-type]
        (lambda: store.interactions("jr_1", last=-1), "last"),
        (lambda: store.due_notifications(T0.replace(tzinfo=None)), "now"),
        (lambda: store.claim_notifications("", T0, limit=1, lease=timedelta(minutes=1)), "worker"),
        (lambda: store.mark_notification("nt_1", "lost", T0), "status"),
        (lambda: store.commit("a changeset"), "changes"),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValidationError) as refused:
            await call()
        assert refused.value.field == field, field
    assert await store.find_interaction("sms", "x\x00y") is None
    with pytest.raises(NotFound):
        await store.get_contact("ct\x00")
    with pytest.raises(NotFound):
        await store.mark_notification("nt_missing", "sent", T0)


@pytest.mark.anyio
async def test_a_closed_store_refuses(postgres: PgServer, postgres_schema: str) -> None:
    opened = await AsyncPostgresStore.open(postgres.conninfo(), schema=postgres_schema)
    await opened.close()
    with pytest.raises(StoreError):
        await opened.get_contact("ct_1")


def test_the_blocking_store_reads_what_the_asyncio_store_wrote(
    postgres: PgServer, postgres_schema: str
) -> None:
    contact = make_contact(ANA)
    journey = make_journey(contact)

    async def write() -> None:
        opened = await AsyncPostgresStore.open(postgres.conninfo(), schema=postgres_schema)
        try:
            await opened.commit(Changeset(contact=contact, journey=journey))
        finally:
            await opened.close()

    asyncio.run(write())
    with PostgresStore(postgres.conninfo(), schema=postgres_schema) as blocking:
        assert blocking.get_journey(journey.id) == journey
        assert blocking.find_contact(parse_identity(ANA)) == contact
