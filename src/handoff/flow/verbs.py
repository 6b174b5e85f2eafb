"""The agent verbs as a board calls them: arguments checked, then one attempt's steps.

``Switchboard`` and the asyncio board's native path take the same arguments and refuse
the same ones, with the same messages, before anything is read. Each function here
checks a verb's arguments in that order (names are masked, the time of the event is
fixed once, before any retry) and returns an :data:`Act`: given the journey as found on
an attempt and that attempt's ``now``, the verb's steps on ``flow``
(:mod:`handoff.flow.read`). The blocking board answers them from its store, the asyncio
board from its own; both find the journey again and retry the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from handoff import channels
from handoff._validate import require_text
from handoff.clock import Clock, ensure_aware
from handoff.errors import ValidationError
from handoff.events import JourneyOutcome, survey_scores
from handoff.flow.read import Steps
from handoff.flow.run import Flow
from handoff.masking import mask_secrets
from handoff.models import PRIORITIES, Initiator, Journey, Priority
from handoff.policy.situation import check_role

__all__ = [
    "Act",
    "check_priority",
    "moment",
    "note",
    "prioritize",
    "rate",
    "reply",
    "resolve",
    "transfer",
]

Act = Callable[[Journey, datetime], Steps[JourneyOutcome]]
"""One attempt of an agent verb: the journey as found on that attempt, and its ``now``."""

_AGENT_CAP = 200


def check_priority(value: object, field: str = "priority") -> Priority:
    """``value`` if it is a journey priority; else a ValidationError naming ``field``."""
    if value not in PRIORITIES:
        raise ValidationError(field, f"expected one of {', '.join(PRIORITIES)}, got {value!r}")
    return value


def moment(at: datetime | None, clock: Clock) -> datetime:
    """When an event happened, in UTC: ``at`` (which must be timezone-aware), else now."""
    when = clock.now() if at is None else ensure_aware(at, "at")
    return when.astimezone(timezone.utc)


def _name(value: object, field: str) -> str:
    """An agent's (or a bot's) name, masked like every text that is stored."""
    return mask_secrets(require_text(value, field, max_len=_AGENT_CAP))


def _reason(value: object) -> str:
    if not isinstance(value, str) or not value or not value.replace("_", "").isalnum() or not value.islower():
        raise ValidationError("reason", f"expected a lower-case word like 'escalation', got {value!r}")
    return value


def reply(
    flow: Flow,
    clock: Clock,
    *,
    agent: str,
    body: str,
    channel: str | None,
    at: datetime | None,
    external_id: str | None,
    bot: bool,
) -> Act:
    agent = _name(agent, "agent")
    require_text(body, "body")
    if external_id is not None:
        require_text(external_id, "external_id", max_len=1000)
    if channel is not None:
        channels.get(channel)
    when = moment(at, clock)
    return lambda journey, now: flow.reply_steps(
        journey, agent=agent, body=body, channel=channel, at=when, external_id=external_id, bot=bot, now=now
    )


def note(flow: Flow, clock: Clock, *, agent: str, body: str, at: datetime | None) -> Act:
    agent = _name(agent, "agent")
    require_text(body, "body")
    when = moment(at, clock)
    return lambda journey, now: flow.note_steps(journey, agent=agent, body=body, at=when, now=now)


def transfer(
    flow: Flow,
    clock: Clock,
    *,
    to_channel: str,
    reason: str,
    by: str,
    to_agent: str | None,
    at: datetime | None,
    warm: bool,
    initiated_by: Initiator,
    to_role: str | None,
    priority: Priority | None,
) -> Act:
    check_role(to_role, "to_role")
    if priority is not None:
        check_priority(priority)
    channels.get(to_channel, "to_channel")
    _reason(reason)
    by = _name(by, "by")
    if to_agent is not None:
        to_agent = _name(to_agent, "to_agent")
    if initiated_by not in ("agent", "bot", "system"):
        raise ValidationError("initiated_by", f"must be agent, bot or system, got {initiated_by!r}")
    if not isinstance(warm, bool):
        raise ValidationError("warm", f"expected true or false, got {warm!r}")
    when = moment(at, clock)
    return lambda journey, now: flow.transfer_steps(
        journey,
        to_channel=to_channel,
        reason=reason,
        by=by,
        to_agent=to_agent,
        at=when,
        warm=warm,
        initiated_by=initiated_by,
        to_role=to_role,
        now=now,
        priority=priority,
    )


def prioritize(flow: Flow, clock: Clock, priority: Priority, *, by: str | None, at: datetime | None) -> Act:
    check_priority(priority)
    if by is not None:
        by = _name(by, "by")
    when = moment(at, clock)
    return lambda journey, now: flow.prioritize_steps(journey, priority=priority, by=by, at=when, now=now)


def resolve(flow: Flow, clock: Clock, *, by: str, at: datetime | None) -> Act:
    by = _name(by, "by")
    when = moment(at, clock)
    return lambda journey, now: flow.resolve_steps(journey, by=by, at=when, now=now)


def rate(
    flow: Flow,
    clock: Clock,
    *,
    csat: int | None,
    nps: int | None,
    ces: int | None,
    channel: str | None,
    at: datetime | None,
    comment: str | None,
) -> Act:
    scores = survey_scores(csat=csat, nps=nps, ces=ces)
    if comment is not None:
        require_text(comment, "comment", max_len=10_000)
    if channel is not None:
        channels.get(channel)
    when = moment(at, clock)
    return lambda journey, now: flow.rate_steps(
        journey, scores=scores, comment=comment, channel=channel, at=when, now=now
    )
