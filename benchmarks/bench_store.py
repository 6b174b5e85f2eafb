"""Bulk import and per-event ``receive`` against the storage ceiling of the same engine.

Run: ``python benchmarks/bench_store.py`` (``--count 10000`` for a quicker run;
``--pg postgresql://user@host:port/db`` to measure PostgreSQL too, or ``--pg-server`` to
start a throwaway PostgreSQL cluster on loopback for the run, with the tests' helper).

1. Bulk import: ``count`` inbounds (a help-desk history: 10 messages per customer,
   channel switches included, 2% redeliveries) through ``receive_many``'s batch planner
   into an empty store, with the share of its time spent writing batches (the store's
   ``commit_many``; the rest is reading and planning) and its client CPU per inbound,
   which a shared machine's load disturbs less than the elapsed time.
2. Ceiling: the interaction rows that import stored, written again with nothing but the
   driver (``sqlite3.executemany`` / ``COPY``) into a bare table of the same shape, in
   one transaction. No planning, no journeys, no indexes but the primary key.
3. Floors, to tell the import's own cost from what no import can avoid:

   * the schema floor: every row the import wrote (contacts, identities, journeys,
     interactions, handoffs), written again with nothing but the driver into an empty
     store's own tables, with their indexes, keys and checks, in one transaction;
   * the model floor: per inbound, validating the ``Inbound`` and its identity, masking,
     the sensitive-data check, extracting its facts, building and encoding the
     ``Interaction`` once, and each batch's journeys encoded once: the least that
     ``receive``'s rules ask of every message of this import, whatever the design;
   * the reachable share: the schema floor's and the model floor's time per inbound
     together, as a share of the schema floor, the best any import can reach; when the
     model floor alone exceeds the schema floor's time, 50% is out of reach.

4. ``receive`` latency: new messages, one transaction each, on the imported store.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from _support import percentile, throwaway_postgres

from handoff import Fact, FixedClock, Inbound, Journey, SeededIds, Switchboard, parse_identity
from handoff.facts import facts_of_masked, merge_facts, phone_region
from handoff.flow.intake import inbound_identity
from handoff.flow.plan import new_interaction
from handoff.masking import mask_inbound
from handoff.sensitivity import reasons_of_masked
from handoff.serde import to_json
from handoff.stores import SQLiteStore, Store, open_store

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
_PER_CONTACT = 10
_COLUMNS = "id, journey_id, contact_id, sequence, channel, author, kind, at, external_id, data"
# What an import writes, parents first (the tables' foreign keys point that way).
_STORED = ("contacts", "identities", "journeys", "interactions", "handoffs")
_Rows = tuple[str, str, Sequence[Any]]  # a table, its column list, its rows
_BARE = (
    "CREATE TABLE bare (id TEXT PRIMARY KEY, journey_id TEXT, contact_id TEXT, sequence INTEGER,"
    " channel TEXT, author TEXT, kind TEXT, at INTEGER, external_id TEXT, data TEXT)"
)


def history(count: int, order: str = "time") -> Iterator[Inbound]:
    """A backfill; every 50th line is a redelivery of the one before.

    ``time``: customers write in turn, so consecutive lines belong to different journeys
    (the worst case for batching: every line updates a journey stored batches ago).
    ``ticket``: each customer's messages are consecutive, as a help-desk export by ticket.
    """
    customers = max(1, count // _PER_CONTACT)
    previous = None
    for n in range(count):
        if n % 50 == 49 and previous is not None:
            yield previous
            continue
        if order == "ticket":
            person, turn = divmod(n, _PER_CONTACT)
        else:
            person, turn = n % customers, n // customers
        phone = person % 2 == 1
        channel = ("sms", "whatsapp")[turn // 4 % 2] if phone else ("email", "chat")[turn // 4 % 2]
        identity = f"phone:+1415{person:07d}" if phone else f"email:customer{person}@example.com"
        previous = Inbound(
            channel=channel,
            identity=identity,
            body=f"Message {turn} about order A-{person}: still no parcel, tracking says held at depot",
            at=T0 + timedelta(minutes=n),
            external_id=f"hist-{n}",
            name=f"Customer {person}",
        )
        yield previous


def bulk_import(store: Store, count: int, batch_size: int, order: str) -> float:
    board = Switchboard(store, clock=FixedClock(T0 + timedelta(days=365)), ids=SeededIds(1))
    writing = [0.0]  # seconds inside the store's commit_many: the rest is reading and planning
    commit_many = store.commit_many  # type: ignore[attr-defined]

    def timed(changes: Sequence[Any]) -> None:
        began = time.perf_counter()
        try:
            commit_many(changes)
        finally:
            writing[0] += time.perf_counter() - began

    store.commit_many = timed  # type: ignore[attr-defined]
    try:
        began, cpu = time.perf_counter(), time.process_time()
        intake = board.bulk(batch_size=batch_size)
        stored = sum(not o.duplicate for o in intake.receive(history(count, order)))
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    finally:
        del store.commit_many  # type: ignore[attr-defined]
    print(
        f"  bulk import   {count:>8} inbounds ({stored} new) in {elapsed:7.2f} s = {count / elapsed:>9,.0f}/s"
        f" ({order} order, batches of {batch_size})"
    )
    print(
        f"  of which writing batches (commit_many) {writing[0] / elapsed:.0%}, reading and planning "
        f"{1 - writing[0] / elapsed:.0%}; client CPU {cpu / count * 1e6:.0f} us per inbound"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory (RSS) after the import: {peak:.0f} MiB")
    return elapsed


def receive_latency(store: Store, samples: int) -> list[float]:
    board = Switchboard(store, clock=FixedClock(T0 + timedelta(days=365)), ids=SeededIds(2))
    timings = []
    cpu = time.process_time()
    for i in range(samples):
        inbound = Inbound(
            channel="whatsapp" if i % 10 == 0 else "sms",
            identity=f"phone:+1415{(2 * i + 1) % 1000:07d}",
            body=f"follow-up {i}: still waiting, I paid $89.90",
            at=T0 + timedelta(days=200, seconds=i),
            external_id=f"live-{i}",
        )
        began = time.perf_counter()
        board.receive(inbound)
        timings.append(time.perf_counter() - began)
    cpu = (time.process_time() - cpu) / samples
    p50, p99 = percentile(timings, 0.5), percentile(timings, 0.99)
    load = ", ".join(f"{avg:.2f}" for avg in os.getloadavg())
    print(
        f"  receive       {samples:>8} events: p50 {p50 * 1e3:6.2f} ms, p99 {p99 * 1e3:6.2f} ms, "
        f"mean {statistics.fmean(timings) * 1e3:6.2f} ms, client CPU {cpu * 1e3:.2f} ms/event "
        f"(load average {load})"
    )
    return timings


def sqlite_ceiling(source: Path, target: Path) -> float:
    """``executemany`` of the imported interaction rows into a bare table, same pragmas."""
    with closing(sqlite3.connect(source)) as conn:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM interactions").fetchall()
    elapsed = _sqlite_write(target, [("bare", _COLUMNS, rows)], _BARE)
    _rate("ceiling", f"{len(rows):>8} rows via executemany", len(rows), elapsed)
    return elapsed / len(rows)


def sqlite_schema_floor(source: Path, target: Path) -> float:
    """The imported rows written again into an empty store's own tables, driver only."""
    SQLiteStore(target).close()  # the schema, as the store makes it
    with closing(sqlite3.connect(source)) as conn:
        tables = []
        for table in _STORED:
            columns = ", ".join(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
            tables.append((table, columns, conn.execute(f"SELECT {columns} FROM {table}").fetchall()))
    return _floor(tables, _sqlite_write(target, tables, "PRAGMA foreign_keys = ON"), "executemany")


def _sqlite_write(target: Path, tables: Sequence[_Rows], *prelude: str) -> float:
    """Seconds to ``executemany`` every table's rows into ``target`` in one transaction,
    with the store's journal and sync pragmas; ``prelude`` runs first, untimed."""
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        for statement in ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", *prelude):
            conn.execute(statement)
        began = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for table, columns, rows in tables:
            marks = ", ".join("?" * (columns.count(",") + 1))
            conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        conn.execute("COMMIT")
        return time.perf_counter() - began
    finally:
        conn.close()


def _copy(conn: Any, tables: Sequence[_Rows]) -> float:
    """Seconds to ``COPY`` every table's rows and commit, on an open psycopg connection."""
    began = time.perf_counter()
    for table, columns, rows in tables:
        with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as pipe:
            for row in rows:
                pipe.write_row(row)
    conn.commit()
    return time.perf_counter() - began


def postgres_schema_floor(url: str) -> float:
    """The imported rows written again with ``COPY`` into an empty store in a schema of its
    own (same tables, indexes, keys and checks), in one transaction; dropped afterwards."""
    import psycopg

    floor_url = f"{url}{'&' if '?' in url else '?'}schema=handoff_floor"
    open_store(floor_url).close()  # the schema, as the store makes it
    with psycopg.connect(url, autocommit=False) as conn:
        try:
            tables = []
            for table in _STORED:
                names = conn.execute(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_schema = 'handoff' AND table_name = %s AND is_identity = 'NO'"
                    " ORDER BY ordinal_position",
                    (table,),
                ).fetchall()
                columns = ", ".join(str(name) for name, _ in names)
                # JSON comes back parsed; the import sends it as text, and so does this.
                casts = ", ".join(
                    f"{name}::text" if kind in ("json", "jsonb") else str(name) for name, kind in names
                )
                rows = conn.execute(f"SELECT {casts} FROM handoff.{table}").fetchall()
                tables.append((f"handoff_floor.{table}", columns, rows))
            conn.commit()
            elapsed = _copy(conn, tables)
        finally:
            conn.rollback()
            conn.execute("DROP SCHEMA handoff_floor CASCADE")
            conn.commit()
    return _floor(tables, elapsed, "COPY")


def _floor(tables: Sequence[_Rows], elapsed: float, how: str) -> float:
    counts = {table.rsplit(".", 1)[-1]: len(rows) for table, _, rows in tables}
    interactions = counts["interactions"]
    detail = ", ".join(f"{count} {table}" for table, count in counts.items() if table != "interactions")
    _rate("schema floor", f"{interactions:>8} interactions via {how} (with {detail})", interactions, elapsed)
    return elapsed / interactions


def model_floor(store: Store, count: int, batch_size: int, order: str) -> float:
    """Seconds per inbound for the model work every message of this import needs,
    whatever the design: validating the inbound and normalizing its identity, masking,
    the sensitive-data check, extracting its facts into the journey's fact index,
    building and encoding the interaction once; and, once per batch, encoding the final
    state of each journey the batch touched (the journeys as ``store`` holds them after
    the import: their final state, the largest a batch writes). The fastest of three
    passes."""
    inbounds = list(history(count, order))
    final: dict[str, Journey] = {}
    for inbound in inbounds:  # untimed: which stored journey each inbound ends in
        if inbound.identity not in final:
            contact = store.find_contact(parse_identity(inbound.identity))
            assert contact is not None
            final[inbound.identity] = store.journeys_of(contact.id)[-1]
    # A floor is the least it takes: the fastest of three passes, which a shared
    # machine's load disturbs least.
    return min(_model_pass(inbounds, final, batch_size) for _ in range(3))


def _model_pass(inbounds: Sequence[Inbound], final: dict[str, Journey], batch_size: int) -> float:
    """Seconds per inbound for one pass of :func:`model_floor`'s work."""
    facts: dict[str, tuple[Fact, ...]] = {}
    began = time.perf_counter()
    for start in range(0, len(inbounds), batch_size):
        touched: dict[str, Journey] = {}
        for n, inbound in enumerate(inbounds[start : start + batch_size], start):
            copy = Inbound(
                channel=inbound.channel,
                identity=inbound.identity,
                body=inbound.body,
                at=inbound.at,
                external_id=inbound.external_id,
                name=inbound.name,
            )
            identity = inbound_identity(copy)
            masked, _ = mask_inbound(copy)
            journey = final[copy.identity]
            interaction = new_interaction(
                f"ix_{n:012d}",
                journey,
                channel=masked.channel,
                author=masked.author,
                body=masked.body,
                at=masked.at,
                external_id=masked.external_id,
                identity=identity,
                sensitive=masked.sensitive or bool(reasons_of_masked(masked.body)),
                masked=True,
            )
            found = facts_of_masked(
                interaction.body,
                channel=interaction.channel,
                at=interaction.at,
                interaction_id=interaction.id,
                region=phone_region(identity),
            )
            if found:
                facts[journey.id] = merge_facts(facts.get(journey.id, ()), found)
            to_json(interaction)
            touched[journey.id] = journey
        for journey in touched.values():
            to_json(journey)
    return (time.perf_counter() - began) / len(inbounds)


def postgres_ceiling(url: str) -> Callable[[Sequence[tuple[Any, ...]]], float]:
    """``COPY`` into a bare logged table (a temporary one would skip the WAL the import pays)."""
    import psycopg  # the PostgreSQL extra; imported only when asked for

    def copy(rows: Sequence[tuple[Any, ...]]) -> float:
        with psycopg.connect(url, autocommit=False) as conn:
            bare = _BARE.replace("CREATE TABLE bare", "CREATE TABLE public.bare_ceiling")
            conn.execute(bare.replace("INTEGER", "BIGINT"))
            conn.commit()
            try:
                elapsed = _copy(conn, [("public.bare_ceiling", _COLUMNS, rows)])
            finally:
                conn.rollback()
                conn.execute("DROP TABLE public.bare_ceiling")
                conn.commit()
        _rate("ceiling", f"{len(rows):>8} rows via COPY", len(rows), elapsed)
        return elapsed / len(rows)

    return copy


def _durability(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        settings = [
            f"{name} {conn.execute(f'SHOW {name}').fetchone()[0]}"  # type: ignore[index]
            for name in ("fsync", "synchronous_commit")
        ]
    return ", ".join(settings)


def _rate(what: str, detail: str, count: int, elapsed: float) -> None:
    print(f"  {what:13} {detail} in {elapsed:7.2f} s = {count / elapsed:>9,.0f}/s")


def _verdict(
    imported: int,
    import_seconds: float,
    stored_rows: int,
    ceiling_per_row: float,
    floor_per_row: float,
    model: float,
) -> None:
    share = ceiling_per_row * stored_rows / import_seconds
    # Inbounds imported per second over interactions the driver writes per second.
    print(
        f"  bulk import runs at {imported * floor_per_row / import_seconds:.1%} of the schema floor"
        " (target: at least 50%)"
    )
    print(f"  bulk import runs at {share:.1%} of the ceiling")
    print(f"  the schema floor runs at {ceiling_per_row / floor_per_row:.1%} of the ceiling")
    print(
        f"  half the ceiling leaves {2 * ceiling_per_row * 1e6:.1f} us per inbound; "
        f"the model floor takes {model * 1e6:.1f} us"
    )
    # An import writes at least what the schema floor writes and does at least the model
    # floor's work: its best share of the schema floor is floor / (floor + model).
    reachable = floor_per_row / (floor_per_row + model)
    print(
        f"  reachable share: schema floor {floor_per_row * 1e6:.1f} us + model floor {model * 1e6:.1f} us"
        f" per inbound = {reachable:.1%} of the schema floor at best; 50% allows"
        f" {2 * floor_per_row * 1e6:.1f} us, {floor_per_row * 1e6:.1f} us of it above the writes"
    )
    if model > floor_per_row:
        print(
            f"  50% is blocked by the problem: the model floor alone ({model * 1e6:.1f} us) exceeds"
            f" half the budget ({floor_per_row * 1e6:.1f} us)"
        )


def storage_per_journey(url: str) -> None:
    """Rows and bytes (tables, indexes and TOAST) the imported history takes per journey."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
        tables = conn.execute(
            "SELECT c.relname::text, pg_total_relation_size(c.oid) FROM pg_class AS c"
            " JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE n.nspname = 'handoff'"
            " AND c.relkind = 'r' AND c.relname <> 'schema_migrations'"
        ).fetchall()
        rows = sum(
            int(conn.execute(f"SELECT count(*) FROM handoff.{name}").fetchone()[0])  # type: ignore[index]
            for name, _ in tables
        )
        journeys = int(conn.execute("SELECT count(*) FROM handoff.journeys").fetchone()[0])  # type: ignore[index]
    size = sum(int(bytes_) for _, bytes_ in tables)
    print(
        f"  storage       {journeys:>8} journeys: {rows / journeys:.1f} rows and "
        f"{size / journeys / 1024:.1f} KiB per journey (tables, indexes, TOAST: {size / 2**20:.0f} MiB)"
    )


def _stored_rows(store: Store) -> int:
    assert isinstance(store, SQLiteStore)
    with closing(sqlite3.connect(store.path)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM interactions").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000, help="inbounds to import")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--order", choices=("time", "ticket"), default="time", help="order of the history lines"
    )
    parser.add_argument("--samples", type=int, default=2000, help="receive calls to time")
    parser.add_argument("--pg", metavar="URL", help="also measure PostgreSQL at this URL (an empty database)")
    parser.add_argument(
        "--pg-server", action="store_true", help="also measure PostgreSQL on a throwaway local cluster"
    )
    args = parser.parse_args()
    if args.pg_server:
        with throwaway_postgres() as url:
            args.pg = url
            run(args)
    else:
        run(args)


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite ({tmp})")
        db = Path(tmp) / "import.db"
        with SQLiteStore(db) as store:
            seconds = bulk_import(store, args.count, args.batch_size, args.order)
            rows = _stored_rows(store)
            model = model_floor(store, args.count, args.batch_size, args.order)
            receive_latency(store, args.samples)
        ceiling = sqlite_ceiling(db, Path(tmp) / "ceiling.db")
        floor = sqlite_schema_floor(db, Path(tmp) / "floor.db")
        print(f"  model floor   {model * 1e6:.1f} us per inbound")
        _verdict(args.count, seconds, rows, ceiling, floor, model)
        if args.pg:
            print(f"PostgreSQL ({args.pg.split('@')[-1]}; {_durability(args.pg)})")
            with closing(sqlite3.connect(db)) as conn:
                exported = conn.execute(f"SELECT {_COLUMNS} FROM interactions").fetchall()
            with open_store(args.pg) as store:
                seconds = bulk_import(store, args.count, args.batch_size, args.order)
                storage_per_journey(args.pg)
                receive_latency(store, args.samples)
            ceiling = postgres_ceiling(args.pg)(exported)
            _verdict(args.count, seconds, len(exported), ceiling, postgres_schema_floor(args.pg), model)


if __name__ == "__main__":
    main()
