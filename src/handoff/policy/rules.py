"""The built-in rules: our field's practices for channel switches, each named and overridable.

Each rule is a small class with a ``name``, the ``events`` it listens to and an
``evaluate`` that returns what it wants and why. A host can drop, reorder or replace
any of them, or add its own class with the same shape.
"""

from __future__ import annotations

from datetime import timedelta

from attrs import define

from handoff import channels
from handoff.policy.engine import NotificationDraft, PolicySettings, RuleResult, Situation
from handoff.summary import SummarySpec

__all__ = [
    "ConfirmChannelMove",
    "ContextTransfer",
    "ContinuousUpdate",
    "ExplainTransfer",
    "SurveyAfterResolution",
    "default_rules",
]


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} minutes"
    hours, rest = divmod(minutes, 60)
    if rest:
        return f"{hours} h {rest} min"
    return "1 hour" if hours == 1 else f"{hours} hours"


@define(frozen=True)
class ContextTransfer:
    """On every handoff the receiving side gets a summary sized for its channel."""

    name: str = "context_transfer"
    events: frozenset[str] = frozenset({"channel_switched", "transfer_requested"})

    def evaluate(self, situation: Situation, settings: PolicySettings) -> RuleResult:
        target = situation.event.to_channel or situation.event.channel
        profile = channels.get(target)
        spec = SummarySpec(recent=settings.recent_messages, max_chars=profile.max_chars, rule=self.name)
        return RuleResult(True, f"summary for {target} within {profile.max_chars} characters", summary=spec)


@define(frozen=True)
class ConfirmChannelMove:
    """When the customer moves on their own, confirm on the new channel that history came along."""

    name: str = "confirm_channel_move"
    events: frozenset[str] = frozenset({"channel_switched"})

    def evaluate(self, situation: Situation, settings: PolicySettings) -> RuleResult:
        event = situation.event
        if event.initiated_by != "customer":
            return RuleResult(False, f"switch initiated by {event.initiated_by}, not the customer")
        draft = NotificationDraft("channel_move", "current", "channel_move", urgent=True)
        return RuleResult(
            True,
            f"customer moved from {event.from_channel} to {event.to_channel}: "
            "tell them their history came along",
            notify=(draft,),
        )


@define(frozen=True)
class ExplainTransfer:
    """On an agent's transfer, tell the customer what happens next and when."""

    name: str = "explain_transfer"
    events: frozenset[str] = frozenset({"transfer_requested"})

    def evaluate(self, situation: Situation, settings: PolicySettings) -> RuleResult:
        event = situation.event
        if event.from_channel == event.to_channel:
            return RuleResult(
                False, f"agent-to-agent transfer within {event.to_channel}: nothing changes for the customer"
            )
        phone = next((i.value for i in situation.contact.identities if i.kind == "phone"), None)
        if event.to_channel == "phone" and phone:
            values = {"phone": phone, "within": _duration(settings.callback_within)}
            draft = NotificationDraft("channel_move", "customer_last", "transfer_phone", values, urgent=True)
            why = f"transfer to a phone call: tell the customer we will call {phone}"
        else:
            draft = NotificationDraft("channel_move", "customer_last", "transfer", urgent=True)
            why = f"transfer to {event.to_channel}: tell the customer where the conversation continues"
        return RuleResult(True, why, notify=(draft,))


@define(frozen=True)
class ContinuousUpdate:
    """An agent replied where the customer no longer is: send the update asynchronously too."""

    name: str = "continuous_update"
    events: frozenset[str] = frozenset({"agent_replied"})

    def evaluate(self, situation: Situation, settings: PolicySettings) -> RuleResult:
        event, journey = situation.event, situation.journey
        last = journey.last_customer_at.get(event.channel)
        if last is not None and event.at - last <= settings.idle_after:
            return RuleResult(
                False, f"customer active on {event.channel} within {_duration(settings.idle_after)}"
            )
        where = "never wrote on" if last is None else f"idle for {_duration(event.at - last)} on"
        body = situation.interaction.body if situation.interaction is not None else ""
        excerpt = body if len(body) <= 160 else body[:157] + "..."
        draft = NotificationDraft(
            "update", "preferred_async", "update", {"excerpt": excerpt}, exclude=(event.channel,)
        )
        return RuleResult(
            True, f"customer {where} {event.channel}: send the reply as an update", notify=(draft,)
        )


@define(frozen=True)
class SurveyAfterResolution:
    """After resolution, one satisfaction survey on the customer's last channel, after a delay."""

    name: str = "survey_after_resolution"
    events: frozenset[str] = frozenset({"resolved"})

    def evaluate(self, situation: Situation, settings: PolicySettings) -> RuleResult:
        journey = situation.journey
        if journey.surveyed:
            return RuleResult(False, "a survey was already scheduled for this journey")
        if journey.first_response_at is None:
            return RuleResult(False, "no agent replied, so there is nothing to rate")
        draft = NotificationDraft("survey", "customer_last", "survey", delay=settings.survey_delay)
        return RuleResult(
            True,
            f"resolved: survey on the customer's last channel after {_duration(settings.survey_delay)}",
            notify=(draft,),
        )


def default_rules() -> tuple[
    ContextTransfer, ConfirmChannelMove, ExplainTransfer, ContinuousUpdate, SurveyAfterResolution
]:
    return (
        ContextTransfer(),
        ConfirmChannelMove(),
        ExplainTransfer(),
        ContinuousUpdate(),
        SurveyAfterResolution(),
    )
