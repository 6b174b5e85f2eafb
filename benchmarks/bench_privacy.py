"""Privacy and reliability costs: masking per message, erasure beside a reader, a streamed
export of a long history, and linking many identities to one contact.

Run: ``python benchmarks/bench_privacy.py`` (``--quick`` for a smoke run).

Each figure is printed beside an anchor measured in the same run on the same machine:

* masking: µs per message of ``mask_inbound`` over a mix of support messages, as a ratio
  to ``extract_facts`` on the same messages (both run on every inbound);
* erasure (SQLite file): seconds of ``erase_contact`` while another connection holds a
  read transaction, beside the same erasure without one;
* export: seconds and peak traced memory of ``write_export`` of a contact with
  ``--interactions`` interactions on one journey, beside one plain read of that history
  (``Store.interactions``), and the old whole-in-memory ``export_contact`` with
  ``--whole``;
* links: the median ms per ``link`` of the first and of the last 500 of ``--links``
  identities linked to one contact, their ratio (flat is 1x), and the peak traced memory,
  per backend (PostgreSQL with ``--pg URL``, or ``--pg-server`` to start a throwaway
  cluster with the tests' helper).
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

from _support import fresh_postgres, throwaway_postgres

from handoff import FixedClock, Inbound, SeededIds, Switchboard
from handoff.facts import extract_facts
from handoff.masking import mask_inbound

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
R = TypeVar("R")

MESSAGES: tuple[str, ...] = (
    "Hi, my order A-1042 never arrived. Can you check?",
    "still waiting for a reply",
    "thanks!",
    "Hello, I was charged twice for my subscription this month. Please refund one of the payments.",
    "I can't log in to my account, the reset link doesn't work",
    "My email is ana.k@example.com, please send the invoice there",
    "call me at +1 (415) 555-0100 tomorrow after 3pm",
    "It was $49.99 on 2025-03-12, order #55512",
    "my card 4242 4242 4242 4242 was charged, ref INV-2024-0042",
    "Bonjour, ma commande n'est toujours pas arrivée, pouvez-vous vérifier ?",
    "Müller here – the parcel “never came”, can you check? Danke 🙂",
    "password: hunter2 (I know, I know)",
)


def _timed(work: Callable[[], R]) -> tuple[float, R]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def _traced(work: Callable[[], R]) -> tuple[float, float, R]:
    """Seconds of ``work`` and, from a second run under tracemalloc (which slows it), its
    peak traced megabytes."""
    seconds, result = _timed(work)
    tracemalloc.start()
    try:
        work()
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    return seconds, peak, result


def masking(rounds: int) -> None:
    inbounds = [
        Inbound(channel="email", identity="email:a@example.com", body=m, at=T0, metadata={"subject": m[:40]})
        for m in MESSAGES
    ]
    masked = min(
        _timed(lambda: [mask_inbound(i) for i in inbounds for _ in range(rounds)])[0] for _ in range(3)
    )
    facts = min(
        _timed(
            lambda: [
                extract_facts(m, channel="email", at=T0, interaction_id="x")
                for m in MESSAGES
                for _ in range(rounds)
            ]
        )[0]
        for _ in range(3)
    )
    per = len(inbounds) * rounds
    print(
        f"masking: mask_inbound {masked / per * 1e6:.1f} µs/message (body + subject), "
        f"extract_facts {facts / per * 1e6:.1f} µs/message, ratio {masked / facts:.2f}x"
    )


def _contact(board: Switchboard, who: str, n: int, start: int = 0) -> str:
    outcome = None
    for i in range(start, start + n):
        outcome = board.receive(
            Inbound(
                channel="chat",
                identity=f"email:{who}",
                body=f"message {i} from {who}",
                at=T0 + timedelta(seconds=i),
                external_id=f"{who}-{i}",
                name=who.split("@")[0],
            )
        )
    assert outcome is not None
    return outcome.contact.id


def erasure(directory: Path) -> None:
    figures = {}
    for pinned in (False, True):
        path = directory / f"erase-{pinned}.db"
        with Switchboard.open(f"sqlite:///{path}", clock=FixedClock(T0), ids=SeededIds(3)) as board:
            _contact(board, "bo@example.com", 200)
            ana = _contact(board, "ana@example.com", 200)
            reader = sqlite3.connect(path, isolation_level=None)
            if pinned:
                reader.execute("BEGIN")
                reader.execute("SELECT count(*) FROM interactions").fetchone()
            seconds, result = _timed(lambda: board.erase_contact(ana))  # noqa: B023
            reader.close()
            figures[pinned] = seconds
            print(
                f"erasure (sqlite, reader {'holding a snapshot' if pinned else 'idle'}): {seconds:.3f} s, "
                f"old copies may remain: {result.old_copies_may_remain}"
            )
    print(f"erasure beside a reader / without: {figures[True] / figures[False]:.2f}x")


def _long_history(board: Switchboard, n: int) -> str:
    inbounds: Iterator[Inbound] = (
        Inbound(
            channel=("chat", "email")[i // 100 % 2],  # a channel switch every hundred messages
            identity="email:long@example.com",
            body=f"message {i}: my order A-{1000 + i % 50} has not arrived yet, could you look at it please?",
            at=T0 + timedelta(seconds=i),
            external_id=f"long-{i}",
        )
        for i in range(n)
    )
    outcomes = board.receive_many(inbounds, batch_size=1000)
    return outcomes[-1].contact.id


def export(directory: Path, interactions: int, whole: bool) -> None:
    path = directory / "export.db"
    with Switchboard.open(f"sqlite:///{path}", clock=FixedClock(T0), ids=SeededIds(4)) as board:
        seconds, contact_id = _timed(lambda: _long_history(board, interactions))
        print(f"export: {interactions} interactions written in {seconds:.1f} s")
        journey = board.journeys(contact_id)[0]
        read_s, read_mb, _ = _traced(lambda: board.store.interactions(journey.id))
        target = directory / "export.jsonl"

        def stream() -> int:
            with target.open("w", encoding="utf-8") as out:
                return board.write_export(contact_id, out)

        stream_s, stream_mb, lines = _traced(stream)
        print(f"export: plain read of the history {read_s:.2f} s, peak {read_mb:.0f} MB (anchor)")
        print(
            f"export: write_export {stream_s:.2f} s, peak {stream_mb:.0f} MB, {lines} lines, "
            f"{target.stat().st_size / 1e6:.0f} MB file; ratio to the read {stream_s / read_s:.2f}x time, "
            f"{stream_mb / read_mb:.2f}x memory"
        )
        if whole:
            whole_s, whole_mb, _ = _traced(lambda: board.export_contact(contact_id))
            print(f"export: export_contact (whole) {whole_s:.2f} s, peak {whole_mb:.0f} MB")


def _link_run(url: str, count: int, *, trace: bool) -> tuple[list[float], float]:
    """Seconds of each ``link`` of ``count`` identities to one contact, and the peak traced
    megabytes when ``trace`` (tracing slows every call, so timings come from a run without)."""
    with Switchboard.open(url, clock=FixedClock(T0), ids=SeededIds(5)) as board:
        contact_id = _contact(board, "many@example.com", 1)
        timings: list[float] = []
        if trace:
            tracemalloc.start()
        try:
            for i in range(count):
                start = time.perf_counter()
                board.link(contact_id, f"email:many{i}@example.com")
                timings.append(time.perf_counter() - start)
            peak = tracemalloc.get_traced_memory()[1] / 1e6 if trace else 0.0
        finally:
            if trace:
                tracemalloc.stop()
    return timings, peak


def links(directory: Path, count: int, pg: str | None) -> None:
    backends = ["memory", "sqlite", *(["postgres"] if pg else [])]
    for backend in backends:
        urls = []
        for n in (1, 2):
            if backend == "memory":
                urls.append("memory://")
            elif backend == "sqlite":
                urls.append(f"sqlite:///{directory / f'links-{n}.db'}")
            else:
                assert pg is not None
                urls.append(fresh_postgres(pg, f"links_{n}"))
        timings, _ = _link_run(urls[0], count, trace=False)
        _, peak = _link_run(urls[1], count, trace=True)
        window = min(500, max(1, count // 10))
        first, last = statistics.median(timings[:window]), statistics.median(timings[-window:])
        print(
            f"links ({backend}): {count} identities in {sum(timings):.1f} s; median of the first {window} "
            f"{first * 1e3:.2f} ms/link, of the last {window} {last * 1e3:.2f} ms/link "
            f"(ratio {last / first:.2f}x); peak {peak:.0f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--interactions", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=5_000)
    parser.add_argument("--whole", action="store_true", help="also time the whole-in-memory export")
    parser.add_argument("--only", choices=["masking", "erasure", "export", "links"], action="append")
    parser.add_argument("--pg", help="a PostgreSQL URL to measure the links on too")
    parser.add_argument("--pg-server", action="store_true", help="start a throwaway PostgreSQL for the run")
    args = parser.parse_args()
    interactions = 300 if args.quick else args.interactions
    count = 50 if args.quick else args.links
    parts = args.only or ["masking", "erasure", "export", "links"]
    with contextlib.ExitStack() as stack:
        pg = stack.enter_context(throwaway_postgres()) if args.pg_server else args.pg
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if "masking" in parts:
            masking(20 if args.quick else 2000)
        if "erasure" in parts:
            erasure(directory)
        if "export" in parts:
            export(directory, interactions, args.whole or args.quick)
        if "links" in parts:
            links(directory, count, pg)


if __name__ == "__main__":
    main()
