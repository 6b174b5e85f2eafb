"""The SQLite store: the conformance kit, plus files, schema and SQLite's own failures."""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.errors import StoreError, ValidationError
from handoff.stores import Changeset, SQLiteStore, open_store
from handoff.stores.sqlite._schema import SCHEMA_VERSION
from handoff.testing import StoreConformance
from handoff.testing.factories import (
    append_changeset,
    make_contact,
    make_handoff,
    make_journey,
    make_notification,
)


class TestSQLiteFileStore(StoreConformance):
    supports_multiprocess = True

    def make_store(self, directory: Path) -> SQLiteStore:
        return SQLiteStore(directory / "handoff.db")

    def store_url(self, directory: Path) -> str:
        return f"sqlite:///{directory / 'shared.db'}"


class TestSQLiteMemoryStore(StoreConformance):
    def make_store(self, directory: Path) -> SQLiteStore:
        return SQLiteStore(":memory:")


def _fill(store: SQLiteStore) -> Changeset:
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
    return Changeset(contact=contact, journey=change.journey, interactions=change.interactions)


def test_reopening_a_file_gives_everything_back(tmp_path: Path) -> None:
    path = tmp_path / "handoff.db"
    with SQLiteStore(path) as store:
        written = _fill(store)
        handoffs = store.handoffs(written.interactions[0].journey_id)
        notifications = store.notifications(written.interactions[0].journey_id)
    assert written.contact is not None and written.journey is not None
    with SQLiteStore(path) as again:
        assert again.get_contact(written.contact.id) == written.contact
        assert again.find_contact(written.contact.identities[0]) == written.contact
        assert again.get_journey(written.journey.id) == written.journey
        assert again.interactions(written.journey.id) == list(written.interactions)
        assert again.find_journey_by_thread(["<m1@mail>"]) == written.journey
        assert again.handoffs(written.journey.id) == handoffs
        assert again.notifications(written.journey.id) == notifications


def test_schema_version_and_pragmas_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "handoff.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    try:
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        mode = conn.execute("PRAGMA journal_mode").fetchone()
    finally:
        conn.close()
    assert version == (str(SCHEMA_VERSION),)
    assert mode == ("wal",)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "handoff.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.close()
    with pytest.raises(StoreError, match="upgrade handoff"):
        SQLiteStore(path)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_new_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "private.db"
    with SQLiteStore(path) as store:
        store.commit(Changeset(contact=make_contact()))
        for made in (path, tmp_path / "private.db-wal"):
            assert stat.S_IMODE(made.stat().st_mode) == 0o600, made
    shared = tmp_path / "shared.db"
    shared.touch(mode=0o640)
    shared.chmod(0o640)
    SQLiteStore(shared).close()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o640  # an operator's choice is kept


def test_a_missing_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        SQLiteStore(tmp_path / "no" / "such" / "dir" / "handoff.db")
    assert not isinstance(caught.value.__cause__, StoreError)
    assert isinstance(caught.value.__cause__, sqlite3.Error)


def test_a_corrupt_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "handoff.db"
    path.write_bytes(b"this is not a database, just some text " * 200)
    with pytest.raises(StoreError):
        SQLiteStore(path)


def test_a_damaged_record_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "handoff.db"
    with SQLiteStore(path) as store:
        written = _fill(store)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE journeys SET data = '{\"id\": 3}'")
    conn.close()
    assert written.journey is not None
    with SQLiteStore(path) as store, pytest.raises(StoreError, match="Journey"):
        store.get_journey(written.journey.id)


def test_a_closed_store_refuses_work_and_closes_twice(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "handoff.db")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.get_contact("ct_1")
    with pytest.raises(StoreError, match="closed"):
        store.commit(Changeset(contact=make_contact()))


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///relative.db", "relative.db"),
        ("sqlite:///{tmp}/absolute.db", "{tmp}/absolute.db"),
        ("sqlite://", ":memory:"),
        ("sqlite://:memory:", ":memory:"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_url_forms(url: str, path: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Three slashes then a relative path; an absolute path brings its own fourth slash."""
    monkeypatch.chdir(tmp_path)
    with open_store(url.format(tmp=tmp_path)) as store:
        assert isinstance(store, SQLiteStore)
        assert store.path == path.format(tmp=tmp_path)
    if path != ":memory:":
        assert Path(tmp_path, path.format(tmp=tmp_path)).exists()


@pytest.mark.parametrize("url", ["sqlite:relative.db", "sqlite://host/file.db", "sqlite:///"])
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SQLiteStore.from_url(url)
    assert caught.value.field == "url"


@pytest.mark.parametrize("query", ["?mode=ro", "?", "?cache=shared&mode=rwc"])
@pytest.mark.parametrize("path", ["/x.db", "/:memory:", ""])
def test_query_parameters_are_refused(
    path: str, query: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Options are keyword arguments; a '?' would otherwise become part of a new file's name."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError) as caught:
        open_store(f"sqlite://{path}{query}")
    assert caught.value.field == "url"
    assert "keyword arguments to SQLiteStore" in caught.value.problem
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=60, deadline=None)
@given(seconds=st.floats() | st.integers(-(2**64), 2**64))
def test_busy_timeout_is_finite_seconds_sqlite_can_keep(seconds: float) -> None:
    """PRAGMA busy_timeout holds 32-bit milliseconds; anything else is refused by name."""
    if not 0 <= seconds <= 2_147_483:  # NaN included
        with pytest.raises(ValidationError) as caught:
            SQLiteStore(":memory:", busy_timeout=seconds)
        assert caught.value.field == "busy_timeout"
        return
    with SQLiteStore(":memory:", busy_timeout=seconds) as store:
        assert store._conn is not None
        assert store._conn.execute("PRAGMA busy_timeout").fetchone()[0] == round(seconds * 1000)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=30) | st.text(st.characters() | st.characters(categories=["Cs"]), max_size=30))
def test_any_text_is_stored_or_refused_cleanly(text: str, tmp_path: Path) -> None:
    """Lone surrogates cannot be written to SQLite: refused as invalid input, never a UnicodeError.
    NUL in a key (here the external id) is refused by every backend, naming the field."""
    # A file per example: two examples with the same text would otherwise share an external id.
    with SQLiteStore(tmp_path / f"text-{secrets.token_hex(6)}.db") as store:
        contact = make_contact()
        store.commit(Changeset(contact=contact))
        journey = make_journey(contact)
        store.commit(Changeset(journey=journey))
        change = append_changeset(journey, body=text, external_id=text if text.strip() else None)
        try:
            store.commit(change)
        except ValidationError as exc:
            nul_key = "\x00" in text and text.strip() and exc.field == "interactions[0].external_id"
            assert nul_key or any(0xD800 <= ord(c) <= 0xDFFF for c in text)
            assert store.interactions(journey.id) == []
            return
        assert store.interactions(journey.id) == list(change.interactions)
        if text.strip():
            assert store.find_interaction("email", text) == change.interactions[0]


def _vm_steps(store: SQLiteStore, work: Callable[[], object]) -> int:
    """SQLite virtual-machine instructions ``work`` runs: a cost measure that is not a clock."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    conn = store._conn
    assert conn is not None
    conn.set_progress_handler(count, 1)
    try:
        work()
    finally:
        conn.set_progress_handler(None, 1)
    return steps


def test_append_cost_does_not_grow_with_the_journey() -> None:
    with SQLiteStore(":memory:") as store:
        contact = make_contact()
        journey = make_journey(contact)
        store.commit(Changeset(contact=contact, journey=journey))

        def append() -> int:
            """Append one interaction with a notification; return the commit's cost."""
            nonlocal journey
            change = append_changeset(journey, notifications=(make_notification(journey),))
            assert change.journey is not None
            journey = change.journey
            return _vm_steps(store, lambda: store.commit(change))

        def read() -> int:
            return _vm_steps(store, lambda: store.interactions(journey.id, last=5))

        for _ in range(10):
            append()
        early = (append(), read())
        for _ in range(1000):
            append()
        late = (append(), read())
    # A B-tree may grow a level; a cost proportional to the history would be ~100 times more.
    assert late[0] < 2 * early[0], (early, late)
    assert late[1] < 2 * early[1], (early, late)
