"""SQLite: a file written by schema version 1 opens, upgrades, and serves the new features;
the tick's and the delivery callbacks' look-ups use their indexes."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.clock import FixedClock, SeededIds, micros
from handoff.identity import parse_identity
from handoff.metrics import BusinessCalendar, journey_records, kpis
from handoff.models import Contact, Interaction, Journey, Notification
from handoff.serde import to_json
from handoff.stores import Changeset, MemoryStore, SQLiteStore, Store
from handoff.stores.records import brief_contact
from handoff.stores.sqlite import _schema as schema
from handoff.stores.sqlite._metrics import _PLANS
from handoff.stores.sqlite._store import _ACTIVE, _FIND_NOTIFICATION
from handoff.switchboard import Switchboard
from handoff.testing.factories import (
    T0,
    appended,
    make_contact,
    make_decision,
    make_journey,
    make_link,
    make_notification,
)
from tests.metrics_build import T0 as METRICS_T0
from tests.metrics_build import populate


def _v1_json(record: object) -> str:
    """The JSON version 1 wrote: without the fields added since."""
    data = json.loads(to_json(record))
    data.pop("provider_id", None)
    return json.dumps(data)


def _write_v1(
    path: Path, contact: Contact, journey: Journey, interaction: Interaction, note: Notification
) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO contacts VALUES (?, ?, ?)", (contact.id, contact.version, _v1_json(contact))
        )
        for identity in contact.identities:
            conn.execute("INSERT INTO identities VALUES (?, ?)", (str(identity), contact.id))
        conn.execute(
            "INSERT INTO journeys VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (journey.id, contact.id, journey.reference, journey.status, journey.version,
             micros(journey.opened_at), micros(journey.updated_at), _v1_json(journey)),
        )  # fmt: skip
        conn.execute(
            "INSERT INTO interactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (interaction.id, journey.id, contact.id, interaction.sequence, interaction.channel,
             interaction.author, interaction.kind, micros(interaction.at), interaction.external_id,
             _v1_json(interaction)),
        )  # fmt: skip
        conn.execute(
            "INSERT INTO notifications VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (note.id, journey.id, contact.id, note.channel, note.purpose, note.status,
             micros(note.send_at), micros(note.created_at), _v1_json(note)),
        )  # fmt: skip
        conn.execute("COMMIT")
    finally:
        conn.close()


def _write_v2(path: Path, store: Store) -> None:
    """Every record of ``store`` as schema version 2 laid it out: a contact's links in its
    JSON beside identity rows of (identity, contact id), no column added since."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        contacts = {journey.contact_id for journey in store.all_journeys()}
        for contact_id in sorted(contacts):
            records = store.contact_records(contact_id)
            contact = records.contact
            conn.execute(
                "INSERT INTO contacts VALUES (?, ?, ?)", (contact.id, contact.version, to_json(contact))
            )
            for identity in contact.identities:
                conn.execute("INSERT INTO identities VALUES (?, ?)", (str(identity), contact.id))
            for j in records.journeys:
                conn.execute(
                    "INSERT INTO journeys VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (j.id, contact.id, j.reference, j.status, j.version, micros(j.opened_at),
                     micros(j.updated_at), to_json(j)),
                )  # fmt: skip
            for i in records.interactions:
                conn.execute(
                    "INSERT INTO interactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (i.id, i.journey_id, contact.id, i.sequence, i.channel, i.author, i.kind, micros(i.at),
                     i.external_id, to_json(i)),
                )  # fmt: skip
            for h in records.handoffs:
                conn.execute(
                    "INSERT INTO handoffs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (h.id, h.journey_id, contact.id, micros(h.at), h.from_channel, h.to_channel,
                     h.initiated_by, h.reason, to_json(h)),
                )  # fmt: skip
            for n in records.notifications:
                conn.execute(
                    "INSERT INTO notifications VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (n.id, n.journey_id, contact.id, n.channel, n.purpose, n.status, micros(n.send_at),
                     micros(n.created_at), to_json(n), n.provider_id),
                )  # fmt: skip
            for d in records.decisions:
                conn.execute(
                    "INSERT INTO decisions VALUES (?, ?, ?, ?, ?)",
                    (d.id, d.journey_id, contact.id, micros(d.at), to_json(d)),
                )
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_a_version_1_file_is_upgraded_and_keeps_its_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v1.db"
    with monkeypatch.context() as old:
        old.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        old.setattr(schema, "SCHEMA_VERSION", 1)
        SQLiteStore(path).close()
    contact = make_contact("email:ana@example.com")
    journey, interaction = appended(make_journey(contact, version=0), external_id="<m1@mail>")
    note = make_notification(journey)
    _write_v1(path, contact, journey, interaction, note)

    with SQLiteStore(path) as store:
        assert store.get_contact(contact.id) == contact
        assert store.get_journey(journey.id) == journey
        assert store.interactions(journey.id) == [interaction]
        assert store.get_notification(note.id) == note
        # The new features work on the upgraded file, old rows included.
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
    conn = sqlite3.connect(path)
    try:
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    finally:
        conn.close()
    assert version == (str(schema.SCHEMA_VERSION),)


def _count(path: Path, query: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(query).fetchone()[0])
    finally:
        conn.close()


def _plan(path: Path, query: str, params: tuple[object, ...] | dict[str, int]) -> str:
    conn = sqlite3.connect(path)
    try:
        return " | ".join(str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {query}", params))
    finally:
        conn.close()


def test_the_tick_and_provider_look_ups_use_their_indexes(tmp_path: Path) -> None:
    path = tmp_path / "plan.db"
    with SQLiteStore(path) as store:
        contact = make_contact()
        store.commit(Changeset(contact=contact))
        for n in range(30):
            journey = make_journey(contact, status=("open", "resolved", "pending")[n % 3])
            store.commit(Changeset(journey=journey, notifications=(make_notification(journey),)))
    active = _plan(path, _ACTIVE, (10,))
    # Two index walks merged: no pass over every journey, and no sort.
    assert active.count("SEARCH journeys USING INDEX journeys_active (status=?)") == 2, active
    assert "TEMP B-TREE" not in active, active
    found = _plan(path, _FIND_NOTIFICATION, ("SM1",))
    assert "SEARCH notifications USING INDEX notifications_by_provider" in found, found


def test_a_version_2_file_gains_the_metrics_index_and_reports_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v2.db"
    start, end = METRICS_T0 - timedelta(days=1), METRICS_T0 + timedelta(days=40)
    hours = BusinessCalendar.weekly("Europe/Madrid", {"mon-fri": "09:00-17:00"})
    by = ("channel", "agent")
    with monkeypatch.context() as old:
        old.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:2])
        old.setattr(schema, "SCHEMA_VERSION", 2)
        SQLiteStore(path).close()
    # The records as a version 2 file holds them (written by an earlier release).
    source = MemoryStore()
    populate(Switchboard(source, clock=FixedClock(METRICS_T0), ids=SeededIds(7)), 7)
    expected = kpis(list(journey_records(source, start, end)), start, end, by=by, business_hours=hours)
    _write_v2(path, source)
    with SQLiteStore(path) as store:
        got = kpis(store, start, end, by=by, business_hours=hours)
        assert got.to_records() == expected.to_records()
        assert got.rows == expected.rows
    heads = "SELECT count(*) FROM interactions WHERE event_head = 'Resolved by'"
    before = _count(path, heads)
    assert before > 0 and _count(path, "SELECT count(*) FROM interactions WHERE reply_agent IS NOT NULL") > 0
    with SQLiteStore(path) as store:  # rows written after the upgrade fill the new columns too
        board = Switchboard(store, clock=FixedClock(METRICS_T0 + timedelta(days=50)), ids=SeededIds(8))
        open_ = next(j for j in store.journeys_opened(start, end) if j.status != "resolved")
        board.resolve(open_.id, by="agent_upgrade")
    assert _count(path, heads) == before + 1
    assert _count(path, "SELECT value FROM meta WHERE key = 'schema_version'") == schema.SCHEMA_VERSION
    bounds = {"start": 0, "end": 2**62}
    for (scan, _agents), plan in _PLANS.items():
        histories = _plan(path, plan, bounds)
        assert "interactions_for_metrics" in histories, histories
        # A long period's histories are grouped as they come off the index: no sort.
        if scan:
            assert "TEMP B-TREE" not in histories, histories


def test_a_version_9_file_drops_its_kept_tallies_and_reports_the_same(tmp_path: Path) -> None:
    """Kept metrics tallies are gone (schema version 10): a file that kept some loses the
    table, and its reports are those of its records."""
    path = tmp_path / "v9.db"
    with pytest.MonkeyPatch.context() as old:
        old.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:9])
        old.setattr(schema, "SCHEMA_VERSION", 9)
        with SQLiteStore(path) as store:
            populate(Switchboard(store, clock=FixedClock(METRICS_T0), ids=SeededIds(3)), 3)
    tables = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'journey_tallies'"
    assert _count(path, tables) == 1
    start, end = METRICS_T0 - timedelta(days=1), METRICS_T0 + timedelta(days=60)
    with SQLiteStore(path) as store:
        records = list(journey_records(store, start, end))
        assert kpis(store, start, end).to_records() == kpis(records, start, end).to_records()
    assert _count(path, tables) == 0
    assert _count(path, "SELECT value FROM meta WHERE key = 'schema_version'") == schema.SCHEMA_VERSION == 10


_LINK_KINDS = st.lists(
    st.tuples(st.sampled_from(["email", "phone", "twitter"]), st.booleans()), min_size=1, max_size=14
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=_LINK_KINDS, shuffle=st.randoms(use_true_random=False))
def test_a_version_5_file_moves_every_identity_link_to_its_own_row(
    tmp_path_factory: pytest.TempPathFactory, kinds: list[tuple[str, bool]], shuffle: random.Random
) -> None:
    """Links a contact's JSON carried become rows, in the contact's order, whatever order
    the old identity rows were in; reads, the brief, linking and erasure work on them."""
    path = tmp_path_factory.mktemp("v5") / "v5.db"
    with pytest.MonkeyPatch.context() as old:
        old.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:5])
        old.setattr(schema, "SCHEMA_VERSION", 5)
        SQLiteStore(path).close()
    values = {"email": "p{}@example.com", "phone": "+1415555{:04d}", "twitter": "@p{}"}
    links = tuple(
        make_link(
            f"{kind}:{values[kind].format(n)}", confirmed=confirmed, linked_at=T0 + timedelta(minutes=n)
        )
        for n, (kind, confirmed) in enumerate(kinds)
    )
    contact = make_contact(links=links)
    other = make_contact("email:other@example.com")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        for record in (contact, other):
            conn.execute(
                "INSERT INTO contacts VALUES (?, ?, ?)", (record.id, record.version, to_json(record))
            )
            rows = [(str(identity), record.id) for identity in record.identities]
            shuffle.shuffle(rows)
            conn.executemany("INSERT INTO identities VALUES (?, ?)", rows)
        conn.execute("COMMIT")
    finally:
        conn.close()

    with SQLiteStore(path) as store:
        assert store.get_contact(contact.id) == contact
        assert store.get_contact(other.id) == other
        assert store.get_contact_brief(contact.id) == brief_contact(contact)
        for identity in contact.identities:
            assert store.find_contact_brief(identity) == brief_contact(contact, identity)
        board = Switchboard(store, clock=FixedClock(T0 + timedelta(days=1)))
        board.link(contact.id, "email:new@example.com")
        assert store.get_contact(contact.id).identities == (
            *contact.identities,
            parse_identity("email:new@example.com"),
        )
    assert _count(path, "SELECT count(*) FROM contacts WHERE json_array_length(data, '$.links') > 0") == 0
    with SQLiteStore(path) as store:
        store.erase_contact(contact.id)
        assert store.get_contact(other.id) == other
    assert _count(path, f"SELECT count(*) FROM identities WHERE contact_id = '{contact.id}'") == 0
    assert _count(path, "SELECT count(*) FROM identities") == 1
