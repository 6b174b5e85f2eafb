"""The metrics capabilities: listing a period's journeys, compact rows, kept tallies.

Each test needs one optional capability and skips, saying so, when the store lacks it.
The store is filled through the Switchboard, so it holds exactly what the library
writes: switches by reference, transfers, bot answers, resolutions, a reopen, surveys
and a customer who comes back with a new issue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from handoff.clock import FixedClock, SeededIds
from handoff.events import Inbound
from handoff.metrics import TALLY_FORM, BusinessCalendar, journey_records, kpis, tally
from handoff.metrics.journeys import compact
from handoff.stores.base import Store
from handoff.stores.capabilities import JourneyIndex, MetricsSource, MetricTallies
from handoff.stores.metric_rows import MetricJourney, MetricTally
from handoff.switchboard import Switchboard
from handoff.testing._kit import KitBase
from handoff.testing.factories import T0

_START, _END = T0 - timedelta(days=1), T0 + timedelta(days=30)
_HOURS = BusinessCalendar.weekly("Europe/Madrid", {"mon-fri": "09:00-17:00"})


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _story(store: Store) -> Switchboard:
    """Five customers' issues across channels; returns the board that wrote them."""
    board = Switchboard(store, clock=FixedClock(T0), ids=SeededIds(2024))

    def customer(who: int, channel: str, minutes: int, body: str, **extra: Any) -> str:
        identity = (
            f"phone:+1415555{who:04d}" if channel in ("sms", "whatsapp") else f"email:c{who}@example.com"
        )
        inbound = Inbound(
            channel=channel,
            identity=identity,
            body=body,
            at=_at(minutes),
            external_id=f"{channel}-{who}-{minutes}",
            **extra,
        )
        return board.receive(inbound).journey.id

    first = customer(1, "email", 0, "My order A-12345 never came")
    board.reply(first, agent="sam", body="Looking into it", at=_at(30))
    reference = store.get_journey(first).reference
    customer(1, "sms", 90, "Still waiting for order A-12345", journey_ref=reference)
    board.reply(first, agent="lee", body="Refund issued", channel="sms", at=_at(95))
    board.resolve(first, by="lee", at=_at(100))
    board.rate(first, csat=5, nps=9, ces=6, at=_at(120))

    second = customer(2, "email", 200, "The app crashes")
    board.reply(second, agent="helperbot", body="Try restarting", bot=True, at=_at(201))
    board.transfer(second, to_channel="phone", reason="escalation", by="sam", at=_at(240))
    board.reply(second, agent="kim", body="Calling you now", channel="phone", at=_at(260))
    board.resolve(second, by="kim", at=_at(300))
    customer(2, "email", 400, "It crashes again")  # a reopen
    board.reply(second, agent="kim", body="Fixed for good", at=_at(420))
    board.resolve(second, by="kim", at=_at(430))

    third = customer(3, "whatsapp", 500, "Where is my parcel?")
    board.rate(third, csat=2, nps=3, at=_at(560))
    customer(1, "email", 12000, "A new question about invoices")  # back after the reopen window
    customer(4, "email", 2000, "Hello?")
    return board


class MetricsConformance(KitBase):
    def index(self, store: Store) -> JourneyIndex:
        if not isinstance(store, JourneyIndex):
            pytest.skip(f"{type(store).__name__} is not JourneyIndex (optional capability)")
        return store

    def source(self, store: Store) -> MetricsSource:
        if not isinstance(store, MetricsSource):
            pytest.skip(f"{type(store).__name__} is not MetricsSource (optional capability)")
        return store

    def tallies(self, store: Store) -> MetricTallies:
        if not isinstance(store, MetricTallies):
            pytest.skip(f"{type(store).__name__} is not MetricTallies (optional capability)")
        return store

    def test_a_period_lists_the_journeys_opened_in_it_oldest_first(self, store: Store) -> None:
        index = self.index(store)
        _story(store)
        listed = list(index.journeys_opened(_START, _END))
        assert len(listed) == 5
        assert [j.opened_at for j in listed] == sorted(j.opened_at for j in listed)
        cut = listed[2].opened_at
        early = [j.id for j in index.journeys_opened(_START, cut)]
        late = [j.id for j in index.journeys_opened(cut, _END)]
        assert early + late == [j.id for j in listed]  # the start is in, the end is out

    def test_a_report_from_the_store_equals_the_report_from_its_records(self, store: Store) -> None:
        self.index(store)
        _story(store)
        records = list(journey_records(store, _START, _END))
        for by in (("channel",), ("path", "reason"), ("agent", "week")):
            for hours in (None, _HOURS):
                expected = kpis(records, _START, _END, by=by, business_hours=hours)
                got = kpis(store, _START, _END, by=by, business_hours=hours)
                assert got.to_records() == expected.to_records()
                assert got.rows == expected.rows

    def test_compact_rows_match_the_records(self, store: Store) -> None:
        source = self.source(store)
        _story(store)
        models = {r.journey.id: compact(r) for r in journey_records(store, _START, _END)}
        rows = {j.id: j for j in source.metric_journeys(_START, _END)}
        assert rows.keys() == models.keys()
        for jid, got in rows.items():
            want = models[jid]
            assert got[:6] == want[:6]  # id, opened, entry, current channel, resolved, reopens
            assert (got.next_contact_at, got.version) == (want.next_contact_at, want.version)
            assert sorted(s[:5] for s in got.steps) == sorted(tuple(s[:5]) for s in want.steps)
            assert got.handoffs == want.handoffs

    def test_kept_tallies_are_read_while_their_journey_stays_as_it_was(self, store: Store) -> None:
        tallies = self.tallies(store)
        board = _story(store)
        made = [tally(j) for j in tallies.metric_journeys(_START, _END)]
        assert all(
            isinstance(i, MetricJourney) for i in tallies.metric_tallies(_START, _END, form=TALLY_FORM)
        )
        tallies.keep_tallies(made, form=TALLY_FORM)
        read = list(tallies.metric_tallies(_START, _END, form=TALLY_FORM))
        assert sorted(map(_plain, read)) == sorted(map(_plain, made))  # type: ignore[arg-type]
        assert all(
            isinstance(i, MetricJourney) for i in tallies.metric_tallies(_START, _END, form=TALLY_FORM + 1)
        )
        moved = next(t.id for t in made if t.resolved_at is None)
        board.reply(moved, agent="sam", body="One more thing", at=_at(3000))
        walked = [
            i.id
            for i in tallies.metric_tallies(_START, _END, form=TALLY_FORM)
            if isinstance(i, MetricJourney)
        ]
        assert walked == [moved]

    def test_an_older_tally_or_one_of_an_unknown_journey_is_dropped(self, store: Store) -> None:
        tallies = self.tallies(store)
        _story(store)
        made = [tally(j) for j in tallies.metric_journeys(_START, _END)]
        tallies.keep_tallies(made, form=TALLY_FORM)
        stale = made[0]._replace(version=made[0].version - 1, entry_channel="fax")
        tallies.keep_tallies([stale, made[1]._replace(id="jr_never_stored")], form=TALLY_FORM)
        read = [
            i for i in tallies.metric_tallies(_START, _END, form=TALLY_FORM) if isinstance(i, MetricTally)
        ]
        assert sorted(map(_plain, read)) == sorted(map(_plain, made))

    def test_an_erased_contact_takes_its_tallies_along(self, store: Store) -> None:
        tallies = self.tallies(store)
        _story(store)
        made = [tally(j) for j in tallies.metric_journeys(_START, _END)]
        tallies.keep_tallies(made, form=TALLY_FORM)
        gone = store.get_journey(made[0].id).contact_id
        theirs = {j.id for j in store.journeys_of(gone)}
        store.erase_contact(gone)
        tallies.keep_tallies([t for t in made if t.id in theirs], form=TALLY_FORM)  # too late: dropped
        left = {i.id for i in tallies.metric_tallies(_START, _END, form=TALLY_FORM)}
        assert theirs and not left & theirs


def _plain(item: MetricTally) -> tuple[object, ...]:
    """A tally with its sequences as tuples (a store may give answers back as bytes) and
    without the next contact, which is read anew each time."""
    return (*item[:6], tuple(item.waits), *item[7:12], tuple(item.csat), tuple(item.nps), tuple(item.ces))
