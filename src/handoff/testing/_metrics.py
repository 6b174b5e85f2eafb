"""The metrics capabilities: listing a period's journeys, and reports pushed down.

Each test needs one optional capability and skips, saying so, when the store lacks it.
Whatever a backend does, its report must equal the walk's (the models read through the
plain look-ups), to the last bit.
The store is filled through the Switchboard, so it holds exactly what the library
writes: switches by reference, transfers, bot answers, resolutions, a reopen, surveys
and a customer who comes back with a new issue.
"""

from __future__ import annotations

from array import array
from datetime import datetime, timedelta
from typing import Any

import pytest

from handoff.clock import FixedClock, SeededIds
from handoff.events import Inbound
from handoff.metrics import BusinessCalendar, journey_records, kpis, tally
from handoff.metrics._tally import complete
from handoff.metrics.journeys import compact
from handoff.stores.base import Store
from handoff.stores.capabilities import JourneyIndex, MetricsSource
from handoff.stores.metric_rows import MetricTally
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

    def test_each_journey_reduces_to_the_tally_of_its_records(self, store: Store) -> None:
        source = self.source(store)
        _story(store)
        walked = {r.journey.id: _plain(tally(compact(r))) for r in journey_records(store, _START, _END)}
        reduced = {t.id: _plain(complete(t)) for t in source.metric_tallies(_START, _END)}
        assert reduced == walked
        # Without agents the tallies may leave the agent out, and nothing else.
        bare = {
            t.id: _plain(complete(t))[:3] + _plain(complete(t))[4:]
            for t in source.metric_tallies(_START, _END, agents=False)
        }
        assert bare == {jid: t[:3] + t[4:] for jid, t in walked.items()}


def _plain(item: MetricTally) -> tuple[object, ...]:
    """A tally with its sequences as tuples (a source may give waits as arrays, answers as
    bytes)."""
    return tuple(tuple(value) if isinstance(value, (array, bytes, list)) else value for value in item)
