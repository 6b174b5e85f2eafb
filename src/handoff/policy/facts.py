"""The named facts a policy condition may read, with their types.

A condition names a fact (``customer.idle``, ``to_channel.public``...) rather than
reaching into objects, so a policy file can be checked at load time (unknown fact,
wrong value type) and a decision can log exactly what it read. Facts are computed
lazily, at most once per decision.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time, timedelta
from typing import Literal

from attrs import define, field

from handoff import channels
from handoff.errors import ValidationError
from handoff.models import Contact
from handoff.policy.schedule import next_business_slot, quiet_until, zone
from handoff.policy.situation import EVENT_KINDS, PolicySettings, Situation

__all__ = ["FACT_TYPES", "FactSpec", "Facts", "fact_names", "lookup", "quiet_hours_for"]

FactType = Literal["text", "channel", "bool", "int", "number", "duration", "clock"]
FACT_TYPES: tuple[str, ...] = ("text", "channel", "bool", "int", "number", "duration", "clock")
_Reader = Callable[[Situation, PolicySettings], object]
_DEFAULT_QUIET = ("21:00", "08:00")
_HOUR = timedelta(hours=1)
_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_UNREAD = object()


@define(frozen=True)
class FactSpec:
    """A fact: its name, its value type, what it means, and how it is read."""

    name: str
    type: FactType
    doc: str
    read: _Reader = field(eq=False, repr=False)
    choices: tuple[str, ...] = ()
    says: tuple[str, str] | None = None
    """For a yes/no fact, how a trace says yes and no."""


class Facts:
    """The facts of one decision, each read at most once and remembered for the decision log."""

    __slots__ = ("seen", "settings", "situation")

    def __init__(self, situation: Situation, settings: PolicySettings) -> None:
        self.situation = situation
        self.settings = settings
        self.seen: dict[str, object] = {}

    def value(self, spec: FactSpec) -> object:
        value = self.seen.get(spec.name, _UNREAD)
        if value is _UNREAD:
            value = self.seen[spec.name] = spec.read(self.situation, self.settings)
        return value

    def __getitem__(self, name: str) -> object:
        spec = lookup(name)
        if spec is None:
            raise ValidationError("fact", f"unknown fact {name!r}")
        return self.value(spec)


def quiet_hours_for(contact: Contact, settings: PolicySettings) -> tuple[str, str] | None:
    """A contact's own quiet hours, or the team's when the contact kept the default."""
    if contact.quiet_hours == _DEFAULT_QUIET:
        return settings.quiet_hours
    return contact.quiet_hours


def _profile_fact(name: str, prefix: str, channel_of: Callable[[Situation], str | None]) -> list[FactSpec]:
    def trait(get: Callable[[channels.ChannelProfile], object]) -> _Reader:
        def read(s: Situation, _st: PolicySettings) -> object:
            channel = channel_of(s)
            return None if channel is None else get(channels.get(channel))

        return read

    return [
        FactSpec(
            f"{prefix}.public",
            "bool",
            f"{name} is a public channel",
            trait(lambda p: p.is_public),
            says=(f"{name} is public", f"{name} is private"),
        ),
        FactSpec(
            f"{prefix}.async",
            "bool",
            f"{name} is asynchronous",
            trait(lambda p: p.is_async),
            says=(f"{name} is asynchronous", f"{name} is synchronous"),
        ),
        FactSpec(f"{prefix}.max_chars", "int", f"practical length on {name}", trait(lambda p: p.max_chars)),
    ]


def _local_time(s: Situation, _st: PolicySettings) -> time | None:
    try:
        local = s.event.at.astimezone(zone(s.contact.timezone))
    except ValidationError:
        return None
    return local.time().replace(second=0, microsecond=0)


def _in_quiet_hours(s: Situation, st: PolicySettings) -> bool | None:
    try:
        return quiet_until(s.event.at, quiet_hours_for(s.contact, st), s.contact.timezone) is not None
    except ValidationError:
        return None


def _in_business_hours(s: Situation, st: PolicySettings) -> bool | None:
    try:
        slot = next_business_slot(s.event.at, st.business_hours, st.business_days, s.contact.timezone)
    except ValidationError:
        return None
    return slot == s.event.at


def _idle_on(channel: str | None, s: Situation) -> timedelta | None:
    last = s.journey.last_customer_at.get(channel) if channel else None
    return None if last is None else s.event.at - last


def _awaiting_reply(s: Situation, _st: PolicySettings) -> timedelta | None:
    customer = max(s.journey.last_customer_at.values(), default=None)
    agent = max(s.journey.last_agent_at.values(), default=None)
    if customer is None or (agent is not None and agent >= customer):
        return None
    return s.event.at - customer


def _agent_spoke_last(s: Situation, _st: PolicySettings) -> bool:
    customer = max(s.journey.last_customer_at.values(), default=None)
    agent = max(s.journey.last_agent_at.values(), default=None)
    return agent is not None and (customer is None or agent > customer)


def _sent_last_hour(s: Situation, _st: PolicySettings) -> int:
    since = s.event.at - _HOUR
    return sum(1 for n in s.recent_notifications if n.status != "cancelled" and n.send_at > since)


def _sensitive(s: Situation, _st: PolicySettings) -> bool:
    interaction = s.interaction
    return (
        bool(s.event.sensitive)
        or "sensitive" in s.flags
        or (interaction is not None and interaction.sensitive)
    )


_INITIATORS = ("customer", "agent", "bot", "system")
_STATIC: dict[str, FactSpec] = {
    spec.name: spec
    for spec in [
        FactSpec("event.kind", "text", "what happened", lambda s, _: s.event.kind, EVENT_KINDS),
        FactSpec("event.channel", "channel", "where it happened", lambda s, _: s.event.channel),
        FactSpec("event.from_channel", "channel", "the channel left", lambda s, _: s.event.from_channel),
        FactSpec("event.to_channel", "channel", "the channel entered", lambda s, _: s.event.to_channel),
        FactSpec(
            "event.initiated_by",
            "text",
            "who moved the journey",
            lambda s, _: s.event.initiated_by,
            _INITIATORS,
        ),
        FactSpec(
            "event.reason", "text", "why it moved (escalation, privacy...)", lambda s, _: s.event.reason
        ),
        FactSpec(
            "event.moved",
            "bool",
            "the journey changed channel",
            lambda s, _: (
                s.event.from_channel is not None
                and s.event.to_channel is not None
                and s.event.from_channel != s.event.to_channel
            ),
            says=("the journey changed channel", "the journey stayed on its channel"),
        ),
        FactSpec(
            "event.sensitive",
            "bool",
            "a sensitive message, or the host flagged one",
            _sensitive,
            says=("the message is sensitive", "the message is not sensitive"),
        ),
        FactSpec(
            "previous_channel", "channel", "the channel before this event", lambda s, _: s.previous_channel
        ),
        FactSpec(
            "event.to_role", "text", "the role of the team receiving a transfer", lambda s, _: s.event.to_role
        ),
        FactSpec(
            "to_role.restricted",
            "bool",
            "the receiving role is one of the settings' restricted_roles",
            lambda s, st: s.event.to_role is not None and s.event.to_role in st.restricted_roles,
            says=("the receiving role is restricted", "the receiving role is not restricted"),
        ),
        *_profile_fact("the event's channel", "channel", lambda s: s.event.channel),
        *_profile_fact("the channel entered", "to_channel", lambda s: s.event.to_channel or s.event.channel),
        *_profile_fact("the channel left", "from_channel", lambda s: s.event.from_channel),
        FactSpec("customer.local_time", "clock", "the customer's wall clock (HH:MM)", _local_time),
        FactSpec(
            "customer.quiet_hours",
            "bool",
            "now is inside the customer's quiet hours",
            _in_quiet_hours,
            says=("it is quiet hours for the customer", "it is not quiet hours for the customer"),
        ),
        FactSpec(
            "customer.business_hours",
            "bool",
            "now is inside business hours for the customer",
            _in_business_hours,
            says=("it is business hours for the customer", "it is outside the customer's business hours"),
        ),
        FactSpec(
            "customer.idle",
            "duration",
            "time since the customer's last message on the event's channel",
            lambda s, _: _idle_on(s.event.channel, s),
        ),
        FactSpec(
            "customer.last_channel",
            "channel",
            "where the customer last wrote",
            lambda s, _: s.journey.last_customer_channel,
        ),
        FactSpec("contact.language", "text", "the contact's language", lambda s, _: s.contact.language),
        FactSpec("contact.timezone", "text", "the contact's time zone", lambda s, _: s.contact.timezone),
        FactSpec(
            "contact.preferred",
            "channel",
            "the contact's first preferred channel",
            lambda s, _: s.contact.preferred_channels[0] if s.contact.preferred_channels else None,
        ),
        FactSpec(
            "journey.age",
            "duration",
            "time since the journey opened",
            lambda s, _: s.event.at - s.journey.opened_at,
        ),
        FactSpec(
            "journey.channel",
            "channel",
            "the journey's current channel",
            lambda s, _: s.journey.current_channel,
        ),
        FactSpec(
            "journey.status",
            "text",
            "open, pending, resolved or closed",
            lambda s, _: s.journey.status,
            ("open", "pending", "resolved", "closed"),
        ),
        FactSpec(
            "journey.priority",
            "text",
            "low, normal, high or urgent",
            lambda s, _: s.journey.priority,
            ("low", "normal", "high", "urgent"),
        ),
        FactSpec("journey.handoffs", "int", "channel switches so far", lambda s, _: s.journey.handoff_count),
        FactSpec(
            "journey.reopened", "int", "times the journey was reopened", lambda s, _: s.journey.reopen_count
        ),
        FactSpec(
            "journey.agent_replied",
            "bool",
            "an agent has replied at least once",
            lambda s, _: s.journey.first_response_at is not None,
            says=("an agent has replied", "no agent replied yet"),
        ),
        FactSpec(
            "journey.agent_spoke_last",
            "bool",
            "the last word was the agent's",
            _agent_spoke_last,
            says=("the agent spoke last", "the customer spoke last"),
        ),
        FactSpec(
            "journey.awaiting_reply", "duration", "time the customer has waited for a reply", _awaiting_reply
        ),
        FactSpec(
            "journey.surveyed",
            "bool",
            "a survey was already scheduled",
            lambda s, _: s.journey.surveyed,
            says=("a survey was already scheduled for this journey", "no survey was scheduled yet"),
        ),
        FactSpec(
            "journey.responder",
            "text",
            "who answers: bot or agent",
            lambda s, _: s.journey.responder,
            ("bot", "agent"),
        ),
        FactSpec(
            "journey.customer_messages",
            "int",
            "customer messages since the journey was (re)opened, when the host supplies it",
            lambda s, _: s.customer_messages,
        ),
        FactSpec(
            "interaction.author",
            "text",
            "who wrote the interaction",
            lambda s, _: s.interaction.author if s.interaction else None,
            (*_INITIATORS,),
        ),
        FactSpec(
            "sentiment", "number", "-1 (negative) .. 1 (positive), from a host hook", lambda s, _: s.sentiment
        ),
        FactSpec(
            "notifications.last_hour",
            "int",
            "notifications to the customer in the last hour",
            _sent_last_hour,
        ),
    ]
}

_PATTERNS: dict[str, tuple[FactType, str]] = {
    "consent.": ("bool", "the contact's consent for the channel (unset when never asked)"),
    "customer.idle.": ("duration", "time since the customer's last message on the channel"),
    "contact.reaches.": ("bool", "one of the contact's identities reaches the channel"),
    "flags.": ("bool", "the host set this flag on the event"),
}
_DYNAMIC: dict[str, FactSpec] = {}


def _dynamic(prefix: str, suffix: str) -> FactSpec | None:
    kind, doc = _PATTERNS[prefix]
    if prefix == "flags.":
        if not _SLUG.match(suffix):
            return None
        flagged = (f"the host flagged {suffix}", f"no {suffix} flag")
        return FactSpec(prefix + suffix, kind, doc, lambda s, _: suffix in s.flags, says=flagged)
    if suffix not in channels.names():
        return None
    read: _Reader
    says: tuple[str, str] | None = None
    if prefix == "consent.":
        read = lambda s, _: s.contact.consent.get(suffix)  # noqa: E731
        says = (f"the contact consented to {suffix}", f"no consent for {suffix}")
    elif prefix == "customer.idle.":
        read = lambda s, _: _idle_on(suffix, s)  # noqa: E731
    else:
        kinds = channels.get(suffix).identity_kinds
        read = lambda s, _: any(i.kind in kinds for i in s.contact.identities)  # noqa: E731
        says = (f"an identity reaches {suffix}", f"no identity reaches {suffix}")
    return FactSpec(prefix + suffix, kind, doc, read, says=says)


def lookup(name: object) -> FactSpec | None:
    """The fact called ``name``, or None when there is no such fact."""
    if not isinstance(name, str):
        return None
    spec = _STATIC.get(name) or _DYNAMIC.get(name)
    if spec is not None:
        return spec
    for prefix in _PATTERNS:
        if name.startswith(prefix):
            spec = _dynamic(prefix, name[len(prefix) :])
            if spec is not None:
                _DYNAMIC[name] = spec
            return spec
    return None


def fact_names() -> tuple[str, ...]:
    """Every fixed fact name, then the patterns (``consent.<channel>``...)."""
    return (*_STATIC, *(f"{prefix}<{'flag' if prefix == 'flags.' else 'channel'}>" for prefix in _PATTERNS))
