"""Every benchmark still runs (a smoke run with tiny sizes), so figures can always be reproduced."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pgserver import PARTITIONS, PgServer

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SMOKE = {
    "bench_aio.py": ["--quick"],
    "bench_facts.py": ["--quick"],
    "bench_ingest.py": ["--quick"],
    "bench_metrics.py": ["--journeys", "300"],
    "bench_policy.py": ["--quick"],
    "bench_privacy.py": ["--quick"],
    "bench_receive.py": ["--quick", "--floor", "--opcodes"],
    "bench_store.py": ["--count", "300", "--samples", "50"],
}


def test_every_benchmark_has_a_smoke_run() -> None:
    assert {p.name for p in BENCHMARKS.glob("bench_*.py")} == set(SMOKE)


def _run(name: str, args: list[str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / name), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.strip()
    return done.stdout


@pytest.mark.parametrize("name", sorted(SMOKE))
def test_benchmark_runs(name: str, tmp_path: Path) -> None:
    _run(name, SMOKE[name], tmp_path)


def test_store_benchmark_runs_on_postgres(postgres: PgServer, tmp_path: Path) -> None:
    """The PostgreSQL half (import, receive, ceiling, schema floor) in a database of its own."""
    import psycopg

    name = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        url = f"{postgres.url().rsplit('/', 1)[0]}/{name}"
        out = _run("bench_store.py", [*SMOKE["bench_store.py"], "--pg", url], tmp_path)
    finally:
        with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
    postgres_part = out.split("PostgreSQL (", 1)[1]
    for line in ("bulk import", "receive", "ceiling", "schema floor", "model floor"):
        assert line in postgres_part


def test_aio_benchmark_runs_on_postgres(postgres: PgServer, postgres_schema: str, tmp_path: Path) -> None:
    """Native and thread rounds beside the raw-driver anchor, on the tests' server."""
    out = _run("bench_aio.py", ["--quick", "--pg", postgres.url()], tmp_path)
    for mode in ("anchor", "native", "threads", "native ÷ threads"):
        assert mode in out


def test_receive_benchmark_compares_a_partitioned_store_on_postgres(
    postgres: PgServer, tmp_path: Path
) -> None:
    """The partitions comparison: a plain and a partitioned store of the tests' server, by turns."""
    args = ["--quick", "--samples", "20", "--only-partitions", "--partitions", str(PARTITIONS)]
    out = _run("bench_receive.py", [*args, "--pg", postgres.url()], tmp_path)
    rows = [line.split() for line in out.splitlines() if line.split()[:1] in (["10"], ["1000"])]
    assert [row[0] for row in rows] == ["10", "1000"]
    assert "CPU per receive: this process and the server's" in out
