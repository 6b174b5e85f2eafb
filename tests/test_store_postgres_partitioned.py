"""Every PostgreSQL test runs on a partitioned store too, and the reads that find a contact
by a look-up row read that contact's rows from one partition."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from handoff import FixedClock, Inbound, SeededIds, Switchboard
from handoff.identity import parse_identity
from handoff.stores import open_store
from handoff.stores.postgres import PostgresStore
from handoff.stores.postgres import _intake as intake
from handoff.stores.postgres._store import _READS
from handoff.testing.factories import T0
from tests.pgserver import PARTITIONS, PgServer

_TESTS = Path(__file__).parent
# Fixtures and helpers that give a test a PostgreSQL server or store.
_REACHING = {
    "postgres",
    "postgres_url",
    "postgres_schema",
    "postgres_plain_url",
    "postgres_partitioned_url",
    "postgres_partitions",
    "backend_url",
}
# What gives it a partitioned store as well: the parametrized fixtures, the partitioned
# one, and the backend lists and partition count of tests/pgserver.py.
_PARTITIONED = {"postgres_url", "postgres_partitions", "postgres_partitioned_url", "BACKENDS", "PARTITIONS"}


def _names(path: Path) -> set[str]:
    """The fixtures a test file asks for (arguments, ``getfixturevalue``) and the names it uses."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.update(arg.arg for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs))
        elif isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "getfixturevalue":
            names.update(arg.value for arg in node.args if isinstance(arg, ast.Constant))
    return names


def test_every_test_file_reaching_postgresql_runs_on_a_partitioned_store_too() -> None:
    reaching = {path.name: _names(path) for path in sorted(_TESTS.glob("test_*.py"))}
    reaching = {name: names for name, names in reaching.items() if names & _REACHING}
    assert len(reaching) >= 20  # the guard sees the PostgreSQL tests, not nothing
    assert [name for name, names in reaching.items() if not names & _PARTITIONED] == []


def test_postgres_url_gives_a_plain_and_a_partitioned_store(
    postgres_url: str, postgres_partitions: int
) -> None:
    with open_store(postgres_url) as store:
        assert isinstance(store, PostgresStore)
        assert store.partitions == postgres_partitions
    assert postgres_partitions in (0, PARTITIONS)


# -- one partition per read ---------------------------------------------------------------------
_PARTITION = re.compile(r"\b(?P<table>[a-z_]+)_p(?P<n>\d+)\b")


@pytest.fixture
def explained(postgres: PgServer, postgres_schema: str) -> Iterator[tuple[psycopg.Connection, list[str]]]:
    """A connection to a partitioned store holding two customers' journeys, whose server
    sends back the plan of every statement it runs, nested ones included, as started."""
    url = postgres.url(schema=postgres_schema, partitions=str(PARTITIONS))
    clock = FixedClock(T0)
    with Switchboard.open(url, clock=clock, ids=SeededIds(5)) as board:
        for n in range(12):
            clock.advance(minutes=1)
            for who in ("phone:+14155550100", "phone:+14155550177"):
                channel = "chat" if n % 4 == 3 else "sms"
                board.receive(
                    Inbound(
                        channel=channel, identity=who, body=f"m{n}", at=clock.now(), external_id=f"{who}-{n}"
                    )
                )
    plans: list[str] = []
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(postgres_schema)))
        conn.execute("LOAD 'auto_explain'")
        for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_level = notice"):
            conn.execute(f"SET auto_explain.{setting}")
        conn.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
        yield conn, plans


def _partitions_read(plans: list[str]) -> dict[str, set[str]]:
    """Table -> the partitions of it that the plans started (pruned ones are not shown)."""
    read: dict[str, set[str]] = {}
    for plan in plans:
        for found in _PARTITION.finditer(plan.split("\n", 1)[-1]):
            read.setdefault(found["table"], set()).add(found["n"])
    return read


def test_receives_first_read_opens_one_partition_of_each_table(
    explained: tuple[psycopg.Connection, list[str]],
) -> None:
    conn, plans = explained
    # A redelivered message, so that the stored one is read too.
    params = intake.intake_params(
        parse_identity("phone:+14155550100"), "sms", "phone:+14155550100-4", [], [], T0
    )
    for _ in range(8):  # past the first plans, to the ones a busy connection reuses
        plans.clear()
        rows = conn.execute(intake._ROUND_ONE, params, prepare=True).fetchall()
        assert sorted({row[0] for row in rows}) == [0, 1, 2, 3, 4]
        read = _partitions_read(plans)
        assert {"contacts", "journeys", "notifications", "interactions"} <= read.keys()
        assert all(len(parts) == 1 for parts in read.values()), read


@pytest.mark.parametrize(
    ("statement", "key"),
    [
        (_READS.get_journey, "journey"),
        (_READS.find_journey, "reference"),
        (_READS.last_interactions, "journey"),
    ],
)
def test_a_read_by_record_key_opens_one_partition(
    explained: tuple[psycopg.Connection, list[str]], statement: str, key: str
) -> None:
    conn, plans = explained
    kind = "reference" if key == "reference" else "journey"
    keys = [
        row[0] for row in conn.execute("SELECT key FROM record_keys WHERE kind = %s ORDER BY key", (kind,))
    ]
    assert len(keys) >= 2
    for n in range(8):
        plans.clear()
        params = (keys[n % len(keys)], 3) if "last_interactions" in statement else (keys[n % len(keys)],)
        assert conn.execute(statement, params, prepare=True).fetchall()
        read = _partitions_read(plans)
        assert read and all(len(parts) == 1 for parts in read.values()), read


def test_a_partitioned_store_plans_its_statements_once_per_connection(
    postgres: PgServer, postgres_schema: str, postgres_partitions: int
) -> None:
    """Custom plans, planned afresh at every execution, are what partitioned tables
    otherwise get: a commit's planning alone cost more than its work."""
    clock = FixedClock(T0)
    store = PostgresStore(
        postgres.conninfo(), schema=postgres_schema, partitions=postgres_partitions, min_size=1, max_size=1
    )
    with Switchboard(store, clock=clock, ids=SeededIds(2)) as board:
        for n in range(8):
            clock.advance(minutes=1)
            board.receive(Inbound(channel="sms", identity="phone:+14155550100", body=f"m{n}", at=clock.now()))
        with store._pool.connection() as conn:
            mode = conn.execute("SHOW plan_cache_mode").fetchone()
            plans = conn.execute(
                "SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements"
                " WHERE statement LIKE 'WITH w0 AS (UPDATE journeys%%'"
            ).fetchone()
    assert mode == ("force_generic_plan" if postgres_partitions else "auto",)
    assert plans is not None and plans[0] is not None
    if postgres_partitions:
        assert plans[1] == 0  # never a custom plan
