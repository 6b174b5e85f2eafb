"""handoff.aio: the Switchboard's verbs awaited, on memory, SQLite and PostgreSQL.

The async board must decide exactly what the sync board decides, keep the event loop
free while the store works, take a burst of concurrent messages from one customer
without failing any of them, and close cleanly.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import threading
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import (
    FixedClock,
    HandoffError,
    Inbound,
    NotFound,
    SeededIds,
    StoreError,
    Switchboard,
    ValidationError,
)
from handoff.aio import AsyncSwitchboard
from tests.pgserver import BACKENDS, backend_url

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)
PEOPLE = {
    "ana": ("phone:+14155550101", ("sms", "whatsapp", "chat", "phone")),
    "ben": ("twitter:@ben_t", ("twitter", "twitter_dm")),
    "cho": ("email:cho@example.com", ("email", "chat", "portal")),
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", "sqlite", *BACKENDS])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param in BACKENDS:
        return backend_url(request, request.param)
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'aio.db'}"


@pytest.fixture(params=["memory", "sqlite"])
def threaded_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The stores whose every verb runs on a worker thread (PostgreSQL's writes run on
    the asyncio pool: see test_aio_postgres.py)."""
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'aio.db'}"


@pytest.fixture
async def board(url: str) -> AsyncIterator[AsyncSwitchboard]:
    clock = FixedClock(T0)
    async with await AsyncSwitchboard.open(url, clock=clock, ids=SeededIds(3), max_retries=50) as opened:
        yield opened


def message(person: str, channel: str, body: str, at: datetime, external_id: str | None = None) -> Inbound:
    return Inbound(channel=channel, identity=PEOPLE[person][0], body=body, at=at, external_id=external_id)


# -- the same decisions as the sync board -------------------------------------------------

Call = tuple[datetime, str, tuple[Any, ...], dict[str, Any]]

plans = st.lists(
    st.tuples(
        st.sampled_from(["receive"] * 4 + ["reply", "transfer", "resolve", "note", "rate", "bad_reply"]),
        st.sampled_from(sorted(PEOPLE)),
        st.integers(0, 3),  # which of the person's channels
        st.integers(0, 600),  # minutes since the step before
        st.sampled_from(["Where is A-1042?", "Any news?", "my card is 4111 1111 1111 1111", "thanks"]),
    ),
    min_size=1,
    max_size=10,
)


def script(plan: list[tuple[str, str, int, int, str]]) -> list[Call]:
    """The calls a plan makes, each with the time the clock shows when it is made.

    An agent verb names ``@person``: the journey that person's last message joined.
    """
    calls: list[Call] = []
    at = T0
    for n, (kind, person, which, minutes, body) in enumerate(plan):
        at += timedelta(minutes=minutes)
        channels = PEOPLE[person][1]
        journey = f"@{person}"
        if kind == "receive":
            calls.append(
                (at, "receive", (message(person, channels[which % len(channels)], body, at, f"x{n}"),), {})
            )
        elif kind == "reply":
            calls.append((at, "reply", (journey,), {"agent": "alice", "body": body}))
        elif kind == "transfer":
            calls.append(
                (at, "transfer", (journey,), {"to_channel": "phone", "reason": "escalation", "by": "al"})
            )
        elif kind == "resolve":
            calls.append((at, "resolve", (journey,), {"by": "alice"}))
        elif kind == "note":
            calls.append((at, "note", (journey,), {"agent": "alice", "body": body}))
        elif kind == "rate":
            calls.append((at, "rate", (journey,), {"csat": 1 + which}))
        else:  # refused the same way by both
            calls.append((at, "reply", (journey,), {"agent": "alice", "body": "  "}))
    calls.append((at + timedelta(hours=30), "tick", (), {}))
    return calls


def _journey_of(args: tuple[Any, ...], last: dict[str, str]) -> tuple[Any, ...]:
    if args and isinstance(args[0], str) and args[0].startswith("@"):
        return (last.get(args[0][1:], "jr_missing"), *args[1:])
    return args


def _remember(args: tuple[Any, ...], out: Any, last: dict[str, str]) -> None:
    if args and isinstance(args[0], Inbound):
        person = next(p for p, (identity, _) in PEOPLE.items() if identity == args[0].identity)
        last[person] = out.journey.id


def play_sync(board: Switchboard, clock: FixedClock, calls: list[Call]) -> list[Any]:
    seen: list[Any] = []
    last: dict[str, str] = {}
    for at, verb, args, kwargs in calls:
        clock.set(at)
        args = _journey_of(args, last)
        try:
            out = getattr(board, verb)(*args, **kwargs)
        except HandoffError as exc:
            seen.append((type(exc).__name__, str(exc)))
            continue
        _remember(args, out, last)
        seen.append(out)
    return seen


async def play_async(board: AsyncSwitchboard, clock: FixedClock, calls: list[Call]) -> list[Any]:
    seen: list[Any] = []
    last: dict[str, str] = {}
    for at, verb, args, kwargs in calls:
        clock.set(at)
        args = _journey_of(args, last)
        try:
            out = await getattr(board, verb)(*args, **kwargs)
        except HandoffError as exc:
            seen.append((type(exc).__name__, str(exc)))
            continue
        _remember(args, out, last)
        seen.append(out)
    return seen


def both(sync_url: str, async_url: str, calls: list[Call]) -> tuple[list[Any], list[Any]]:
    """What the sync and the async board return for the same calls, time and ids."""
    clock = FixedClock(T0)
    with Switchboard.open(sync_url, clock=clock, ids=SeededIds(5)) as sync:
        expected = play_sync(sync, clock, calls)

    async def main() -> list[Any]:
        clock = FixedClock(T0)
        async with await AsyncSwitchboard.open(async_url, clock=clock, ids=SeededIds(5)) as board:
            return await play_async(board, clock, calls)

    return expected, asyncio.run(main())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans, backend=st.sampled_from(["memory", "sqlite"]))
def test_the_async_board_decides_what_the_sync_board_decides(
    plan: list[tuple[str, str, int, int, str]], backend: str
) -> None:
    calls = script(plan)
    with TemporaryDirectory() as tmp:
        urls = ("memory://", "memory://")
        if backend == "sqlite":
            urls = (f"sqlite:///{tmp}/sync.db", f"sqlite:///{tmp}/async.db")
        expected, got = both(*urls, calls)
    assert got == expected


def test_the_async_board_decides_what_the_sync_board_decides_on_postgres(
    postgres: Any, request: pytest.FixtureRequest
) -> None:
    plan = [
        ("receive", "ana", 0, 0, "Where is A-1042?"),
        ("receive", "ana", 1, 5, "Any news?"),
        ("reply", "ana", 0, 1, "Looking into it"),
        ("transfer", "ana", 0, 2, ""),
        ("bad_reply", "ana", 0, 0, ""),
        ("receive", "cho", 0, 3, "my card is 4111 1111 1111 1111"),
        ("resolve", "ana", 0, 30, ""),
        ("rate", "ana", 3, 60, ""),
    ]
    sync_url = postgres.url(schema=request.getfixturevalue("postgres_schema"))
    async_url = postgres.url(schema=f"{request.getfixturevalue('postgres_schema')}_a")
    try:
        expected, got = both(sync_url, async_url, script(plan))
    finally:
        import psycopg

        with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{async_url.rsplit("=", 1)[1]}" CASCADE')
    assert got == expected
    assert any(isinstance(out, tuple) and out[0] == "ValidationError" for out in got)


# -- the event loop stays free ------------------------------------------------------------


@pytest.mark.anyio
async def test_the_event_loop_keeps_running_while_a_receive_works(threaded_url: str) -> None:
    """The receive blocks (in its sentiment hook) until a task on the loop has ticked
    three times: a receive that held the loop would never see the ticks and time out."""
    ticked = threading.Event()
    ticks = 0

    def sentiment(text: str) -> float:
        assert ticked.wait(10), "the event loop was blocked during receive"
        return 0.0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            if ticks >= 3:
                ticked.set()
            await asyncio.sleep(0.001)

    async with await AsyncSwitchboard.open(threaded_url, clock=FixedClock(T0), sentiment=sentiment) as board:
        task = asyncio.create_task(ticker())
        try:
            out = await board.receive(message("ana", "sms", "Where is A-1042?", T0))
        finally:
            task.cancel()
        assert out.interaction.body == "Where is A-1042?"
        assert ticks >= 3


@pytest.mark.anyio
async def test_concurrent_messages_to_one_journey_all_land(board: AsyncSwitchboard) -> None:
    first = await board.receive(message("ana", "sms", "Where is A-1042?", T0, "m-0"))
    inbounds = [
        message(
            "ana", ("sms", "whatsapp", "chat")[n % 3], f"message {n}", T0 + timedelta(seconds=n), f"m-{n}"
        )
        for n in range(1, 25)
    ]
    outcomes = await asyncio.gather(*(board.receive(i) for i in inbounds))
    assert {o.journey.id for o in outcomes} == {first.journey.id}
    history = await board.history(first.journey.id)
    assert sorted(i.external_id or "" for i in history) == sorted(f"m-{n}" for n in range(25))
    journey = await board.journey(first.journey.id)
    assert journey.version == 25  # one version per message, none lost
    # a redelivered burst changes nothing
    again = await asyncio.gather(*(board.receive(i) for i in inbounds))
    assert all(o.duplicate for o in again)
    assert len(await board.history(first.journey.id)) == 25


# -- every verb, awaited ------------------------------------------------------------------


@pytest.mark.anyio
async def test_every_verb_of_the_sync_board_is_awaited(board: AsyncSwitchboard) -> None:
    sync_verbs = {
        name for name in dir(Switchboard) if not name.startswith("_") and callable(getattr(Switchboard, name))
    }
    missing = sync_verbs - set(dir(AsyncSwitchboard)) - {"close", "bulk"}
    assert not missing
    for name in sync_verbs - {"close", "bulk", "open"}:  # the same parameters and defaults
        ours, theirs = (
            inspect.signature(getattr(AsyncSwitchboard, name)),
            inspect.signature(getattr(Switchboard, name)),
        )
        assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
            (p.name, p.kind, p.default) for p in theirs.parameters.values()
        ], name
    first = await board.receive(message("ana", "sms", "Where is A-1042?", T0, "s1"))
    journey_id = first.journey.id
    moved = await board.receive(message("ana", "whatsapp", "Writing here now", T0 + timedelta(minutes=5)))
    assert moved.handoff is not None and moved.handoff.to_channel == "whatsapp"
    contact = first.contact.id
    later = T0 + timedelta(minutes=6)
    reply = await board.reply(journey_id, agent="alice", body="Checking A-1042 now", at=later)
    assert reply.interaction.author == "agent"
    await board.note(journey_id, agent="alice", body="Courier says lost", at=later)
    moved = await board.transfer(journey_id, to_channel="phone", reason="escalation", by="alice", at=later)
    assert moved.handoff is not None and moved.handoff.to_channel == "phone"
    assert (await board.link(contact, "email:ana@example.com")).identities
    assert await board.find_contact("email:ana@example.com") is not None
    unlinked = await board.unlink(contact, "email:ana@example.com")
    assert "email:ana@example.com" not in {str(i) for i in unlinked.identities}
    updated = await board.update_contact(contact, name="Ana K", consent={"sms": False})
    assert updated.name == "Ana K" and (await board.contact(contact)).name == "Ana K"
    summary = await board.summary(journey_id, for_channel="email")
    assert summary.render("text")
    assert [h.to_channel for h in await board.handoffs(journey_id)] == ["whatsapp", "phone"]
    assert [j.id for j in await board.journeys(contact)] == [journey_id]
    resolved = await board.resolve(journey_id, by="alice", at=later)
    assert resolved.journey.status == "resolved"
    rated = await board.rate(journey_id, csat=5, at=later + timedelta(hours=2))
    assert rated.interaction.kind == "survey"
    assert (await board.journey(first.journey.reference)).id == journey_id
    await board.tick(T0 + timedelta(days=1))
    backfill = await board.receive_many(
        [message("cho", "email", "An old thread", T0 - timedelta(days=90), "e1")]
    )
    assert backfill[0].journey.contact_id != contact

    due = await board.outbox.due(T0 + timedelta(days=3))
    assert due, "the switch and the resolution scheduled notifications"
    claimed = await board.outbox.claim("worker-1", now=T0 + timedelta(days=3))
    assert [n.id for n in claimed] == [n.id for n in due]
    assert await board.outbox.claim("worker-2", now=T0 + timedelta(days=3)) == []  # leased
    assert (await board.explain(due[0].id)).verdicts
    sent = await board.outbox.ack(due[0].id, provider_id="SM0001")
    assert sent.status == "sent" and (await board.outbox.get(due[0].id)).provider_id == "SM0001"
    if len(due) > 1:
        assert (await board.outbox.fail(due[1].id)).status == "failed"
    if len(due) > 2:
        assert (await board.outbox.cancel(due[2].id)).status == "cancelled"

    exported = await board.export_contact(contact)
    assert exported["contact"]["id"] == contact
    lines = io.StringIO()
    assert await board.write_export(contact, lines) == len(lines.getvalue().splitlines()) > 1
    assert [i.id for i in await board.history(journey_id, limit=2)] == [
        i.id for i in (await board.history(journey_id))[:2]
    ]
    erasure = await board.erase_contact(contact)
    assert erasure.contact_id == contact
    with pytest.raises(NotFound):
        await board.contact(contact)


@pytest.mark.anyio
async def test_bad_arguments_are_refused_as_the_sync_board_refuses_them(board: AsyncSwitchboard) -> None:
    first = await board.receive(message("ana", "sms", "Where is A-1042?", T0))
    with pytest.raises(ValidationError) as refused:
        await board.reply(first.journey.id, agent="alice", body="")
    assert refused.value.field == "body"
    with pytest.raises(ValidationError) as refused:
        await board.transfer(first.journey.id, to_channel="pigeon", reason="escalation", by="alice")
    assert refused.value.field == "to_channel"
    with pytest.raises(ValidationError) as refused:
        await board.outbox.due(limit=0)
    assert refused.value.field == "limit"
    with pytest.raises(NotFound):
        await board.journey("J-NOPE1")
    assert len(await board.history(first.journey.id)) == 1  # nothing lost


@pytest.mark.anyio
async def test_aclose_waits_for_calls_made_and_refuses_later_ones(url: str) -> None:
    board = await AsyncSwitchboard.open(url, clock=FixedClock(T0))
    pending = [
        asyncio.create_task(board.receive(message("ben", "twitter", f"tweet {n}", T0, f"t{n}")))
        for n in range(5)
    ]
    await asyncio.sleep(0)  # the calls are made
    await board.aclose()
    assert all(task.done() and not task.cancelled() for task in pending)
    assert len({task.result().journey.id for task in pending}) == 1
    await board.aclose()  # harmless
    with pytest.raises(StoreError):
        await board.receive(message("ben", "twitter", "too late", T0))


@pytest.mark.anyio
async def test_async_with_closes_the_store(url: str) -> None:
    async with await AsyncSwitchboard.open(url, clock=FixedClock(T0)) as board:
        await board.receive(message("cho", "email", "Hello", T0))
    with pytest.raises(StoreError):
        await board.find_contact("email:cho@example.com")
    if not url.startswith("memory://"):  # a memory store has nothing to close
        with pytest.raises(StoreError):
            board.sync.find_contact("email:cho@example.com")  # the store itself is closed


@pytest.mark.anyio
async def test_wrapping_a_board_and_refusing_what_is_not_one() -> None:
    sync = Switchboard.open("memory://", clock=FixedClock(T0))
    async with AsyncSwitchboard(sync) as board:
        assert board.sync is sync and board.store is sync.store and board.clock is sync.clock
        assert board.policy is sync.policy
        await board.receive(message("ana", "sms", "Hi", T0))
        assert sync.find_contact(PEOPLE["ana"][0]) is not None
    with pytest.raises(ValidationError) as refused:
        AsyncSwitchboard("memory://")  # type: ignore[arg-type]
    assert refused.value.field == "board"
    with pytest.raises(ValidationError) as refused:
        AsyncSwitchboard(Switchboard.open("memory://"), workers=0)
    assert refused.value.field == "workers"
