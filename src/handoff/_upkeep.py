"""What happens without a new message: the periodic tick and providers' delivery reports.

``tick`` evaluates the time-based rules (a customer who went quiet after an agent's
reply, SLA warnings) for every active journey; ``apply_delivery`` turns a provider's
delivered / read / failed / opted-out / retracted report into notification state,
consent and a retraction record.
"""

from __future__ import annotations

from datetime import datetime

from handoff._events import Writer
from handoff.contacts import with_profile
from handoff.events import Suggestion, TickOutcome, Verdict
from handoff.identity import parse_identity
from handoff.ingest.base import DeliveryEvent
from handoff.models import DecisionRecord, Interaction, Notification
from handoff.policy.engine import tick_events
from handoff.policy.situation import Situation
from handoff.stores.base import Changeset

__all__ = ["apply_delivery", "tick"]

_STATUS = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed", "bounced": "failed"}


def tick(writer: Writer, now: datetime, since: datetime | None, *, limit: int | None = None) -> TickOutcome:
    """Evaluate time-based events due since the previous tick for every active journey."""
    store, policy = writer.store, writer.policy
    journeys = store.active_journeys(limit=limit)
    notifications: list[Notification] = []
    suggestions: list[Suggestion] = []
    trace: list[Verdict] = []
    for journey in journeys:
        events = tick_events(journey, now, policy.settings, since)
        if not events:
            continue
        contact = store.get_contact(journey.contact_id)
        last = store.interactions(journey.id, last=1)
        planned: list[Notification] = []
        records: list[DecisionRecord] = []
        earlier = writer.recent_notifications(journey, now)
        for event in events:
            situation = Situation(
                event,
                journey,
                contact,
                last[0] if last else None,
                recent_notifications=(*earlier, *planned),
                customer_messages=journey.unresolved_messages,
            )
            decision = policy.on_tick(situation)
            made = writer.notifications(decision, journey, contact)
            planned.extend(made)
            if made or decision.suggestions:
                records.append(DecisionRecord(decision.id, journey.id, contact.id, now, decision.to_dict()))
            trace.extend(
                Verdict(f"{journey.reference}: {v.rule}", v.matched, v.reason) for v in decision.verdicts
            )
            suggestions.extend(decision.suggestions)
        if planned or records:
            store.commit(Changeset(notifications=tuple(planned), decisions=tuple(records)))
            notifications.extend(planned)
    return TickOutcome(
        at=now,
        journeys=len(journeys),
        notifications=tuple(notifications),
        trace=tuple(trace),
        suggestions=tuple(suggestions),
    )


def apply_delivery(writer: Writer, event: DeliveryEvent) -> str:
    """Apply one delivery report (one attempt); returns what was done, for the caller's trace."""
    store = writer.store
    if event.status == "retracted":
        return _retracted(writer, event)
    done = []
    sent = store.find_notification(event.provider_id)
    if sent is not None and event.status in _STATUS:
        marked = store.mark_notification(sent.id, _STATUS[event.status], event.at)
        done.append(f"notification {sent.id} is {marked.status}")
    if event.status == "opted_out" and event.identity is not None:
        contact = store.find_contact(parse_identity(event.identity))
        if contact is not None and contact.consent.get(event.channel) is not False:
            changed = with_profile(contact, {"consent": {event.channel: False}})
            store.commit(Changeset(contact=changed, expected_contact_version=contact.version))
            done.append(f"consent for {event.channel} withdrawn")
    return "; ".join(done) or f"{event.status} for {event.provider_id}: nothing here to update"


def _retracted(writer: Writer, event: DeliveryEvent) -> str:
    """The customer deleted a message: say so on its journey (history itself stays immutable)."""
    store = writer.store
    original = store.find_interaction(event.channel, event.provider_id)
    marker = f"retracted:{event.provider_id}"
    if original is None:
        return f"retracted {event.provider_id}: not stored here"
    if store.find_interaction(event.channel, marker) is not None:
        return f"retracted {event.provider_id}: already recorded"
    journey = store.get_journey(original.journey_id)
    contact = store.get_contact(journey.contact_id)
    retraction = Interaction(
        id=writer.ids.new_id("ix"),
        journey_id=journey.id,
        contact_id=journey.contact_id,
        channel=event.channel,
        author="customer",
        body="The customer deleted a message",
        at=event.at,
        sequence=journey.version + 1,
        kind="event",
        external_id=marker,
        metadata={"retracted": event.provider_id, "interaction_id": original.id},
    )
    writer.commit(
        contact=contact,
        contact_version=contact.version,
        contact_changed=False,
        journey=journey,
        journey_version=journey.version,
        interaction=retraction,
        events=[],
    )
    return f"message {event.provider_id} retracted"
