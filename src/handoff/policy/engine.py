"""The policy engine: ordered rules evaluated on an event, returning a Decision.

Pure: a decision reads only the event and the situation handed in (journey, contact,
time) and does no I/O, so it is cheap, deterministic and can always be explained.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal, Protocol, runtime_checkable

from attrs import define, field

from handoff import channels
from handoff.events import Suggestion, Verdict
from handoff.identity import Identity
from handoff.models import Contact, Interaction, Journey
from handoff.policy.schedule import quiet_until
from handoff.policy.templates import DEFAULT_TEMPLATES, fill
from handoff.summary import SummarySpec

__all__ = [
    "Decision",
    "Event",
    "NotificationDraft",
    "PlannedNotification",
    "Policy",
    "PolicySettings",
    "Rule",
    "RuleResult",
    "Situation",
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
]


@define(frozen=True)
class Event:
    """What just happened, in the terms rules read."""

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


@define(frozen=True)
class Situation:
    """Everything a rule may read: the event, and the journey and contact after it."""

    event: Event
    journey: Journey
    contact: Contact
    interaction: Interaction | None
    previous_channel: str | None = None


@define(frozen=True)
class NotificationDraft:
    """A notification a rule asks for, before channel choice and quiet hours.

    ``channel`` is a channel name or one of ``current``, ``previous``,
    ``customer_last`` and ``preferred_async`` (the customer's preferred reachable
    asynchronous channel, else SMS, else email). Channels in ``exclude`` are never chosen.
    """

    purpose: str
    channel: str
    template: str
    values: dict[str, str] = field(factory=dict, hash=False)
    delay: timedelta = timedelta(0)
    urgent: bool = False
    exclude: tuple[str, ...] = ()


@define(frozen=True)
class RuleResult:
    matched: bool
    reason: str
    notify: tuple[NotificationDraft, ...] = ()
    summary: SummarySpec | None = None
    suggestions: tuple[Suggestion, ...] = ()


@runtime_checkable
class Rule(Protocol):
    """A rule: a name, the events it listens to, and an ``evaluate`` that explains itself."""

    @property
    def name(self) -> str: ...

    @property
    def events(self) -> frozenset[str]: ...

    def evaluate(self, situation: Situation, settings: PolicySettings) -> RuleResult: ...


@define(frozen=True)
class PolicySettings:
    """The tunable numbers of a policy."""

    reopen_window: timedelta = timedelta(days=7)
    idle_after: timedelta = timedelta(minutes=15)
    survey_delay: timedelta = timedelta(hours=1)
    callback_within: timedelta = timedelta(minutes=15)
    recent_messages: int = 5


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


@define(frozen=True)
class Decision:
    """A policy decision and its explanation, like an entry in a decision log."""

    policy_revision: str
    event: Event
    verdicts: tuple[Verdict, ...]
    notifications: tuple[PlannedNotification, ...] = ()
    summary: SummarySpec | None = None
    suggestions: tuple[Suggestion, ...] = ()

    def render(self) -> str:
        lines = [
            f"decision on {self.event.kind} at {self.event.at.isoformat()} (policy {self.policy_revision})"
        ]
        lines += [f"  {verdict}" for verdict in self.verdicts]
        lines += [
            f"  → {n.purpose} via {n.channel} at {n.send_at.isoformat()} [{n.rule}]: {n.reason}"
            for n in self.notifications
        ]
        return "\n".join(lines)


class Policy:
    """An ordered set of rules and the settings they share."""

    def __init__(self, rules: Sequence[Rule], settings: PolicySettings | None = None) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.settings = settings or PolicySettings()
        names = [rule.name for rule in self.rules]
        digest = hashlib.sha256(repr((names, self.settings)).encode()).hexdigest()
        self.revision = digest[:12]

    @classmethod
    def default(cls, settings: PolicySettings | None = None) -> Policy:
        """The built-in rules for our field's practices (see :mod:`handoff.policy.rules`)."""
        from handoff.policy.rules import default_rules

        return cls(default_rules(), settings)

    def __repr__(self) -> str:
        return f"Policy({[r.name for r in self.rules]}, revision={self.revision!r})"

    def decide(self, situation: Situation) -> Decision:
        """Evaluate every rule listening to the event, in order, and plan what they asked for."""
        verdicts: list[Verdict] = []
        planned: list[PlannedNotification] = []
        summary: SummarySpec | None = None
        suggestions: list[Suggestion] = []
        for rule in self.rules:
            if situation.event.kind not in rule.events:
                continue
            result = rule.evaluate(situation, self.settings)
            reason = result.reason
            for draft in result.notify:
                plan, why_not = _plan(draft, rule.name, result.reason, situation)
                if plan is None:
                    reason = f"{reason}; not sent: {why_not}"
                else:
                    planned.append(plan)
            verdicts.append(Verdict(rule.name, result.matched, reason))
            if result.summary is not None and summary is None:
                summary = result.summary
            suggestions.extend(result.suggestions)
        return Decision(
            self.revision, situation.event, tuple(verdicts), tuple(planned), summary, tuple(suggestions)
        )


def _plan(
    draft: NotificationDraft, rule: str, reason: str, situation: Situation
) -> tuple[PlannedNotification | None, str]:
    contact, journey = situation.contact, situation.journey
    channel, to, why_not = _choose_channel(
        draft.channel, situation, later=draft.delay > timedelta(0), exclude=draft.exclude
    )
    if channel is None or to is None:
        return None, why_not
    values = _values(situation) | draft.values
    template = DEFAULT_TEMPLATES.get(draft.template, draft.template)
    send_at = situation.event.at + draft.delay
    if not draft.urgent:
        deferred = quiet_until(send_at, contact.quiet_hours, contact.timezone)
        if deferred is not None:
            send_at = deferred
            reason = f"{reason}; deferred to the end of quiet hours ({contact.timezone})"
    needs_template = None
    window = channels.get(channel).service_window
    last = journey.last_customer_at.get(channel)
    if window is not None and (last is None or send_at - last > window):
        needs_template = draft.template
        reason = f"{reason}; outside the {channel} service window, send as an approved template"
    return PlannedNotification(
        draft.purpose, channel, to, fill(template, values), send_at, rule, reason, needs_template
    ), ""


def _choose_channel(
    choice: str, situation: Situation, *, later: bool = False, exclude: tuple[str, ...] = ()
) -> tuple[str | None, Identity | None, str]:
    """Resolve a channel choice to a private, reachable channel the contact consented to.

    A message sent ``later`` needs an asynchronous channel: nobody is on a phone call or
    a chat session an hour after it ended, so those fall back to the preferred async one.
    """
    journey, contact = situation.journey, situation.contact
    asynchronous = [*contact.preferred_channels, "sms", "email", "whatsapp"]
    if choice == "current":
        wanted = [journey.current_channel]
    elif choice == "previous":
        wanted = [situation.previous_channel or journey.current_channel]
    elif choice == "customer_last":
        wanted = [journey.last_customer_channel or journey.current_channel]
    elif choice == "preferred_async":
        wanted = asynchronous
    else:
        wanted = [choice]
    # A public channel is never used to notify; its private sibling (twitter -> twitter_dm) is.
    wanted = [*wanted, *(_private_siblings(name) for name in wanted if channels.get(name).is_public)]
    if later:
        wanted += asynchronous
    refused: list[str] = []
    for name in dict.fromkeys(wanted):
        if name in exclude:
            continue
        profile = channels.get(name)
        if (later or choice == "preferred_async") and not profile.is_async:
            refused.append(f"{name} is synchronous")
            continue
        if profile.is_public:
            refused.append(f"{name} is public")
            continue
        if contact.consent.get(name) is False:
            refused.append(f"no consent for {name}")
            continue
        to = next((i for i in contact.identities if i.kind in profile.identity_kinds), None)
        if to is None:
            refused.append(f"no identity reaches {name}")
            continue
        return name, to, ""
    return None, None, ", ".join(refused) or f"no channel for {choice!r}"


def _private_siblings(public: str) -> str:
    kinds = channels.get(public).identity_kinds
    for profile in channels.profiles():
        if not profile.is_public and profile.identity_kinds & kinds == kinds:
            return profile.name
    return public


def _values(situation: Situation) -> dict[str, str]:
    contact, journey, event = situation.contact, situation.journey, situation.event
    first = (contact.name or "there").split()[0]
    prev = situation.previous_channel or event.from_channel
    return {
        "first_name": first,
        "name": contact.name or "",
        "reference": journey.reference,
        "from_label": channels.get(prev).label if prev else "",
        "to_label": channels.get(event.to_channel).label if event.to_channel else "",
        "to_agent_phrase": f"{event.to_agent}" if event.to_agent else "one of our team",
        "channel": event.channel,
    }
