"""From a rule's request to a notification that may really be sent.

Every request goes through the same named checks, in order: channel choice with
``consent`` (and never a public channel, except a ``public_reply`` that reveals
nothing), ``quiet_hours``, ``channel_window``, ``deduplicate`` and ``rate_limit``. A
check that changes or drops a notification says so in the trace, and so does a channel
skipped for consent on the way to the one chosen.

A channel in the settings' ``opt_in_channels`` (WhatsApp by default: business messaging
there needs the customer's opt-in) is used only for a contact who opted in — consent
given, or the channel named among their preferred channels — or to answer the customer
inside the service window of a conversation they started there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from handoff import channels
from handoff.errors import ValidationError
from handoff.events import Verdict
from handoff.identity import Identity
from handoff.models import Contact, Journey
from handoff.policy.actions import private_sibling
from handoff.policy.durations import spoken
from handoff.policy.facts import Facts, quiet_hours_for
from handoff.policy.schedule import quiet_until, spoken_slot, zone
from handoff.policy.situation import NotificationDraft, PlannedNotification
from handoff.policy.templates import fill

__all__ = ["PUBLIC_REPLY", "TEMPLATE_FIELDS", "Planner"]

PUBLIC_REPLY = "public_reply"
"""The one purpose that may be sent on a public channel: a reply that reveals nothing."""
TEMPLATE_FIELDS: frozenset[str] = frozenset(
    {
        "first_name",
        "name",
        "reference",
        "from_label",
        "to_label",
        "to_agent_phrase",
        "channel",
        "phone",
        "within",
        "excerpt",
        "agent",
        "slot",
        "next_slot",
    }
)
"""The fields a notification template may use."""
_HOUR = timedelta(hours=1)


class Planner:
    """Plans the notifications of one decision, remembering what it already planned."""

    def __init__(self, facts: Facts, templates: Mapping[str, str]) -> None:
        self.facts = facts
        self.templates = templates
        self.planned: list[PlannedNotification] = []
        self.checks: list[Verdict] = []
        self._values: dict[str, str] | None = None

    def plan(self, draft: NotificationDraft, rule: str, reason: str) -> str | None:
        """Plan ``draft``; on success None, otherwise why nothing will be sent."""
        situation, settings = self.facts.situation, self.facts.settings
        later = draft.delay > timedelta(0) or draft.before_callback is not None
        channel, to, why_not, skipped = self._choose(draft, later, draft.exclude)
        if channel is None or to is None:
            return why_not
        if skipped:
            note = f"{draft.purpose}: skipped {', '.join(skipped)}; chose {channel}"
            self.checks.append(Verdict("consent", True, note))
        send_at = situation.event.at + draft.delay
        if draft.before_callback is not None:
            slot = situation.event.callback_at
            if slot is None or slot - draft.before_callback <= situation.event.at:
                return "no callback slot far enough ahead to send it before"
            send_at = slot - draft.before_callback
        contact = situation.contact
        if not draft.urgent:
            try:
                deferred = quiet_until(send_at, quiet_hours_for(contact, settings), contact.timezone)
            except ValidationError as exc:
                deferred = None
                self.checks.append(Verdict("quiet_hours", False, f"not applied: {exc}"))
            if deferred is not None:
                local = deferred.astimezone(zone(contact.timezone))
                note = f"deferred to the end of quiet hours, {local:%H:%M} {contact.timezone}"
                reason = f"{reason}; {note}"
                self.checks.append(Verdict("quiet_hours", True, f"{draft.purpose}: {note}"))
                send_at = deferred
        template = None
        if _outside_window(channel, send_at, situation.journey.last_customer_at):
            if settings.outside_window == "route":
                other, other_to, _, _ = self._choose(draft, True, (*draft.exclude, channel))
                if other is not None and other_to is not None:
                    note = f"outside the {channel} service window, sent on {other} instead"
                    self.checks.append(Verdict("channel_window", True, f"{draft.purpose}: {note}"))
                    channel, to, reason = other, other_to, f"{reason}; {note}"
            if _outside_window(channel, send_at, situation.journey.last_customer_at):
                template = draft.template
                note = f"outside the {channel} service window, send as an approved template"
                self.checks.append(Verdict("channel_window", True, f"{draft.purpose}: {note}"))
                reason = f"{reason}; {note}"
        refused = self._deduplicate(draft.purpose, send_at) or self._rate_limit(send_at)
        if refused is not None:
            return refused
        text = self.templates.get(draft.template, draft.template)
        body = fill(text, self.values() | draft.values)
        self.planned.append(
            PlannedNotification(draft.purpose, channel, to, body, send_at, rule, reason, template)
        )
        return None

    def _choose(
        self, draft: NotificationDraft, later: bool, exclude: tuple[str, ...]
    ) -> tuple[str | None, Identity | None, str, list[str]]:
        """A private, reachable channel the contact did not refuse, for ``draft.channel``;
        else why not. The last item lists the channels skipped for consent.

        A message sent ``later`` needs an asynchronous channel: nobody is on a phone call
        or a chat session an hour after it ended.
        """
        situation, settings = self.facts.situation, self.facts.settings
        journey, contact, choice = situation.journey, situation.contact, draft.channel
        fallback = [*contact.preferred_channels, "sms", "email", "whatsapp"]
        if choice == "current":
            wanted = [journey.current_channel]
        elif choice == "previous":
            wanted = [situation.previous_channel or journey.current_channel]
        elif choice == "customer_last":
            wanted = [journey.last_customer_channel or journey.current_channel]
        elif choice in ("preferred", "best_async"):
            wanted = fallback
        else:
            wanted = [choice]
        public_ok = draft.purpose == PUBLIC_REPLY
        if not public_ok:
            siblings = (
                private_sibling(name) for name in wanted if _known(name) and channels.get(name).is_public
            )
            wanted += [name for name in siblings if name is not None]
        if later or choice == "best_async":
            wanted += fallback
        only_async = later or choice == "best_async"
        refused: list[str] = []
        skipped: list[str] = []
        send_at = situation.event.at + draft.delay
        for name in dict.fromkeys(wanted):
            if name in exclude or not _known(name):
                continue
            profile = channels.get(name)
            if only_async and not profile.is_async:
                refused.append(f"{name} is synchronous")
            elif profile.is_public and not public_ok:
                refused.append(f"{name} is public")
            elif contact.consent.get(name) is False:
                skipped.append(f"{name} (consent withdrawn)")
                refused.append(f"no consent for {name} (consent)")
            elif name in settings.opt_in_channels and not _opted_in(name, contact, journey, send_at):
                skipped.append(f"{name} (never opted in)")
                refused.append(f"{name} needs an opt-in the contact never gave (consent)")
            else:
                to = next((i for i in contact.identities if i.kind in profile.identity_kinds), None)
                if to is not None:
                    return name, to, "", skipped
                refused.append(f"no identity reaches {name}")
        return None, None, ", ".join(refused) or f"no channel for {choice!r}", skipped

    def _deduplicate(self, purpose: str, send_at: datetime) -> str | None:
        window = self.facts.settings.dedupe_window
        if not window:
            return None
        for other_purpose, other_at in self._sent():
            if other_purpose == purpose and abs(send_at - other_at) < window:
                note = f"a {purpose} notification is already due within {spoken(window)}"
                self.checks.append(Verdict("deduplicate", True, note))
                return f"{note} (deduplicate)"
        return None

    def _rate_limit(self, send_at: datetime) -> str | None:
        limit = self.facts.settings.max_per_hour
        if not limit:
            return None
        near = sum(1 for _purpose, at in self._sent() if abs(send_at - at) < _HOUR)
        if near < limit:
            return None
        note = f"{near} notifications already within an hour of {send_at:%H:%M} (limit {limit})"
        self.checks.append(Verdict("rate_limit", True, note))
        return f"{note} (rate_limit)"

    def _sent(self) -> list[tuple[str, datetime]]:
        recent = self.facts.situation.recent_notifications
        earlier = [(n.purpose, n.send_at) for n in recent if n.status != "cancelled"]
        return earlier + [(p.purpose, p.send_at) for p in self.planned]

    def values(self) -> dict[str, str]:
        """The template fields of this decision, computed once."""
        if self._values is None:
            self._values = _template_values(self.facts)
        return self._values


def _template_values(facts: Facts) -> dict[str, str]:
    situation, settings = facts.situation, facts.settings
    contact, journey, event = situation.contact, situation.journey, situation.event
    previous = situation.previous_channel or event.from_channel
    body = situation.interaction.body if situation.interaction is not None else ""
    phone = next((i.value for i in contact.identities if i.kind == "phone"), "")
    return {
        "first_name": (contact.name or "there").split()[0],
        "name": contact.name or "",
        "reference": journey.reference,
        "from_label": _label(previous),
        "to_label": _label(event.to_channel),
        "to_agent_phrase": event.to_agent or "one of our team",
        "channel": _label(event.channel),
        "phone": phone,
        "within": spoken(settings.callback_within),
        "excerpt": body if len(body) <= 160 else body[:157] + "...",
        "agent": event.agent or "",
        "slot": spoken_slot(event.callback_at, contact.timezone) if event.callback_at else "",
        "next_slot": spoken_slot(event.next_slot, contact.timezone) if event.next_slot else "",
    }


def _label(name: str | None) -> str:
    return channels.get(name).label if name and _known(name) else ""


def _known(name: str) -> bool:
    try:
        channels.get(name)
    except ValidationError:
        return False
    return True


def _opted_in(name: str, contact: Contact, journey: Journey, send_at: datetime) -> bool:
    """Whether the contact opted in to ``name``: consent given, the channel among their
    preferred ones, or a reply inside the window of a conversation they started there."""
    if contact.consent.get(name) is True or name in contact.preferred_channels:
        return True
    last = journey.last_customer_at.get(name)
    return last is not None and not _outside_window(name, send_at, journey.last_customer_at)


def _outside_window(channel: str, send_at: datetime, last_customer_at: Mapping[str, datetime]) -> bool:
    window = channels.get(channel).service_window
    if window is None:
        return False
    last = last_customer_at.get(channel)
    return last is None or send_at - last > window
