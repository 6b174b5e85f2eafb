"""What a policy reads (the event and its situation) and what its rules hand back.

These are plain values so that rules stay pure: a decision depends on nothing but the
situation it was given, which makes it repeatable and explainable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from attrs import define, field

from handoff.errors import ValidationError
from handoff.events import Suggestion
from handoff.identity import Identity
from handoff.models import Contact, Interaction, Journey, Notification, Priority

__all__ = [
    "DEFAULT_SLA_TARGETS",
    "EVENT_KINDS",
    "SLA_TARGETS",
    "Event",
    "NotificationDraft",
    "PlannedNotification",
    "PolicySettings",
    "RuleResult",
    "Situation",
    "SlaTarget",
    "SummaryDraft",
    "check_role",
]

EventKind = Literal[
    "inbound",
    "channel_switched",
    "transfer_requested",
    "agent_replied",
    "customer_idle",
    "resolved",
    "survey_answered",
    "tick",
    "callback_scheduled",
    "callback_missed",
]
EVENT_KINDS: tuple[str, ...] = (
    "inbound",
    "channel_switched",
    "transfer_requested",
    "agent_replied",
    "customer_idle",
    "resolved",
    "survey_answered",
    "tick",
    "callback_scheduled",
    "callback_missed",
)


@define(frozen=True)
class Event:
    """What just happened, in the terms rules read.

    ``sensitive`` holds the reasons a message was found sensitive (``card number``,
    ``health``...); ``tick`` is the periodic event for time-based rules. ``to_role`` is
    the role of the team receiving a transfer (see ``PolicySettings.restricted_roles``).
    ``callback_at`` is the slot of a ``callback_scheduled`` or ``callback_missed`` event
    and ``next_slot`` the next free one (what a missed callback's customer is offered).
    """

    kind: EventKind
    at: datetime
    channel: str
    from_channel: str | None = None
    to_channel: str | None = None
    initiated_by: str | None = None
    reason: str | None = None
    agent: str | None = None
    to_agent: str | None = None
    sensitive: tuple[str, ...] = ()
    to_role: str | None = None
    callback_at: datetime | None = None
    next_slot: datetime | None = None


ROLE_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def check_role(role: object, field: str) -> str | None:
    """``role`` if it is None or a lower-case role name such as ``outsourced``; else a ValidationError."""
    if role is not None and (not isinstance(role, str) or not ROLE_RE.match(role)):
        raise ValidationError(field, f"expected a lower-case role name like 'outsourced', got {role!r}")
    return role


def _flags(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@define(frozen=True)
class Situation:
    """Everything a rule may read: the event, and the journey and contact after it.

    The optional fields come from the host and the store: ``recent_notifications`` (the
    customer's notifications of the last day or so, for de-duplication and rate limits),
    ``sentiment`` (-1 very negative .. 1 very positive, from a host hook),
    ``customer_messages`` (customer messages in the journey since it was last resolved)
    and ``flags`` (host-supplied markers such as ``sensitive`` or ``restricted_role``).
    """

    event: Event
    journey: Journey
    contact: Contact
    interaction: Interaction | None
    previous_channel: str | None = None
    recent_notifications: tuple[Notification, ...] = ()
    sentiment: float | None = None
    customer_messages: int | None = None
    flags: frozenset[str] = field(default=frozenset(), converter=_flags)


@define(frozen=True)
class NotificationDraft:
    """A notification a rule asks for, before channel choice, consent and quiet hours.

    ``channel`` is a channel name or one of :data:`handoff.policy.actions.CHANNEL_CHOICES`.
    Channels in ``exclude`` are never chosen.
    """

    purpose: str
    channel: str
    template: str
    values: dict[str, str] = field(factory=dict, hash=False)
    delay: timedelta = timedelta(0)
    urgent: bool = False
    exclude: tuple[str, ...] = ()
    before_callback: timedelta | None = None
    """Send this long before the event's callback slot instead of after ``delay``."""


@define(frozen=True)
class SummaryDraft:
    """Part of a summary specification; a field left ``None`` is for a later rule to set.

    Several rules may shape one summary (one sizes it for the channel, another redacts
    it); for each field the first rule that sets it wins.
    """

    sections: tuple[str, ...] | None = None
    recent: int | None = None
    max_chars: int | None = None
    redaction: Literal["none", "masked"] | None = None


@define(frozen=True)
class RuleResult:
    """What one rule concluded: whether it matched, why, and what it asks for."""

    matched: bool
    reason: str
    notify: tuple[NotificationDraft, ...] = ()
    summary: SummaryDraft | None = None
    suggestions: tuple[Suggestion, ...] = ()
    suppress: tuple[str, ...] = ()
    priority: Priority | None = None


SLA_TARGETS: tuple[str, ...] = ("first_response", "next_response", "resolution")
"""What an SLA target measures: the wait for the first agent reply, for each later reply
once the customer wrote again, and for the journey's resolution."""


@define(frozen=True)
class SlaTarget:
    """One service-level target: ``target`` met within ``within`` of business time at ``priority``."""

    priority: str
    target: str
    within: timedelta


def _targets(table: dict[str, tuple[str, str, str]]) -> tuple[SlaTarget, ...]:
    hours = {"m": 60, "h": 3600}
    return tuple(
        SlaTarget(priority, target, timedelta(seconds=int(text[:-1]) * hours[text[-1]]))
        for priority, row in table.items()
        for target, text in zip(SLA_TARGETS, row, strict=True)
    )


DEFAULT_SLA_TARGETS: tuple[SlaTarget, ...] = _targets(
    {
        "low": ("4h", "8h", "40h"),
        "normal": ("1h", "4h", "24h"),
        "high": ("30m", "2h", "8h"),
        "urgent": ("15m", "30m", "4h"),
    }
)
"""Business time per priority (first response, next response, resolution): at normal
priority a first reply within one business hour, each later one within four, resolution
within three business days of eight hours."""


@define(frozen=True)
class PolicySettings:
    """The tunable numbers of a policy, shared by its rules and its delivery checks.

        ``quiet_hours`` apply to contacts who kept the default quiet hours; a contact's own
        setting wins. ``max_per_hour`` 0 turns the rate limit off; ``dedupe_window`` zero
        turns de-duplication off. ``outside_window`` says what happens to a notification
        outside a channel's service window: ``template`` marks it as needing a pre-approved
        template, ``route`` sends it on another channel instead. Channels in ``opt_in_channels``
    (WhatsApp by default: business messaging there needs an opt-in) are used only for a
    contact who opted in — consent given, or the channel among their preferred ones — or
    to answer inside a conversation the customer started there; any channel a contact
    opted out of is never used. Roles in ``restricted_roles`` (an outsourced tier, a trainee pool...)
    only ever see summaries with contact details masked. Callbacks are booked inside
    ``callback_hours`` on ``business_days``, on the customer's own clock, on slots of
    ``callback_slot``; the customer is reminded ``callback_reminder`` before, and a
    callback nobody recorded ``callback_grace`` after its slot is missed.

    ``sla_targets`` are counted in business time (``business_hours`` on ``business_days``)
    on the clock of ``sla_timezone``, or of the customer's own time zone when it is
    ``None`` (the same clock as the callback slots). The team is warned once a wait
    reaches ``sla_warning_at`` of its target (0 turns warnings off) and alerted when it
    breaches it.
    """

    reopen_window: timedelta = timedelta(days=7)
    idle_after: timedelta = timedelta(minutes=15)
    survey_delay: timedelta = timedelta(hours=1)
    callback_within: timedelta = timedelta(minutes=15)
    recent_messages: int = 5
    quiet_hours: tuple[str, str] | None = ("21:00", "08:00")
    business_hours: tuple[str, str] = ("09:00", "17:00")
    business_days: tuple[int, ...] = (1, 2, 3, 4, 5)
    dedupe_window: timedelta = timedelta(hours=1)
    max_per_hour: int = 4
    escalate_after: int = 4
    negative_sentiment: float = -0.5
    reply_sla: timedelta = timedelta(hours=4)
    outside_window: Literal["template", "route"] = "template"
    opt_in_channels: tuple[str, ...] = ("whatsapp",)
    restricted_roles: tuple[str, ...] = ()
    callback_hours: tuple[str, str] = ("09:00", "18:00")
    callback_slot: timedelta = timedelta(minutes=30)
    callback_reminder: timedelta = timedelta(minutes=15)
    callback_grace: timedelta = timedelta(minutes=15)
    sla_targets: tuple[SlaTarget, ...] = DEFAULT_SLA_TARGETS
    sla_warning_at: float = 0.8
    sla_timezone: str | None = None


@define(frozen=True)
class PlannedNotification:
    """A notification the engine decided on: channel, address, text and time settled."""

    purpose: str
    channel: str
    to: Identity
    body: str
    send_at: datetime
    rule: str
    reason: str
    template: str | None = None
