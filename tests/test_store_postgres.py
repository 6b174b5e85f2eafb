"""The PostgreSQL store: the conformance kit, plus schema, connections and PostgreSQL's own limits."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from attrs import evolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from handoff import FixedClock, SeededIds, Switchboard
from handoff.errors import (
    ConcurrencyConflict,
    HandoffError,
    NotFound,
    StoreError,
    StoreUnavailable,
    ValidationError,
)
from handoff.identity import parse_identity
from handoff.models import Contact, Interaction
from handoff.serde import from_json
from handoff.stores import PRIMITIVES, BulkImport, Changeset, MemoryStore, Store, open_store
from handoff.stores.postgres import PostgresStore
from handoff.stores.postgres._schema import MIGRATIONS, SCHEMA_VERSION
from handoff.stores.postgres._writes import loaded_json, stored_json
from handoff.testing import StoreConformance
from handoff.testing.factories import (
    T0,
    append_changeset,
    appended,
    make_contact,
    make_handoff,
    make_interaction,
    make_journey,
    make_notification,
)
from tests import pgserver
from tests.intake_steps import STEP, Step, play_side_by_side
from tests.pgserver import PARTITIONS, PgServer

# Text people paste: NUL and other controls, emoji, right-to-left scripts, backslashes
# next to things that look like JSON escapes.
_awkward = st.lists(
    st.sampled_from(["\x00", "\x01", "\\", "u0000", "u0001", '"', "🙂", "שלום", "\u2028", "a"])
    | st.characters(codec="utf-8"),
    max_size=20,
).map("".join)


def _fresh_schema() -> str:
    return f"t_{secrets.token_hex(6)}"


def _drop(server: PgServer, *schemas: str) -> None:
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        for name in schemas:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


class TestPostgresStore(StoreConformance):
    supports_multiprocess = True

    @pytest.fixture(autouse=True)
    def _server(self, postgres: PgServer) -> Iterator[None]:
        """Every store this test makes gets its own schema; all are dropped afterwards."""
        self.server = postgres
        self.schemas: list[str] = []
        yield
        _drop(postgres, *self.schemas)

    def _schema(self) -> str:
        self.schemas.append(_fresh_schema())
        return self.schemas[-1]

    def make_store(self, directory: Path) -> PostgresStore:
        return PostgresStore(self.server.conninfo(), schema=self._schema(), max_size=6)

    def store_url(self, directory: Path) -> str:
        return self.server.url(schema=self._schema())


class TestPartitionedPostgresStore(TestPostgresStore):
    """The whole kit again, on tables hash-partitioned by contact. The state machine, the
    kit's slowest test by far, runs half its examples here: the plain store's run covers
    the model, this one the partitioned tables under the same operations."""

    state_machine_settings = settings(
        TestPostgresStore.state_machine_settings,
        max_examples=TestPostgresStore.state_machine_settings.max_examples // 2,
    )

    def make_store(self, directory: Path) -> PostgresStore:
        return PostgresStore(self.server.conninfo(), schema=self._schema(), max_size=6, partitions=PARTITIONS)

    def store_url(self, directory: Path) -> str:
        return self.server.url(schema=self._schema(), partitions=str(PARTITIONS))


@pytest.fixture
def store(postgres: PgServer, postgres_schema: str, postgres_partitions: int) -> Iterator[PostgresStore]:
    with PostgresStore(postgres.conninfo(), schema=postgres_schema, partitions=postgres_partitions) as opened:
        assert opened.partitions == postgres_partitions
        yield opened


def _fill(store: PostgresStore) -> Changeset:
    """One contact, journey, interaction, handoff and notification; the changeset as stored."""
    contact = make_contact("email:ana@example.com")
    journey = make_journey(contact)
    store.commit(Changeset(contact=contact, journey=journey))
    change = append_changeset(
        journey,
        external_id="<m1@mail>",
        handoffs=(make_handoff(journey),),
        notifications=(make_notification(journey),),
    )
    store.commit(change)
    return evolve(change, contact=contact)


# -- lifecycle and schema -------------------------------------------------------------
def test_reopening_gives_everything_back(postgres: PgServer, postgres_schema: str) -> None:
    with PostgresStore(postgres.conninfo(), schema=postgres_schema) as store:
        written = _fill(store)
    assert written.contact is not None and written.journey is not None
    journey_id = written.journey.id
    with PostgresStore(postgres.conninfo(), schema=postgres_schema) as again:
        assert again.get_contact(written.contact.id) == written.contact
        assert again.find_contact(written.contact.identities[0]) == written.contact
        assert again.get_journey(journey_id) == written.journey
        assert again.interactions(journey_id) == list(written.interactions)
        assert again.find_journey_by_thread(["<m1@mail>"]) == written.journey
        assert again.handoffs(journey_id) == list(written.handoffs)
        assert again.notifications(journey_id) == list(written.notifications)


def _migrations(server: PgServer, schema: str) -> list[tuple[object, ...]]:
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        query = sql.SQL("SELECT version, description FROM {}.schema_migrations ORDER BY version")
        return conn.execute(query.format(sql.Identifier(schema))).fetchall()


def test_migrations_are_recorded_once(postgres: PgServer, postgres_schema: str) -> None:
    for _ in range(2):
        PostgresStore(postgres.conninfo(), schema=postgres_schema).close()
    expected = [(n, description) for n, (description, _) in enumerate(MIGRATIONS, start=1)]
    assert _migrations(postgres, postgres_schema) == expected
    assert len(expected) == SCHEMA_VERSION


def test_stores_opening_a_new_schema_at_once_all_succeed(postgres: PgServer, postgres_schema: str) -> None:
    start = threading.Barrier(6)
    opened: list[PostgresStore] = []
    failures: list[BaseException] = []

    def open_one() -> None:
        start.wait()
        try:
            opened.append(PostgresStore(postgres.conninfo(), schema=postgres_schema, min_size=0))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for store in opened:
        store.close()
    assert failures == []
    assert len(opened) == 6
    assert [row[0] for row in _migrations(postgres, postgres_schema)] == list(range(1, SCHEMA_VERSION + 1))


def test_a_newer_schema_is_refused(postgres: PgServer, postgres_schema: str) -> None:
    PostgresStore(postgres.conninfo(), schema=postgres_schema).close()
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        query = sql.SQL("INSERT INTO {}.schema_migrations (version, description) VALUES (%s, 'future')")
        conn.execute(query.format(sql.Identifier(postgres_schema)), (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="upgrade handoff"):
        PostgresStore(postgres.conninfo(), schema=postgres_schema)


def test_every_table_carries_the_contact(store: PostgresStore, postgres: PgServer) -> None:
    """The distribution column of a sharded deployment is on every table."""
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.relname::text, array_agg(a.attname::text) FROM pg_attribute AS a"
            " JOIN pg_class AS c ON c.oid = a.attrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
            " AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> 'schema_migrations'"
            " GROUP BY c.relname",
            (store.schema,),
        ).fetchall()
    columns = {str(name): set(names) for name, names in rows}
    assert set(columns) == {
        "contacts",
        "identities",
        "journeys",
        "interactions",
        "handoffs",
        "notifications",
        "decisions",
        "callbacks",
        "record_keys",
    }
    for table, names in columns.items():
        assert ("id" if table == "contacts" else "contact_id") in names, table


def test_a_closed_store_refuses_work_and_closes_twice(store: PostgresStore) -> None:
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.get_contact("ct_1")
    with pytest.raises(StoreError, match="closed"):
        store.commit(Changeset(contact=make_contact()))


@pytest.mark.parametrize(("ci", "outcome"), [(None, pytest.skip.Exception), ("true", pytest.fail.Exception)])
def test_without_postgresql_tests_skip_except_in_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str | None, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(pgserver, "find_bindir", lambda: None)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="no PostgreSQL binaries"):
        pgserver.start_or_skip()


# -- connections and URLs -------------------------------------------------------------
def test_a_wrong_password_is_store_unavailable(postgres: PgServer) -> None:
    with pytest.raises(StoreUnavailable, match="password authentication failed") as caught:
        PostgresStore(postgres.conninfo(password="not-the-password"), schema=_fresh_schema())
    assert isinstance(caught.value.__cause__, psycopg.Error)
    assert "not-the-password" not in str(caught.value)


def test_a_closed_port_is_store_unavailable(postgres: PgServer) -> None:
    conninfo = postgres.conninfo().replace(f"port={postgres.port}", "port=1")
    with pytest.raises(StoreUnavailable, match=r"127\.0\.0\.1:1/"):
        PostgresStore(conninfo)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"conninfo": "host=localhost port"}, "conninfo"),
        ({"conninfo": 5432}, "conninfo"),
        ({"schema": "Robert'); DROP TABLE"}, "schema"),
        ({"schema": ""}, "schema"),
        ({"max_size": 0}, "max_size"),
        ({"min_size": 4, "max_size": 2}, "max_size"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_bad_arguments_name_the_field(postgres: PgServer, kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"conninfo": postgres.conninfo(), **kwargs}
    with pytest.raises(ValidationError) as caught:
        PostgresStore(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "POSTGRESQL"])
def test_urls_open_the_named_schema(postgres: PgServer, postgres_schema: str, scheme: str) -> None:
    url = postgres.url(schema=postgres_schema, application_name="handoff-tests")
    url = url.replace("postgresql://", f"{scheme}://", 1)
    with open_store(url) as store:
        assert isinstance(store, PostgresStore)
        assert store.schema == postgres_schema
        contact = make_contact()
        store.commit(Changeset(contact=contact))
    with PostgresStore(postgres.conninfo(), schema=postgres_schema) as again:
        assert again.get_contact(contact.id) == contact


def test_url_parameters_reach_libpq_intact(postgres: PgServer, postgres_schema: str) -> None:
    """Spaces included: server settings go in ``options``, as the backends guide shows."""
    url = postgres.url(
        schema=postgres_schema,
        application_name="support%20desk",
        options="-c%20synchronous_commit%3Dlocal",
    )
    with open_store(url) as store:
        assert isinstance(store, PostgresStore)
        with store._pool.connection() as conn:
            shown = [
                conn.execute(f"SHOW {name}").fetchone() for name in ("application_name", "synchronous_commit")
            ]
    assert shown == [("support desk",), ("local",)]


def test_a_malformed_url_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        PostgresStore.from_url("mysql://localhost/db")
    assert caught.value.field == "url"


def test_a_lost_connection_is_a_handoff_error_and_the_pool_recovers(
    postgres: PgServer, postgres_schema: str
) -> None:
    conninfo = f"{postgres.conninfo()} application_name=victim"
    with PostgresStore(conninfo, schema=postgres_schema, min_size=2, max_size=2) as store:
        written = _fill(store)
        assert written.journey is not None
        with psycopg.connect(postgres.conninfo(), autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = 'victim'"
            ).fetchone()
        assert killed is not None and killed[0] >= 1
        outcomes: list[str] = []
        for _ in range(3):
            try:
                outcomes.append(store.get_journey(written.journey.id).id)
            except StoreUnavailable:
                outcomes.append("unavailable")
        # One call learns that the connections are gone; the pool replaces them all.
        assert outcomes == ["unavailable", written.journey.id, written.journey.id]


# -- text PostgreSQL refuses ----------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(body=_awkward, metadata=st.dictionaries(_awkward, _awkward, max_size=3))
def test_the_nul_rewrite_is_undone_exactly(body: str, metadata: dict[str, str]) -> None:
    interaction = make_interaction(body=body, metadata=metadata)
    stored = stored_json(interaction)
    assert "\x00" not in json.dumps(json.loads(stored), ensure_ascii=False)
    assert "\\u0000" not in stored.replace("\\\\", "")
    assert from_json(Interaction, loaded_json(stored)) == interaction


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_awkward, name=_awkward.filter(str.strip), key=_awkward)
def test_awkward_text_round_trips(store: PostgresStore, body: str, name: str, key: str) -> None:
    contact = make_contact(name=name)
    journey = make_journey(contact, subject=body)
    after, interaction = appended(journey, body=body, metadata={key: body})
    store.commit(Changeset(contact=contact, journey=journey))
    store.commit(Changeset(journey=after, expected_journey_version=1, interactions=(interaction,)))
    assert store.get_contact(contact.id) == contact
    assert store.get_journey(journey.id) == after
    assert store.interactions(journey.id) == [interaction]
    assert store.contact_records(contact.id).interactions == (interaction,)


def test_nul_in_a_key_is_refused_naming_the_field(store: PostgresStore) -> None:
    contact = make_contact()
    journey = make_journey(contact)
    store.commit(Changeset(contact=contact, journey=journey))
    with pytest.raises(ValidationError) as caught:
        store.commit(append_changeset(journey, external_id="<a\x00b@mail>"))
    assert caught.value.field == "interactions[0].external_id"
    assert store.interactions(journey.id) == []
    # No stored key holds NUL, so a look-up by one finds nothing rather than failing.
    assert store.find_interaction("email", "<a\x00b@mail>") is None
    assert store.find_journey_by_thread(["<a\x00b@mail>"]) is None
    assert store.find_contact(parse_identity("email:ana@example.com")) is None
    with pytest.raises(NotFound):
        store.get_journey("jr\x00")
    with pytest.raises(NotFound):
        store.erase_contact("ct\x00")


def test_a_lone_surrogate_is_refused_and_nothing_written(store: PostgresStore) -> None:
    contact = make_contact()
    journey = make_journey(contact)
    store.commit(Changeset(contact=contact, journey=journey))
    with pytest.raises(ValidationError):
        store.commit(append_changeset(journey, body="broken \udc80 text"))
    assert store.interactions(journey.id) == []
    assert store.get_journey(journey.id) == journey


def test_a_damaged_record_is_a_store_error(store: PostgresStore, postgres: PgServer) -> None:
    written = _fill(store)
    assert written.journey is not None
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        query = sql.SQL("UPDATE {}.journeys SET data = '{{\"id\": 3}}'")
        conn.execute(query.format(sql.Identifier(store.schema)))
    # A fresh store: this one keeps what it wrote decoded, by id and version, and the
    # damage above kept the version.
    with (
        PostgresStore.from_url(postgres.url(schema=store.schema)) as fresh,
        pytest.raises(StoreError, match="Journey"),
    ):
        fresh.get_journey(written.journey.id)


# -- bulk import and privacy ----------------------------------------------------------
def _history(appends: int) -> list[Changeset]:
    """A new contact's journey and ``appends`` interactions, one changeset each."""
    contact = make_contact()
    journey = make_journey(contact)
    batch = [Changeset(contact=contact, journey=journey)]
    for _ in range(appends):
        batch.append(append_changeset(journey, notifications=(make_notification(journey),)))
        assert batch[-1].journey is not None
        journey = batch[-1].journey
    return batch


def test_commit_many_builds_on_earlier_changesets(store: PostgresStore) -> None:
    assert isinstance(store, BulkImport)
    batch = _history(3)
    store.commit_many(batch)
    last = batch[-1].journey
    assert last is not None
    assert store.get_journey(last.id) == last
    assert store.interactions(last.id) == [c.interactions[0] for c in batch[1:]]
    assert len(store.notifications(last.id)) == 3


def test_commit_many_is_all_or_nothing(store: PostgresStore) -> None:
    batch = _history(4)
    stale = evolve(batch[2], expected_journey_version=1)
    with pytest.raises(ConcurrencyConflict):
        store.commit_many([*batch[:2], stale, *batch[3:]])
    contact = batch[0].contact
    assert contact is not None
    with pytest.raises(NotFound):
        store.get_contact(contact.id)
    ghost = make_journey(make_contact())
    with pytest.raises(NotFound) as caught:
        store.commit_many([*batch[:3], Changeset(interactions=(make_interaction(ghost),)), *batch[3:]])
    assert caught.value.key == ghost.id
    assert store.journeys_of(contact.id) == []


def test_commit_many_refused_by_a_stored_version_writes_nothing(
    store: PostgresStore, caplog: pytest.LogCaptureFixture
) -> None:
    batch = _history(4)
    store.commit_many(batch[:3])  # the journey is at version 3
    stale = evolve(batch[2], expected_journey_version=1)
    # Thirty new contacts after it: the refusal comes back while they are still being sent.
    others = [change for _ in range(30) for change in _history(0)]
    with pytest.raises(ConcurrencyConflict, match="is not at version 1"):
        store.commit_many([stale, batch[3], *others])
    assert all(store.find_contact(c.contact.identities[0]) is None for c in others if c.contact)
    assert batch[2].journey is not None
    assert store.get_journey(batch[2].journey.id) == batch[2].journey
    assert len(store.interactions(batch[2].journey.id)) == 2
    # The refusal is the caller's to report: the driver logs nothing about it.
    assert [r.getMessage() for r in caplog.records if r.name.startswith("psycopg")] == []


def test_commit_many_names_the_bad_changeset(store: PostgresStore) -> None:
    batch = _history(2)
    with pytest.raises(ValidationError) as caught:
        store.commit_many([*batch, "not a changeset"])  # type: ignore[list-item]
    assert caught.value.field.startswith("changes[3]")
    with pytest.raises(ValidationError) as caught:
        store.commit_many(batch[0])  # type: ignore[arg-type]
    assert caught.value.field == "changes"


def test_export_and_erase_a_contact(store: PostgresStore) -> None:
    written = _fill(store)
    other = _fill_other(store)
    contact, journey = written.contact, written.journey
    assert contact is not None and journey is not None
    records = store.contact_records(contact.id)
    assert records.contact == contact
    assert records.journeys == (journey,)
    assert records.interactions == written.interactions
    assert records.handoffs == written.handoffs
    assert records.notifications == written.notifications
    store.erase_contact(contact.id)
    with pytest.raises(NotFound):
        store.contact_records(contact.id)
    with pytest.raises(NotFound):
        store.erase_contact(contact.id)
    assert store.find_contact(contact.identities[0]) is None
    assert store.find_journey_by_reference(journey.reference) is None
    assert store.find_journey_by_thread(["<m1@mail>"]) is None
    assert store.interactions(journey.id) == []
    with pytest.raises(NotFound):
        store.get_notification(written.notifications[0].id)
    assert store.get_contact(other.id) == other  # someone else's records stay
    store.commit(Changeset(contact=make_contact(*contact.identities)))  # the identity is free again


def _fill_other(store: PostgresStore) -> Contact:
    contact = make_contact()
    store.commit(Changeset(contact=contact, journey=make_journey(contact)))
    return contact


def test_no_psycopg_error_escapes_a_bad_write(store: PostgresStore) -> None:
    """Whatever PostgreSQL refuses, the caller sees a handoff error."""
    contact = make_contact()
    store.commit(Changeset(contact=contact))
    huge = make_journey(contact, version=2**31)  # beyond PostgreSQL's integer
    with pytest.raises(HandoffError):
        store.commit(Changeset(journey=huge))
    assert store.journeys_of(contact.id) == []


# -- receive's reads in one round trip ---------------------------------------------------------
_EXAMPLES = iter(range(1, 1_000_000))


@given(steps=st.lists(STEP, min_size=1, max_size=8))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_receive_through_load_intake_decides_as_the_plain_reads_do(
    store: PostgresStore, steps: list[Step]
) -> None:
    """The same inbounds, on PostgreSQL (one round trip) and in memory (look-up by look-up)."""
    example = next(_EXAMPLES)
    tested, plain = (
        Switchboard(s, clock=FixedClock(T0 + timedelta(days=2)), ids=SeededIds(example))
        for s in (store, MemoryStore())
    )
    play_side_by_side(tested, plain, steps, start=T0, gap=timedelta(hours=1), tag=example)


def test_every_derived_look_up_is_overridden() -> None:
    """PostgreSQL answers each look-up with one query, never by scanning journeys."""
    derived = {
        name
        for name, value in vars(Store).items()
        if callable(value) and not name.startswith("_") and name not in PRIMITIVES
    } - {"from_url", "close"}
    assert {"journeys_of", "due_notifications", "contact_records"} <= derived
    assert {name for name in derived if getattr(PostgresStore, name) is getattr(Store, name)} == set()
