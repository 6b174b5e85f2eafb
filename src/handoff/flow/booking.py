"""The callback verbs over one store: book, close, list, and the tick's missed callbacks.

Each verb is a generator of asks (:mod:`handoff.flow.read`) answered under the contact's
serialised writes; it drafts with
:mod:`handoff.flow.callbacks` (pure), plans with :func:`~handoff.flow.plan.plan` and
commits the callback in the same changeset as its interaction, notifications and
decisions. A store without :class:`~handoff.stores.capabilities.CallbackBook` is refused.
"""

from __future__ import annotations

from datetime import datetime

from handoff.errors import ConcurrencyConflict, StoreUnavailable, ValidationError
from handoff.events import JourneyOutcome, Suggestion, Verdict
from handoff.flow.callbacks import (
    check_slot,
    close_callback,
    draft_booking,
    draft_closing,
    phone_number,
    propose_slots,
    with_callback,
)
from handoff.flow.read import Steps
from handoff.flow.run import Flow
from handoff.models import Callback, CallbackStatus, Journey, Notification
from handoff.stores.capabilities import CallbackBook

__all__ = ["book", "book_of", "book_steps", "close", "close_steps", "miss_overdue", "slots"]


def book_of(flow: Flow) -> CallbackBook:
    """The store as a :class:`CallbackBook`, or StoreUnavailable saying it keeps none."""
    store = flow.store
    if not isinstance(store, CallbackBook):
        raise StoreUnavailable(
            f"{type(store).__name__} keeps no callbacks (it is not a handoff.stores.CallbackBook)"
        )
    return store


def slots(flow: Flow, journey: Journey, *, count: int, now: datetime) -> list[datetime]:
    """The next ``count`` free slots for the journey's customer."""
    booked = book_of(flow).callbacks(journey.id)
    contact = flow.store.get_contact(journey.contact_id)
    return propose_slots(contact, flow.policy.settings, now=now, booked=booked, count=count)


def book(
    flow: Flow, journey: Journey, *, at: datetime, channel: str, agent: str | None, now: datetime
) -> JourneyOutcome:
    """Book a callback at ``at``; the slot and the number are checked against what is stored."""
    book_of(flow)
    steps = book_steps(flow, journey, at=at, channel=channel, agent=agent, now=now)
    return flow.run(journey.contact_id, steps)


def book_steps(
    flow: Flow, journey: Journey, *, at: datetime, channel: str, agent: str | None, now: datetime
) -> Steps[JourneyOutcome]:
    """:func:`book` as asks (see :mod:`handoff.flow.read`), serialised by the journey's contact."""
    journey = yield ("get_journey", (journey.id,), {})
    contact = yield ("get_contact", (journey.contact_id,), {})
    number = phone_number(contact)
    booked = yield ("callbacks", (journey.id,), {})
    check_slot(at, contact, flow.policy.settings, now=now, booked=booked)
    callback = Callback(
        id=flow.ids.new_id("cb"),
        journey_id=journey.id,
        contact_id=contact.id,
        at=at,
        number=number,
        created_at=now,
        channel=channel,
        agent=agent,
    )
    draft = draft_booking(journey, contact, callback, flow.ids, at=now)
    return (yield from flow._commit(draft, now, finish=lambda planned: with_callback(planned, callback)))


def close(
    flow: Flow, callback_id: str, *, status: CallbackStatus, at: datetime, reason: str, now: datetime
) -> JourneyOutcome:
    """Close a scheduled callback as ``done``, ``missed`` (the policy offers another slot)
    or ``cancelled``; the reminder still pending is cancelled with it."""
    stored = book_of(flow).get_callback(callback_id)
    steps = close_steps(flow, callback_id, status=status, at=at, reason=reason, now=now)
    return flow.run(stored.contact_id, steps)


def close_steps(
    flow: Flow, callback_id: str, *, status: CallbackStatus, at: datetime, reason: str, now: datetime
) -> Steps[JourneyOutcome]:
    """:func:`close` as asks, serialised by the callback's contact."""
    callback = yield ("get_callback", (callback_id,), {})
    closed = close_callback(callback, status, at)
    journey = yield ("get_journey", (callback.journey_id,), {})
    contact = yield ("get_contact", (journey.contact_id,), {})
    following = None
    if status == "missed":
        others = [c for c in (yield ("callbacks", (journey.id,), {})) if c.id != callback.id]
        found = propose_slots(contact, flow.policy.settings, now=now, booked=others, count=1)
        following = found[0] if found else None
    draft = draft_closing(
        journey, contact, callback, flow.ids, status=status, at=at, reason=reason, next_slot=following
    )
    return (yield from flow._commit(draft, now, finish=lambda planned: with_callback(planned, closed)))


def miss_overdue(
    flow: Flow, now: datetime, *, limit: int | None = None
) -> tuple[list[Notification], list[Notification], list[Verdict], list[Suggestion]]:
    """Mark missed every callback still scheduled ``callback_grace`` after its slot (the
    tick's share); what the policy planned for each (customer notifications, then team
    alerts), and the trace naming its journey."""
    if not isinstance(flow.store, CallbackBook):
        return [], [], [], []
    overdue = flow.store.scheduled_callbacks(now - flow.policy.settings.callback_grace, limit=limit)
    notifications: list[Notification] = []
    alerts: list[Notification] = []
    trace: list[Verdict] = []
    suggestions: list[Suggestion] = []
    for callback in overdue:
        try:
            outcome = close(
                flow, callback.id, status="missed", at=now, reason="not recorded in time", now=now
            )
        except (ValidationError, ConcurrencyConflict):
            continue  # recorded meanwhile: it is no longer overdue
        notifications.extend(outcome.notifications)
        alerts.extend(outcome.alerts)
        reference = outcome.journey.reference
        trace.append(
            Verdict(f"{reference}: callback", True, f"callback {callback.id} missed: not recorded in time")
        )
        trace.extend(Verdict(f"{reference}: {v.rule}", v.matched, v.reason) for v in outcome.trace)
        suggestions.extend(outcome.suggestions)
    return notifications, alerts, trace, suggestions
