"""The PostgreSQL tables as data, and their DDL for one server, hash partitions or Citus.

Every per-customer table is keyed by contact: its distribution column (``contact_id``;
``contacts`` calls it ``id``) is part of its primary key, of each unique constraint and
of each foreign key, which is the rule both Citus (distributed tables) and PostgreSQL
(``PARTITION BY HASH``) enforce. Values that must be unique across contacts, and that
are looked up before the contact is known, live in small look-up tables keyed by that
value: ``identities`` (an identity's owner) and ``record_keys`` (a record's id, a
journey reference, a message's external id on its channel, a provider id -> the
contact that holds it and the record it names).

:data:`TABLES` is the schema as migration :data:`BASELINE_VERSION` leaves it. A new
database is created from it directly (with ``partitions`` or not); an older one gets
there through the migrations, and the tests compare the two catalogs. The same tables
give the DDL ``handoff schema`` prints (see :mod:`~handoff.stores.postgres._ddl`).
"""

from __future__ import annotations

import re

from attrs import frozen

__all__ = ["BASELINE_VERSION", "TABLES", "Table", "create_statements", "parent_constraint"]

# The migration whose result TABLES describes; later migrations apply on top of it.
BASELINE_VERSION = 8


@frozen
class Table:
    """One table: its columns, keys and indexes, and the column it is distributed by.

    ``per_contact`` tables are distributed (or hash-partitioned) by ``shard_by`` and
    co-located with ``contacts``; the others are look-up tables distributed by their
    own key. ``links`` are the foreign keys; a look-up table's cannot be kept on Citus
    (the two ends live on different shards), so there they are left out.
    """

    name: str
    columns: tuple[str, ...]
    keys: tuple[str, ...]
    links: tuple[str, ...] = ()
    indexes: tuple[str, ...] = ()
    shard_by: str = "contact_id"
    per_contact: bool = True


_POSITION = "position bigint GENERATED ALWAYS AS IDENTITY"


def _child(name: str, columns: tuple[str, ...], *indexes: str) -> Table:
    """A record of a journey: keyed by (id, contact_id), pointing at its journey by both."""
    return Table(
        name,
        columns,
        keys=(f"CONSTRAINT {name}_pkey PRIMARY KEY (id, contact_id)",),
        links=(
            f"CONSTRAINT {name}_journey_fk FOREIGN KEY (journey_id, contact_id)"
            " REFERENCES journeys (id, contact_id)",
        ),
        indexes=indexes,
    )


TABLES: tuple[Table, ...] = (
    Table(
        "contacts",
        (
            "id text NOT NULL",
            "version integer NOT NULL",
            "created_at timestamptz NOT NULL",
            "data jsonb NOT NULL",
        ),
        keys=("CONSTRAINT contacts_pkey PRIMARY KEY (id)",),
        shard_by="id",
    ),
    Table(
        "identities",
        (
            "identity text NOT NULL",
            "contact_id text NOT NULL",
            "kind text NOT NULL DEFAULT ''",
            "data jsonb NOT NULL DEFAULT '{}'",
            _POSITION,
        ),
        keys=("CONSTRAINT identities_pkey PRIMARY KEY (identity)",),
        links=("CONSTRAINT identities_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id)",),
        indexes=(
            "CREATE INDEX identities_by_contact ON identities (contact_id)",
            "CREATE INDEX identities_by_kind ON identities (contact_id, kind, position)",
            "CREATE INDEX identities_in_order ON identities (contact_id, position)",
        ),
        shard_by="identity",
        per_contact=False,
    ),
    Table(
        "record_keys",
        ("key text NOT NULL", "kind text NOT NULL", "contact_id text NOT NULL", "record_id text NOT NULL"),
        keys=("CONSTRAINT record_keys_pkey PRIMARY KEY (key, kind)",),
        links=("CONSTRAINT record_keys_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id)",),
        indexes=("CREATE INDEX record_keys_by_contact ON record_keys (contact_id)",),
        shard_by="key",
        per_contact=False,
    ),
    Table(
        "journeys",
        (
            "id text NOT NULL",
            "contact_id text NOT NULL",
            "reference text NOT NULL",
            "status text NOT NULL",
            "version integer NOT NULL",
            "opened_at timestamptz NOT NULL",
            "updated_at timestamptz NOT NULL",
            _POSITION,
            "data jsonb NOT NULL",
        ),
        keys=("CONSTRAINT journeys_pkey PRIMARY KEY (id, contact_id)",),
        links=("CONSTRAINT journeys_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id)",),
        indexes=(
            "CREATE INDEX journeys_by_contact ON journeys (contact_id, opened_at, position)",
            "CREATE INDEX journeys_active ON journeys (status, updated_at, id)",
            "CREATE INDEX journeys_by_opening ON journeys (opened_at, id)"
            " INCLUDE (version, contact_id, position)",
        ),
    ),
    Table(
        "interactions",
        (
            "id text NOT NULL",
            "journey_id text NOT NULL",
            "contact_id text NOT NULL",
            "sequence integer NOT NULL",
            "channel text NOT NULL",
            "author text NOT NULL",
            "kind text NOT NULL",
            "at timestamptz NOT NULL",
            "external_id text",
            _POSITION,
            "data jsonb NOT NULL",
        ),
        keys=(
            "CONSTRAINT interactions_pkey PRIMARY KEY (id, contact_id)",
            "CONSTRAINT interactions_sequence_key UNIQUE (journey_id, sequence, contact_id)",
        ),
        links=(
            "CONSTRAINT interactions_journey_fk FOREIGN KEY (journey_id, contact_id)"
            " REFERENCES journeys (id, contact_id)",
        ),
        indexes=(
            "CREATE INDEX interactions_by_external_id ON interactions (external_id, at DESC, position DESC)",
        ),
    ),
    _child(
        "handoffs",
        (
            "id text NOT NULL",
            "journey_id text NOT NULL",
            "contact_id text NOT NULL",
            "at timestamptz NOT NULL",
            "from_channel text NOT NULL",
            "to_channel text NOT NULL",
            "initiated_by text NOT NULL",
            "reason text NOT NULL",
            _POSITION,
            "data jsonb NOT NULL",
        ),
        "CREATE INDEX handoffs_by_journey ON handoffs (journey_id, at, position)",
    ),
    _child(
        "notifications",
        (
            "id text NOT NULL",
            "journey_id text NOT NULL",
            "contact_id text NOT NULL",
            "channel text NOT NULL",
            "purpose text NOT NULL",
            "status text NOT NULL",
            "send_at timestamptz NOT NULL",
            "created_at timestamptz NOT NULL",
            _POSITION,
            "data jsonb NOT NULL",
            "provider_id text",
            "lease_worker text",
            "lease_until timestamptz",
        ),
        "CREATE INDEX notifications_due ON notifications (send_at, position) WHERE status = 'pending'",
        "CREATE INDEX notifications_by_journey ON notifications (journey_id, created_at, position)",
    ),
    _child(
        "decisions",
        (
            "id text NOT NULL",
            "journey_id text NOT NULL",
            "contact_id text NOT NULL",
            "at timestamptz NOT NULL",
            _POSITION,
            "data json NOT NULL",
        ),
        "CREATE INDEX decisions_by_journey ON decisions (journey_id, at, position)",
    ),
    Table(
        "journey_tallies",
        (
            "journey_id text NOT NULL",
            "contact_id text NOT NULL",
            "form integer NOT NULL",
            "version integer NOT NULL",
            "entry_channel text NOT NULL",
            "agent text",
            "first_reply_at bigint",
            "waits bytea NOT NULL",
            "first_resolved_at bigint",
            "resolved_at bigint",
            "resolved_channel text",
            "reopens integer NOT NULL",
            "handoffs text",
            "csat bytea",
            "nps bytea",
            "ces bytea",
        ),
        keys=("CONSTRAINT journey_tallies_pkey PRIMARY KEY (journey_id, contact_id)",),
        links=(
            "CONSTRAINT journey_tallies_journey_fk FOREIGN KEY (journey_id, contact_id)"
            " REFERENCES journeys (id, contact_id)",
        ),
    ),
    Table(
        "callbacks",
        (
            "contact_id text NOT NULL",
            "id text NOT NULL",
            "journey_id text NOT NULL",
            "status text NOT NULL",
            "at timestamptz NOT NULL",
            "data jsonb NOT NULL",
        ),
        keys=("CONSTRAINT callbacks_pkey PRIMARY KEY (contact_id, id)",),
        indexes=(
            "CREATE INDEX callbacks_by_id ON callbacks (id)",
            "CREATE INDEX callbacks_by_journey ON callbacks (journey_id, at, id)",
            "CREATE INDEX callbacks_by_time ON callbacks (at, id)",
            "CREATE INDEX callbacks_scheduled ON callbacks (at, id) WHERE status = 'scheduled'",
        ),
    ),
)

# A version-checked write that matched no row fails its statement (see _commit).
WRITTEN_ONCE = """CREATE FUNCTION written_once(written bigint, problem text) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    IF written <> 1 THEN
        RAISE EXCEPTION USING ERRCODE = '23V01', MESSAGE = problem;
    END IF;
    RETURN written;
END
$$"""


_KEY = re.compile(r"CONSTRAINT (?P<name>\w+) (?P<kind>PRIMARY KEY|UNIQUE) \((?P<columns>[^)]*)\)")
_PARTITION_CONSTRAINT = re.compile(r"^(?P<table>[a-z_]+?)_p\d+_(?P<rest>\w+)$")


def _partition_names() -> dict[tuple[str, str], str]:
    """(table, the name of a partition's copy of a key after ``<table>_p<n>_``) -> the key's name."""
    names: dict[tuple[str, str], str] = {}
    for table in TABLES:
        for key in table.keys:
            found = _KEY.match(key)
            assert found is not None, key
            columns = [column.strip() for column in found["columns"].split(",")]
            rest = "pkey" if found["kind"] == "PRIMARY KEY" else "_".join(columns) + "_key"
            names[(table.name, rest)] = found["name"]
    return names


_PARTITION_NAMES = _partition_names()


def parent_constraint(name: str) -> str:
    """The name of a key as :data:`TABLES` declares it, for the name of a partition's copy
    (``contacts_p3_pkey`` -> ``contacts_pkey``); any other name as it is."""
    found = _PARTITION_CONSTRAINT.match(name)
    if found is None:
        return name
    return _PARTITION_NAMES.get((found["table"], found["rest"]), name)


def create_statements(partitions: int = 0, *, keep_links: bool = True) -> list[str]:
    """The statements creating :data:`TABLES`; per-contact tables hash-partitioned in
    ``partitions`` parts when it is not 0. Look-up tables are never partitioned."""
    statements: list[str] = [WRITTEN_ONCE]
    for table in TABLES:
        links = table.links if keep_links or table.per_contact else ()
        body = ",\n    ".join((*table.columns, *table.keys, *links))
        split = partitions and table.per_contact
        tail = f" PARTITION BY HASH ({table.shard_by})" if split else ""
        statements.append(f"CREATE TABLE {table.name} (\n    {body}\n){tail}")
        if split:
            statements += (
                f"CREATE TABLE {table.name}_p{n} PARTITION OF {table.name}"
                f" FOR VALUES WITH (MODULUS {partitions}, REMAINDER {n})"
                for n in range(partitions)
            )
        statements += table.indexes
    return statements
