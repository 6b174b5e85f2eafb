"""What one journey contributes to the KPIs, derived from its records alone (pure).

:func:`journey_figures` reads a journey, its interactions and its handoffs once and
returns a :class:`JourneyFigures`: waits, resolutions, reopens, first-contact
resolution, the switch path, and for each handoff how long the new channel took to
answer and whether the customer had to repeat something they had already said.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable, Iterable
from datetime import timedelta
from operator import itemgetter
from typing import Final, NamedTuple

from handoff.clock import from_micros, micros
from handoff.errors import ValidationError
from handoff.events import SURVEY_SCALES, _stored_answer
from handoff.facts import extract_facts
from handoff.facts._restatable import RESTATABLE_KINDS
from handoff.metrics.calendar import BusinessCalendar, Worktime
from handoff.metrics.figures import HandoffFigures, JourneyFigures, JourneyRecords, Wait
from handoff.models import Fact, Handoff
from handoff.stores.base import MetricHandoff, MetricJourney, MetricStep

__all__ = [
    "DEFAULT_FCR_WINDOW",
    "RESTATABLE_KINDS",
    "HandoffFigures",
    "JourneyFigures",
    "JourneyRecords",
    "Wait",
    "compact",
    "figures_of",
    "handoff_legs",
    "journey_figures",
]

DEFAULT_FCR_WINDOW = timedelta(days=7)
"""A resolution only counts as first-contact if the customer stays quiet this long after."""


_CONVERSATIONAL = ("message", "call")


# Positions in a step: sources may stream plain tuples in MetricStep's layout.
_AT: Final = 0
_SEQ: Final = 1
_CHANNEL: Final = 2
_AUTHOR: Final = 3
_KIND: Final = 4
_AGENT: Final = 5
_BODY: Final = 6
_IID: Final = 7
_META: Final = 8
_ORDER = itemgetter(_AT, _SEQ)
_HANDOFF_TIME = itemgetter(0)
_MICROSECOND = timedelta(microseconds=1)


def compact(records: JourneyRecords) -> MetricJourney:
    """``records`` in the compact form a :class:`~handoff.stores.capabilities.MetricsSource` streams."""
    journey = records.journey
    anchors = {item.id: (micros(item.at), item.sequence) for item in records.interactions}
    return MetricJourney(
        id=journey.id,
        opened_at=micros(journey.opened_at),
        entry_channel=journey.path[0].channel if journey.path else None,
        current_channel=journey.current_channel,
        resolved_at=None if journey.resolved_at is None else micros(journey.resolved_at),
        reopen_count=journey.reopen_count,
        assignee=journey.assignee,
        facts=tuple((fact.kind, fact.value, micros(fact.at)) for fact in journey.facts),
        next_contact_at=None if records.next_contact_at is None else micros(records.next_contact_at),
        steps=[
            MetricStep(
                micros(item.at),
                item.sequence,
                item.channel,
                item.author,
                item.kind,
                item.agent,
                item.body,
                item.id,
                item.metadata if item.kind == "survey" else None,
            )
            for item in records.interactions
        ],
        handoffs=[_handoff(h, anchors.get(h.interaction_id)) for h in records.handoffs],
    )


def _handoff(handoff: Handoff, anchor: tuple[int, int] | None) -> MetricHandoff:
    at, sequence = (None, None) if anchor is None else anchor
    return MetricHandoff(
        micros(handoff.at),
        at,
        sequence,
        handoff.from_channel,
        handoff.to_channel,
        handoff.reason,
        handoff.queue,
    )


def journey_figures(
    records: JourneyRecords,
    *,
    calendar: BusinessCalendar | None = None,
    fcr_window: timedelta = DEFAULT_FCR_WINDOW,
) -> JourneyFigures:
    """Derive every per-journey figure from ``records`` in one pass over its history.

    A customer message after a resolution is a reopen. Response times run from the
    first customer message still waiting for an answer to the next agent reply (bots
    do not count). Whether the journey is resolved, and since when, is the journey
    record's ``resolved_at``. A journey is a first-contact resolution when it is
    resolved, never reopened, and its contact did not come back within ``fcr_window``.
    """
    if not isinstance(records, JourneyRecords):
        raise ValidationError("records", f"expected JourneyRecords, got {type(records).__name__}")
    check_fcr_window(fcr_window)
    if calendar is not None and not isinstance(calendar, BusinessCalendar):
        raise ValidationError("business_hours", f"expected a BusinessCalendar, got {type(calendar).__name__}")
    worktime = None if calendar is None else calendar.worktime()
    return figures_of(compact(records), worktime, fcr_window // _MICROSECOND)


def check_fcr_window(fcr_window: object) -> timedelta:
    if not isinstance(fcr_window, timedelta) or fcr_window < timedelta(0):
        raise ValidationError("fcr_window", f"expected a timedelta >= 0, got {fcr_window!r}")
    return fcr_window


def figures_of(journey: MetricJourney, worktime: Worktime | None, fcr_window: int) -> JourneyFigures:
    """:func:`journey_figures` on the compact form (``fcr_window`` in microseconds).

    Every source of journeys ends here, so a store's compact rows and the models give
    the same figures by construction.
    """
    ordered = sorted(journey.steps, key=_ORDER)
    opened = journey.opened_at
    history = _walk(ordered, worktime)
    first_reply, resolutions = history.first_reply, history.resolutions
    first_resolved_at = resolutions[0][_AT] if resolutions else journey.resolved_at
    # Whether the journey is resolved is the record's word, not the dates': a message
    # dated before a resolution but arriving after it reopened the journey.
    resolved_at = journey.resolved_at
    reopens = max(history.reopens, journey.reopen_count)
    comeback = journey.next_contact_at
    fcr = (
        resolved_at is not None
        and reopens == 0
        and not (comeback is not None and resolved_at <= comeback <= resolved_at + fcr_window)
    )
    handoffs = _handoff_figures(journey, ordered, worktime) if journey.handoffs else ()
    entry = journey.entry_channel or (ordered[0][_CHANNEL] if ordered else journey.current_channel)
    path = [entry]
    for handoff in handoffs:
        if handoff.to_channel != path[-1]:
            path.append(handoff.to_channel)
    surveys = _surveys(ordered) if history.surveyed else _NO_SURVEYS
    resolved_channel = None
    if resolved_at is not None:
        resolved_channel = resolutions[-1][_CHANNEL] if resolutions else journey.current_channel
    return JourneyFigures(
        journey_id=journey.id,
        opened_at=from_micros(opened),
        entry_channel=entry,
        path=tuple(path),
        agent=journey.assignee if first_reply is None else first_reply[_AGENT],
        first_response=None if first_reply is None else _wait(opened, first_reply[_AT], worktime),
        responses=history.responses,
        first_resolution=None if first_resolved_at is None else _wait(opened, first_resolved_at, worktime),
        resolution=None if resolved_at is None else _wait(opened, resolved_at, worktime),
        resolved_at=None if resolved_at is None else from_micros(resolved_at),
        resolved_channel=resolved_channel,
        reopens=reopens,
        fcr=fcr,
        handoffs=handoffs,
        csat=surveys[0],
        nps=surveys[1],
        ces=surveys[2],
    )


def _wait(start: int, end: int, worktime: Worktime | None) -> Wait:
    seconds = (end - start) / 1e6
    return Wait(
        seconds if seconds > 0 else 0.0, None if worktime is None else worktime.seconds_between(start, end)
    )


class _History(NamedTuple):
    first_reply: MetricStep | None
    responses: tuple[Wait, ...]
    resolutions: list[MetricStep]
    reopens: int
    surveyed: bool


def _walk(ordered: list[MetricStep], worktime: Worktime | None) -> _History:
    """Replies, waits, resolutions and reopens, in one pass over the history."""
    first_reply: MetricStep | None = None
    responses: list[Wait] = []
    waiting_since: int | None = None
    resolutions: list[MetricStep] = []
    resolved = surveyed = False
    reopens = 0
    for item in ordered:
        kind = item[_KIND]
        if kind == "message" or kind == "call":
            author = item[_AUTHOR]
            if author == "customer":
                if resolved:  # a customer writing after a resolution reopens the journey
                    resolved, reopens = False, reopens + 1
                if waiting_since is None:
                    waiting_since = item[_AT]
            elif author == "agent":
                if first_reply is None:
                    first_reply = item
                if waiting_since is not None:
                    responses.append(_wait(waiting_since, item[_AT], worktime))
                    waiting_since = None
        elif kind == "event":
            if (item[_BODY] or "").startswith("Resolved by"):
                resolutions.append(item)
                resolved = True
        elif kind == "survey":
            surveyed = True
    return _History(first_reply, tuple(responses), resolutions, reopens, surveyed)


def _is_reply(item: MetricStep) -> bool:
    return item[_AUTHOR] == "agent" and item[_KIND] in _CONVERSATIONAL


def _is_customer_message(item: MetricStep) -> bool:
    return item[_AUTHOR] == "customer" and item[_KIND] in _CONVERSATIONAL


def _handoff_figures(
    journey: MetricJourney, ordered: list[MetricStep], worktime: Worktime | None
) -> tuple[HandoffFigures, ...]:
    """Per handoff: the wait for an agent on the new channel, and what was said again."""
    return tuple(
        HandoffFigures(
            from_channel=handoff.from_channel,
            to_channel=handoff.to_channel,
            reason=handoff.reason,
            at=from_micros(handoff.at),
            response=None if reply is None else _wait(handoff.at, reply[_AT], worktime),
            restated=restated,
            queue=handoff.queue,
        )
        for handoff, reply, restated in handoff_legs(journey, ordered)
    )


def handoff_legs(
    journey: MetricJourney,
    ordered: list[MetricStep],
    extract: Callable[[MetricStep], tuple[Fact, ...]] | None = None,
    facts: Callable[[], Iterable[tuple[str, str, int]]] | None = None,
) -> list[tuple[MetricHandoff, MetricStep | None, tuple[Fact, ...]]]:
    """Each handoff in time order, with the first agent reply on its new channel and the
    facts the customer restated after it.

    The leg after a handoff runs from the interaction that made it (or its time) to the
    next handoff; a restatement is a fact of that leg's customer messages that an
    earlier customer message, or the journey's fact index, already held. Messages are
    read for facts only when needed: each leg's, and earlier ones only to settle a
    restatable fact the fact index does not explain, and the fact index only once a
    leg holds a restatable fact. ``extract`` reads a message's facts (default:
    :func:`~handoff.facts.extract_facts` on its text); ``facts`` reads the fact index
    (default: the journey's ``facts``).
    """
    keys = [(item[_AT], item[_SEQ]) for item in ordered]
    chronological = sorted(journey.handoffs, key=_HANDOFF_TIME)
    starts: list[int] = []
    for handoff in chronological:
        if handoff.anchor_at is not None and handoff.anchor_sequence is not None:
            found = bisect_left(keys, (handoff.anchor_at, handoff.anchor_sequence))
        else:
            found = bisect_left(keys, (handoff.at,))
        starts.append(max(found, starts[-1]) if starts else found)  # legs never run backwards
    customer = [i for i, item in enumerate(ordered) if _is_customer_message(item)]
    said: dict[int, tuple[Fact, ...]] = {}

    def facts_of(i: int) -> tuple[Fact, ...]:
        if i not in said:
            said[i] = (extract or facts_said)(ordered[i])
        return said[i]

    index: list[tuple[str, str, int]] | None = None
    legs: list[tuple[MetricHandoff, MetricStep | None, tuple[Fact, ...]]] = []
    for k, handoff in enumerate(chronological):
        start = starts[k]
        end = starts[k + 1] if k + 1 < len(chronological) else len(ordered)
        indexed: set[tuple[str, str]] | None = None
        known: set[tuple[str, str]] | None = None
        restated: dict[tuple[str, str], Fact] = {}
        for i in customer:
            if i < start:
                continue
            if i >= end:
                break
            for fact in facts_of(i):
                if fact.kind not in RESTATABLE_KINDS or fact.key in restated:
                    continue
                if indexed is None:
                    if index is None:
                        index = list(journey.facts if facts is None else facts())
                    indexed = {(kind, value) for kind, value, at in index if at < handoff.at}
                if fact.key not in indexed:
                    if known is None:
                        known = {f.key for j in customer if j < start for f in facts_of(j)}
                    if fact.key not in known:
                        continue
                restated[fact.key] = fact
        reply = next(
            (item for item in ordered[start:] if _is_reply(item) and item[_CHANNEL] == handoff.to_channel),
            None,
        )
        legs.append((handoff, reply, tuple(restated.values())))
    return legs


def facts_said(item: MetricStep) -> tuple[Fact, ...]:
    """The facts of one customer message."""
    return extract_facts(
        item[_BODY] or "", channel=item[_CHANNEL], at=from_micros(item[_AT]), interaction_id=item[_IID]
    )


_NO_SURVEYS: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] = ((), (), ())


def _surveys(ordered: list[MetricStep]) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """CSAT, NPS and CES answers, each checked against its scale (stored data can be imported)."""
    answers: dict[str, list[int]] = {name: [] for name in SURVEY_SCALES}
    for item in ordered:
        metadata = item[_META]
        if item[_KIND] != "survey" or not metadata:
            continue
        if isinstance(metadata, str):  # a source may hand the stored JSON over as it is
            metadata = json.loads(metadata)
        for name in SURVEY_SCALES:
            raw = metadata.get(name)
            if raw is not None:
                answers[name].append(_stored_answer(name, raw, item[_IID]))
    return tuple(answers["csat"]), tuple(answers["nps"]), tuple(answers["ces"])
