"""What several benchmarks share: a throwaway PostgreSQL server, a fresh schema, a percentile.

The benchmarks are run as scripts (``python benchmarks/bench_receive.py``), so this
module is imported from their own directory.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path


def percentile(values: list[float], p: float) -> float:
    """The value below which a share ``p`` (0 to 1) of ``values`` lies (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A fresh local cluster (``tests/pgserver.py``), durable: fsync and synchronous commit
    on, as in production, so a commit pays for a real WAL flush."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.pgserver import PgServer

    server = PgServer.start(durable=True)
    try:
        yield server.url()
    finally:
        server.stop()


def fresh_postgres(url: str, tag: str) -> str:
    """The store's URL in a schema of its own for one run (its tables start empty)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS bench_{tag} CASCADE")
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}schema=bench_{tag}"
