"""What happens without a new message: the periodic tick and providers' delivery reports.

:func:`tick` evaluates the time-based rules (a customer who went quiet after an agent's
reply, SLA warnings) and the SLA clocks (team alerts) for every active journey, planning each with
:func:`~handoff.flow.plan.plan_tick`, and marks callbacks nobody recorded in time missed
(:func:`~handoff.flow.booking.miss_overdue`); :func:`apply_delivery` turns a provider's
delivered / read / failed / opted-out / retracted report into notification state,
consent and a retraction record (planned like any other interaction).
"""

from __future__ import annotations

from datetime import datetime

from handoff.events import Suggestion, TickOutcome, Verdict
from handoff.flow.booking import miss_overdue
from handoff.flow.contacts import with_profile
from handoff.flow.desk import draft_retraction
from handoff.flow.plan import plan, plan_tick
from handoff.flow.read import read_notifications
from handoff.flow.run import Flow
from handoff.identity import parse_identity
from handoff.ingest.base import DeliveryEvent
from handoff.models import Notification
from handoff.policy.engine import tick_events
from handoff.policy.sla import running_clocks
from handoff.stores.base import Changeset

__all__ = ["apply_delivery", "tick"]

_STATUS = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed", "bounced": "failed"}


def tick(flow: Flow, now: datetime, since: datetime | None, *, limit: int | None = None) -> TickOutcome:
    """Evaluate time-based events due since the previous tick for every active journey."""
    store, policy = flow.store, flow.policy
    journeys = store.active_journeys(limit=limit)
    notifications: list[Notification] = []
    alerts: list[Notification] = []
    suggestions: list[Suggestion] = []
    trace: list[Verdict] = []
    for journey in journeys:
        events = tick_events(journey, now, policy.settings, since)
        if not events:
            continue
        contact = store.get_contact(journey.contact_id)
        last = store.interactions(journey.id, last=1)
        # What the journey already holds: what de-duplication reads, and the SLA alerts
        # already raised (a journey of one message holds none unless a clock is running late).
        read = journey.version > 1 or any(
            clock.stage(now) != "ok" for clock in running_clocks(journey, contact, policy.settings)
        )
        changes, outcome = plan_tick(
            journey,
            contact,
            events,
            last=last[0] if last else None,
            notifications=read_notifications(store, journey) if read else (),
            now=now,
            policy=policy,
            ids=flow.ids,
        )
        if changes is not None:
            store.commit(changes)
            notifications.extend(outcome.notifications)
            alerts.extend(outcome.alerts)
        trace.extend(outcome.trace)
        suggestions.extend(outcome.suggestions)
    missed, missed_alerts, missed_trace, missed_suggestions = miss_overdue(flow, now, limit=limit)
    notifications.extend(missed)
    alerts.extend(missed_alerts)
    trace.extend(missed_trace)
    suggestions.extend(missed_suggestions)
    return TickOutcome(
        at=now,
        journeys=len(journeys),
        notifications=tuple(notifications),
        trace=tuple(trace),
        suggestions=tuple(suggestions),
        alerts=tuple(alerts),
    )


def apply_delivery(flow: Flow, event: DeliveryEvent, now: datetime) -> str:
    """Apply one delivery report (one attempt); returns what was done, for the caller's trace."""
    store = flow.store
    if event.status == "retracted":
        return _retracted(flow, event, now)
    done = []
    sent = store.find_notification(event.provider_id)
    if sent is not None and event.status in _STATUS:
        marked = store.mark_notification(sent.id, _STATUS[event.status], event.at)
        done.append(f"notification {sent.id} is {marked.status}")
    if event.status == "opted_out" and event.identity is not None:
        contact = store.find_contact_brief(parse_identity(event.identity))
        if contact is not None and contact.consent.get(event.channel) is not False:
            changed = with_profile(contact, {"consent": {event.channel: False}})
            store.commit(Changeset(contact=changed, expected_contact_version=contact.version))
            done.append(f"consent for {event.channel} withdrawn")
    return "; ".join(done) or f"{event.status} for {event.provider_id}: nothing here to update"


def _retracted(flow: Flow, event: DeliveryEvent, now: datetime) -> str:
    """The customer deleted a message: say so on its journey (history itself stays immutable)."""
    store = flow.store
    original = store.find_interaction(event.channel, event.provider_id)
    if original is None:
        return f"retracted {event.provider_id}: not stored here"
    if store.find_interaction(event.channel, f"retracted:{event.provider_id}") is not None:
        return f"retracted {event.provider_id}: already recorded"
    journey = store.get_journey(original.journey_id)
    contact = store.get_contact(journey.contact_id)
    draft = draft_retraction(
        journey, contact, flow.ids, original=original, provider_id=event.provider_id, at=event.at
    )
    store.commit(
        plan(draft, recent=(), notifications=(), now=now, policy=flow.policy, ids=flow.ids).changeset
    )
    return f"message {event.provider_id} retracted"
