"""Scheduled callbacks, pure: valid slots, and the drafts of booking and closing one.

A callback is booked inside the policy's ``callback_hours`` on its ``business_days``, on
the customer's own wall clock (``Contact.timezone``; UTC when that zone is unknown), on a
slot boundary (``callback_slot``: every half hour by default), in the future, on a number
the contact has, and not on top of another callback of the journey still scheduled.
Wall times are resolved in the zone, so a slot across a DST change is the local time the
customer was told, and a wall time the change skips is never offered.

Each event is drafted as one interaction planned by :func:`~handoff.flow.plan.plan` like
any other, and :func:`with_callback` adds the callback (and the reminder it cancels) to
the changeset: booking writes an ``event``, a reached callback a ``call`` by the agent (it
is contact with the customer, and the journey's history shows it), a missed or
cancelled one an ``event``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs

from handoff.clock import IdFactory
from handoff.errors import ValidationError
from handoff.flow.plan import Draft, Planned, new_interaction
from handoff.models import Callback, CallbackStatus, Contact, Interaction, Journey
from handoff.policy.engine import Event, PolicySettings
from handoff.policy.schedule import parse_clock_time, spoken_slot, zone

__all__ = [
    "callback_zone",
    "check_slot",
    "close_callback",
    "draft_booking",
    "draft_closing",
    "phone_number",
    "propose_slots",
    "with_callback",
]

_SEARCH_DAYS = 56
"""How far ahead slots are looked for: eight weeks, enough for a few slots on one business
day a week with every other slot of the journey booked."""


def callback_zone(contact: Contact) -> tuple[ZoneInfo, str]:
    """The zone callback hours are read in: the contact's, or UTC when it is unknown."""
    try:
        return zone(contact.timezone), contact.timezone
    except ValidationError:
        return ZoneInfo("UTC"), "UTC"


def phone_number(contact: Contact) -> str:
    """The E.164 number a callback dials; a contact without a phone is a ValidationError."""
    phone = next((i.value for i in contact.identities if i.kind == "phone"), None)
    if phone is None:
        raise ValidationError(
            "number", f"contact {contact.id} has no phone number; link one (board.link) before booking a call"
        )
    return phone


def _hours(settings: PolicySettings) -> tuple[time, time]:
    start = parse_clock_time(settings.callback_hours[0], "callback_hours[0]")
    end = parse_clock_time(settings.callback_hours[1], "callback_hours[1]")
    return start, end


def _on_boundary(local: datetime, start: time, step: timedelta) -> bool:
    """Whether ``local`` starts a slot: slots follow one another from the start of the hours."""
    since = datetime.combine(local.date(), local.time()) - datetime.combine(local.date(), start)
    return since % step == timedelta(0)


def _overlaps(at: datetime, booked: Sequence[Callback], length: timedelta) -> Callback | None:
    return next((c for c in booked if c.is_open and abs(c.at - at) < length), None)


def check_slot(
    at: datetime,
    contact: Contact,
    settings: PolicySettings,
    *,
    now: datetime,
    booked: Sequence[Callback] = (),
) -> None:
    """Refuse a slot a callback may not take, with a ValidationError naming ``at``."""
    tz, name = callback_zone(contact)
    local = at.astimezone(tz)
    start, end = _hours(settings)
    step = settings.callback_slot
    hours = f"{settings.callback_hours[0]}-{settings.callback_hours[1]}"
    if at <= now:
        raise ValidationError("at", f"{spoken_slot(at, name)} is not in the future")
    if local.isoweekday() not in settings.business_days:
        raise ValidationError("at", f"{spoken_slot(at, name)} is not a callback day for the customer")
    if not start <= local.time() < end:
        raise ValidationError(
            "at", f"{spoken_slot(at, name)} is outside callback hours ({hours} on the customer's clock)"
        )
    if step > timedelta(0) and not _on_boundary(local, start, step):
        raise ValidationError("at", f"{spoken_slot(at, name)} does not start a {_minutes(step)} slot")
    clash = _overlaps(at, booked, step if step > timedelta(0) else timedelta(minutes=1))
    if clash is not None:
        raise ValidationError("at", f"callback {clash.id} is already booked at {spoken_slot(clash.at, name)}")


def _minutes(step: timedelta) -> str:
    return f"{int(step.total_seconds() // 60)}-minute"


def propose_slots(
    contact: Contact,
    settings: PolicySettings,
    *,
    now: datetime,
    booked: Sequence[Callback] = (),
    count: int = 3,
) -> list[datetime]:
    """The next ``count`` slots :func:`check_slot` accepts, earliest first (UTC).

    Walks the customer's wall clock slot by slot from now; a wall time that does not
    exist (skipped by a spring-forward) or exists twice (a fall-back) is left out."""
    tz, _ = callback_zone(contact)
    start, end = _hours(settings)
    step = settings.callback_slot if settings.callback_slot > timedelta(0) else timedelta(minutes=30)
    found: list[datetime] = []
    day: date = now.astimezone(tz).date()
    for _ in range(_SEARCH_DAYS):
        if day.isoweekday() in settings.business_days:
            wall = datetime.combine(day, start)
            while wall.time() < end and wall.date() == day and len(found) < count:
                slot = _resolved(wall, tz)
                if slot is not None and slot > now and _overlaps(slot, booked, step) is None:
                    found.append(slot.astimezone(now.tzinfo))
                wall += step
        if len(found) >= count:
            break
        day += timedelta(days=1)
    return found


def _resolved(wall: datetime, tz: ZoneInfo) -> datetime | None:
    """The moment a wall time names in ``tz``; None if it does not exist or is ambiguous."""
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        return None
    return first


def draft_booking(
    journey: Journey,
    contact: Contact,
    callback: Callback,
    ids: IdFactory,
    *,
    at: datetime,
) -> Draft:
    """The booking of ``callback``: an ``event`` on the journey and ``callback_scheduled``."""
    if not journey.is_active:
        raise ValidationError("journey_id", f"{journey.reference} is {journey.status}; reopen it first")
    _, name = callback_zone(contact)
    who = callback.agent or "the next available agent"
    interaction = new_interaction(
        ids.new_id("ix"),
        journey,
        channel=journey.current_channel,
        author="agent" if callback.agent else "system",
        body=f"Callback booked for {spoken_slot(callback.at, name)}: {who} to call {callback.number}",
        at=at,
        kind="event",
        agent=callback.agent,
        metadata={"callback": callback.id, "callback_status": "scheduled"},
    )
    event = Event("callback_scheduled", at, callback.channel, agent=callback.agent, callback_at=callback.at)
    return _draft(journey, contact, interaction, event)


def draft_closing(
    journey: Journey,
    contact: Contact,
    callback: Callback,
    ids: IdFactory,
    *,
    status: CallbackStatus,
    at: datetime,
    reason: str,
    next_slot: datetime | None = None,
) -> Draft:
    """A callback closes: ``done`` is the call itself, by its agent; ``missed`` (with the
    next free slot offered) and ``cancelled`` are events."""
    _, name = callback_zone(contact)
    slot = spoken_slot(callback.at, name)
    metadata = {"callback": callback.id, "callback_status": status}
    if status == "done":
        interaction = new_interaction(
            ids.new_id("ix"), journey, channel=callback.channel, author="agent",
            body=f"Callback to {callback.number} at {slot}: the customer was reached", at=at,
            kind="call", agent=callback.agent, metadata=metadata,
        )  # fmt: skip
        return _draft(journey, contact, interaction)
    interaction = new_interaction(
        ids.new_id("ix"), journey, channel=journey.current_channel,
        author="agent" if callback.agent else "system",
        body=f"Callback to {callback.number} at {slot} {status}: {reason}", at=at, kind="event",
        agent=callback.agent, metadata=metadata,
    )  # fmt: skip
    if status != "missed":
        return _draft(journey, contact, interaction)
    event = Event(
        "callback_missed",
        at,
        callback.channel,
        reason=reason.replace(" ", "_"),
        agent=callback.agent,
        callback_at=callback.at,
        next_slot=next_slot,
    )
    return _draft(journey, contact, interaction, event)


def _draft(journey: Journey, contact: Contact, interaction: Interaction, *events: Event) -> Draft:
    return Draft(
        contact=contact,
        contact_version=contact.version,
        journey=journey,
        journey_version=journey.version,
        interaction=interaction,
        events=events,
    )


def close_callback(callback: Callback, status: CallbackStatus, at: datetime) -> Callback:
    """``callback`` closed as ``status`` at ``at``; only a scheduled one closes."""
    if not callback.is_open:
        raise ValidationError("callback_id", f"callback {callback.id} is already {callback.status}")
    return attrs.evolve(callback, status=status, closed_at=at)


def with_callback(planned: Planned, callback: Callback) -> Planned:
    """``planned`` writing ``callback`` too: a booking keeps the id of the reminder the
    policy scheduled; a closing cancels that reminder if it is still pending."""
    changes, outcome = planned.changeset, planned.outcome
    cancelled: tuple[str, ...] = ()
    if callback.is_open:
        reminder = next((n for n in changes.notifications if n.purpose == "callback_reminder"), None)
        if reminder is not None:
            callback = attrs.evolve(callback, reminder_id=reminder.id)
    elif callback.reminder_id is not None:
        cancelled = (callback.reminder_id,)
    changes = attrs.evolve(changes, callbacks=(callback,), cancelled_notifications=cancelled)
    return attrs.evolve(planned, changeset=changes, outcome=attrs.evolve(outcome, callback=callback))
