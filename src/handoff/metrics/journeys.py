"""What one journey contributes to the KPIs, derived from its records alone (pure).

:func:`journey_figures` reads a journey, its interactions and its handoffs once and
returns a :class:`JourneyFigures`: waits, resolutions, reopens, first-contact
resolution, the switch path, and for each handoff how long the new channel took to
answer and whether the customer had to repeat something they had already said.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from attrs import define, field

from handoff import _validate as v
from handoff.errors import ValidationError
from handoff.events import SURVEY_SCALES
from handoff.facts import extract_facts
from handoff.metrics.calendar import BusinessCalendar
from handoff.models import Fact, Handoff, Interaction, Journey

__all__ = [
    "DEFAULT_FCR_WINDOW",
    "RESTATABLE_KINDS",
    "HandoffFigures",
    "JourneyFigures",
    "JourneyRecords",
    "Wait",
    "journey_figures",
]

DEFAULT_FCR_WINDOW = timedelta(days=7)
"""A resolution only counts as first-contact if the customer stays quiet this long after."""

RESTATABLE_KINDS: tuple[str, ...] = ("order", "email", "phone", "amount")
"""Facts whose restatement after a handoff means the customer had to repeat themselves.
(Quoting the journey reference is how customers are *meant* to continue, so it is not one.)"""

_CONVERSATIONAL = ("message", "call")


def _sequence(value: object, kind: type, name: str) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(name, f"expected a sequence of {kind.__name__}, got {type(value).__name__}")
    items = tuple(value)
    for i, item in enumerate(items):
        if not isinstance(item, kind):
            raise ValidationError(f"{name}[{i}]", f"expected a {kind.__name__}, got {type(item).__name__}")
    return items


def _interactions(value: object) -> tuple[Interaction, ...]:
    return _sequence(value, Interaction, "interactions")


def _handoffs(value: object) -> tuple[Handoff, ...]:
    return _sequence(value, Handoff, "handoffs")


@define(frozen=True)
class JourneyRecords:
    """One journey with everything recorded about it: the unit the metrics read.

    ``next_contact_at`` is when the same contact opened their next journey, if known; it
    lets first-contact resolution notice a follow-up that started a new journey.
    """

    journey: Journey = field()
    interactions: tuple[Interaction, ...] = field(converter=_interactions)
    handoffs: tuple[Handoff, ...] = field(default=(), converter=_handoffs)
    next_contact_at: datetime | None = field(default=None, validator=v.optional_aware)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.journey, Journey):
            raise ValidationError("journey", f"expected a Journey, got {type(self.journey).__name__}")
        named: tuple[tuple[str, tuple[Interaction | Handoff, ...]], ...] = (
            ("interactions", self.interactions),
            ("handoffs", self.handoffs),
        )
        for name, items in named:
            for i, item in enumerate(items):
                if item.journey_id != self.journey.id:
                    raise ValidationError(
                        f"{name}[{i}]", f"belongs to journey {item.journey_id!r}, not {self.journey.id!r}"
                    )


@define(frozen=True)
class Wait:
    """A duration in calendar seconds and, with a business calendar, in working seconds."""

    seconds: float
    business_seconds: float | None = None


@define(frozen=True)
class HandoffFigures:
    """How one channel switch went for the customer."""

    from_channel: str
    to_channel: str
    reason: str
    at: datetime
    response: Wait | None
    """From the handoff to the first agent reply on the new channel; None if none came."""
    restated: tuple[Fact, ...]
    """Facts the journey already held that the customer gave again after the switch."""

    @property
    def repeated(self) -> bool:
        return bool(self.restated)


@define(frozen=True)
class JourneyFigures:
    """One journey's contribution to the KPIs. Durations run from ``opened_at``."""

    journey_id: str
    opened_at: datetime
    entry_channel: str
    path: tuple[str, ...]
    agent: str | None
    first_response: Wait | None
    responses: tuple[Wait, ...]
    first_resolution: Wait | None
    resolution: Wait | None
    """To the last resolution, if the journey ended resolved; None while it is open."""
    resolved_at: datetime | None
    resolved_channel: str | None
    reopens: int
    fcr: bool
    handoffs: tuple[HandoffFigures, ...]
    csat: tuple[int, ...] = ()
    nps: tuple[int, ...] = ()
    ces: tuple[int, ...] = ()

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def reason(self) -> str | None:
        """Why the journey first changed hands; None if it never did."""
        return self.handoffs[0].reason if self.handoffs else None

    @property
    def repeated_handoffs(self) -> int:
        return sum(1 for h in self.handoffs if h.repeated)


def _is_reply(item: Interaction) -> bool:
    return item.author == "agent" and item.kind in _CONVERSATIONAL


def _is_customer_message(item: Interaction) -> bool:
    return item.author == "customer" and item.kind in _CONVERSATIONAL


def _is_resolution(item: Interaction) -> bool:
    return item.kind == "event" and item.body.startswith("Resolved by")


def _wait(start: datetime, end: datetime, calendar: BusinessCalendar | None) -> Wait:
    seconds = max((end - start).total_seconds(), 0.0)
    return Wait(seconds, None if calendar is None else calendar.business_seconds(start, end))


def journey_figures(
    records: JourneyRecords,
    *,
    calendar: BusinessCalendar | None = None,
    fcr_window: timedelta = DEFAULT_FCR_WINDOW,
) -> JourneyFigures:
    """Derive every per-journey figure from ``records`` in one pass over its history.

    A customer message after a resolution is a reopen. Response times run from the
    first customer message still waiting for an answer to the next agent reply (bots
    do not count). A journey is a first-contact resolution when it ended resolved,
    never reopened, and its contact did not come back within ``fcr_window``.
    """
    if not isinstance(records, JourneyRecords):
        raise ValidationError("records", f"expected JourneyRecords, got {type(records).__name__}")
    if not isinstance(fcr_window, timedelta) or fcr_window < timedelta(0):
        raise ValidationError("fcr_window", f"expected a timedelta >= 0, got {fcr_window!r}")
    if calendar is not None and not isinstance(calendar, BusinessCalendar):
        raise ValidationError("business_hours", f"expected a BusinessCalendar, got {type(calendar).__name__}")
    journey = records.journey
    ordered = sorted(records.interactions, key=lambda i: (i.at, i.sequence))
    opened = journey.opened_at

    history = _walk(ordered, calendar)
    first_reply, resolutions = history.first_reply, history.resolutions
    first_resolved_at = resolutions[0].at if resolutions else journey.resolved_at
    resolved_at = resolutions[-1].at if history.resolved else None
    if not resolutions and journey.resolved_at is not None:
        resolved_at = journey.resolved_at
    reopens = max(history.reopens, journey.reopen_count)
    comeback = records.next_contact_at
    fcr = (
        resolved_at is not None
        and reopens == 0
        and not (comeback is not None and resolved_at <= comeback <= resolved_at + fcr_window)
    )
    handoffs = _handoff_figures(journey, ordered, records.handoffs, calendar)
    entry = _entry_channel(journey, ordered)
    path = [entry]
    for handoff in handoffs:
        if handoff.to_channel != path[-1]:
            path.append(handoff.to_channel)
    surveys = _surveys(ordered)
    return JourneyFigures(
        journey_id=journey.id,
        opened_at=opened,
        entry_channel=entry,
        path=tuple(path),
        agent=first_reply.agent if first_reply is not None else journey.assignee,
        first_response=None if first_reply is None else _wait(opened, first_reply.at, calendar),
        responses=history.responses,
        first_resolution=None if first_resolved_at is None else _wait(opened, first_resolved_at, calendar),
        resolution=None if resolved_at is None else _wait(opened, resolved_at, calendar),
        resolved_at=resolved_at,
        resolved_channel=_resolved_channel(journey, resolutions, resolved_at),
        reopens=reopens,
        fcr=fcr,
        handoffs=handoffs,
        csat=surveys["csat"],
        nps=surveys["nps"],
        ces=surveys["ces"],
    )


@define(frozen=True)
class _History:
    first_reply: Interaction | None
    responses: tuple[Wait, ...]
    resolutions: list[Interaction]
    resolved: bool
    reopens: int


def _walk(ordered: list[Interaction], calendar: BusinessCalendar | None) -> _History:
    """Replies, waits, resolutions and reopens, in one pass over the history."""
    first_reply: Interaction | None = None
    responses: list[Wait] = []
    waiting_since: datetime | None = None
    resolutions: list[Interaction] = []
    resolved = False
    reopens = 0
    for item in ordered:
        if _is_customer_message(item):
            if resolved:  # a customer writing after a resolution reopens the journey
                resolved, reopens = False, reopens + 1
            if waiting_since is None:
                waiting_since = item.at
        elif _is_reply(item):
            first_reply = first_reply or item
            if waiting_since is not None:
                responses.append(_wait(waiting_since, item.at, calendar))
                waiting_since = None
        elif _is_resolution(item):
            resolutions.append(item)
            resolved = True
    return _History(first_reply, tuple(responses), resolutions, resolved, reopens)


def _entry_channel(journey: Journey, ordered: list[Interaction]) -> str:
    if journey.path:
        return journey.path[0].channel
    return ordered[0].channel if ordered else journey.current_channel


def _resolved_channel(
    journey: Journey, resolutions: list[Interaction], resolved_at: datetime | None
) -> str | None:
    if resolved_at is None:
        return None
    return resolutions[-1].channel if resolutions else journey.current_channel


def _handoff_figures(
    journey: Journey,
    ordered: list[Interaction],
    handoffs: tuple[Handoff, ...],
    calendar: BusinessCalendar | None,
) -> tuple[HandoffFigures, ...]:
    """Per handoff: the wait for an agent on the new channel, and what was said again.

    The leg after a handoff runs from the interaction that made it (or its time) to the
    next handoff; a restatement is a fact of that leg's customer messages that an
    earlier customer message, or the journey's fact index, already held.
    """
    if not handoffs:
        return ()
    position = {item.id: i for i, item in enumerate(ordered)}
    times = [item.at for item in ordered]
    chronological = sorted(handoffs, key=lambda h: h.at)
    starts: list[int] = []
    for handoff in chronological:
        found = position.get(handoff.interaction_id, bisect_left(times, handoff.at))
        starts.append(max(found, starts[-1]) if starts else found)  # legs never run backwards
    said: list[tuple[int, tuple[Fact, ...]]] = [
        (i, extract_facts(item.body, channel=item.channel, at=item.at, interaction_id=item.id))
        for i, item in enumerate(ordered)
        if _is_customer_message(item)
    ]
    figures: list[HandoffFigures] = []
    known: set[tuple[str, str]] = set()
    cursor = 0
    for k, handoff in enumerate(chronological):
        start = starts[k]
        end = starts[k + 1] if k + 1 < len(chronological) else len(ordered)
        while cursor < len(said) and said[cursor][0] < start:
            known.update(fact.key for fact in said[cursor][1])
            cursor += 1
        before = known | {f.key for f in journey.facts if f.at < handoff.at}
        restated: dict[tuple[str, str], Fact] = {}
        for i, facts in said[cursor:]:
            if i >= end:
                break
            for fact in facts:
                if fact.kind in RESTATABLE_KINDS and fact.key in before:
                    restated.setdefault(fact.key, fact)
        reply = next(
            (item for item in ordered[start:] if _is_reply(item) and item.channel == handoff.to_channel),
            None,
        )
        figures.append(
            HandoffFigures(
                from_channel=handoff.from_channel,
                to_channel=handoff.to_channel,
                reason=handoff.reason,
                at=handoff.at,
                response=None if reply is None else _wait(handoff.at, reply.at, calendar),
                restated=tuple(restated.values()),
            )
        )
    return tuple(figures)


def _surveys(ordered: list[Interaction]) -> dict[str, tuple[int, ...]]:
    """Survey answers by scale, each checked against it (stored data can be imported)."""
    answers: dict[str, list[int]] = {name: [] for name in SURVEY_SCALES}
    for item in ordered:
        if item.kind != "survey":
            continue
        for name, (low, high) in SURVEY_SCALES.items():
            raw = item.metadata.get(name)
            if raw is None:
                continue
            text = raw.strip()
            if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
                raise ValidationError(
                    f"interaction {item.id}: metadata[{name!r}]",
                    f"expected a whole number from {low} to {high}, got {raw!r}",
                )
            answers[name].append(int(text))
    return {name: tuple(values) for name, values in answers.items()}
