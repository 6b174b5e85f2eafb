"""``kpis(store)``: every backend gives exactly the figures the models give.

The same seeded stories are written through the Switchboard into memory, SQLite and
PostgreSQL; the SQL stores reduce each journey in the database (``MetricsSource``), the memory
store journey by journey through the ordinary look-ups, and the reference is the pure
path over ``JourneyRecords``. Reports must be equal to the last bit, medians included.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from array import array
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from handoff.clock import FixedClock, SeededIds, micros
from handoff.errors import HandoffError, StoreError, ValidationError
from handoff.metrics import (
    BusinessCalendar,
    KpiReport,
    journey_records,
    kpis,
    tally,
)
from handoff.metrics.journeys import compact
from handoff.stores import MemoryStore, SQLiteStore, open_store
from handoff.stores.base import JourneyIndex, MetricsSource, MetricTally, Store
from handoff.switchboard import Switchboard
from tests.metrics_build import T0, populate
from tests.pgserver import BACKENDS, backend_url

START, END = T0 - timedelta(days=1), T0 + timedelta(days=40)
HOURS = BusinessCalendar.weekly("Europe/Madrid", {"mon-fri": "09:00-17:00"})
SLICES = [("channel",), ("path",), ("reason", "agent"), ("week",), ("queue", "channel")]


def _fill(store: Store, seed: int) -> Store:
    board = Switchboard(store, clock=FixedClock(T0), ids=SeededIds(seed))
    populate(board, seed)
    return store


def _same(got: KpiReport, expected: KpiReport) -> None:
    assert got.to_records() == expected.to_records()
    assert got.rows == expected.rows  # every duration sample's median, p90 and mean too
    assert got.total == expected.total


@pytest.fixture(params=[1, 2, 3])
def seed(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def memory(seed: int) -> Store:
    return _fill(MemoryStore(), seed)


@pytest.fixture
def sqlite(seed: int, tmp_path: Path) -> Iterator[Store]:
    with SQLiteStore(tmp_path / "m.db") as store:
        yield _fill(store, seed)


def test_sqlite_memory_and_the_models_agree(memory: Store, sqlite: Store) -> None:
    assert isinstance(sqlite, MetricsSource)
    assert isinstance(memory, JourneyIndex) and not isinstance(memory, MetricsSource)
    records = list(journey_records(memory, START, END))
    assert len(records) > 10
    for by in SLICES:
        for hours in (None, HOURS):
            expected = kpis(records, START, END, by=by, business_hours=hours)
            _same(kpis(memory, START, END, by=by, business_hours=hours), expected)
            _same(kpis(sqlite, START, END, by=by, business_hours=hours), expected)


def test_each_journey_reduces_in_the_database_to_the_walks_tally(memory: Store, sqlite: Store) -> None:
    assert isinstance(sqlite, MetricsSource)
    walked = {r.journey.id: _plain(tally(compact(r))) for r in journey_records(memory, START, END)}
    made = list(sqlite.metric_tallies(START, END))
    assert all(t.legs is None for t in made)  # complete as read: nothing left for the KPIs
    reduced = {t.id: _plain(t) for t in made}
    assert reduced == walked
    unsliced = {t.id: t for t in sqlite.metric_tallies(START, END, agents=False)}
    assert {jid: _plain(t._replace(agent=reduced[jid][3])) for jid, t in unsliced.items()} == walked


def _plain(item: MetricTally) -> tuple[object, ...]:
    """A tally with its sequences as tuples: a source may give waits as arrays, answers as bytes."""
    return tuple(tuple(value) if isinstance(value, (array, bytes)) else value for value in item)


def test_a_period_selects_journeys_by_opening_time(sqlite: Store, memory: Store) -> None:
    middle = T0 + timedelta(days=3)
    for store in (sqlite, memory):
        early = kpis(store, START, middle, by=())
        late = kpis(store, middle, END, by=())
        whole = kpis(store, START, END, by=())
        assert early.total.journeys + late.total.journeys == whole.total.journeys


@pytest.mark.parametrize("layout", ["postgres_plain_url", "postgres_partitioned_url"])
def test_postgres_agrees_with_the_models(request: pytest.FixtureRequest, layout: str) -> None:
    seed = 4
    memory = _fill(MemoryStore(), seed)
    with open_store(str(request.getfixturevalue(layout))) as store:
        _fill(store, seed)
        assert isinstance(store, MetricsSource)
        records = list(journey_records(memory, START, END))
        for by in SLICES[:2]:
            for hours in (None, HOURS):
                expected = kpis(records, START, END, by=by, business_hours=hours)
                _same(kpis(store, START, END, by=by, business_hours=hours), expected)
        assert [j.id for j in store.journeys_opened(START, END)] == [r.journey.id for r in records]


def test_an_empty_store_gives_an_empty_report(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "empty.db") as store:
        report = kpis(store, START, END)
    assert report.rows == ()
    assert report.total.journeys == 0
    assert report.total.csat is None


class _BareStore(Store):
    """Only the Store contract (never called here): it cannot list journeys."""


_BareStore.__abstractmethods__ = frozenset()  # type: ignore[misc]


def test_a_store_that_cannot_list_journeys_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        kpis(_BareStore(), START, END)
    assert caught.value.field == "store"


def test_bad_periods_name_the_field(sqlite: Store) -> None:
    assert isinstance(sqlite, MetricsSource)
    with pytest.raises(ValidationError) as caught:
        list(sqlite.metric_tallies(END, START))
    assert caught.value.field == "end"
    with pytest.raises(ValidationError) as caught:
        list(sqlite.metric_tallies(datetime(2025, 1, 1), END))
    assert caught.value.field == "start"
    # Aware bounds in any zone are the same instants: the same journeys come back, also
    # with an end that cuts the period in two.
    elsewhere = timezone(timedelta(hours=-5))
    middle = T0 + timedelta(days=3, hours=2)
    for end in (middle, END):
        in_utc = sorted(j.id for j in sqlite.metric_tallies(START, end))
        moved = sorted(
            j.id for j in sqlite.metric_tallies(START.astimezone(elsewhere), end.astimezone(elsewhere))
        )
        assert in_utc and moved == in_utc


@pytest.mark.parametrize("share", [0.0, 2.0], ids=["scan-and-sort", "walk-the-index"])
def test_both_sqlite_plans_give_the_same_report(
    share: float, memory: Store, sqlite: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SQLiteStore, "_metrics_scan_share", share)
    middle = T0 + timedelta(days=2)
    for start, end in ((START, END), (START, middle)):
        for by in (("channel",), ("reason", "agent")):
            expected = kpis(
                list(journey_records(memory, start, end)), start, end, by=by, business_hours=HOURS
            )
            _same(kpis(sqlite, start, end, by=by, business_hours=HOURS), expected)


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_late_message_that_reopened_a_journey_leaves_it_unresolved(backend: str, tmp_path: Path) -> None:
    """Dated before the resolution but arriving after it, a message reopened the journey:
    the report follows the journey record, not the dates, on every path."""
    from handoff import Inbound

    store: Store = MemoryStore() if backend == "memory" else SQLiteStore(tmp_path / "late.db")
    with store:
        board = Switchboard(store, clock=FixedClock(T0), ids=SeededIds(7))
        ana = "email:ana@example.com"
        journey = board.receive(Inbound(channel="email", identity=ana, body="Hi", at=T0)).journey
        board.reply(journey.id, agent="sam", body="Done", at=T0 + timedelta(minutes=5))
        board.resolve(journey.id, by="sam", at=T0 + timedelta(minutes=30))
        late = Inbound(channel="email", identity=ana, body="One more", at=T0 + timedelta(minutes=20))
        board.receive(late)
        assert board.journey(journey.id).status == "open"
        reference = kpis(journey_records(store, START, END), START, END)
        report = kpis(store, START, END)
        total = report.total
        assert (total.resolved, total.backlog, total.reopen_rate) == (0, 1, 100.0)
        assert total.figure("resolution_s") is None
        _same(report, reference)
        board.resolve(journey.id, by="sam", at=T0 + timedelta(minutes=40))
        total = kpis(store, START, END).total
        assert (total.resolved, total.backlog, total.figure("resolution_s")) == (1, 0, 40 * 60.0)


# -- every SQL store: a file, an in-memory database, PostgreSQL ---------------------------------


@pytest.fixture(params=["file", "memory", *BACKENDS])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path, seed: int) -> Iterator[Store]:
    """A store that reduces journeys in SQL: an SQLite file, an in-memory SQLite database
    and PostgreSQL."""
    if request.param in BACKENDS:
        if seed != 1:
            pytest.skip("one seed is enough for PostgreSQL")
        url = backend_url(request, request.param)
        with open_store(url) as store:
            yield _fill(store, seed)
        return
    with SQLiteStore(tmp_path / "k.db" if request.param == "file" else ":memory:") as store:
        yield _fill(store, seed)


def test_reports_from_every_sql_store_equal_the_walks(sql_store: Store, memory: Store) -> None:
    """A report only reads, and reads the same figures again: each is the walk's."""
    records = list(journey_records(memory, START, END))
    for by in SLICES:
        for hours in (None, HOURS):
            expected = kpis(records, START, END, by=by, business_hours=hours)
            _same(kpis(sql_store, START, END, by=by, business_hours=hours), expected)
            _same(kpis(sql_store, START, END, by=by, business_hours=hours), expected)


def test_an_append_is_in_the_next_report(sql_store: Store, memory: Store) -> None:
    jid = next(iter(sql_store.journeys_opened(START, END))).id
    kpis(sql_store, START, END)
    for store in (sql_store, memory):
        Switchboard(store, clock=FixedClock(T0), ids=SeededIds(99)).reply(
            jid, agent="kim", body="One more thing", at=T0 + timedelta(days=3)
        )
    records = list(journey_records(memory, START, END))
    for by in SLICES:
        _same(kpis(sql_store, START, END, by=by), kpis(records, START, END, by=by))


# -- what the read leaves in the database until a leg needs it ----------------------------------


def _restating_story(store: Store) -> str:
    """A customer gives an order number, then switches channel quoting it again: the
    switch's leg restates a fact only the earlier message holds in full."""
    from handoff import Inbound

    board = Switchboard(store, clock=FixedClock(T0), ids=SeededIds(41))
    ana = "email:ana@example.com"
    first = board.receive(Inbound(channel="email", identity=ana, body="Order A-12345 is late", at=T0))
    jid = first.journey.id
    board.reply(jid, agent="sam", body="Checking", at=T0 + timedelta(minutes=5))
    board.receive(
        Inbound(
            channel="chat",
            identity=ana,
            body="Me again about order A-12345, and my email is ana@example.com",
            at=T0 + timedelta(minutes=30),
            journey_ref=first.journey.reference,
        )
    )
    board.reply(jid, agent="lee", body="Found it", channel="chat", at=T0 + timedelta(minutes=31))
    board.rate(jid, csat=4, at=T0 + timedelta(minutes=40))  # a survey that leaves NPS and CES out
    return jid


@pytest.mark.parametrize("backend", ["sqlite", *BACKENDS])
def test_a_tally_is_complete_when_its_read_closes(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Earlier message text and the fact index are read only when a leg needs them, in
    the open read: a tally taken out of it, and looked at once the store is closed,
    needs nothing more from the store and is the walk's."""
    memory = MemoryStore()
    jid = _restating_story(memory)
    walked = {r.journey.id: _plain(tally(compact(r))) for r in journey_records(memory, START, END)}
    assert walked[jid][10] and walked[jid][10][0].restated == 1  # the order, said before the switch
    url = backend_url(request, backend) if backend in BACKENDS else None
    with open_store(url) if url else SQLiteStore(tmp_path / "t.db") as store:
        _restating_story(store)
        assert isinstance(store, MetricsSource)
        made = list(store.metric_tallies(START, END))
    assert all(t.legs is None for t in made)
    assert {t.id: _plain(t) for t in made} == walked


def test_the_sqlite_read_takes_journeys_and_handoffs_from_their_indexes(sqlite: Store) -> None:
    """The journeys' fields and the handoffs come from the indexes of schema version 8,
    and a row written after the upgrade is in them at once."""
    from handoff.stores.sqlite import _metrics

    assert isinstance(sqlite, SQLiteStore)
    path = str(sqlite._path)
    bounds = {"start": 0, "end": 2**62, "form": 0}
    with closing(sqlite3.connect(path)) as conn:
        journeys = " ".join(str(r) for r in conn.execute("EXPLAIN QUERY PLAN " + _metrics._JOURNEYS, bounds))
        handoffs = " ".join(
            str(r)
            for scan in (True, False)
            for sql in _metrics._LEGS[scan]
            for r in conn.execute("EXPLAIN QUERY PLAN " + sql, bounds)
        )
        fields = conn.execute("SELECT count(*) FROM journeys WHERE metric_fields IS NOT NULL").fetchone()[0]
        total = conn.execute("SELECT count(*) FROM journeys").fetchone()[0]
    assert "journeys_for_metrics" in journeys, journeys
    assert handoffs.count("handoffs_for_metrics") == 4, handoffs
    assert fields == total > 0


def test_the_sqlite_histories_read_no_record(sqlite: Store) -> None:
    """Every column the histories read, each survey's id and answers included (schema
    version 9), is in ``interactions_for_metrics``: reducing a year of history reads no
    interaction's record. (SQLite reads an indexed virtual column from the index, which
    its plan does not call covering: the program shows that no column comes from the
    table.)"""
    from handoff.stores.sqlite import _metrics

    assert isinstance(sqlite, SQLiteStore)
    bounds = {"start": 0, "end": 2**62, "form": 0}
    with closing(sqlite3.connect(str(sqlite._path))) as conn:
        (table,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'interactions'").fetchone()
        for plan in _metrics._PLANS.values():
            program = [row[1:4] for row in conn.execute("EXPLAIN " + plan, bounds)]
            records = {cursor for op, cursor, page in program if op == "OpenRead" and page == table}
            assert records, program  # the plan opens the table (its seeks are deferred) but reads none of it
            assert not [step for step in program if step[0] == "Column" and step[1] in records]
        surveys = conn.execute("SELECT count(*) FROM interactions WHERE kind = 'survey'").fetchone()[0]
        indexed = conn.execute(
            "SELECT count(*) FROM interactions INDEXED BY interactions_for_metrics"
            " WHERE survey_answers LIKE id || ' [%'"
        ).fetchone()[0]
    assert indexed == surveys > 0


@pytest.mark.parametrize("answer", ['"six"', '"9"', '"4.0"', "4"])
def test_a_broken_survey_answer_names_its_interaction(tmp_path: Path, answer: str) -> None:
    """A survey whose stored CSAT a tool broke (not a whole number of the scale, written
    as text) fails the report naming the interaction, from the index's copy of the
    answers; the walk over the models fails with it (a number where text belongs does
    not even load as a model)."""
    path = tmp_path / "survey.db"
    with SQLiteStore(path) as store:
        _restating_story(store)
    with closing(sqlite3.connect(path)) as conn, conn:
        (iid,) = conn.execute("SELECT id FROM interactions WHERE kind = 'survey'").fetchone()
        conn.execute(
            "UPDATE interactions SET data = json_set(data, '$.metadata.csat', json(?)) WHERE id = ?",
            (answer, iid),
        )
    with SQLiteStore(path) as store:
        with pytest.raises(ValidationError, match=rf"interaction {iid}: metadata\['csat'\]"):
            kpis(store, START, END)
        with pytest.raises(HandoffError, match="csat"):
            kpis(list(journey_records(store, START, END)), START, END)


# -- a long cold read, its streams fetched on a thread a slice at a time --------------------------


@pytest.fixture
def sliced(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """SQLite reads any cold period of more than two journeys in slices of two, each
    decoded a row at a time; the list holds each slice reader made."""
    from handoff.stores.sqlite import _metrics, _reader

    made: list[object] = []

    class Counted(_reader.SliceReader):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(_metrics, "SliceReader", Counted)
    monkeypatch.setattr(_metrics, "cores", lambda: 2)
    monkeypatch.setattr(SQLiteStore, "_metrics_slice", 2)
    monkeypatch.setattr(_reader, "_CHUNK", 1)
    return made


def _readers_alive() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "handoff-metrics-reader"]


def test_a_read_in_slices_gives_every_tally_and_report_of_the_walk(
    memory: Store, sqlite: Store, sliced: list[object]
) -> None:
    """Sliced, the streams keep one order (by slice, then by journey); the look-ups of
    the journeys' legs go to a second connection reading the same snapshot."""
    assert isinstance(sqlite, MetricsSource)
    walked = {r.journey.id: _plain(tally(compact(r))) for r in journey_records(memory, START, END)}
    made = list(sqlite.metric_tallies(START, END))
    assert len(sliced) == 1 and len(made) == len(walked) > 4
    assert {t.id: _plain(t) for t in made} == walked
    records = list(journey_records(memory, START, END))
    for by in SLICES:
        _same(
            kpis(sqlite, START, END, by=by, business_hours=HOURS),
            kpis(records, START, END, by=by, business_hours=HOURS),
        )
    assert not _readers_alive()


def test_a_read_in_slices_looks_up_the_snapshot_it_streams(
    tmp_path: Path, sliced: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write committed once the read has begun is in neither its streams nor its
    look-ups: the restating leg's fact index and earlier text are read from the second
    connection as they were (had it seen the write, the leg would restate nothing)."""
    from handoff.stores.sqlite import _metrics

    memory = MemoryStore()
    jid = _restating_story(memory)
    _fill(memory, 5)
    walked = {r.journey.id: _plain(tally(compact(r))) for r in journey_records(memory, START, END)}
    path = tmp_path / "s.db"
    pinned = _metrics.reader_beside

    @contextmanager
    def then_a_write(*args: Any) -> Iterator[object]:
        with pinned(*args) as beside:
            assert beside is not None
            with closing(sqlite3.connect(path)) as writer, writer:
                writer.execute(
                    "UPDATE journeys SET data = json_set(data, '$.facts', json('[]')) WHERE id = ?", (jid,)
                )
                writer.execute(
                    "UPDATE interactions SET data = json_set(data, '$.body', 'hello')"
                    " WHERE journey_id = ? AND author = 'customer' AND channel = 'email'",
                    (jid,),
                )
                writer.execute("DELETE FROM handoffs WHERE journey_id <> ?", (jid,))
            yield beside

    with SQLiteStore(path) as store:
        _restating_story(store)
        _fill(store, 5)
        monkeypatch.setattr(_metrics, "reader_beside", then_a_write)
        made = {t.id: _plain(t) for t in store.metric_tallies(START, END)}
        assert sliced and made == walked and made[jid][10][0][5] == 1
        monkeypatch.setattr(_metrics, "reader_beside", pinned)
        after = {t.id: t for t in store.metric_tallies(START, END)}
    assert after[jid].handoffs[0].restated == 0  # the write, read by the next report


def test_a_long_read_beside_a_writer_reads_on_one_thread(
    memory: Store, sqlite: Store, sliced: list[object], tmp_path: Path
) -> None:
    """A writer holding the file's lock is not waited for: the read keeps to the
    store's connection, and gives the walk's tallies all the same."""
    assert isinstance(sqlite, MetricsSource)
    walked = {r.journey.id: _plain(tally(compact(r))) for r in journey_records(memory, START, END)}
    with closing(sqlite3.connect(tmp_path / "m.db", isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        made = {t.id: _plain(t) for t in sqlite.metric_tallies(START, END)}
        writer.execute("ROLLBACK")
    assert made == walked and not sliced
    assert {t.id: _plain(t) for t in sqlite.metric_tallies(START, END)} == walked and sliced


def test_a_read_that_walks_the_index_takes_no_second_connection(
    sqlite: Store, sliced: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A period that holds a small share of the store is walked journey by journey on
    the store's connection: no thread, no second connection, no write lock taken."""
    from handoff.stores.sqlite import _metrics

    pinned: list[object] = []
    monkeypatch.setattr(_metrics, "reader_beside", lambda *args: pinned.append(args))
    monkeypatch.setattr(SQLiteStore, "_metrics_scan_share", 1.5)
    assert isinstance(sqlite, MetricsSource)
    assert len(list(sqlite.metric_tallies(START, END))) > 4
    assert not sliced and not pinned


def test_a_store_opened_by_a_relative_path_reads_its_own_file_after_a_chdir(
    tmp_path: Path, sliced: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connections a read opens beside the store's (the snapshot's second one, and
    the one that pins it) find the store's file wherever the process moved."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(tmp_path)
    memory = _fill(MemoryStore(), 4)
    walked = {r.journey.id: _plain(tally(compact(r))) for r in journey_records(memory, START, END)}
    with SQLiteStore("relative.db") as store:
        _fill(store, 4)
        monkeypatch.chdir(elsewhere)
        assert {t.id: _plain(t) for t in store.metric_tallies(START, END)} == walked and sliced
        assert store.path == "relative.db"
    assert list(elsewhere.iterdir()) == []  # no file made where the process moved


def test_a_read_in_slices_left_early_stops_its_thread(sqlite: Store, sliced: list[object]) -> None:
    assert isinstance(sqlite, MetricsSource)
    tallies = sqlite.metric_tallies(START, END)
    first = next(tallies)
    tallies.close()
    assert first.id and sliced and not _readers_alive()
    assert len(list(sqlite.metric_tallies(START, END))) > 4  # the store reads on as before


def test_a_slice_that_fails_is_a_store_error(
    sqlite: Store, sliced: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    from handoff.stores.sqlite import _metrics

    broken = (
        "SELECT j.id, json('not json'), 0, 0, 0, 0 FROM journeys j WHERE j.opened_at >= :start AND :end > 0"
    )
    monkeypatch.setitem(_metrics._LEGS, True, (_metrics._LEGS[True][0], broken))
    with pytest.raises(StoreError, match="malformed JSON"):
        list(sqlite.metric_tallies(START, END))
    assert not _readers_alive()


def test_one_core_reads_without_a_thread(
    sqlite: Store, sliced: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread pays only beside a second core; with one the streams are read in turn."""
    from handoff.stores.sqlite import _metrics

    assert isinstance(sqlite, MetricsSource)
    monkeypatch.setattr(_metrics, "cores", lambda: 1)
    assert len(list(sqlite.metric_tallies(START, END))) > 4
    assert not sliced


def test_a_tally_that_fails_in_a_read_in_slices_stops_its_thread(
    tmp_path: Path, sliced: list[object]
) -> None:
    """An error in the calling thread (a survey answer a tool broke) ends the read: the
    reading thread is stopped, and the store serves the next read."""
    path = tmp_path / "broken.db"
    with SQLiteStore(path) as store:
        _restating_story(store)
        _fill(store, 6)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "UPDATE interactions SET data = json_set(data, '$.metadata.csat', 'six') WHERE kind = 'survey'"
        )
    with SQLiteStore(path) as store:
        with pytest.raises(ValidationError, match="metadata"):
            kpis(store, START, END)
        assert sliced and not _readers_alive()
        assert len(list(store.journeys_opened(START, END))) > 4  # the read's transaction is over


@pytest.mark.parametrize("slow", [False, True], ids=["as-fast-as-it-goes", "reading-thread-slow"])
@pytest.mark.parametrize("size", [4, 6])
def test_a_read_in_slices_is_shared_by_both_threads_in_short_slices_at_the_ends(
    memory: Store, sqlite: Store, size: int, slow: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every journey is in exactly one slice, and the tallies are the walk's, whichever
    thread read each slice. The first two slices and those once fewer than two are left
    are a quarter of the others (the calling thread starts at once and has little left
    to tally at the end); a slice the calling thread reads rather than wait for one is
    a quarter too. With the reading thread slow, the calling thread reads slices itself."""
    from handoff.stores.sqlite import _metrics, _reader

    read: list[tuple[int, int, int, bool]] = []  # start, end, journeys, read by the calling thread
    me = threading.get_ident()

    class Measured(_reader.SliceReader):
        def _read(self, conn: sqlite3.Connection, params: dict[str, Any]) -> list[str | None]:
            mine = threading.get_ident() == me
            if slow and not mine:
                time.sleep(0.05)
            texts = super()._read(conn, params)
            journeys = 0 if texts[0] is None else texts[0].count("\0") + 1
            read.append((params["start"], params["end"], journeys, mine))
            return texts

    assert isinstance(sqlite, MetricsSource)
    monkeypatch.setattr(_metrics, "SliceReader", Measured)
    monkeypatch.setattr(_metrics, "cores", lambda: 2)
    monkeypatch.setattr(SQLiteStore, "_metrics_slice", size)
    walked = {r.journey.id: _plain(tally(compact(r))) for r in journey_records(memory, START, END)}
    assert {t.id: _plain(t) for t in sqlite.metric_tallies(START, END)} == walked
    read.sort()
    assert [end for _, end, _, _ in read[:-1]] == [start for start, _, _, _ in read[1:]]
    assert (read[0][0], read[-1][1]) == (micros(START), micros(END))
    quarter, counts = size // 4, [journeys for _, _, journeys, _ in read]
    assert sum(counts) == len(walked) >= 2 * size and all(0 < n <= size for n in counts)
    assert counts[:2] == [quarter, quarter]
    for k, n in enumerate(counts):
        if sum(counts[k:]) <= 2 * size or read[k][3]:
            assert n == quarter or (k == len(counts) - 1 and n <= quarter)
    if slow:
        assert any(mine for *_, mine in read)


def test_journeys_opened_at_one_instant_stay_in_one_slice(tmp_path: Path, sliced: list[object]) -> None:
    """Slices are cut between opening times: journeys opened at one instant are read in
    one slice (a slice then holds more than its size), none twice and none lost."""
    from handoff.stores.sqlite import _metrics

    path = tmp_path / "ties.db"
    with SQLiteStore(path) as store:
        _fill(store, 2)
    with closing(sqlite3.connect(path)) as conn, conn:
        opened = [at for (at,) in conn.execute("SELECT opened_at FROM journeys ORDER BY opened_at")]
        # Five journeys opened at the first instant, four at a later one.
        conn.execute("UPDATE journeys SET opened_at = ? WHERE opened_at <= ?", (opened[0], opened[4]))
        conn.execute(
            "UPDATE journeys SET opened_at = ? WHERE opened_at BETWEEN ? AND ?", (opened[9], *opened[9:13:3])
        )
    with SQLiteStore(path) as store:
        assert isinstance(store, MetricsSource)
        read = [_plain(t) for t in store.metric_tallies(START, END)]
        assert sliced
        with pytest.MonkeyPatch.context() as patched:
            patched.setattr(_metrics, "cores", lambda: 1)  # the same read, not sliced
            whole = [_plain(t) for t in store.metric_tallies(START, END)]
    assert len(sliced) == 1
    assert sorted(read) == sorted(whole) and len({t[0] for t in read}) == len(opened)
