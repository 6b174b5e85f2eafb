"""PostgreSQL keyed by contact: the rule a distributed database enforces, a new schema
and an upgraded one ending alike, hash partitions, and the DDL ``handoff schema`` prints."""

from __future__ import annotations

import io
import re
import secrets
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg import sql

from handoff.cli import main
from handoff.errors import DuplicateInteraction, ValidationError
from handoff.stores import Changeset, open_store
from handoff.stores.postgres import PostgresStore
from handoff.stores.postgres import _schema as schema
from handoff.stores.postgres import _writes as writes
from handoff.stores.postgres._connect import parse_partitions, split_url_options
from handoff.stores.postgres._ddl import ddl, distribution, dropped_tables
from handoff.stores.postgres._layout import TABLES
from handoff.testing.factories import (
    T0,
    appended,
    make_contact,
    make_decision,
    make_handoff,
    make_journey,
    make_notification,
)
from tests.pgserver import PARTITIONS, PgServer

_LOOKUPS = {table.name for table in TABLES if not table.per_contact}
_PER_CONTACT = {table.name for table in TABLES if table.per_contact} - dropped_tables()


@pytest.fixture
def schemas(postgres: PgServer) -> Iterator[list[str]]:
    """Fresh schema names on demand; all dropped afterwards."""
    made: list[str] = []
    yield made
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        for name in made:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def _name(schemas: list[str]) -> str:
    schemas.append(f"t_{secrets.token_hex(6)}")
    return schemas[-1]


def _catalog(server: PgServer, name: str) -> dict[str, set[tuple[Any, ...]]]:
    """Columns, constraints and indexes of the schema's tables (not of their partitions),
    written without the schema's name so that two schemas can be compared."""
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        tables = (
            " FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND NOT c.relispartition"
        )
        columns = conn.execute(
            "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
            " a.attidentity::text FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid"
            " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND NOT c.relispartition AND c.relkind IN ('r', 'p')"
            " AND a.attnum > 0 AND NOT a.attisdropped",
            (name,),
        ).fetchall()
        constraints = conn.execute(
            "SELECT c.relname::text, con.conname::text, con.contype::text, pg_get_constraintdef(con.oid)"
            " FROM pg_constraint AS con JOIN pg_class AS c ON c.oid = con.conrelid"
            " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
            # Not the partitions' copies, nor those PostgreSQL adds per referenced partition.
            " WHERE n.nspname = %s AND NOT c.relispartition AND con.conparentid = 0",
            (name,),
        ).fetchall()
        indexes = conn.execute(
            f"SELECT c.relname::text, pg_get_indexdef(c.oid) {tables} AND c.relkind IN ('i', 'I')", (name,)
        ).fetchall()
    plain = re.compile(rf"\b(ON ONLY|ON) {name}\.")
    return {
        "columns": set(columns),
        "constraints": {(*row[:3], str(row[3]).replace(f"{name}.", "")) for row in constraints},
        "indexes": {(index, plain.sub("ON ", text)) for index, text in indexes},
    }


def _stored_at(server: PgServer, name: str, version: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Create ``name`` as an older handoff did: the first ``version`` migrations."""
    with monkeypatch.context() as old:
        old.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:version])
        old.setattr(schema, "SCHEMA_VERSION", version)
        PostgresStore(server.conninfo(), schema=name).close()


def _write_v5(server: PgServer, name: str) -> dict[str, Any]:
    """Rows as version 5 stored them: a contact with one journey, message, handoff,
    sent notification and decision."""
    contact = make_contact("email:ana@example.com")
    journey, message = appended(make_journey(contact, version=0), external_id="<m1@mail>")
    handoff = make_handoff(journey)
    note = make_notification(journey, provider_id="SM-v5")
    decision = make_decision(journey)
    with psycopg.connect(server.conninfo(), autocommit=True) as conn, conn.transaction():
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(name)))
        written = Changeset(contact=contact, journey=journey, interactions=(message,), handoffs=(handoff,),
                            notifications=(note,), decisions=(decision,))  # fmt: skip
        rows = writes.Rows([written])
        # Version 5 kept a contact's links in its JSON (they became rows of their own later).
        conn.execute(writes.INSERT_CONTACT, (*rows.versioned[0][1][:3], writes.stored_json(contact)))
        conn.execute("INSERT INTO identities VALUES (%s, %s)", (str(contact.identities[0]), contact.id))
        conn.execute(
            "INSERT INTO journeys (contact_id, reference, status, version, opened_at, updated_at, data, id)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            rows.versioned[1][1],
        )
        for table, columns, values in (
            ("interactions", writes.INTERACTION_COLUMNS, rows.interactions),
            ("handoffs", writes.HANDOFF_COLUMNS, rows.handoffs),
            ("notifications", writes.NOTIFICATION_COLUMNS, rows.notifications),
            ("decisions", writes.DECISION_COLUMNS, rows.decisions),
        ):
            marks = ", ".join(["%s"] * len(values[0]))
            conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values[0])
    return {"contact": contact, "journey": journey, "message": message, "handoff": handoff,
            "note": note, "decision": decision}  # fmt: skip


def test_a_version_5_schema_is_keyed_by_contact_and_keeps_every_row(
    postgres: PgServer, schemas: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old, fresh = _name(schemas), _name(schemas)
    _stored_at(postgres, old, 5, monkeypatch)  # the last layout before the keys held the contact
    kept = _write_v5(postgres, old)
    journey = kept["journey"]
    with PostgresStore(postgres.conninfo(), schema=old) as store:
        assert store.partitions == 0  # an upgrade keeps the layout it finds
        assert store.get_contact(kept["contact"].id) == kept["contact"]
        assert store.find_contact(kept["contact"].identities[0]) == kept["contact"]
        assert store.find_journey_by_reference(journey.reference) == journey
        assert store.find_interaction("email", "<m1@mail>") == kept["message"]
        assert store.find_notification("SM-v5") == kept["note"]
        assert store.handoffs(journey.id) == [kept["handoff"]]
        assert store.get_decision(kept["decision"].id) == kept["decision"]
        # The look-ups filled from the old rows keep their promises...
        again, repeated = appended(journey, external_id="<m1@mail>")
        with pytest.raises(DuplicateInteraction):
            store.commit(Changeset(journey=again, expected_journey_version=journey.version,
                                   interactions=(repeated,)))  # fmt: skip
        # ...and the store goes on working.
        later, reply = appended(journey, external_id="<m2@mail>", at=T0 + timedelta(minutes=5))
        store.commit(Changeset(journey=later, expected_journey_version=journey.version,
                               interactions=(reply,)))  # fmt: skip
        assert store.find_interaction("email", "<m2@mail>") == reply
    PostgresStore(postgres.conninfo(), schema=fresh).close()
    assert _catalog(postgres, old) == _catalog(postgres, fresh)


def test_a_partitioned_schema_has_the_keys_and_indexes_of_a_plain_one(
    postgres: PgServer, schemas: list[str]
) -> None:
    plain, split = _name(schemas), _name(schemas)
    PostgresStore(postgres.conninfo(), schema=plain).close()
    with open_store(postgres.url(schema=split, partitions=str(PARTITIONS))) as store:
        assert isinstance(store, PostgresStore) and store.partitions == PARTITIONS
    assert _catalog(postgres, plain) == _catalog(postgres, split)
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        counts = dict(
            conn.execute(
                "SELECT parent.relname::text, count(child.inhrelid) FROM pg_class AS parent"
                " JOIN pg_namespace AS n ON n.oid = parent.relnamespace"
                " LEFT JOIN pg_inherits AS child ON child.inhparent = parent.oid"
                " WHERE n.nspname = %s AND parent.relkind IN ('r', 'p') AND NOT parent.relispartition"
                " AND parent.relname <> 'schema_migrations' GROUP BY parent.relname",
                (split,),
            ).fetchall()
        )
    assert {table for table, count in counts.items() if count == PARTITIONS} == _PER_CONTACT
    assert {table for table, count in counts.items() if count == 0} == _LOOKUPS


@pytest.mark.parametrize("partitions", [0, PARTITIONS])
def test_every_key_of_a_per_customer_table_holds_its_contact(
    postgres: PgServer, schemas: list[str], partitions: int
) -> None:
    """The rule of Citus and of hash partitions, for every table a migration ever made:
    each primary key, unique constraint and foreign key between per-customer tables
    holds the contact; only the look-up tables are keyed by their own value."""
    name = _name(schemas)
    PostgresStore(postgres.conninfo(), schema=name, partitions=partitions).close()
    catalog = _catalog(postgres, name)
    with_contact = {table for table, column, *_ in catalog["columns"] if column == "contact_id"}
    per_contact = (with_contact | {"contacts"}) - _LOOKUPS
    assert per_contact >= _PER_CONTACT
    keyed = set()
    for table, constraint, kind, definition in catalog["constraints"]:
        column = "id" if table == "contacts" else "contact_id"
        if table not in per_contact:
            continue
        own = re.match(r"(?:PRIMARY KEY|UNIQUE|FOREIGN KEY) \(([^)]*)\)", definition)
        if kind in ("p", "u", "f"):
            assert own is not None and column in own[1].split(", "), (constraint, definition)
            keyed.add(table)
        referenced = re.search(r"REFERENCES (\w+)\(([^)]*)\)", definition)
        if kind == "f" and referenced and referenced[1] != "contacts":
            assert "contact_id" in referenced[2].split(", "), (constraint, definition)
    assert keyed == per_contact  # each has a primary key at least


def test_partitions_apply_when_a_schema_is_created(postgres: PgServer, schemas: list[str]) -> None:
    plain, split = _name(schemas), _name(schemas)
    PostgresStore(postgres.conninfo(), schema=plain).close()
    with pytest.raises(ValidationError) as refused:
        PostgresStore(postgres.conninfo(), schema=plain, partitions=PARTITIONS)
    assert refused.value.field == "partitions"
    assert "no hash partitions" in str(refused.value)
    PostgresStore(postgres.conninfo(), schema=split, partitions=PARTITIONS).close()
    with PostgresStore(postgres.conninfo(), schema=split) as reopened:
        assert reopened.partitions == PARTITIONS  # opened without the option: as it was made
    PostgresStore(postgres.conninfo(), schema=split, partitions=PARTITIONS).close()
    with pytest.raises(ValidationError, match="partitions"):
        PostgresStore(postgres.conninfo(), schema=split, partitions=PARTITIONS + 1)


def test_one_contacts_rows_live_in_one_partition_of_every_table(
    postgres: PgServer, schemas: list[str]
) -> None:
    """Co-location: the hash of the contact picks the same part in every table, so an
    event's writes, which all carry its contact, stay in one part (one shard on Citus)."""
    name = _name(schemas)
    with PostgresStore(postgres.conninfo(), schema=name, partitions=PARTITIONS) as store:
        contacts = [make_contact(f"email:p{n}@example.com") for n in range(6)]
        for contact in contacts:
            journey, message = appended(make_journey(contact, version=0), external_id=f"<{contact.id}>")
            first = Changeset(contact=contact, journey=journey, interactions=(message,),
                              handoffs=(make_handoff(journey),), notifications=(make_notification(journey),),
                              decisions=(make_decision(journey),))  # fmt: skip
            store.commit(first)
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(name)))
        for contact in contacts:
            found: set[str] = set()
            for table in _PER_CONTACT:
                column = "id" if table == "contacts" else "contact_id"
                rows = conn.execute(
                    f"SELECT tableoid::regclass::text FROM {table} WHERE {column} = %s", (contact.id,)
                ).fetchall()
                found |= {str(row[0]).rsplit("_p", 1)[1] for row in rows}
            assert len(found) == 1, (contact.id, found)


@given(value=st.one_of(st.text(max_size=6), st.integers(-5, 3000), st.none(), st.booleans(), st.floats()))
def test_the_partitions_option_is_a_small_whole_number_or_refused_by_name(value: object) -> None:
    expected: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        expected = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        expected = int(value)
    if expected is not None and 0 <= expected <= 1024:
        assert parse_partitions(value) == expected
    else:
        with pytest.raises(ValidationError) as refused:
            parse_partitions(value)
        assert refused.value.field == "partitions"


def test_the_url_keeps_libpq_options_and_takes_handoffs_own() -> None:
    rest, name, parts = split_url_options("postgresql://u@h/db?sslmode=disable&partitions=8&schema=s")
    assert (rest, name, parts) == ("postgresql://u@h/db?sslmode=disable", "s", "8")
    with pytest.raises(ValidationError) as refused:
        PostgresStore.from_url("postgresql://u@127.0.0.1:1/db?partitions=eight")
    assert refused.value.field == "partitions"


# -- the DDL --------------------------------------------------------------------------
_DISTRIBUTED = re.compile(
    r"SELECT create_distributed_table\('(?P<table>\w+)', '(?P<column>\w+)'"
    r"(?:, colocate_with => '(?P<with>\w+)')?\)"
)


def test_the_citus_script_distributes_each_per_customer_table_by_its_contact() -> None:
    script = ddl("citus")
    distributed = {m["table"]: (m["column"], m["with"]) for m in _DISTRIBUTED.finditer(script)}
    assert distributed.pop("contacts") == ("id", None)
    for table in _PER_CONTACT - {"contacts"}:
        assert distributed.pop(table) == ("contact_id", "contacts"), table
    assert distributed == {"identities": ("identity", "none"), "record_keys": ("key", "none")}
    # Every key of a distributed table holds its distribution column.
    columns = {table.name: table.shard_by for table in TABLES}
    for created in re.finditer(r"CREATE TABLE (\w+) \((.*?)\n\)", script, re.DOTALL):
        keys = re.findall(r"(?:PRIMARY KEY|UNIQUE|FOREIGN KEY) \(([^)]*)\)", created[2])
        assert keys, created[1]
        for key in keys:
            assert columns[created[1]] in [c.strip() for c in key.split(",")], (created[1], key)
    # A look-up table's foreign key would join two shards: Citus cannot keep it.
    assert "identities_contact_fk" not in script and "record_keys_contact_fk" not in script


@pytest.mark.parametrize(("dialect", "partitions"), [("citus", 0), ("postgresql", 0), ("postgresql", 3)])
def test_the_script_builds_the_schema_a_store_opens(
    postgres: PgServer, schemas: list[str], dialect: str, partitions: int
) -> None:
    """Without its Citus calls, the script runs on PostgreSQL; a store then opens the
    schema as it is (it creates nothing) and works on it."""
    name = _name(schemas)
    script = _DISTRIBUTED.sub("SELECT 1", ddl(dialect, partitions, schema=name))
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn, conn.transaction():
        conn.execute(script.encode())
    with PostgresStore(postgres.conninfo(), schema=name) as store:
        assert store.partitions == partitions
        contact = make_contact("email:script@example.com")
        journey, message = appended(make_journey(contact, version=0), external_id="<script>")
        store.commit(Changeset(contact=contact, journey=journey, interactions=(message,)))
        assert store.find_interaction("email", "<script>") == message
    if dialect == "postgresql":
        made = _name(schemas)
        PostgresStore(postgres.conninfo(), schema=made, partitions=partitions).close()
        assert _catalog(postgres, name) == _catalog(postgres, made)
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        query = sql.SQL("SELECT max(version) FROM {}.schema_migrations").format(sql.Identifier(name))
        assert conn.execute(query).fetchone() == (schema.SCHEMA_VERSION,)


def test_handoff_schema_prints_the_script() -> None:
    out = io.StringIO()
    assert main(["schema", "--dialect", "citus"], out) == 0
    assert out.getvalue() == ddl("citus")
    out = io.StringIO()
    assert main(["schema", "--dialect", "postgresql", "--partitions", "2", "--schema", "support"], out) == 0
    assert out.getvalue() == ddl("postgresql", 2, schema="support")
    assert "PARTITION OF journeys FOR VALUES WITH (MODULUS 2, REMAINDER 1)" in out.getvalue()
    out = io.StringIO()
    assert main(["schema", "--dialect", "sqlite"], out) == 0
    sqlite3.connect(":memory:").executescript(out.getvalue())  # it runs as it is printed


def test_handoff_schema_refuses_partitions_it_cannot_apply(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--dialect", "citus", "--partitions", "4"], io.StringIO()) == 1
    assert "partitions" in capsys.readouterr().err
    assert main(["schema", "--partitions", "-1"], io.StringIO()) == 1
    assert main(["schema", "--schema", "Bad Name"], io.StringIO()) == 1


def test_the_scaling_guide_shows_the_calls_handoff_prints() -> None:
    guide = Path(__file__).resolve().parent.parent / "docs" / "guide" / "scaling.md"
    page = guide.read_text(encoding="utf-8")
    assert "\n".join(f"{call};" for call in distribution()) in page
