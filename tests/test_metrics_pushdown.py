"""Reports pushed down to the database give the walk's figures, bit for bit.

Hypothesis draws histories (reopens, replies across a DST change and over weekends,
journeys nobody answers, surveys answering every scale or only some, switches and
transfers, the transfers routed to a queue and the customer's switches not, customers
quoting again after a switch what they said before it), writes the same history
through the Switchboard into memory, SQLite and PostgreSQL, and holds every SQL
store's report to the report the walk makes from the models, in calendar time and in
business hours, for every slicing, and for a period with no journey in it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from handoff.clock import FixedClock, SeededIds
from handoff.errors import HandoffError
from handoff.events import Inbound
from handoff.metrics import BusinessCalendar, KpiReport, journey_records, kpis
from handoff.policy import Policy
from handoff.stores import MemoryStore, SQLiteStore, open_store
from handoff.stores.base import Store
from handoff.switchboard import Switchboard
from tests.metrics_build import T0
from tests.pgserver import PARTITIONS, PgServer

# Sunday 30 March 2025 the clocks in Madrid go forward; 26 October they go back.
STARTS = [
    datetime(2025, 3, 28, 16, 0, tzinfo=timezone.utc),  # a Friday afternoon before the change
    datetime(2025, 10, 25, 22, 30, tzinfo=timezone.utc),  # a Saturday night before it goes back
    datetime(2025, 3, 12, 8, 0, tzinfo=timezone.utc),  # a Wednesday morning
]
HOURS = BusinessCalendar.weekly(
    "Europe/Madrid",
    {"mon-fri": "09:00-13:30, 15:00-18:00", "sat": "10:00-14:00"},
    holidays=[date(2025, 3, 31)],
)
SLICES = [("channel",), ("path", "reason"), ("agent", "week"), ("queue", "channel"), ()]
# Transfers are routed to a queue of their own; a customer's switch is not routed at all.
ROUTED_TRANSFERS = Policy.from_toml("""
extends = "default"
drop = ["route"]

[[rules]]
name = "desk"
on = ["transfer_requested"]
actions = [{ do = "route", queue = "desk-{channel}", reason = "transfers go to the desk" }]
""")
WORDS = ["hi", "order A-1042 is late", "my email is ana@example.com", "call +14155550100", "still here"]

action = st.one_of(
    st.tuples(
        st.just("write"), st.integers(0, 2), st.sampled_from(["chat", "email", "sms"]), st.sampled_from(WORDS)
    ),
    st.tuples(st.just("reply"), st.integers(0, 5), st.sampled_from(["sam", "lee", "bot"]), st.just("")),
    st.tuples(st.just("resolve"), st.integers(0, 5), st.just(""), st.just("")),
    st.tuples(
        st.just("rate"),
        st.integers(0, 5),
        st.integers(1, 5).map(str),
        st.sampled_from(["all", "csat", "nps"]),
    ),
    st.tuples(st.just("transfer"), st.integers(0, 5), st.sampled_from(["phone", "chat"]), st.just("")),
    st.tuples(
        st.just("switch"),
        st.integers(0, 2),
        st.sampled_from(["chat", "email", "sms"]),
        st.sampled_from(WORDS),
    ),
)
histories = st.tuples(
    st.sampled_from(STARTS),
    st.lists(st.tuples(action, st.integers(0, 2000)), min_size=1, max_size=30),
)


def _identity(who: int, channel: str) -> str:
    return f"phone:+1415555{who:04d}" if channel == "sms" else f"email:c{who}@example.com"


def tell(store: Store, start: datetime, steps: list[tuple[tuple[object, ...], int]]) -> None:
    """Write the drawn history; a verb the journey's state refuses is skipped on every store alike."""
    board = Switchboard(store, policy=ROUTED_TRANSFERS, clock=FixedClock(start), ids=SeededIds(3))
    now = start
    opened: list[str] = []
    for n, ((verb, pick, arg, body), minutes) in enumerate(steps):
        now += timedelta(minutes=minutes)
        try:
            if verb in ("write", "switch"):
                who = int(pick)  # type: ignore[call-overload]
                ref = None
                if verb == "switch" and opened:
                    ref = store.get_journey(opened[who % len(opened)]).reference
                out = board.receive(
                    Inbound(
                        channel=str(arg),
                        identity=_identity(who, str(arg)),
                        body=str(body),
                        at=now,
                        external_id=f"m{n}",
                        journey_ref=ref,
                    )
                )
                if out.journey.id not in opened:
                    opened.append(out.journey.id)
                continue
            if not opened:
                continue
            jid = opened[int(pick) % len(opened)]  # type: ignore[call-overload]
            if verb == "reply":
                board.reply(jid, agent=str(arg), body="On it", bot=arg == "bot", at=now)
            elif verb == "resolve":
                board.resolve(jid, by="sam", at=now)
            elif verb == "rate":
                score = int(str(arg))
                if body == "csat":  # a survey that leaves some scales out
                    board.rate(jid, csat=score, at=now)
                elif body == "nps":
                    board.rate(jid, nps=score * 2, ces=score + 1, at=now)
                else:
                    board.rate(jid, csat=score, nps=score * 2, ces=score + 1, at=now)
            else:
                board.transfer(jid, to_channel=str(arg), reason="escalation", by="sam", at=now)
        except HandoffError:
            continue


def _same(got: KpiReport, expected: KpiReport) -> None:
    assert got.to_records() == expected.to_records()
    assert got.rows == expected.rows  # every sample's count, median, p90 and mean
    assert got.total == expected.total


def _agree(memory: Store, others: list[Store], start: datetime) -> None:
    begin, end = start - timedelta(days=1), start + timedelta(days=90)
    records = list(journey_records(memory, begin, end))
    for by in SLICES:
        for hours in (None, HOURS):
            expected = kpis(records, begin, end, by=by, business_hours=hours)
            for store in [memory, *others]:
                _same(kpis(store, begin, end, by=by, business_hours=hours), expected)
    empty = (end + timedelta(days=1), end + timedelta(days=8))
    for store in [memory, *others]:
        report = kpis(store, *empty, business_hours=HOURS)
        assert report.rows == () and report.total.journeys == 0 and report.total.csat is None


@pytest.fixture
def sqlite_dir(tmp_path: Path) -> Path:
    return tmp_path


_counter = itertools.count()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories)
def test_sqlite_reports_equal_the_walk(sqlite_dir: Path, history: tuple[datetime, list]) -> None:
    start, steps = history
    memory = MemoryStore()
    tell(memory, start, steps)
    number = next(_counter)
    with SQLiteStore(sqlite_dir / f"h{number}.db") as sqlite:
        if number % 2:  # every other example reads its journeys on a thread, one per slice
            sqlite._metrics_slice = 1  # type: ignore[misc]
        tell(sqlite, start, steps)
        _agree(memory, [sqlite], start)


@pytest.fixture
def postgres_stores(postgres: PgServer) -> Iterator[list[str]]:
    """Schema names, one per example, dropped at the end."""
    import psycopg
    from psycopg import sql

    made: list[str] = []
    yield made
    with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
        for name in made:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories)
def test_postgres_and_sqlite_reports_equal_the_walk(
    postgres: PgServer, postgres_stores: list[str], sqlite_dir: Path, history: tuple[datetime, list]
) -> None:
    start, steps = history
    memory = MemoryStore()
    tell(memory, start, steps)
    name = f"p_{next(_counter)}_{id(postgres_stores) % 10000}"
    postgres_stores += (name, f"{name}_parts")
    with (
        open_store(postgres.url(schema=name)) as pg,
        open_store(postgres.url(schema=f"{name}_parts", partitions=str(PARTITIONS))) as partitioned,
        SQLiteStore(sqlite_dir / f"p{name}.db") as sqlite,
    ):
        tell(pg, start, steps)
        tell(partitioned, start, steps)
        tell(sqlite, start, steps)
        _agree(memory, [sqlite, pg, partitioned], start)


START_, END_ = T0 - timedelta(days=1), T0 + timedelta(days=60)
T0_HOURS = BusinessCalendar.weekly("Europe/Madrid", {"mon-fri": "09:00-17:00"}, holidays=[date(2025, 3, 19)])


# -- a stateful run: receives, replies, resolutions, surveys and reports interleaved -----------


class InterleavedReports(RuleBasedStateMachine):
    """Whatever happened since the last report, SQLite's next one equals the walk's."""

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
        return [j.id for j in self.store.journeys_opened(START_, END_)]

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

    @rule(by=st.sampled_from(SLICES[:4]), hours=st.sampled_from([None, T0_HOURS]))
    def report(self, by: tuple[str, ...], hours: BusinessCalendar | None) -> None:
        self.reports += 1
        expected = kpis(
            list(journey_records(self.store, START_, END_)), START_, END_, by=by, business_hours=hours
        )
        _same(kpis(self.store, START_, END_, by=by, business_hours=hours), expected)

    def teardown(self) -> None:
        self.store.close()


TestInterleavedReports = InterleavedReports.TestCase
TestInterleavedReports.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
