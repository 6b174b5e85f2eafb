"""The schema as one script, for one PostgreSQL server or for a Citus cluster.

What ``handoff schema`` prints, made from the definitions the store creates a new
schema from (:data:`~handoff.stores.postgres._layout.TABLES`) and the migrations after
them, so that the script and the store never disagree. For Citus the same tables follow
with the calls that distribute them: every per-customer table by its contact,
co-located with ``contacts`` (one person's rows on one node, joined and committed
there), and each look-up table by its own key. A table a later migration creates is
distributed by ``contact_id`` when it has that column, which the keys-by-contact rule
of :mod:`~handoff.stores.postgres._schema` asks of every per-customer table.
"""

from __future__ import annotations

import re

from handoff.errors import ValidationError
from handoff.stores.postgres._connect import check_settings
from handoff.stores.postgres._layout import BASELINE_VERSION, TABLES, create_statements
from handoff.stores.postgres._schema import CREATE_LEDGER, MIGRATIONS

__all__ = ["DIALECTS", "ddl", "distribution", "dropped_tables"]

DIALECTS = ("postgresql", "citus")
_CREATED = re.compile(r"CREATE TABLE (?P<name>\w+) \((?P<body>.*)\)", re.DOTALL)
_DROPPED = re.compile(r"DROP TABLE (?P<name>\w+)$")


def ddl(dialect: str, partitions: int = 0, *, schema: str = "handoff") -> str:
    """The schema as a script: for one PostgreSQL server (its per-contact tables
    hash-partitioned in ``partitions`` parts if not 0), or for Citus.

    The script creates ``schema`` with the migrations ledger filled in, so a store opened
    on it afterwards finds it up to date and creates nothing itself."""
    if dialect not in DIALECTS:
        raise ValidationError("dialect", f"expected one of {', '.join(DIALECTS)}, got {dialect!r}")
    check_settings(schema, 1, 1, 1)
    citus = dialect == "citus"
    statements = [f"CREATE SCHEMA {schema}", f"SET search_path TO {schema}"]
    statements += create_statements(0 if citus else partitions, keep_links=not citus)
    for _, steps in MIGRATIONS[BASELINE_VERSION:]:
        statements += steps
    if citus:
        statements += distribution()
    statements.append(CREATE_LEDGER)
    statements += (
        f"INSERT INTO schema_migrations (version, description) VALUES ({number}, {_literal(description)})"
        for number, (description, _) in enumerate(MIGRATIONS, start=1)
    )
    return "".join(f"{statement.strip()};\n\n" for statement in statements)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def distribution() -> list[str]:
    """The Citus calls distributing every table, in an order where each table a foreign
    key points at is distributed before the table holding the key."""
    calls: list[str] = []
    dropped = dropped_tables()
    for table in TABLES:
        if table.name in dropped:
            continue
        if table.name == "contacts":
            calls.append(f"SELECT create_distributed_table('contacts', '{table.shard_by}')")
        else:
            with_ = "contacts" if table.per_contact else "none"
            calls.append(_distribute(table.name, table.shard_by, with_))
    for _, steps in MIGRATIONS[BASELINE_VERSION:]:
        for step in steps:
            created = _CREATED.match(step.strip())
            if created and re.search(r"\bcontact_id\b", created["body"]):
                calls.append(_distribute(created["name"], "contact_id", "contacts"))
    return calls


def dropped_tables() -> frozenset[str]:
    """The tables of :data:`~handoff.stores.postgres._layout.TABLES` that a later
    migration drops (``journey_tallies``: no metrics tallies are kept any more)."""
    later = (step.strip() for _, steps in MIGRATIONS[BASELINE_VERSION:] for step in steps)
    return frozenset(found["name"] for found in map(_DROPPED.match, later) if found)


def _distribute(table: str, column: str, colocate_with: str) -> str:
    return f"SELECT create_distributed_table('{table}', '{column}', colocate_with => '{colocate_with}')"
