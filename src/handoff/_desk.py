"""The agent-side verbs: reply, note, transfer, resolve, and recording a survey answer.

One attempt each, on a journey already read: the Switchboard validates the arguments,
reads the journey and retries the attempt on a conflict. Every verb appends exactly
one interaction and commits through the :class:`~handoff._events.Writer`, so it
follows the same path as an inbound message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import evolve

from handoff._events import HandoffPlan, Writer
from handoff.errors import ValidationError
from handoff.events import JourneyOutcome
from handoff.masking import mask_secrets
from handoff.models import Interaction, Journey
from handoff.policy.engine import Event

__all__ = ["Desk"]


class Desk:
    def __init__(self, writer: Writer) -> None:
        self._writer = writer

    def reply(
        self,
        journey: Journey,
        *,
        agent: str,
        body: str,
        channel: str | None,
        at: datetime,
        external_id: str | None,
        bot: bool,
    ) -> JourneyOutcome:
        where = channel or journey.current_channel
        if external_id is not None:
            seen = self._writer.store.find_interaction(where, external_id)
            if seen is not None:
                return self._writer.duplicate(seen)
        if bot and journey.responder == "agent":
            raise ValidationError(
                "bot", f"a human agent has taken over {journey.reference}; the bot stays silent"
            )
        changes: dict[str, Any] = {"responder": "bot" if bot else "agent"}
        if journey.status == "open":
            changes["status"] = "pending"
        if not bot and journey.assignee is None:
            changes["assignee"] = agent
        author = "bot" if bot else "agent"
        interaction = self.interaction(journey, where, author, body, at, agent=agent, external_id=external_id)
        return self._commit(
            journey, evolve(journey, **changes), interaction, [Event("agent_replied", at, where, agent=agent)]
        )

    def note(self, journey: Journey, *, agent: str, body: str, at: datetime) -> JourneyOutcome:
        interaction = self.interaction(
            journey, journey.current_channel, "agent", body, at, agent=agent, kind="note"
        )
        return self._commit(journey, journey, interaction, [])

    def transfer(
        self,
        journey: Journey,
        *,
        to_channel: str,
        reason: str,
        by: str,
        to_agent: str | None,
        at: datetime,
        warm: bool,
        initiated_by: str,
        to_role: str | None = None,
    ) -> JourneyOutcome:
        if not journey.is_active:
            raise ValidationError(
                "journey_id", f"{journey.reference} is {journey.status}; only open journeys move"
            )
        from_channel = journey.current_channel
        text = f"Transferred from {from_channel} to {to_channel} by {by}" + (
            f" to {to_agent}" if to_agent else ""
        )
        interaction = self.interaction(
            journey,
            to_channel,
            initiated_by,
            f"{text} ({reason.replace('_', ' ')})",
            at,
            agent=by,
            kind="event",
            metadata={
                "transfer": "1",
                "from_channel": from_channel,
                "reason": reason,
                **({"to_role": to_role} if to_role else {}),
            },
        )
        contact = self._writer.store.get_contact(journey.contact_id)
        changes: dict[str, Any] = {
            "current_channel": to_channel,
            "handoff_count": journey.handoff_count + 1,
            "assignee": to_agent,
        }
        if initiated_by == "bot" or to_agent is not None:
            changes["responder"] = "agent"
        if to_channel == "phone" and from_channel != "phone":
            phone = next((i.value for i in contact.identities if i.kind == "phone"), None)
            due = (at + self._writer.policy.settings.callback_within).isoformat(timespec="minutes")
            promise = f"{to_agent or 'an agent'} to call {phone or 'the customer'} by {due}"
            changes["commitments"] = (*journey.commitments, promise)
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
        return self._writer.commit(
            contact=contact,
            contact_version=contact.version,
            contact_changed=False,
            journey=evolve(journey, **changes),
            journey_version=journey.version,
            interaction=interaction,
            events=[event],
            handoff=HandoffPlan(from_channel, to_channel, initiated_by, reason, by, to_agent, warm, to_role),
            previous_channel=from_channel,
        )

    def resolve(self, journey: Journey, *, by: str, at: datetime) -> JourneyOutcome:
        if not journey.is_active:
            raise ValidationError("journey_id", f"{journey.reference} is already {journey.status}")
        channel = journey.current_channel
        interaction = self.interaction(
            journey, channel, "agent", f"Resolved by {by}", at, agent=by, kind="event"
        )
        after = evolve(
            journey,
            status="resolved",
            resolved_at=at,
            resolved_by=by,
            commitments=(),
            unresolved_messages=0,
        )
        return self._commit(journey, after, interaction, [Event("resolved", at, channel, agent=by)])

    def rate(
        self,
        journey: Journey,
        *,
        scores: dict[str, int],
        comment: str | None,
        channel: str | None,
        at: datetime,
    ) -> JourneyOutcome:
        where = channel or journey.last_customer_channel or journey.current_channel
        text = ", ".join(f"{name.upper()} {value}" for name, value in scores.items())
        interaction = self.interaction(
            journey,
            where,
            "customer",
            f"{text}: {comment}" if comment else text,
            at,
            kind="survey",
            metadata={name: str(value) for name, value in scores.items()},
        )
        return self._commit(journey, journey, interaction, [Event("survey_answered", at, where)])

    def interaction(
        self,
        journey: Journey,
        channel: str,
        author: str,
        body: str,
        at: datetime,
        *,
        agent: str | None = None,
        external_id: str | None = None,
        kind: str = "message",
        metadata: dict[str, str] | None = None,
    ) -> Interaction:
        """The next interaction of ``journey`` (secrets masked before anything is kept)."""
        return Interaction(
            id=self._writer.ids.new_id("ix"),
            journey_id=journey.id,
            contact_id=journey.contact_id,
            channel=channel,
            author=author,  # type: ignore[arg-type]
            body=mask_secrets(body),
            at=at,
            sequence=journey.version + 1,
            kind=kind,  # type: ignore[arg-type]
            external_id=external_id,
            agent=agent,
            metadata=metadata or {},
        )

    def _commit(
        self, before: Journey, after: Journey, interaction: Interaction, events: list[Event]
    ) -> JourneyOutcome:
        contact = self._writer.store.get_contact(before.contact_id)
        return self._writer.commit(
            contact=contact,
            contact_version=contact.version,
            contact_changed=False,
            journey=after,
            journey_version=before.version,
            interaction=interaction,
            events=events,
        )
