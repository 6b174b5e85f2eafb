"""Latency of ``Switchboard.receive`` on journeys of growing length.

Run: ``python benchmarks/bench_receive.py`` (``--quick`` for a smoke run).

For each backend (memory, SQLite file) and each starting journey length (10, 1,000,
10,000 interactions), the journey is first filled, then ``receive`` is timed for new
customer messages on it, alternating channels so a share of them are channel switches.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from handoff import FixedClock, Inbound, SeededIds, Switchboard

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _fill(board: Switchboard, n: int) -> None:
    for i in range(n):
        board.receive(
            Inbound(
                channel="sms",
                identity="phone:+14155550100",
                body=f"message {i} about order A-{1000 + i % 50}",
                at=T0 + timedelta(seconds=i),
                external_id=f"fill-{i}",
            )
        )


def _measure(board: Switchboard, start: int, samples: int) -> list[float]:
    timings = []
    for i in range(samples):
        inbound = Inbound(
            channel="whatsapp" if i % 10 == 0 else "sms",
            identity="phone:+14155550100",
            body=f"follow-up {i}: still waiting for A-1042, I paid $89.90",
            at=T0 + timedelta(seconds=start + i),
            external_id=f"bench-{i}",
        )
        began = time.perf_counter()
        board.receive(inbound)
        timings.append(time.perf_counter() - began)
    return timings


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    sizes = (10, 100) if args.quick else (10, 1_000, 10_000)
    samples = 200 if args.quick else args.samples
    print(f"{'backend':8} {'journey':>8} {'p50 µs':>9} {'p99 µs':>9} {'mean µs':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("memory", "sqlite"):
            p50s = {}
            for size in sizes:
                url = "memory://" if backend == "memory" else f"sqlite:///{Path(tmp) / f'bench-{size}.db'}"
                with Switchboard.open(url, clock=FixedClock(T0), ids=SeededIds(size)) as board:
                    _fill(board, size)
                    timings = _measure(board, size, samples)
                p50s[size] = _pct(timings, 0.50)
                print(
                    f"{backend:8} {size:>8} {p50s[size] * 1e6:>9.1f} {_pct(timings, 0.99) * 1e6:>9.1f} "
                    f"{statistics.fmean(timings) * 1e6:>9.1f}"
                )
            ratio = p50s[sizes[-1]] / p50s[sizes[0]]
            print(f"{backend:8} p50 ratio {sizes[-1]} / {sizes[0]} interactions: {ratio:.2f}x")


if __name__ == "__main__":
    main()
