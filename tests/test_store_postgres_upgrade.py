"""PostgreSQL: a schema written by version 1 opens, upgrades, and serves the new features;
the tick's and the delivery callbacks' look-ups use their indexes."""

from __future__ import annotations

import json
from datetime import timedelta

import psycopg
import pytest
from psycopg import sql

from handoff.clock import FixedClock
from handoff.identity import parse_identity
from handoff.serde import to_json
from handoff.stores import Changeset
from handoff.stores.postgres import _schema as schema
from handoff.stores.postgres._store import _ACTIVE, _FIND_NOTIFICATION, PostgresStore
from handoff.stores.records import BRIEF_LINKS, brief_contact
from handoff.switchboard import Switchboard
from handoff.testing.factories import (
    T0,
    append_changeset,
    appended,
    make_contact,
    make_decision,
    make_journey,
    make_link,
    make_notification,
)
from tests.pgserver import PgServer


def _v1_json(record: object) -> str:
    """The JSON version 1 wrote: without the fields added since."""
    data = json.loads(to_json(record))
    data.pop("provider_id", None)
    return json.dumps(data)


def test_a_version_1_schema_is_upgraded_and_keeps_its_records(
    postgres: PgServer, postgres_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as old:
        old.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        old.setattr(schema, "SCHEMA_VERSION", 1)
        PostgresStore(postgres.conninfo(), schema=postgres_schema).close()
    contact = make_contact("email:ana@example.com")
    journey, interaction = appended(make_journey(contact, version=0), external_id="<m1@mail>")
    note = make_notification(journey)
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn, conn.transaction():
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(postgres_schema)))
        conn.execute(
            "INSERT INTO contacts (id, version, created_at, data) VALUES (%s, %s, %s, %s)",
            (contact.id, contact.version, contact.created_at, _v1_json(contact)),
        )
        conn.execute("INSERT INTO identities VALUES (%s, %s)", (str(contact.identities[0]), contact.id))
        conn.execute(
            "INSERT INTO journeys (id, contact_id, reference, status, version, opened_at, updated_at, data)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (journey.id, contact.id, journey.reference, journey.status, journey.version,
             journey.opened_at, journey.updated_at, _v1_json(journey)),
        )  # fmt: skip
        conn.execute(
            "INSERT INTO interactions (id, journey_id, contact_id, sequence, channel, author, kind, at,"
            " external_id, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (interaction.id, journey.id, contact.id, interaction.sequence, interaction.channel,
             interaction.author, interaction.kind, interaction.at, interaction.external_id,
             _v1_json(interaction)),
        )  # fmt: skip
        conn.execute(
            "INSERT INTO notifications (id, journey_id, contact_id, channel, purpose, status, send_at,"
            " created_at, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (note.id, journey.id, contact.id, note.channel, note.purpose, note.status, note.send_at,
             note.created_at, _v1_json(note)),
        )  # fmt: skip

    with PostgresStore(postgres.conninfo(), schema=postgres_schema) as store:
        assert store.get_contact(contact.id) == contact
        assert store.get_journey(journey.id) == journey
        assert store.interactions(journey.id) == [interaction]
        assert store.get_notification(note.id) == note
        assert store.active_journeys() == [journey]
        sent = store.mark_notification(note.id, "sent", T0, provider_id="SM-upgraded")
        assert store.find_notification("SM-upgraded") == sent
        later, reply = appended(journey, external_id="<m2@mail>", at=T0 + timedelta(minutes=5))
        decision = make_decision(later)
        store.commit(
            Changeset(journey=later, expected_journey_version=journey.version, interactions=(reply,),
                      decisions=(decision,))
        )  # fmt: skip
        assert store.get_decision(decision.id) == decision
        assert store.contact_records(contact.id).decisions == (decision,)
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        query = sql.SQL("SELECT max(version) FROM {}.schema_migrations")
        assert conn.execute(query.format(sql.Identifier(postgres_schema))).fetchone() == (
            schema.SCHEMA_VERSION,
        )


def test_the_tick_and_provider_look_ups_can_use_their_indexes(
    postgres: PgServer, postgres_schema: str
) -> None:
    with PostgresStore(postgres.conninfo(), schema=postgres_schema) as store:
        contact = make_contact()
        store.commit(Changeset(contact=contact))
        for n in range(30):
            journey = make_journey(contact, status=("open", "resolved", "pending")[n % 3])
            store.commit(Changeset(journey=journey, notifications=(make_notification(journey),)))
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(postgres_schema)))
        conn.execute("ANALYZE")
        # Tiny tables are cheaper to read whole and sort; forbid that to see what an index can serve.
        for method in ("seqscan", "bitmapscan", "sort"):
            conn.execute(f"SET enable_{method} = off")

        def plan(query: str, params: tuple[object, ...]) -> str:
            rows = conn.execute(f"EXPLAIN {query}", params).fetchall()
            return "\n".join(str(row[0]) for row in rows)

        active = plan(_ACTIVE, (10, 10, 10))
        assert active.count("Index Scan using journeys_active") == 2, active
        assert "Merge Append" in active, active  # the index walks come out in order, merged
        assert "Sort  (" not in active, active
        found = plan(_FIND_NOTIFICATION, ("SM1",))
        # Two steps, each by an index: the provider id's record key, then the notification.
        assert "Index Scan using record_keys_pkey" in found, found
        assert "notifications_pkey" in found, found


def test_identity_links_move_from_the_contacts_json_to_rows_of_their_own(
    postgres: PgServer, postgres_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schema from before links were rows keeps every identity, in the contact's order,
    whatever order the old identity rows were in; reads, briefs, linking and erasure work."""
    before = next(n for n, (title, _) in enumerate(schema.MIGRATIONS) if title.startswith("identity links"))
    with monkeypatch.context() as old:
        old.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:before])
        old.setattr(schema, "SCHEMA_VERSION", before)
        PostgresStore(postgres.conninfo(), schema=postgres_schema).close()
    kinds = [("email", True)] * (BRIEF_LINKS + 2) + [("phone", False), ("twitter", True), ("email", False)]
    values = {"email": "p{}@example.com", "phone": "+1415555{:04d}", "twitter": "@p{}"}
    links = tuple(
        make_link(f"{kind}:{values[kind].format(n)}", confirmed=ok, linked_at=T0 + timedelta(minutes=n))
        for n, (kind, ok) in enumerate(kinds)
    )
    contact = make_contact(links=links)
    other = make_contact("email:other@example.com")
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn, conn.transaction():
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(postgres_schema)))
        for record in (other, contact):
            conn.execute(
                "INSERT INTO contacts (id, version, created_at, data) VALUES (%s, %s, %s, %s)",
                (record.id, record.version, record.created_at, to_json(record)),
            )
            for identity in reversed(record.identities):  # not in link order
                conn.execute("INSERT INTO identities VALUES (%s, %s)", (str(identity), record.id))

    with PostgresStore(postgres.conninfo(), schema=postgres_schema) as store:
        assert store.get_contact(contact.id) == contact
        assert store.get_contact(other.id) == other
        assert store.contact_records(contact.id).contact == contact
        assert store.get_contact_brief(contact.id) == brief_contact(contact)
        for identity in contact.identities:
            assert store.find_contact(identity) == contact
            assert store.find_contact_brief(identity) == brief_contact(contact, identity)
        added = parse_identity("email:new@example.com")
        Switchboard(store, clock=FixedClock(T0 + timedelta(days=1))).link(contact.id, added)
        assert store.get_contact(contact.id).identities == (*contact.identities, added)
        store.erase_contact(contact.id)
        assert store.get_contact(other.id) == other
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(postgres_schema)))
        assert conn.execute("SELECT identity FROM identities").fetchall() == [("email:other@example.com",)]
        carried = conn.execute("SELECT count(*) FROM contacts WHERE jsonb_array_length(data -> 'links') > 0")
        assert carried.fetchone() == (0,)


def test_a_schema_from_before_the_contact_first_reads_upgrades_and_reads_alike(
    postgres: PgServer, postgres_schema: str, postgres_partitions: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The step that adds the reads finding the contact first upgrades a plain and a
    partitioned schema alike; what was stored before is read back through them."""
    before = next(
        n for n, (_, steps) in enumerate(schema.MIGRATIONS) if any("FUNCTION intake_rows" in s for s in steps)
    )
    contact = make_contact("phone:+14155550100")
    journey = make_journey(contact)
    changes = [Changeset(contact=contact, journey=journey)]
    for n in range(4):
        notes = (make_notification(journey),) if n == 2 else ()
        changes.append(append_changeset(journey, external_id=f"sms-{n}", channel="sms", notifications=notes))
        journey = changes[-1].journey
    with monkeypatch.context() as old:
        old.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:before])
        old.setattr(schema, "SCHEMA_VERSION", before)
        with PostgresStore(
            postgres.conninfo(), schema=postgres_schema, partitions=postgres_partitions
        ) as store:
            for change in changes:
                store.commit(change)
    with PostgresStore(postgres.conninfo(), schema=postgres_schema) as store:
        assert store.partitions == postgres_partitions
        read = store.load_intake(
            contact.identities[0], "sms", "sms-1", references=[journey.reference], thread_refs=[], since=T0
        )
        assert read.contact == store.find_contact_brief(contact.identities[0])
        assert read.seen == store.find_interaction("sms", "sms-1")
        assert read.by_reference == {journey.reference: journey}
        assert {key: list(value) for key, value in read.journeys.items()} == {contact.id: [journey]}
        assert [list(value) for value in read.notifications.values()] == [store.notifications(journey.id)]
        assert len(store.notifications(journey.id)) == 1
        assert store.get_journey(journey.id) == journey
        assert store.find_journey_by_reference(journey.reference) == journey
        assert store.interactions(journey.id, last=2) == store.interactions(journey.id)[-2:]
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(postgres_schema)))
        assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone() == (
            schema.SCHEMA_VERSION,
        )
