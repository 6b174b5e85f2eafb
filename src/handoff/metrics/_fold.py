"""The store path of :func:`~handoff.metrics.kpis`: compact journeys folded straight into groups.

A year of history is hundreds of thousands of journeys, so this skips the figures
objects (and their datetimes) that :func:`~handoff.metrics.journeys.figures_of` builds
for one journey, and adds each journey's numbers to its group as plain integers and
floats. It follows ``figures_of`` step by step, and reuses its code for the rarer
parts (handoffs, surveys); the store tests hold the two to the same report.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable

from handoff.clock import from_micros, micros
from handoff.metrics.aggregate import PATH_ARROW, Aggregator
from handoff.metrics.calendar import Worktime
from handoff.metrics.figures import HandoffFigures
from handoff.metrics.journeys import _ORDER, _handoff_figures, _surveys
from handoff.stores.base import MetricJourney

__all__ = ["fold"]

_RESOLVED = "Resolved by"


def fold(
    aggregator: Aggregator, journeys: Iterable[MetricJourney], worktime: Worktime | None, window: int
) -> None:
    """Add every journey of ``journeys`` to ``aggregator`` (``window``: the FCR window in µs)."""
    by = aggregator.by
    end = micros(aggregator.end)
    between = None if worktime is None else worktime.seconds_between
    for journey in journeys:
        ordered = sorted(journey.steps, key=_ORDER)
        opened = journey.opened_at
        first_reply = None
        waits: list[int] = []  # pairs: customer waiting since, agent reply at
        waiting = None
        first_resolution = last_resolution = None
        resolved = surveyed = False
        reopens = 0
        for item in ordered:
            kind = item[4]
            if kind == "message" or kind == "call":
                author = item[3]
                if author == "customer":
                    if resolved:  # a customer writing after a resolution reopens the journey
                        resolved, reopens = False, reopens + 1
                    if waiting is None:
                        waiting = item[0]
                elif author == "agent":
                    if first_reply is None:
                        first_reply = item
                    if waiting is not None:
                        waits.append(waiting)
                        waits.append(item[0])
                        waiting = None
            elif kind == "event":
                if (item[6] or "").startswith(_RESOLVED):
                    if first_resolution is None:
                        first_resolution = item
                    last_resolution = item
                    resolved = True
            elif kind == "survey":
                surveyed = True
        first_resolved_at = journey.resolved_at if first_resolution is None else first_resolution[0]
        resolved_at = last_resolution[0] if resolved and last_resolution is not None else None
        if first_resolution is None and journey.resolved_at is not None:
            resolved_at = journey.resolved_at
        reopens = max(reopens, journey.reopen_count)
        comeback = journey.next_contact_at
        fcr = (
            resolved_at is not None
            and reopens == 0
            and not (comeback is not None and resolved_at <= comeback <= resolved_at + window)
        )
        handoffs = _handoff_figures(journey, ordered, worktime) if journey.handoffs else ()
        entry = journey.entry_channel or (ordered[0][2] if ordered else journey.current_channel)
        resolved_channel = None
        if resolved_at is not None:
            resolved_channel = journey.current_channel if last_resolution is None else last_resolution[2]
        agent = journey.assignee if first_reply is None else first_reply[5]

        key = _key(by, aggregator, journey, entry, agent, handoffs)
        group = aggregator.group(key)
        c = group.counts
        c["journeys"] += 1
        if resolved_at is not None:
            c["resolved"] += 1
            c["resolved_on_entry"] += resolved_channel == entry
        c["reopened"] += reopens > 0
        c["fcr"] += fcr
        c["backlog"] += resolved_at is None or resolved_at > end
        calendar, business = group.calendar, group.business
        if first_reply is not None:
            _keep(calendar["first_response"], business["first_response"], opened, first_reply[0], between)
        if waits:
            cal, bus = calendar["response"], business["response"]
            for i in range(0, len(waits), 2):
                _keep(cal, bus, waits[i], waits[i + 1], between)
        if first_resolved_at is not None:
            _keep(
                calendar["first_resolution"], business["first_resolution"], opened, first_resolved_at, between
            )
        if resolved_at is not None:
            _keep(calendar["resolution"], business["resolution"], opened, resolved_at, between)
        if handoffs:
            c["handed_off"] += 1
            c["handoffs"] += len(handoffs)
            c["repeated"] += sum(1 for h in handoffs if h.restated)
            for handoff in handoffs:
                group.keep("handoff_response", handoff.response)
        if surveyed:
            csat, nps, ces = _surveys(ordered)
            c["csat_answers"] += len(csat)
            c["csat_satisfied"] += sum(1 for s in csat if s >= 4)
            c["nps_answers"] += len(nps)
            c["promoters"] += sum(1 for s in nps if s >= 9)
            c["detractors"] += sum(1 for s in nps if s <= 6)
            c["ces_answers"] += len(ces)
            c["ces_easy"] += sum(1 for s in ces if s >= 5)
            c["ces_total"] += sum(ces)


def _keep(
    calendar: array[float],
    business: array[float],
    start: int,
    end: int,
    between: Callable[[int, int], float] | None,
) -> None:
    seconds = (end - start) / 1e6
    calendar.append(seconds if seconds > 0 else 0.0)
    if between is not None:
        business.append(between(start, end))


def _key(
    by: tuple[str, ...],
    aggregator: Aggregator,
    journey: MetricJourney,
    entry: str,
    agent: str | None,
    handoffs: tuple[HandoffFigures, ...],
) -> tuple[str, ...]:
    """The labels of :func:`~handoff.metrics.aggregate.group_key`, from the journey's numbers."""
    if by == ("channel",):
        return (entry,)
    labels: list[str] = []
    for dimension in by:
        if dimension == "channel":
            labels.append(entry)
        elif dimension == "path":
            path = [entry]
            for handoff in handoffs:
                if handoff.to_channel != path[-1]:
                    path.append(handoff.to_channel)
            labels.append(PATH_ARROW.join(path))
        elif dimension == "reason":
            labels.append(handoffs[0].reason if handoffs else "none")
        elif dimension == "agent":
            labels.append(agent or "unassigned")
        else:  # week; the aggregator checked the dimensions
            opened = from_micros(journey.opened_at)
            year, week, _ = opened.astimezone(aggregator.week_zone).isocalendar()
            labels.append(f"{year}-W{week:02d}")
    return tuple(labels)
