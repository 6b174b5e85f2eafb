"""Latency of ``Switchboard.receive`` next to the storage floor of the same engine.

Run: ``python benchmarks/bench_receive.py`` (``--quick`` for a smoke run;
``--pg postgresql://user@host:port/db`` to measure a PostgreSQL server you run, or
``--pg-server`` to start a throwaway durable cluster on loopback with the tests' helper).

For each backend (memory, SQLite file, PostgreSQL) and each starting journey length (10
and 10,000 interactions) the journey is filled, then ``receive`` is timed for new
customer messages on it, every tenth on another channel (a channel switch with its
handoff summary). Each ``receive`` is interleaved with the backend's anchor, so both
meet the same machine:

* SQLite: raw ``sqlite3``, one INSERT of an interaction-sized row + COMMIT, on a file in
  WAL mode with the store's own ``synchronous`` setting;
* PostgreSQL: raw psycopg, one INSERT of the same row + commit, on the same server;
* memory: no anchor (the target is absolute).

Printed: p50, p99 and mean per backend and size, ``p50 ÷ anchor p50``, ``p99 ÷ p50``, the
mean CPU time of a ``receive`` in this process (``time.process_time``: what a loaded
machine's scheduler adds to the wall-clock figures is not in it) and the p50 ratio of the
long journey to the short one.

``--partitions N`` (with a PostgreSQL server) then compares a store whose per-contact
tables are hash-partitioned by contact in N parts (``?partitions=N``, the layout a
distributed deployment shards the same way) with an unpartitioned one: both filled
alike, their receives taken by turns in blocks of 50; it prints each p50, the ratio
partitioned ÷ unpartitioned (target ≤ 1.2×), the events per second one caller gets and
the CPU time of a receive: in this process, and in the server's processes when the
server runs on this machine (read from ``/proc``; a busy machine stretches wall-clock
times far more than CPU times).

``--floor`` then measures what stops SQLite at its ratio: the statements of one
``receive`` without a channel switch (the intake read, the journey's UPDATE, the
interaction's INSERT, inside ``BEGIN IMMEDIATE`` ... ``COMMIT``), run with nothing but
``sqlite3`` on a file the store made (same schema, indexes and settings), interleaved
with the anchor; the same statements each after a memory ``receive`` (the pure Python
every backend pays on top of its statements, which also leaves SQLite's code and data
colder in the processor's caches): the ratio a store could reach with no cost of its
own; the pages those statements write to the log per receive; and the CPU (p50) of a
memory ``receive`` without and with a switch, next to the CPU of the work every message
needs whatever the code around it (masking, the sensitive-data check, fact extraction,
the idempotency look-up): how much of the receive is required work; and the CPU (p50) of
a *minimal receive* built from the library's own pieces (that work, one interaction
appended, the journey's version, time and facts bumped, the policy's decision on the
``inbound`` event; no changeset, store checks, decision log or contact brief): the floor
of the problem rather than of the write path's design. With PostgreSQL it takes turns,
a call each, between the anchor, the *least* receive (what any receive serialised per
customer must ask of the server whatever its schema: in one round trip BEGIN, the
customer's advisory lock and one keyed read of the journey with the idempotency probe;
in a second the interaction, the journey's new version and state, and COMMIT, on two
tables with nothing but their keys), the store's own statements from raw psycopg, and
the store's ``receive``; with each one's client and server CPU.

``--opcodes`` then counts the Python bytecode instructions and calls of one memory
``receive`` without a switch and of one with a switch, on a journey of 10 and of 10,000:
a figure a loaded machine does not move, to compare two versions by; and those of the
minimal receive. Tracing every
instruction is slow; only these few receives are traced.

``--hot`` then runs a hot journey on SQLite (and PostgreSQL when given): 8 processes each
send 500 messages from one customer to one journey at once, with the default retries;
it prints how many calls failed and the p50 and p99 of a call under that load.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import types
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from _support import fresh_postgres, percentile, throwaway_postgres
from attrs import evolve

from handoff import FixedClock, Inbound, Interaction, SeededIds, Switchboard, channels, parse_identity
from handoff._records import build, replace
from handoff.facts import facts_of_masked, merge_facts, phone_region
from handoff.masking import mask_inbound
from handoff.policy.engine import Event, Situation
from handoff.sensitivity import reasons_of_masked
from handoff.stores.sqlite import _intake as intake

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
BODY = "follow-up {i}: still waiting for A-1042, I paid $89.90"
ROW_SQL = "CREATE TABLE anchor (id TEXT PRIMARY KEY, journey_id TEXT, at TEXT, body TEXT, data TEXT)"
ROW_DATA = '{"channel": "sms", "author": "customer", "kind": "message", "metadata": {}}'


def _inbound(i: int, at: int, prefix: str, channel: str = "sms") -> Inbound:
    return Inbound(
        channel=channel,
        identity="phone:+14155550100",
        body=BODY.format(i=i),
        at=T0 + timedelta(seconds=at),
        external_id=f"{prefix}-{i}",
    )


def _fill(board: Switchboard, n: int) -> None:
    board.receive_many(
        (_inbound(i, i, "fill") for i in range(n)), batch_size=1000
    )  # one customer, one journey


def _measure(
    board: Switchboard, start: int, samples: int, anchor: Callable[[int], None] | None
) -> tuple[list[float], list[float], float]:
    """Wall-clock times of each ``receive`` and anchor, and the CPU time of all the receives."""
    timings: list[float] = []
    anchors: list[float] = []
    cpu = 0.0
    for i in range(samples):
        inbound = _inbound(i, start + i, "bench", "whatsapp" if i % 10 == 0 else "sms")
        if anchor is not None:
            began = time.perf_counter()
            anchor(i)
            anchors.append(time.perf_counter() - began)
        began, used = time.perf_counter(), time.process_time()
        board.receive(inbound)
        timings.append(time.perf_counter() - began)
        cpu += time.process_time() - used
    return timings, anchors, cpu


def sqlite_anchor(path: Path) -> Callable[[int], None]:
    """One INSERT + COMMIT with nothing but the driver, WAL and the store's ``synchronous``."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(ROW_SQL)
    tag = path.stem

    def insert(i: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO anchor VALUES (?, ?, ?, ?, ?)",
            (f"{tag}-{i}", "jr-1", f"2026-01-01T00:00:{i:06d}", BODY.format(i=i), ROW_DATA),
        )
        conn.execute("COMMIT")

    return insert


def postgres_anchor(url: str, tag: str, pids: list[int] | None = None) -> Callable[[int], None]:
    """One INSERT + commit with nothing but psycopg, on the same server (its server
    process's id is added to ``pids``)."""
    import psycopg

    conn = psycopg.connect(url)
    if pids is not None:
        pids.append(conn.info.backend_pid)
    conn.execute(f"DROP TABLE IF EXISTS anchor_{tag}")
    conn.execute(ROW_SQL.replace("anchor", f"anchor_{tag}"))
    conn.commit()
    sql = f"INSERT INTO anchor_{tag} VALUES (%s, %s, %s, %s, %s)"

    def insert(i: int) -> None:
        conn.execute(sql, (f"{tag}-{i}", "jr-1", f"2026-01-01T00:00:{i:06d}", BODY.format(i=i), ROW_DATA))
        conn.commit()

    return insert


def run(args: argparse.Namespace, pg: str | None) -> None:
    sizes = (10, 1_000) if args.quick else (10, 10_000)
    samples = args.samples or (200 if args.quick else 2000)
    backends = ["memory", "sqlite", *(["postgres"] if pg else [])]
    print(f"{samples} receives per row, each interleaved with one anchor write")
    print(
        f"{'backend':9} {'journey':>8} {'p50 µs':>9} {'p99 µs':>9} {'mean µs':>9} "
        f"{'anchor p50':>11} {'p50/anchor':>11} {'p99/p50':>8} {'CPU µs':>8}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            p50s: dict[int, float] = {}
            for size in sizes:
                anchor: Callable[[int], None] | None = None
                if backend == "memory":
                    url = "memory://"
                elif backend == "sqlite":
                    url = f"sqlite:///{Path(tmp) / f'bench-{size}.db'}"
                    anchor = sqlite_anchor(Path(tmp) / f"anchor-{size}.db")
                else:
                    assert pg is not None
                    url = fresh_postgres(pg, str(size))
                    anchor = postgres_anchor(pg, str(size))
                with Switchboard.open(url, clock=FixedClock(T0), ids=SeededIds(size)) as board:
                    _fill(board, size)
                    timings, anchors, cpu = _measure(board, size, samples, anchor)
                p50s[size] = p50 = percentile(timings, 0.50)
                p99 = percentile(timings, 0.99)
                anchor_p50 = percentile(anchors, 0.50) if anchors else None
                shown = f"{anchor_p50 * 1e6:>11.1f}" if anchor_p50 else f"{'—':>11}"
                ratio = f"{p50 / anchor_p50:>10.2f}×" if anchor_p50 else f"{'—':>11}"
                print(
                    f"{backend:9} {size:>8} {p50 * 1e6:>9.1f} {p99 * 1e6:>9.1f} "
                    f"{statistics.fmean(timings) * 1e6:>9.1f} {shown} {ratio} {p99 / p50:>7.2f}× "
                    f"{cpu / samples * 1e6:>8.1f}"
                )
            growth = p50s[sizes[-1]] / p50s[sizes[0]]
            print(f"{backend:9} p50 journey of {sizes[-1]:,} ÷ of {sizes[0]}: {growth:.2f}×")


def server_processes(url: str) -> Callable[[], float] | None:
    """The CPU seconds used so far by every process of the server at ``url``, when it runs on
    this machine and its data directory can be read; otherwise None."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    try:
        postmaster = int((Path(str(row[0] if row else "")) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def used() -> float:
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if entry.name == str(postmaster) or fields[1] == str(postmaster):
                    total += sum(int(n) for n in fields[11:15])
        return total / tick

    return used


def compare_partitions(pg: str, partitions: int, samples: int, sizes: tuple[int, ...]) -> None:
    """Receive on an unpartitioned and a partitioned store by turns; the p50 ratio per size."""
    block = 50
    server_cpu = server_processes(pg)
    print(
        f"\nPostgreSQL, {partitions} hash partitions by contact vs none; {samples} receives each,"
        f" by turns in blocks of {block}"
    )
    print(
        f"{'journey':>8} {'plain p50':>10} {'parts p50':>10} {'ratio':>7}"
        f" {'plain ev/s':>11} {'parts ev/s':>11} {'CPU µs plain':>13} {'CPU µs parts':>13} {'CPU ratio':>10}"
    )
    for size in sizes:
        plain_url = fresh_postgres(pg, f"plain_{size}")
        split_url = f"{fresh_postgres(pg, f'parts_{size}')}&partitions={partitions}"
        with (
            Switchboard.open(plain_url, clock=FixedClock(T0), ids=SeededIds(size)) as plain,
            Switchboard.open(split_url, clock=FixedClock(T0), ids=SeededIds(size)) as split,
        ):
            _fill(plain, size)
            _fill(split, size)
            timings: dict[str, list[float]] = {"plain": [], "parts": []}
            cpu = {"plain": 0.0, "parts": 0.0}
            for start in range(0, samples, block):
                turns = (("plain", plain), ("parts", split))[:: 1 if start // block % 2 else -1]
                for name, board in turns:
                    began_cpu = time.process_time() + (server_cpu() if server_cpu else 0.0)
                    for i in range(start, min(start + block, samples)):
                        inbound = _inbound(i, size + i, "bench", "whatsapp" if i % 10 == 0 else "sms")
                        began = time.perf_counter()
                        board.receive(inbound)
                        timings[name].append(time.perf_counter() - began)
                    cpu[name] += time.process_time() + (server_cpu() if server_cpu else 0.0) - began_cpu
        p50 = {name: percentile(values, 0.5) for name, values in timings.items()}
        rate = {name: 1 / statistics.fmean(values) for name, values in timings.items()}
        each = {name: cpu[name] / len(timings[name]) * 1e6 for name in cpu}
        print(
            f"{size:>8} {p50['plain'] * 1e6:>8.1f}µs {p50['parts'] * 1e6:>8.1f}µs"
            f" {p50['parts'] / p50['plain']:>6.2f}× {rate['plain']:>11.0f} {rate['parts']:>11.0f}"
            f" {each['plain']:>13.0f} {each['parts']:>13.0f} {each['parts'] / each['plain']:>9.2f}×"
        )
    where = "this process and the server's" if server_cpu else "this process only (the server is not local)"
    print(f"CPU per receive: {where}")


_FLOOR_UPDATE = (  # the store's own journey UPDATE: its state, its key columns unchanged
    "UPDATE journeys SET status = 'open', version = ?, updated_at = ?, data = ?"
    " WHERE id = ? AND version = ? AND contact_id = ? AND reference = ? AND opened_at = ?"
)
_FLOOR_INSERT = (
    "INSERT INTO interactions (id, journey_id, contact_id, sequence, channel, author, kind, at,"
    " external_id, data) VALUES (?, ?, ?, ?, 'sms', 'customer', 'message', ?, ?, ?)"
)


def sqlite_floor(directory: Path, samples: int) -> None:
    """The SQL of a receive without a switch, from raw sqlite3, ÷ the anchor (p50s); then the
    same with a memory receive (the pure work every backend pays) before each; and the pages
    those statements write to the log."""
    path = directory / "floor.db"
    with Switchboard.open(f"sqlite:///{path}", clock=FixedClock(T0), ids=SeededIds(7)) as board:
        _fill(board, 10)
        board.receive(_inbound(10, 10, "warm"))
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON", "secure_delete = ON"):
        conn.execute(f"PRAGMA {pragma}")
    journey_id, contact_id, reference, opened_at, version, data = conn.execute(
        "SELECT id, contact_id, reference, opened_at, version, data FROM journeys"
    ).fetchone()
    row = conn.execute("SELECT data FROM interactions ORDER BY sequence DESC LIMIT 1").fetchone()[0]
    anchor = sqlite_anchor(directory / "floor-anchor.db")
    counter = iter(range(10**9))

    def statements() -> None:
        nonlocal version
        i = next(counter)
        params, _, _ = intake.intake_params(
            parse_identity("phone:+14155550100"), "sms", f"floor-{i}", (), (), T0 + timedelta(seconds=i)
        )
        at = 1_767_225_600_000_000 + i
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(intake._INTAKE, params).fetchall()  # the store's own statement
        conn.execute(
            _FLOOR_UPDATE, (version + 1, at, data, journey_id, version, contact_id, reference, opened_at)
        )
        conn.execute(
            _FLOOR_INSERT, (f"ix_floor_{i}", journey_id, contact_id, version + 1, at, f"floor-{i}", row)
        )
        conn.execute("COMMIT")
        version += 1

    with Switchboard.open("memory://", clock=FixedClock(T0), ids=SeededIds(7)) as pure:
        _fill(pure, 10)
        timings: dict[str, list[float]] = {"alone": [], "pure": []}
        cpu: dict[str, list[float]] = {"alone": [], "pure": []}
        anchors: list[float] = []
        for i in range(samples):
            began = time.perf_counter()
            anchor(i)
            anchors.append(time.perf_counter() - began)
            for name in ("alone", "pure") if i % 2 else ("pure", "alone"):
                inbound = _inbound(i, 10 + i, "floor")
                began, used = time.perf_counter(), time.process_time()
                if name == "pure":
                    pure.receive(inbound)
                statements()
                timings[name].append(time.perf_counter() - began)
                cpu[name].append(time.process_time() - used)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    for _ in range(100):
        statements()
    frames = (os.path.getsize(f"{path}-wal") - 32) / (4096 + 24) / 100
    conn.close()
    anchor_p50 = percentile(anchors, 0.5)
    for name, what in (
        ("alone", "the statements of a receive from raw sqlite3"),
        ("pure", "the same after a memory receive (its pure work)"),
    ):
        p50 = percentile(timings[name], 0.5)
        print(
            f"sqlite    floor: {what}, p50 {p50 * 1e6:.1f} µs, {p50 / anchor_p50:.2f}× the anchor"
            f" (p50 {anchor_p50 * 1e6:.1f} µs), CPU p50 {percentile(cpu[name], 0.5) * 1e6:.1f} µs"
        )
    print(f"sqlite    floor: {frames:.1f} pages written to the log per receive")


def _required_work(inbound: Inbound, board: Switchboard) -> Callable[[], object]:
    """The per-message work no receive may skip, for ``inbound``: masking, the sensitive-data
    check, fact extraction and the idempotency look-up, called as the write path calls them."""
    identity = parse_identity(inbound.identity)
    region = phone_region(identity)
    store = board.store

    def work() -> object:
        masked, _ = mask_inbound(inbound)
        body = masked.body
        reasons_of_masked(body)
        facts_of_masked(
            body,
            channel=masked.channel,
            at=masked.at,
            interaction_id="ix_floor",
            answering=None,
            region=region,
        )
        return store.find_interaction(masked.channel, masked.external_id or "")

    return work


def backend_cpu(pids: list[int]) -> Callable[[], float]:
    """The CPU seconds used so far by the server processes ``pids`` (0.0 when they cannot
    be read: a server on another machine)."""
    tick = os.sysconf("SC_CLK_TCK")

    def used() -> float:
        total = 0
        for pid in pids:
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / tick

    return used


def postgres_floor(url: str, samples: int) -> None:
    """The SQL of a receive without a switch, from raw psycopg, ÷ the anchor (p50s), next
    to the store's own receive without a switch; the client and server CPU of each."""
    import psycopg

    from handoff.stores.postgres import _commit, _intake, _writes
    from handoff.stores.postgres._store import _LOCK_CLASS
    from handoff.stores.records import Changeset

    floor_url, receive_url = fresh_postgres(url, "floor"), fresh_postgres(url, "floor_receive")
    with Switchboard.open(floor_url, clock=FixedClock(T0), ids=SeededIds(7)) as board:
        _fill(board, 10)
        board.receive(_inbound(10, 10, "warm"))
        contact = board.store.find_contact(parse_identity("phone:+14155550100"))
        assert contact is not None
        journey = board.store.journeys_of(contact.id)[0]
        last = board.store.interactions(journey.id, last=1)[0]
    # Every sample's write, serialized before the clock starts: the floor is the SQL alone.
    writes: list[tuple[str, list[object]]] = []
    for i in range(samples):
        at = T0 + timedelta(seconds=100 + i)
        version = journey.version + 1 + i
        ix = evolve(last, id=f"ix_floor_{i}", sequence=version, at=at, external_id=f"floor-{i}")
        after = evolve(journey, version=version, updated_at=at)
        changes = Changeset(journey=after, expected_journey_version=version - 1, interactions=(ix,))
        statement = _commit.statement(_writes.Rows((changes,)))
        assert statement is not None
        writes.append(statement)
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f"SET search_path TO {floor_url.rsplit('schema=', 1)[1]}")
    read = psycopg.ClientCursor(conn)
    first_trip = f"BEGIN; {_intake._ROUND_ONE_LOCKED}"
    anchor_pids: list[int] = []
    anchor = postgres_anchor(url, "floor", anchor_pids)
    lock = (_LOCK_CLASS, "phone:+14155550100")
    least, least_pid = _least_receive(url, conn, journey.id, last.id, samples)
    timings: dict[str, list[float]] = {"anchor": [], "least": [], "floor": [], "receive": []}
    cpu = dict.fromkeys(timings, 0.0)
    server = dict.fromkeys(timings, 0.0)
    with Switchboard.open(receive_url, clock=FixedClock(T0), ids=SeededIds(8)) as board:
        _fill(board, 10)
        board.receive(_inbound(10, 10, "warm"))
        with psycopg.connect(url, autocommit=True) as look:
            rows = look.execute(
                "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> ALL(%s)",
                ([conn.info.backend_pid, look.info.backend_pid, least_pid, *anchor_pids],),
            ).fetchall()
        of = {
            "anchor": backend_cpu(anchor_pids),
            "least": backend_cpu([least_pid]),
            "floor": backend_cpu([conn.info.backend_pid]),
            "receive": backend_cpu([int(str(row[0])) for row in rows]),
        }

        def floor(i: int) -> None:
            params = _intake.intake_params(
                parse_identity("phone:+14155550100"), "sms", f"floor-{i}", (), (), T0 + timedelta(seconds=i)
            )
            params.update(lock_class=lock[0], lock_key=lock[1])
            read.execute(first_trip, params)  # (a) BEGIN, and one call that takes the lock and reads
            read.nextset()
            read.fetchall()
            with conn.pipeline():  # (b) the interaction, the journey's update and COMMIT
                conn.execute(*writes[i], prepare=True)
                conn.execute("COMMIT")

        def receive(i: int) -> None:
            board.receive(_inbound(i, 100 + i, "floor"))

        for i in range(samples):
            for name, call in (("anchor", anchor), ("least", least), ("floor", floor), ("receive", receive)):
                on_server = of[name]()
                began, used = time.perf_counter(), time.process_time()
                call(i)
                timings[name].append(time.perf_counter() - began)
                cpu[name] += time.process_time() - used
                server[name] += of[name]() - on_server
    conn.close()
    anchor_p50 = percentile(timings["anchor"], 0.5)
    print(
        f"postgres  floor and receive without a switch, {samples} each, by turns with the anchor"
        " (raw psycopg INSERT + commit); CPU per call in µs:"
    )
    for name, what in (
        ("anchor", "anchor"),
        (
            "least",
            "least: lock, keyed read, idempotency probe, insert, update, on two bare tables",
        ),
        ("floor", "floor: the receive's statements from raw psycopg"),
        ("receive", "receive (the store)"),
    ):
        p50 = percentile(timings[name], 0.5)
        print(
            f"postgres  {what}: p50 {p50 * 1e6:.1f} µs, {p50 / anchor_p50:.2f}× the anchor, p99/p50"
            f" {percentile(timings[name], 0.99) / p50:.2f}×, client CPU {cpu[name] / samples * 1e6:.0f},"
            f" server CPU {server[name] / samples * 1e6:.0f}"
        )


_LEAST_TABLES = """CREATE TABLE least_journeys (id text PRIMARY KEY, version bigint NOT NULL,
    data jsonb NOT NULL);
CREATE TABLE least_interactions (id text PRIMARY KEY, journey_id text NOT NULL, sequence bigint NOT NULL,
    external_id text UNIQUE, data jsonb NOT NULL)"""
_LEAST_READ = """BEGIN; SELECT pg_advisory_xact_lock(%(key)s);
SELECT version, data, EXISTS (SELECT 1 FROM least_interactions WHERE external_id = %(external)s)
FROM least_journeys WHERE id = %(journey)s"""
_LEAST_INSERT = "INSERT INTO least_interactions VALUES (%s, %s, %s, %s, %s)"
_LEAST_UPDATE = "UPDATE least_journeys SET version = %s, data = %s WHERE id = %s"


def _least_receive(
    url: str, floor: Any, journey_id: str, interaction_id: str, samples: int
) -> tuple[Callable[[int], None], int]:
    """The least any receive serialised per customer must ask of PostgreSQL, whatever its
    schema: in one round trip BEGIN, the customer's lock, and one keyed read of the
    journey with the idempotency probe; in a second, the interaction (as large as the
    store's), the journey's new version and state, and COMMIT. Two tables with nothing
    but their keys and the unique external id. Returns the call and its server process."""
    import psycopg

    journey_data = floor.execute("SELECT data::text FROM journeys WHERE id = %s", (journey_id,)).fetchone()[0]
    interaction_data = floor.execute(
        "SELECT data::text FROM interactions WHERE id = %s", (interaction_id,)
    ).fetchone()[0]
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("CREATE SCHEMA IF NOT EXISTS floor_least")
    conn.execute("SET search_path TO floor_least")
    conn.execute("DROP TABLE IF EXISTS least_journeys, least_interactions")
    for statement in _LEAST_TABLES.split(";"):
        conn.execute(statement)
    conn.execute("INSERT INTO least_journeys VALUES (%s, 1, %s)", (journey_id, journey_data))
    read = psycopg.ClientCursor(conn)

    def least(i: int) -> None:
        read.execute(_LEAST_READ, {"key": 7, "external": f"least-{i}", "journey": journey_id})
        read.nextset()
        read.nextset()
        read.fetchall()
        with conn.pipeline():
            conn.execute(
                _LEAST_INSERT,
                (f"ix_least_{i}", journey_id, i + 2, f"least-{i}", interaction_data),
                prepare=True,
            )
            conn.execute(_LEAST_UPDATE, (i + 2, journey_data, journey_id), prepare=True)
            conn.execute("COMMIT")

    assert samples > 0
    return least, conn.info.backend_pid


def _minimal_receive(board: Switchboard) -> Callable[[Inbound], object]:
    """The least a receive without a switch must do, from the library's own pieces: check
    the inbound's identity against its channel, mask it, the sensitive-data check, its
    facts, the idempotency look-up, append one interaction to the journey's list, bump
    the journey (version, updated, facts merged) and decide the ``inbound`` event with the
    board's policy. None of the write path's plumbing: no changeset, no store checks, no
    decision log, no contact brief, no journey derived state beyond those fields."""
    store, policy, ids = board.store, board.policy, board.ids
    contact = store.find_contact(parse_identity("phone:+14155550100"))
    assert contact is not None
    journey = store.journeys_of(contact.id)[0]
    timeline: list[Interaction] = []

    def receive(inbound: Inbound) -> object:
        nonlocal journey
        identity = parse_identity(inbound.identity)
        if identity.kind not in channels.get(inbound.channel).identity_kinds:
            raise AssertionError("the benchmark's identity reaches its channel")
        masked, _ = mask_inbound(inbound)
        if store.find_interaction(masked.channel, masked.external_id or "") is not None:
            return None
        body = masked.body
        reasons = reasons_of_masked(body)
        interaction = build(
            Interaction,
            id=ids.new_id("ix"),
            journey_id=journey.id,
            contact_id=journey.contact_id,
            channel=masked.channel,
            author=masked.author,
            body=body,
            at=masked.at,
            sequence=journey.version + 1,
            external_id=masked.external_id,
            identity=identity,
            metadata=dict(masked.metadata),
            sensitive=bool(reasons),
        )
        found = facts_of_masked(
            body,
            channel=masked.channel,
            at=masked.at,
            interaction_id=interaction.id,
            answering=journey.asked,
            region=phone_region(identity),
        )
        timeline.append(interaction)
        journey = replace(
            journey,
            version=interaction.sequence,
            updated_at=max(journey.updated_at, masked.at),
            facts=merge_facts(journey.facts, found) if found else journey.facts,
        )
        event = Event("inbound", masked.at, masked.channel, initiated_by="customer", sensitive=reasons)
        return policy.decide(Situation(event, journey, contact, interaction))

    return receive


def memory_floor(samples: int) -> None:
    """The CPU of a memory receive without and with a switch, next to the CPU of the work every
    message needs whatever the code around it (masking, the sensitive-data check, facts, the
    idempotency look-up), the part of a receive no rewrite of the write path can remove, and
    of a minimal receive (:func:`_minimal_receive`): that work, one appended record, the
    journey's bump and the policy's decision, with none of the write path's plumbing."""
    with (
        Switchboard.open("memory://", clock=FixedClock(T0), ids=SeededIds(7)) as board,
        Switchboard.open("memory://", clock=FixedClock(T0), ids=SeededIds(7)) as bare,
    ):
        _fill(board, 10)
        _fill(bare, 10)
        minimal = _minimal_receive(bare)
        plain: list[float] = []
        switch: list[float] = []
        required: list[float] = []
        least: list[float] = []
        for i in range(samples):
            inbound = _inbound(i, 10 + i, "cpu", "whatsapp" if i % 10 == 0 else "sms")
            work = _required_work(_inbound(i, 10 + i, "floor"), board)
            alike = _inbound(i, 10 + i, "cpu")
            used = time.process_time()
            work()
            required.append(time.process_time() - used)
            used = time.process_time()
            board.receive(inbound)
            (switch if i % 10 == 0 else plain).append(time.process_time() - used)
            used = time.process_time()
            minimal(alike)
            least.append(time.process_time() - used)
    floor, alone, bare_p50 = percentile(required, 0.5), percentile(plain, 0.5), percentile(least, 0.5)
    print(
        f"memory    floor: CPU p50 of a receive {alone * 1e6:.1f} µs without a switch,"
        f" {percentile(switch, 0.5) * 1e6:.1f} µs with one ({percentile(switch, 0.5) / alone:.2f}× without);"
        f" the work every message needs"
        f" (masking, sensitive-data check, facts, idempotency) {floor * 1e6:.1f} µs"
        f" ({floor / alone:.0%} of the receive)"
    )
    print(
        f"memory    floor: CPU p50 of a minimal receive (that work, one appended record, the"
        f" journey's bump, the policy's decision) {bare_p50 * 1e6:.1f} µs;"
        f" the receive is {alone / bare_p50:.2f}× that"
    )


def _count_opcodes(board: Switchboard, inbound: Inbound) -> tuple[int, int]:
    """Bytecode instructions and Python calls of one ``board.receive(inbound)``."""
    return _count_calls(board.receive, inbound)


def _count_calls(run: Callable[..., object], *args: object) -> tuple[int, int]:
    """Bytecode instructions and Python calls of one ``run(*args)``."""
    counts = {"opcode": 0, "call": 0}

    def tracer(frame: types.FrameType, event: str, arg: object) -> object:
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        if event in counts:
            counts[event] += 1
        return tracer

    sys.settrace(tracer)
    try:
        run(*args)
    finally:
        sys.settrace(None)
    return counts["opcode"], counts["call"]


def opcode_counts(sizes: tuple[int, ...]) -> None:
    """Instructions and calls of a memory receive without and with a channel switch."""
    for size in sizes:
        with Switchboard.open("memory://", clock=FixedClock(T0), ids=SeededIds(size)) as board:
            _fill(board, size)
            for i in range(50):  # warm: caches filled, the journey's notifications as in _measure
                board.receive(_inbound(i, size + i, "warm", "whatsapp" if i % 10 == 0 else "sms"))
            start = size + 50
            plain = _count_opcodes(board, _inbound(0, start, "ops"))
            switch = _count_opcodes(board, _inbound(1, start + 1, "ops", "whatsapp"))
            work = _required_work(_inbound(2, start + 2, "ops"), board)
            work()  # warm, as the receives were
            required = _count_calls(work)
        with Switchboard.open("memory://", clock=FixedClock(T0), ids=SeededIds(size)) as bare:
            _fill(bare, size)
            minimal = _minimal_receive(bare)
            for i in range(50):
                minimal(_inbound(i, size + i, "warm"))
            least = _count_calls(minimal, _inbound(0, size + 50, "ops"))
        print(
            f"memory    opcodes, journey of {size:,}: receive {plain[0]:,} instructions, {plain[1]} calls;"
            f" with a switch {switch[0]:,} instructions, {switch[1]} calls;"
            f" the work every message needs {required[0]:,} instructions, {required[1]} calls;"
            f" a minimal receive {least[0]:,} instructions, {least[1]} calls"
        )


def _hot_worker(url: str, worker: int, calls: int) -> tuple[list[float], int]:
    timings, errors = [], 0
    with Switchboard.open(url) as board:
        for n in range(calls):
            inbound = Inbound(
                channel="whatsapp",
                identity="phone:+14155550199",
                body=BODY.format(i=n),
                at=T0 + timedelta(seconds=n, milliseconds=worker),
                external_id=f"hot-{worker}-{n}",
            )
            began = time.perf_counter()
            try:
                board.receive(inbound)
            except Exception:  # counted: the figure is how many callers failed
                errors += 1
            timings.append(time.perf_counter() - began)
    return timings, errors


def hot_journey(url: str, backend: str, workers: int = 8, calls: int = 500) -> None:
    """``workers`` processes x ``calls`` receives to one customer's journey, all at once."""
    Switchboard.open(url).close()  # the schema, before the race
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        results = pool.starmap(_hot_worker, [(url, w, calls) for w in range(workers)])
    timings = [t for worker, _ in results for t in worker]
    errors = sum(e for _, e in results)
    print(
        f"{backend:9} hot journey, {workers} processes x {calls}: {errors} failed, "
        f"p50 {percentile(timings, 0.5) * 1e3:.2f} ms, p99 {percentile(timings, 0.99) * 1e3:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--samples", type=int, help="receives per row (default 2000, 200 with --quick)")
    parser.add_argument("--pg", help="a PostgreSQL URL to measure too")
    parser.add_argument("--pg-server", action="store_true", help="start a throwaway PostgreSQL for the run")
    parser.add_argument("--hot", action="store_true", help="also run the hot-journey burst")
    parser.add_argument("--floor", action="store_true", help="also measure the SQL and CPU floors")
    parser.add_argument(
        "--opcodes", action="store_true", help="also count the instructions of a memory receive"
    )
    parser.add_argument(
        "--partitions", type=int, default=0, metavar="N", help="also compare N hash partitions with none"
    )
    parser.add_argument("--only-partitions", action="store_true", help="run only the partitions comparison")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        pg = stack.enter_context(throwaway_postgres()) if args.pg_server else args.pg
        if not args.only_partitions:
            run(args, pg)
        if args.partitions and pg:
            sizes = (10, 1_000) if args.quick else (10, 10_000)
            compare_partitions(pg, args.partitions, args.samples or (200 if args.quick else 2000), sizes)
        if args.floor:
            with tempfile.TemporaryDirectory() as tmp:
                sqlite_floor(Path(tmp), args.samples or (200 if args.quick else 2000))
            if pg:
                postgres_floor(pg, args.samples or (200 if args.quick else 2000))
            memory_floor(args.samples or (200 if args.quick else 2000))
        if args.opcodes:
            opcode_counts((10, 1_000) if args.quick else (10, 10_000))
        if args.hot:
            with tempfile.TemporaryDirectory() as tmp:
                hot_journey(f"sqlite:///{Path(tmp) / 'hot.db'}", "sqlite")
            if pg:
                hot_journey(fresh_postgres(pg, "hot"), "postgres")


if __name__ == "__main__":
    main()
