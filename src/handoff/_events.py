"""Turning one event into one atomic write: policy, summary, handoff and outbox rows.

Shared by every Switchboard verb so that receive, reply, transfer and resolve follow
exactly the same path (design notes, "How data flows", steps 4-7).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from attrs import define, evolve

from handoff import ledger
from handoff.clock import Clock, IdFactory
from handoff.events import JourneyOutcome, Suggestion, Verdict
from handoff.masking import mask_secrets
from handoff.models import Contact, DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.policy.engine import Decision, Event, Policy, Situation
from handoff.stores.base import Changeset, Store
from handoff.summary import SummarySpec, build_summary, for_role

__all__ = ["HandoffPlan", "Writer"]

RECENT_NOTIFICATIONS = timedelta(days=1)


@define(frozen=True)
class HandoffPlan:
    """The facts of a channel switch, before its summary exists."""

    from_channel: str
    to_channel: str
    initiated_by: str
    reason: str
    from_agent: str | None = None
    to_agent: str | None = None
    warm: bool = False
    to_role: str | None = None


class Writer:
    """Plans and commits one event; the Switchboard retries it on a conflict."""

    def __init__(
        self,
        store: Store,
        policy: Policy,
        clock: Clock,
        ids: IdFactory,
        sentiment: Callable[[str], float | None] | None = None,
        *,
        notify: bool = True,
    ) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        self.ids = ids
        self.sentiment = sentiment
        self.notify = notify

    def commit(
        self,
        *,
        contact: Contact,
        contact_version: int,
        contact_changed: bool,
        journey: Journey,
        journey_version: int,
        interaction: Interaction,
        events: Sequence[Event],
        handoff: HandoffPlan | None = None,
        previous_channel: str | None = None,
        extra_trace: Sequence[Verdict] = (),
        stored_notifications: Sequence[Notification] | None = None,
    ) -> JourneyOutcome:
        """Apply ``interaction`` to ``journey`` (already carrying status changes) and commit.

        ``contact_version`` and ``journey_version`` are the versions read (0 = new);
        ``stored_notifications``, when the caller has read them already, are the journey's.
        """
        after = ledger.append(journey, interaction)
        earlier = self.recent_notifications(after, interaction.at, stored_notifications) if events else ()
        mood = self._mood(interaction)
        flags: frozenset[str] = frozenset({"sensitive"}) if interaction.sensitive else frozenset()
        decisions: list[Decision] = []
        planned: list[Notification] = []
        for event in events:
            situation = Situation(
                event,
                after,
                contact,
                interaction,
                previous_channel,
                recent_notifications=(*earlier, *planned),
                sentiment=mood,
                customer_messages=after.unresolved_messages,
                flags=flags,
            )
            decisions.append(self.policy.decide(situation))
            planned.extend(self.notifications(decisions[-1], after, contact))
        # Without notify (a backfill of old history) the policy still plans, so every other
        # record is exactly what a live event writes, but nothing is scheduled.
        notifications = tuple(planned) if self.notify else ()
        # The decision log keeps what can be asked about later: why a notification was
        # planned, or why an agent was advised to do something.
        logged = tuple(
            DecisionRecord(d.id, after.id, contact.id, interaction.at, d.to_dict())
            for d in decisions
            if (d.notifications and self.notify) or d.suggestions
        )
        trace = tuple(extra_trace) + tuple(v for d in decisions for v in d.verdicts)
        suggestions: tuple[Suggestion, ...] = tuple(s for d in decisions for s in d.suggestions)
        if any(n.purpose == "survey" for n in notifications):
            after = evolve(after, surveyed=True)
        record = None
        if handoff is not None:
            spec = next((d.summary for d in decisions if d.summary is not None), None) or SummarySpec()
            spec = for_role(spec, handoff.to_role, self.policy.settings.restricted_roles)
            record = self._handoff(handoff, after, contact, interaction, spec)
        self.store.commit(
            Changeset(
                contact=contact if contact_changed else None,
                expected_contact_version=contact_version if contact_changed else 0,
                journey=after,
                expected_journey_version=journey_version,
                interactions=(interaction,),
                handoffs=(record,) if record is not None else (),
                notifications=notifications,
                decisions=logged,
            )
        )
        return JourneyOutcome(
            journey=after,
            interaction=interaction,
            contact=contact,
            handoff=record,
            notifications=notifications,
            trace=trace,
            suggestions=suggestions,
        )

    def recent_notifications(
        self, journey: Journey, now: datetime, stored: Sequence[Notification] | None = None
    ) -> tuple[Notification, ...]:
        """The journey's notifications of the last day: what de-duplication and rate limits read.

        ``stored`` saves the read when the caller has the journey's notifications already.
        """
        if journey.version <= 1:
            return ()
        since = now - RECENT_NOTIFICATIONS
        found = self.store.notifications(journey.id) if stored is None else stored
        return tuple(n for n in found if n.status != "cancelled" and n.created_at >= since)

    def _mood(self, interaction: Interaction) -> float | None:
        """The host's sentiment score of a customer message, if a hook was given."""
        if self.sentiment is None or interaction.author != "customer" or not interaction.body:
            return None
        return self.sentiment(interaction.body)

    def notifications(self, decision: Decision, journey: Journey, contact: Contact) -> list[Notification]:
        now = self.clock.now()
        return [
            Notification(
                id=self.ids.new_id("nt"),
                journey_id=journey.id,
                contact_id=contact.id,
                channel=plan.channel,
                body=mask_secrets(plan.body),
                purpose=plan.purpose,
                send_at=plan.send_at,
                created_at=now,
                rule=plan.rule,
                reason=plan.reason,
                to=plan.to,
                template=plan.template,
                decision_id=decision.id,
            )
            for plan in decision.notifications
        ]

    def _handoff(
        self,
        plan: HandoffPlan,
        journey: Journey,
        contact: Contact,
        interaction: Interaction,
        spec: SummarySpec,
    ) -> Handoff:
        recent = self.recent(journey, interaction, spec.recent)
        transition = _transition_line(plan)
        summary = build_summary(
            journey,
            contact,
            recent,
            for_channel=plan.to_channel,
            now=interaction.at,
            spec=spec,
            transition=transition,
        )
        return Handoff(
            id=self.ids.new_id("ho"),
            journey_id=journey.id,
            interaction_id=interaction.id,
            from_channel=plan.from_channel,
            to_channel=plan.to_channel,
            initiated_by=plan.initiated_by,  # type: ignore[arg-type]
            reason=plan.reason,
            at=interaction.at,
            summary=summary,
            from_agent=plan.from_agent,
            to_agent=plan.to_agent,
            warm=plan.warm,
        )

    def duplicate(
        self, seen: Interaction, journey: Journey | None = None, contact: Contact | None = None
    ) -> JourneyOutcome:
        """The outcome of a redelivered message: what was stored the first time.

        ``journey`` and ``contact``, when the caller has read them already, are the message's.
        """
        journey = self.store.get_journey(seen.journey_id) if journey is None else journey
        return JourneyOutcome(
            journey=journey,
            interaction=seen,
            contact=self.store.get_contact(journey.contact_id) if contact is None else contact,
            trace=(
                Verdict("idempotency", True, f"{seen.channel} message {seen.external_id} is already stored"),
            ),
            duplicate=True,
        )

    def recent(self, journey: Journey, newest: Interaction | None, k: int) -> list[Interaction]:
        """The last ``k`` interactions, counting ``newest`` (not stored yet) if given."""
        if k <= 0:
            return []
        if newest is None:
            return self.store.interactions(journey.id, last=k)
        stored = self.store.interactions(journey.id, last=k - 1) if journey.version > 1 and k > 1 else []
        return [*stored, newest]


def _transition_line(plan: HandoffPlan) -> str:
    who = {"customer": "the customer", "agent": "an agent", "bot": "the bot", "system": "the system"}
    parts = [
        f"{plan.from_channel} → {plan.to_channel}",
        f"by {who.get(plan.initiated_by, plan.initiated_by)}",
    ]
    if plan.from_agent or plan.to_agent:
        parts.append(f"{plan.from_agent or '—'} → {plan.to_agent or 'next available agent'}")
    parts.append(f"reason: {plan.reason.replace('_', ' ')}")
    if plan.warm:
        parts.append("warm")
    return ", ".join(parts)
