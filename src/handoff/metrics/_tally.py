"""A journey's history reduced to its :class:`~handoff.stores.metric_rows.MetricTally`.

The tally holds every number a report takes from one journey that does not depend on
the report's calendar, FCR window or period end. :func:`tally` makes it by walking the
compact history, step by step as :func:`~handoff.metrics.journeys.figures_of` does and
sharing its code for handoffs and surveys; SQL stores make it in the database.
:func:`complete` reads the handoffs of a tally whose source left them as legs. The
store tests hold reports made through tallies to the figures of the models.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

from handoff.metrics.journeys import _ORDER, _surveys, facts_said, handoff_legs
from handoff.models import Fact
from handoff.stores.base import MetricJourney, MetricStep, MetricTally, TallyHandoff

__all__ = ["complete", "tally"]

_RESOLVED = "Resolved by"
_NO_ANSWERS: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] = ((), (), ())


def tally(journey: MetricJourney) -> MetricTally:
    """Walk ``journey``'s history once: replies, waits, resolutions, reopens, handoffs, surveys."""
    ordered = sorted(journey.steps, key=_ORDER)
    first_reply = None
    waits = array("q")  # pairs: customer waiting since, agent reply at
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
    resolved_at = journey.resolved_at  # the record's word, as in figures_of
    resolved_channel = None
    if resolved_at is not None:
        resolved_channel = journey.current_channel if last_resolution is None else last_resolution[2]
    handoffs = _handoffs(journey, ordered) if journey.handoffs else ()
    csat, nps, ces = _surveys(ordered) if surveyed else _NO_ANSWERS
    return MetricTally(
        id=journey.id,
        opened_at=journey.opened_at,
        entry_channel=journey.entry_channel or (ordered[0][2] if ordered else journey.current_channel),
        agent=journey.assignee if first_reply is None else first_reply[5],
        first_reply_at=None if first_reply is None else first_reply[0],
        waits=waits,
        first_resolved_at=first_resolved_at,
        resolved_at=resolved_at,
        resolved_channel=resolved_channel,
        reopens=max(reopens, journey.reopen_count),
        handoffs=handoffs,
        csat=csat,
        nps=nps,
        ces=ces,
        next_contact_at=journey.next_contact_at,
    )


def _handoffs(
    journey: MetricJourney,
    ordered: list[MetricStep],
    said: Callable[[MetricStep], tuple[Fact, ...]] | None = None,
    facts: Callable[[], list[tuple[str, str, int]]] | None = None,
) -> tuple[TallyHandoff, ...]:
    return tuple(
        TallyHandoff(
            handoff.at,
            handoff.from_channel,
            handoff.to_channel,
            handoff.reason,
            None if reply is None else reply[0],
            len(restated),
            handoff.queue,
        )
        for handoff, reply, restated in handoff_legs(journey, ordered, said or _said, facts)
    )


_SAID: dict[tuple[str, str], tuple[Fact, ...]] = {}
_SAID_KEPT = 1 << 15
"""A year of reports reads about 12,000 distinct texts after handoffs: a smaller memory
is emptied several times over in one report, and reads the same texts again."""


def _said(item: MetricStep) -> tuple[Fact, ...]:
    """The facts of a customer message, remembered by its text and channel: a tally counts
    restated facts by kind and value only, and many messages say the same thing."""
    key = (item[6] or "", item[2])
    found = _SAID.get(key)
    if found is None:
        if len(_SAID) >= _SAID_KEPT:
            _SAID.clear()
        found = _SAID[key] = facts_said(item)
    return found


def complete(item: MetricTally) -> MetricTally:
    """``item`` with its handoffs read from its legs, if a source left them to the KPIs."""
    legs = item.legs
    if legs is None:
        return item
    handoffs = _handoffs(legs, sorted(legs.steps, key=_ORDER))
    # item._replace(handoffs=handoffs, legs=None), without its cost in a year's loop
    return MetricTally(*item[:10], handoffs, *item[11:15], None)
