"""Every benchmark still runs (a smoke run with tiny sizes), so figures can always be reproduced."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SMOKE = {
    "bench_facts.py": ["--quick"],
    "bench_ingest.py": ["--quick"],
    "bench_metrics.py": ["--journeys", "300"],
    "bench_policy.py": ["--quick"],
    "bench_receive.py": ["--quick"],
    "bench_store.py": ["--count", "300", "--samples", "50"],
}


def test_every_benchmark_has_a_smoke_run() -> None:
    assert {p.name for p in BENCHMARKS.glob("bench_*.py")} == set(SMOKE)


@pytest.mark.parametrize("name", sorted(SMOKE))
def test_benchmark_runs(name: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / name), *SMOKE[name]],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.strip()
