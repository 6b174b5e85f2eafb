"""Kept journey tallies: a report reads one row per journey, and never a stale one.

SQLite and PostgreSQL keep each journey's :class:`MetricTally` after a report; the next
report reads it while the journey's version is the one it was made from, and walks the
history of every journey that moved on. Every report here is held to the pure path
over the models, so a tally that survived a change would show as a wrong figure.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from handoff.clock import FixedClock, SeededIds, micros
from handoff.errors import HandoffError, HandoffWarning, StoreError, ValidationError
from handoff.events import Inbound
from handoff.metrics import BusinessCalendar, KpiReport, journey_records, kpis, refresh_tallies
from handoff.metrics._tally import TALLY_FORM, tally
from handoff.metrics.calendar import Worktime
from handoff.stores import SQLiteStore, open_store
from handoff.stores.base import MetricJourney, MetricTallies, MetricTally, Store
from handoff.switchboard import Switchboard
from tests.metrics_build import T0, populate

START, END = T0 - timedelta(days=1), T0 + timedelta(days=60)
HOURS = BusinessCalendar.weekly("Europe/Madrid", {"mon-fri": "09:00-17:00"}, holidays=[date(2025, 3, 19)])
SLICES = [("channel",), ("path", "reason"), ("agent", "week")]


def _expected(
    store: Store, by: tuple[str, ...] = ("channel",), hours: BusinessCalendar | None = HOURS
) -> KpiReport:
    return kpis(list(journey_records(store, START, END)), START, END, by=by, business_hours=hours)


def _same(got: KpiReport, expected: KpiReport) -> None:
    assert got.to_records() == expected.to_records()
    assert got.rows == expected.rows
    assert got.total == expected.total


def _split(store: MetricTallies, form: int = TALLY_FORM) -> tuple[list[MetricTally], list[MetricJourney]]:
    kept: list[MetricTally] = []
    walked: list[MetricJourney] = []
    for item in store.metric_tallies(START, END, form=form):
        if isinstance(item, MetricJourney):
            walked.append(item)
        else:
            kept.append(item)
    return kept, walked


def _count(store: Store) -> int:
    return len(list(store.journeys_opened(START, END)))  # type: ignore[attr-defined]


def _plain(item: MetricTally) -> tuple[object, ...]:
    """A tally with its sequences as tuples: a store may give answers back as bytes."""
    return (
        *item[:6],
        tuple(item.waits),
        *item[7:12],
        tuple(item.csat),
        tuple(item.nps),
        tuple(item.ces),
        item[15],
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = (
        f"sqlite:///{tmp_path / 't.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    with open_store(url) as opened:
        populate(Switchboard(opened, clock=FixedClock(T0), ids=SeededIds(5)), 5, journeys=30)
        yield opened


def test_the_first_report_keeps_a_tally_per_journey_and_the_next_reads_them(store: Store) -> None:
    assert isinstance(store, MetricTallies)
    expected = _expected(store)
    kept, walked = _split(store)
    assert kept == [] and len(walked) == _count(store) > 10
    _same(kpis(store, START, END, business_hours=HOURS), expected)
    kept, walked = _split(store)
    assert walked == [] and len(kept) == _count(store)
    assert sorted(map(_plain, kept)) == sorted(_plain(tally(j)) for j in store.metric_journeys(START, END))
    for by in SLICES:  # every slicing is answered from the kept tallies alone
        for hours in (None, HOURS):
            _same(kpis(store, START, END, by=by, business_hours=hours), _expected(store, by, hours))
    assert _split(store)[1] == []


def test_a_journey_that_moves_on_is_walked_again(store: Store) -> None:
    assert isinstance(store, MetricTallies)
    kpis(store, START, END)
    board = Switchboard(store, clock=FixedClock(T0 + timedelta(days=30)), ids=SeededIds(6))
    journey = next(j for j in store.journeys_opened(START, END) if j.status != "resolved")
    board.reply(journey.id, agent="kim", body="Sorted now", at=T0 + timedelta(days=30))
    board.resolve(journey.id, by="kim", at=T0 + timedelta(days=30, minutes=5))
    kept, walked = _split(store)
    assert [j.id for j in walked] == [journey.id]
    assert journey.id not in {t.id for t in kept}
    _same(kpis(store, START, END, by=("agent",), business_hours=HOURS), _expected(store, ("agent",)))
    assert _split(store)[1] == []


def test_a_new_journey_of_the_same_contact_changes_first_contact_resolution(store: Store) -> None:
    # The next contact is read with the tally, never kept: a comeback counts at once.
    kpis(store, START, END, by=())
    first = next(j for j in store.journeys_opened(START, END) if j.status == "resolved")
    contact = store.get_contact(first.contact_id)
    assert first.resolved_at is not None
    board = Switchboard(store, clock=FixedClock(first.resolved_at), ids=SeededIds(9))
    board.receive(
        Inbound(
            channel="chat",
            identity=str(contact.identities[0]),
            body="a brand new problem",
            at=first.resolved_at + timedelta(hours=1),
            external_id="comeback-1",
        )
    )
    _same(kpis(store, START, END, by=(), business_hours=HOURS), _expected(store, ()))


def test_tallies_of_another_form_are_not_read(store: Store) -> None:
    assert isinstance(store, MetricTallies)
    kpis(store, START, END)
    kept, walked = _split(store, form=TALLY_FORM + 1)
    assert kept == [] and len(walked) == _count(store) > 10


def test_an_older_tally_never_replaces_a_newer_one(store: Store) -> None:
    assert isinstance(store, MetricTallies)
    kpis(store, START, END)
    kept, _ = _split(store)
    newest = kept[0]
    older = newest._replace(version=newest.version - 1, entry_channel="fax", reopens=99)
    store.keep_tallies([older], form=TALLY_FORM)
    assert newest.id in {t.id for t in _split(store)[0]}
    assert {t.entry_channel for t in _split(store)[0]} == {t.entry_channel for t in kept}
    store.keep_tallies([older._replace(id="jr_never_stored")], form=TALLY_FORM)  # dropped, no error
    assert len(_split(store)[0]) == _count(store)


def test_erasing_a_contact_removes_its_tallies(store: Store) -> None:
    assert isinstance(store, MetricTallies)
    kpis(store, START, END)
    journey = next(iter(store.journeys_opened(START, END)))
    theirs = {j.id for j in store.journeys_of(journey.contact_id)}
    store.erase_contact(journey.contact_id)
    kept, walked = _split(store)
    assert walked == [] and not theirs & {t.id for t in kept}
    assert len(kept) == _count(store) and theirs


def test_bad_tallies_and_forms_are_refused_naming_the_field(store: Store) -> None:
    assert isinstance(store, MetricTallies)
    kpis(store, START, END)
    good = _split(store)[0][0]
    cases = [
        ([object()], TALLY_FORM, "tallies[0]"),
        ([good, good._replace(waits=[1, 2, 3])], TALLY_FORM, "tallies[1].waits"),
        ([good._replace(waits=["soon", "later"])], TALLY_FORM, "tallies[0].waits"),
        ([good._replace(csat=(300,))], TALLY_FORM, "tallies[0].csat"),
        ([good], 0, "form"),
        ([good], "1", "form"),
        (None, TALLY_FORM, "tallies"),
        (iter([good]), TALLY_FORM, "tallies"),
    ]
    for tallies, form, field in cases:
        with pytest.raises(ValidationError) as caught:
            store.keep_tallies(tallies, form=form)  # type: ignore[arg-type]
        assert caught.value.field == field
    with pytest.raises(ValidationError):
        list(store.metric_tallies(START, END, form=-1))
    assert len(_split(store)[0]) == _count(store)  # nothing kept was lost


def test_a_store_that_cannot_keep_tallies_still_reports(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(tallies: object, *, form: int) -> None:
        raise StoreError("the database is read-only")

    monkeypatch.setattr(store, "keep_tallies", refuse)
    with pytest.warns(HandoffWarning, match=r"\d+ new journey tallies could not be kept.*read-only"):
        report = kpis(store, START, END, business_hours=HOURS)
    _same(report, _expected(store))


def test_tallies_refreshed_ahead_of_a_report_make_it_read_tallies_alone(store: Store) -> None:
    assert isinstance(store, MetricTallies)
    count = _count(store)
    assert refresh_tallies(store, START, END) == count > 10
    kept, walked = _split(store)
    assert walked == [] and len(kept) == count
    assert refresh_tallies(store, START, END) == 0  # nothing moved on since
    journey = next(j for j in store.journeys_opened(START, END) if j.status != "resolved")
    board = Switchboard(store, clock=FixedClock(T0 + timedelta(days=30)), ids=SeededIds(8))
    board.reply(journey.id, agent="kim", body="On it", at=T0 + timedelta(days=30))
    assert refresh_tallies(store, START, END) == 1
    assert _split(store)[1] == []
    _same(kpis(store, START, END, by=("agent",), business_hours=HOURS), _expected(store, ("agent",)))
    # A period that holds none of the journeys makes none.
    assert refresh_tallies(store, END, END + timedelta(days=1)) == 0


def test_refreshing_tallies_refuses_what_it_cannot_do(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError) as caught:
        refresh_tallies(store, END, START)
    assert caught.value.field == "end"
    with open_store("memory://") as memory, pytest.raises(ValidationError, match="MetricTallies") as caught:
        refresh_tallies(memory, START, END)
    assert caught.value.field == "store"

    def refuse(tallies: object, *, form: int) -> None:
        raise StoreError("the database is read-only")

    monkeypatch.setattr(store, "keep_tallies", refuse)  # unlike a report, this is the point
    with pytest.raises(StoreError, match="read-only"):
        refresh_tallies(store, START, END)


def test_sqlite_reads_the_same_whichever_plan_it_picks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A long period is read by scanning and sorting, a short one journey by journey; both
    # for the kept tallies (the next contact) and for the journeys without one.
    with SQLiteStore(tmp_path / "p.db") as store:
        board = Switchboard(store, clock=FixedClock(T0), ids=SeededIds(3))
        populate(board, 3, journeys=30)
        expected = _expected(store, ("path", "agent"))
        for share in (0.0, 2.0, 0.0, 2.0):  # walked twice: first everything, then nothing
            monkeypatch.setattr(SQLiteStore, "_metrics_scan_share", share)
            _same(kpis(store, START, END, by=("path", "agent"), business_hours=HOURS), expected)
            with closing(sqlite3.connect(tmp_path / "p.db")) as conn, conn:  # a few become stale
                conn.execute(
                    "DELETE FROM journey_tallies WHERE journey_id IN (SELECT id FROM journeys LIMIT 7)"
                )
            _same(kpis(store, START, END, by=("path", "agent"), business_hours=HOURS), expected)


class _Confused(SQLiteStore):
    """A backend whose tally stream yields something else: the report says whose fault it is."""

    def metric_tallies(
        self, start: datetime, end: datetime, *, form: int
    ) -> Iterator[MetricTally | MetricJourney]:
        yield ("not", "a", "tally")  # type: ignore[misc]


def test_a_tally_stream_of_something_else_is_a_store_error() -> None:
    with (
        _Confused(":memory:") as store,
        pytest.raises(StoreError, match=r"_Confused\.metric_tallies gave a tuple"),
    ):
        kpis(store, START, END)


# -- business seconds of many waits at once -------------------------------------------------

_MADRID = BusinessCalendar.weekly(
    "Europe/Madrid",
    {"mon-fri": "08:00-13:00, 15:00-19:00", "sat": "10:00-14:00"},
    holidays=[date(2025, 12, 25), date(2026, 1, 1), date(2026, 3, 30)],
)
_LOW = micros(datetime(2024, 12, 20, tzinfo=timezone.utc))
_HIGH = micros(datetime(2027, 1, 10, tzinfo=timezone.utc))
_instants = st.integers(_LOW, _HIGH)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_instants, st.one_of(_instants, st.integers(0, 10**10))), max_size=40))
def test_business_seconds_of_many_pairs_match_one_by_one(spans: list[tuple[int, int]]) -> None:
    # The second instant is absolute or a short wait after the first: most waits are short.
    pairs = [(s, e if e > 10**10 else s + e) for s, e in spans]
    worktime = Worktime(_MADRID)  # a fresh table: the batch must grow it as one call would
    flat = [x for pair in pairs for x in pair]
    one_by_one = [Worktime(_MADRID).seconds_between(s, e) for s, e in pairs]
    assert list(worktime.seconds_between_pairs(flat)) == one_by_one


def test_business_seconds_of_pairs_refuse_what_is_not_pairs_of_instants() -> None:
    worktime = Worktime(_MADRID)
    for bad, problem in (
        ([1, 2, 3], "pairs, got 3 instants"),
        ([1.5, 2.5], "whole numbers"),
        (["a", "b"], "whole"),
    ):
        with pytest.raises(ValidationError, match=problem) as caught:
            worktime.seconds_between_pairs(bad)  # type: ignore[arg-type]
        assert caught.value.field == "pairs"
    assert list(worktime.seconds_between_pairs([])) == []


# -- a stateful run: receives, replies, resolutions, surveys and reports interleaved ---------


class TalliedReports(RuleBasedStateMachine):
    """Whatever happened since the last report, the next one equals the pure path's."""

    def __init__(self) -> None:
        super().__init__()
        self.store = SQLiteStore(":memory:")
        self.now = T0
        self.board = Switchboard(self.store, clock=FixedClock(T0), ids=SeededIds(11))
        self.sent = 0
        self.reports = 0

    def _tick(self, minutes: int) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now

    def _journeys(self) -> list[str]:
        return [j.id for j in self.store.journeys_opened(START, END)]

    @rule(who=st.integers(0, 3), channel=st.sampled_from(["chat", "email", "sms"]), wait=st.integers(1, 900))
    def customer_writes(self, who: int, channel: str, wait: int) -> None:
        identity = f"phone:+1415555{who:04d}" if channel == "sms" else f"email:c{who}@example.com"
        self.sent += 1
        at = self._tick(wait)
        self.board.receive(
            Inbound(
                channel=channel,
                identity=identity,
                body="order A-12345 again",
                at=at,
                external_id=f"x{self.sent}",
            )
        )

    @rule(pick=st.integers(0, 50), wait=st.integers(1, 600), data=st.data())
    def agent_acts(self, pick: int, wait: int, data: st.DataObject) -> None:
        journeys = self._journeys()
        if not journeys:
            return
        jid = journeys[pick % len(journeys)]
        at = self._tick(wait)
        action = data.draw(st.sampled_from(["reply", "resolve", "rate", "transfer"]))
        try:
            if action == "reply":
                self.board.reply(jid, agent=data.draw(st.sampled_from(["sam", "lee"])), body="On it", at=at)
            elif action == "resolve":
                self.board.resolve(jid, by="sam", at=at)
            elif action == "rate":
                self.board.rate(
                    jid, csat=data.draw(st.integers(1, 5)), nps=data.draw(st.integers(0, 10)), at=at
                )
            else:
                self.board.transfer(jid, to_channel="phone", reason="escalation", by="sam", at=at)
        except HandoffError:
            pass  # a verb this journey's state refuses

    @rule(by=st.sampled_from(SLICES), hours=st.sampled_from([None, HOURS]))
    def report(self, by: tuple[str, ...], hours: BusinessCalendar | None) -> None:
        self.reports += 1
        _same(kpis(self.store, START, END, by=by, business_hours=hours), _expected(self.store, by, hours))

    @invariant()
    def a_kept_tally_is_never_stale(self) -> None:
        versions = {j.id: j.version for j in self.store.journeys_opened(START, END)}
        for item in self.store.metric_tallies(START, END, form=TALLY_FORM):
            if isinstance(item, MetricTally):
                assert versions[item.id] == item.version

    def teardown(self) -> None:
        self.store.close()


TestTalliedReports = TalliedReports.TestCase
TestTalliedReports.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
