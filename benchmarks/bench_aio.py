"""Throughput and latency of ``AsyncSwitchboard.receive`` under concurrency.

Run: ``python benchmarks/bench_aio.py --pg-server`` (a throwaway durable cluster on
loopback, started with the tests' helper), or ``--pg postgresql://user@host:port/db``
for a server you run; ``--quick`` for a smoke run. Without a server it measures SQLite.

``--events`` customer messages from ``--contacts`` customers are received by
``--concurrency`` tasks at once (every tenth message on another channel: a switch with
its handoff summary). On PostgreSQL two ways run, in alternating rounds on the same
server, each in a fresh schema:

* **native**: ``AsyncSwitchboard.open(url)``, whose writes run on psycopg's
  ``AsyncConnectionPool`` (no thread between the loop and the server);
* **threads**: ``AsyncSwitchboard(Switchboard.open(url))``, every call on a worker
  thread over the blocking pool (eight threads, eight connections).

The anchor is raw psycopg on an ``AsyncConnectionPool`` of the same size: one INSERT of
an interaction-sized row per event, autocommitted, with the same concurrency. Printed
per round: events/s, ``events/s ÷ anchor events/s``, p50 and p99 of one call, and the
worst lag of a task that sleeps 1 ms on the loop meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _support import percentile, throwaway_postgres

from handoff import FixedClock, Inbound, SeededIds, Switchboard
from handoff.aio import AsyncSwitchboard

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
BODY = "follow-up {i}: still waiting for A-1042, I paid $89.90"
ROW_SQL = "CREATE TABLE {} (id TEXT PRIMARY KEY, journey_id TEXT, at TEXT, body TEXT, data TEXT)"
ROW_DATA = '{"channel": "sms", "author": "customer", "kind": "message", "metadata": {}}'


def _inbound(i: int, contacts: int, prefix: str) -> Inbound:
    return Inbound(
        channel="whatsapp" if i % 10 == 9 else "sms",
        identity=f"phone:+1415555{i % contacts:04d}",
        body=BODY.format(i=i),
        at=T0 + timedelta(seconds=i),
        external_id=f"{prefix}-{i}",
    )


async def _drive(
    call: Callable[[int], Awaitable[object]], events: int, concurrency: int
) -> tuple[float, list[float], float]:
    """``call(i)`` for every event, ``concurrency`` at a time: wall seconds, each call's
    seconds, and the worst lag of a 1 ms sleeper on the loop meanwhile."""
    timings: list[float] = []
    lag = 0.0
    done = asyncio.Event()

    async def sleeper() -> None:
        nonlocal lag
        while not done.is_set():
            began = time.perf_counter()
            await asyncio.sleep(0.001)
            lag = max(lag, time.perf_counter() - began - 0.001)

    queue = iter(range(events))

    async def worker() -> None:
        for i in queue:
            began = time.perf_counter()
            await call(i)
            timings.append(time.perf_counter() - began)

    watching = asyncio.create_task(sleeper())
    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - began
    done.set()
    await watching
    return wall, timings, lag


async def _board_round(
    board: AsyncSwitchboard, args: argparse.Namespace, tag: str
) -> tuple[float, list[float], float]:
    for c in range(args.contacts):  # every customer's journey exists before the clock starts
        await board.receive(_inbound(c, args.contacts, f"{tag}-warm"))
    return await _drive(
        lambda i: board.receive(_inbound(args.contacts + i, args.contacts, tag)),
        args.events,
        args.concurrency,
    )


async def _anchor_round(pg: str, args: argparse.Namespace, tag: str) -> tuple[float, list[float], float]:
    import psycopg
    from psycopg_pool import AsyncConnectionPool

    table = f"anchor_{tag}"
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(ROW_SQL.format(table))
    sql = f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s)"
    async with AsyncConnectionPool(pg, min_size=8, max_size=8, kwargs={"autocommit": True}) as pool:

        async def insert(i: int) -> None:
            async with pool.connection() as conn:
                await conn.execute(
                    sql, (f"{tag}-{i}", "jr-1", f"{i:08d}", BODY.format(i=i), ROW_DATA), prepare=True
                )

        return await _drive(insert, args.events, args.concurrency)


def _fresh(pg: str, tag: str) -> str:
    import psycopg

    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS bench_aio_{tag} CASCADE")
    return f"{pg}{'&' if '?' in pg else '?'}schema=bench_aio_{tag}"


async def run(args: argparse.Namespace, pg: str | None) -> None:
    print(
        f"{args.events} receives from {args.contacts} customers, {args.concurrency} at a time"
        f"{'' if pg else ' (SQLite: no server given)'}"
    )
    heads = ("events/s", "÷ anchor", "p50 ms", "p99 ms", "loop lag ms")
    print(f"{'round':>5} {'mode':8} " + " ".join(f"{h:>9}" for h in heads))
    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.rounds):
            anchor_rate: float | None = None
            if pg:
                wall, _, _ = await _anchor_round(pg, args, f"r{n}")
                anchor_rate = args.events / wall
                print(f"{n:>5} {'anchor':8} {anchor_rate:>9.0f} {'1.00×':>9}")
            modes = ("threads", "native") if n % 2 == 0 else ("native", "threads")
            for mode in modes if pg else ("threads",):
                clock, ids = FixedClock(T0 + timedelta(days=1)), SeededIds(n)
                if pg:
                    url = _fresh(pg, f"{mode}_{n}")
                    if mode == "native":
                        board = await AsyncSwitchboard.open(url, clock=clock, ids=ids)
                    else:
                        board = AsyncSwitchboard(Switchboard.open(url, clock=clock, ids=ids))
                else:
                    url = f"sqlite:///{Path(tmp) / f'aio-{n}.db'}"
                    board = await AsyncSwitchboard.open(url, clock=clock, ids=ids)
                async with board:
                    wall, timings, lag = await _board_round(board, args, f"{mode}{n}")
                rate = args.events / wall
                figures.setdefault(mode, []).append(rate)
                ratio = f"{rate / anchor_rate:>8.2f}×" if anchor_rate else f"{'—':>9}"
                print(
                    f"{n:>5} {mode:8} {rate:>9.0f} {ratio} {percentile(timings, 0.5) * 1e3:>9.2f} "
                    f"{percentile(timings, 0.99) * 1e3:>9.2f} {lag * 1e3:>9.2f}"
                )
    if "native" in figures:
        gains = [
            native / threads for native, threads in zip(figures["native"], figures["threads"], strict=True)
        ]
        mean = statistics.fmean(gains)
        print(
            f"native ÷ threads, events/s by round: {min(gains):.2f}× – {max(gains):.2f}× (mean {mean:.2f}×)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--contacts", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds of each mode")
    parser.add_argument("--pg", help="a PostgreSQL URL to measure")
    parser.add_argument("--pg-server", action="store_true", help="start a throwaway PostgreSQL for the run")
    args = parser.parse_args()
    if args.quick:
        args.events, args.contacts, args.concurrency, args.rounds = 200, 20, 8, 2
    with contextlib.ExitStack() as stack:
        pg = stack.enter_context(throwaway_postgres()) if args.pg_server else args.pg
        asyncio.run(run(args, pg))


if __name__ == "__main__":
    main()
