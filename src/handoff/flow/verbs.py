"""The verbs as a board calls them: arguments checked, then one attempt's steps.

``Switchboard`` and the asyncio board's native path take the same arguments and refuse
the same ones, with the same messages, before anything is read; this module is where
they are checked. Each agent verb's function checks its arguments in the board's order
(names are masked, the time of the event is fixed once, before any retry) and returns
an :data:`Act`: given the journey as found on an attempt (:func:`journey_steps`) and
that attempt's ``now``, the verb's steps on ``flow`` (:mod:`handoff.flow.read`). The
blocking board answers them from its store, the asyncio board from its own; both find
the journey again and retry the same way. ``receive`` and ``ingest`` share their checks
(:func:`with_priority`, :func:`check_parsed`) and ``ingest`` its report
(:func:`ingested`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from attrs import evolve

from handoff import channels
from handoff._validate import require_text
from handoff.clock import Clock, ensure_aware
from handoff.errors import IngestError, NotFound, ValidationError
from handoff.events import Inbound, JourneyOutcome, survey_scores
from handoff.flow import desk
from handoff.flow.plan import Draft
from handoff.flow.read import Steps
from handoff.flow.run import Flow
from handoff.ingest.base import Parsed
from handoff.masking import mask_secrets
from handoff.models import PRIORITIES, Contact, Initiator, Journey, Priority
from handoff.policy.situation import check_role

__all__ = [
    "Act",
    "agent_name",
    "check_parsed",
    "check_priority",
    "ingested",
    "journey_steps",
    "moment",
    "note",
    "prioritize",
    "rate",
    "reply",
    "resolve",
    "transfer",
    "with_priority",
]

Act = Callable[[Journey, datetime], Steps[JourneyOutcome]]
"""One attempt of an agent verb: the journey as found on that attempt, and its ``now``."""

_AGENT_CAP = 200


def check_priority(value: object, field: str = "priority") -> Priority:
    """``value`` if it is a journey priority; else a ValidationError naming ``field``."""
    if value not in PRIORITIES:
        raise ValidationError(field, f"expected one of {', '.join(PRIORITIES)}, got {value!r}")
    return value


def with_priority(inbound: Inbound, priority: Priority | None) -> Inbound:
    """``inbound`` with ``priority`` (checked), when one is given, in place of its own."""
    return inbound if priority is None else evolve(inbound, priority=check_priority(priority))


def moment(at: datetime | None, clock: Clock) -> datetime:
    """When an event happened, in UTC: ``at`` (which must be timezone-aware), else now."""
    when = clock.now() if at is None else ensure_aware(at, "at")
    return when.astimezone(timezone.utc)


def agent_name(value: object, field: str) -> str:
    """An agent's (or a bot's) name, masked like every text that is stored."""
    return mask_secrets(require_text(value, field, max_len=_AGENT_CAP))


def _reason(value: object) -> str:
    if not isinstance(value, str) or not value or not value.replace("_", "").isalnum() or not value.islower():
        raise ValidationError("reason", f"expected a lower-case word like 'escalation', got {value!r}")
    return value


def _drafted(flow: Flow, draft: Callable[[Journey, Contact], Draft]) -> Act:
    """The act of a verb that reads only the journey and its contact, then drafts."""
    return lambda journey, now: flow.act(journey, now, draft)


def check_parsed(parsed: object) -> Parsed:
    """What ``ingest`` takes: a channel adapter's :class:`~handoff.ingest.base.Parsed`."""
    if not isinstance(parsed, Parsed):
        raise ValidationError("parsed", f"expected a Parsed from handoff.ingest, got {type(parsed).__name__}")
    return parsed


def ingested(outcomes: list[JourneyOutcome], failures: Sequence[str]) -> list[JourneyOutcome]:
    """What ``ingest`` returns once every part was tried: the outcomes, or an
    :class:`~handoff.errors.IngestError` listing the failures (``$.inbounds[i]: why``)
    that carries them."""
    if failures:
        error = IngestError(failures[0].split(":", 1)[0], "; ".join(failures))
        error.outcomes = outcomes
        raise error
    return outcomes


def journey_steps(key: str) -> Steps[Journey]:
    """The journey an agent verb names, by id or by its customer-facing reference."""
    if not isinstance(key, str) or not key.strip():
        raise ValidationError("journey_id", f"expected a journey id or reference, got {key!r}")
    if key.upper().startswith("J-"):
        found: Journey | None = yield ("find_journey_by_reference", (key.strip().upper(),), {})
        if found is None:
            raise NotFound("journey", key)
        return found
    journey: Journey = yield ("get_journey", (key,), {})
    return journey


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
    agent = agent_name(agent, "agent")
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
    agent = agent_name(agent, "agent")
    require_text(body, "body")
    when = moment(at, clock)
    return _drafted(flow, lambda j, c: desk.draft_note(j, c, flow.ids, agent=agent, body=body, at=when))


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
    by = agent_name(by, "by")
    if to_agent is not None:
        to_agent = agent_name(to_agent, "to_agent")
    if initiated_by not in ("agent", "bot", "system"):
        raise ValidationError("initiated_by", f"must be agent, bot or system, got {initiated_by!r}")
    if not isinstance(warm, bool):
        raise ValidationError("warm", f"expected true or false, got {warm!r}")
    when = moment(at, clock)
    return _drafted(
        flow,
        lambda j, c: desk.draft_transfer(
            j,
            c,
            flow.ids,
            to_channel=to_channel,
            reason=reason,
            by=by,
            to_agent=to_agent,
            at=when,
            warm=warm,
            initiated_by=initiated_by,
            to_role=to_role,
            callback_within=flow.policy.settings.callback_within,
            priority=priority,
        ),
    )


def prioritize(flow: Flow, clock: Clock, priority: Priority, *, by: str | None, at: datetime | None) -> Act:
    check_priority(priority)
    if by is not None:
        by = agent_name(by, "by")
    when = moment(at, clock)
    return _drafted(flow, lambda j, c: desk.draft_priority(j, c, flow.ids, priority=priority, by=by, at=when))


def resolve(flow: Flow, clock: Clock, *, by: str, at: datetime | None) -> Act:
    by = agent_name(by, "by")
    when = moment(at, clock)
    return _drafted(flow, lambda j, c: desk.draft_resolution(j, c, flow.ids, by=by, at=when))


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
    return _drafted(
        flow,
        lambda j, c: desk.draft_rating(
            j, c, flow.ids, scores=scores, comment=comment, channel=channel, at=when
        ),
    )
