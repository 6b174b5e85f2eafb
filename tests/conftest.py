"""Shared fixtures."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.pgserver import LAYOUTS, PARTITIONS, PgServer, layout_url, start_or_skip

# Property tests assert behaviour, never speed: on a shared machine a slow example is the
# machine's, so neither a deadline nor the slow-generation health check may fail a test.
settings.register_profile(
    "handoff", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("handoff")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PgServer]:
    """A throwaway PostgreSQL server for the session; skipped without one, but never in CI."""
    server = start_or_skip()
    yield server
    server.stop()


@pytest.fixture
def postgres_schema(postgres: PgServer) -> Iterator[str]:
    """A schema name no other test uses; dropped with everything in it afterwards."""
    import psycopg
    from psycopg import sql

    name = f"t_{secrets.token_hex(6)}"
    yield name
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture(params=list(LAYOUTS.values()), ids=list(LAYOUTS))
def postgres_partitions(request: pytest.FixtureRequest) -> int:
    """How many hash partitions a PostgreSQL store of the test gets: each test runs with none and some."""
    return int(request.param)


@pytest.fixture
def postgres_url(postgres: PgServer, postgres_schema: str, postgres_partitions: int) -> str:
    """A ``postgresql://`` URL of an empty store of its own, for ``open_store``; a test that
    takes it runs twice, on a plain store and on one hash-partitioned by contact."""
    return layout_url(postgres, postgres_schema, postgres_partitions)


@pytest.fixture
def postgres_plain_url(postgres: PgServer, postgres_schema: str) -> str:
    """Like ``postgres_url``, always for an unpartitioned store."""
    return layout_url(postgres, postgres_schema, 0)


@pytest.fixture
def postgres_partitioned_url(postgres: PgServer, postgres_schema: str) -> str:
    """Like ``postgres_url``, for a store whose per-contact tables are hash-partitioned by
    contact: PostgreSQL then holds the schema to the rule a distributed database does."""
    return layout_url(postgres, postgres_schema, PARTITIONS)
