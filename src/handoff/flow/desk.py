"""Planning the agent-side verbs (pure): reply, note, transfer, resolve, rate, and a retraction.

Each function turns a journey and its contact, already read, into the
:class:`~handoff.flow.plan.Draft` of exactly one interaction, which
:func:`~handoff.flow.plan.plan` completes like an inbound message.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from handoff._records import replace
from handoff.clock import IdFactory
from handoff.errors import ValidationError
from handoff.flow.plan import Draft, HandoffPlan, new_interaction
from handoff.models import Contact, Initiator, Interaction, Journey, Priority
from handoff.policy.engine import Event

__all__ = [
    "draft_note",
    "draft_priority",
    "draft_rating",
    "draft_reply",
    "draft_resolution",
    "draft_retraction",
    "draft_transfer",
]


def _draft(
    contact: Contact, before: Journey, after: Journey, interaction: Interaction, *events: Event
) -> Draft:
    return Draft(
        contact=contact,
        contact_version=contact.version,
        journey=after,
        journey_version=before.version,
        interaction=interaction,
        events=events,
        before=before,
    )


def draft_reply(
    journey: Journey,
    contact: Contact,
    ids: IdFactory,
    *,
    agent: str,
    body: str,
    channel: str,
    at: datetime,
    external_id: str | None,
    bot: bool,
) -> Draft:
    """An agent's (or bot's) reply; a bot may not reply once a human agent has taken over."""
    if bot and journey.responder == "agent":
        raise ValidationError(
            "bot", f"a human agent has taken over {journey.reference}; the bot stays silent"
        )
    changes: dict[str, Any] = {"responder": "bot" if bot else "agent"}
    if journey.status == "open":
        changes["status"] = "pending"
    if not bot and journey.assignee is None:
        changes["assignee"] = agent
    interaction = new_interaction(
        ids.new_id("ix"),
        journey,
        channel=channel,
        author="bot" if bot else "agent",
        body=body,
        at=at,
        agent=agent,
        external_id=external_id,
    )
    event = Event("agent_replied", at, channel, agent=agent)
    return _draft(contact, journey, replace(journey, **changes), interaction, event)


def draft_note(
    journey: Journey, contact: Contact, ids: IdFactory, *, agent: str, body: str, at: datetime
) -> Draft:
    """An internal note: never sent to the customer, always shown to the next agent."""
    interaction = new_interaction(
        ids.new_id("ix"), journey, channel=journey.current_channel, author="agent", body=body, at=at,
        kind="note", agent=agent,
    )  # fmt: skip
    return _draft(contact, journey, journey, interaction)


def draft_transfer(
    journey: Journey,
    contact: Contact,
    ids: IdFactory,
    *,
    to_channel: str,
    reason: str,
    by: str,
    to_agent: str | None,
    at: datetime,
    warm: bool,
    initiated_by: Initiator,
    to_role: str | None,
    callback_within: timedelta,
    priority: Priority | None = None,
) -> Draft:
    """Hand the journey to another channel and/or agent; a move to the phone promises a call."""
    if not journey.is_active:
        raise ValidationError(
            "journey_id", f"{journey.reference} is {journey.status}; only open journeys move"
        )
    from_channel = journey.current_channel
    text = f"Transferred from {from_channel} to {to_channel} by {by}" + (
        f" to {to_agent}" if to_agent else ""
    )
    interaction = new_interaction(
        ids.new_id("ix"),
        journey,
        channel=to_channel,
        author=initiated_by,
        body=f"{text} ({reason.replace('_', ' ')})",
        at=at,
        kind="event",
        agent=by,
        metadata={
            "transfer": "1",
            "from_channel": from_channel,
            "reason": reason,
            **({"to_role": to_role} if to_role else {}),
        },
    )
    changes: dict[str, Any] = {
        "current_channel": to_channel,
        "handoff_count": journey.handoff_count + 1,
        "assignee": to_agent,
    }
    if initiated_by == "bot" or to_agent is not None:
        changes["responder"] = "agent"
    if priority is not None:
        changes["priority"] = priority
    if to_channel == "phone" and from_channel != "phone":
        phone = next((i.value for i in contact.identities if i.kind == "phone"), None)
        due = (at + callback_within).isoformat(timespec="minutes")
        changes["commitments"] = (
            *journey.commitments,
            f"{to_agent or 'an agent'} to call {phone or 'the customer'} by {due}",
        )
    event = Event(
        "transfer_requested",
        at,
        to_channel,
        from_channel=from_channel,
        to_channel=to_channel,
        initiated_by=initiated_by,
        reason=reason,
        agent=by,
        to_agent=to_agent,
        to_role=to_role,
    )
    return Draft(
        contact=contact,
        contact_version=contact.version,
        journey=replace(journey, **changes),
        journey_version=journey.version,
        interaction=interaction,
        events=(event,),
        handoff=HandoffPlan(from_channel, to_channel, initiated_by, reason, by, to_agent, warm, to_role),
        previous_channel=from_channel,
        before=journey,
    )


def draft_priority(
    journey: Journey, contact: Contact, ids: IdFactory, *, priority: Priority, by: str | None, at: datetime
) -> Draft:
    """Set the journey's priority (its SLA targets follow), recorded as an event in its history."""
    text = f"Priority {journey.priority} → {priority}" + (f" by {by}" if by else "")
    interaction = new_interaction(
        ids.new_id("ix"), journey, channel=journey.current_channel, author="agent" if by else "system",
        body=text, at=at, kind="event", agent=by, metadata={"priority": priority, "was": journey.priority},
    )  # fmt: skip
    return _draft(contact, journey, replace(journey, priority=priority), interaction)


def draft_resolution(journey: Journey, contact: Contact, ids: IdFactory, *, by: str, at: datetime) -> Draft:
    """Mark the journey resolved; the policy may schedule a satisfaction survey."""
    if not journey.is_active:
        raise ValidationError("journey_id", f"{journey.reference} is already {journey.status}")
    channel = journey.current_channel
    interaction = new_interaction(
        ids.new_id("ix"), journey, channel=channel, author="agent", body=f"Resolved by {by}", at=at,
        kind="event", agent=by,
    )  # fmt: skip
    after = replace(
        journey,
        status="resolved",
        resolved_at=at,
        resolved_by=by,
        commitments=(),
        unresolved_messages=0,
        awaiting_since=None,
    )
    return _draft(contact, journey, after, interaction, Event("resolved", at, channel, agent=by))


def draft_rating(
    journey: Journey,
    contact: Contact,
    ids: IdFactory,
    *,
    scores: dict[str, int],
    comment: str | None,
    channel: str | None,
    at: datetime,
) -> Draft:
    """The customer's survey answers, as a ``survey`` interaction whose metadata holds the scores."""
    where = channel or journey.last_customer_channel or journey.current_channel
    text = ", ".join(f"{name.upper()} {value}" for name, value in scores.items())
    interaction = new_interaction(
        ids.new_id("ix"),
        journey,
        channel=where,
        author="customer",
        body=f"{text}: {comment}" if comment else text,
        at=at,
        kind="survey",
        metadata={name: str(value) for name, value in scores.items()},
    )
    return _draft(contact, journey, journey, interaction, Event("survey_answered", at, where))


def draft_retraction(
    journey: Journey,
    contact: Contact,
    ids: IdFactory,
    *,
    original: Interaction,
    provider_id: str,
    at: datetime,
) -> Draft:
    """The customer deleted a message: say so on its journey (history itself stays immutable)."""
    interaction = new_interaction(
        ids.new_id("ix"),
        journey,
        channel=original.channel,
        author="customer",
        body="The customer deleted a message",
        at=at,
        kind="event",
        external_id=f"retracted:{provider_id}",
        metadata={"retracted": provider_id, "interaction_id": original.id},
    )
    return _draft(contact, journey, journey, interaction)
