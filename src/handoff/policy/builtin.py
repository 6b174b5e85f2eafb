"""The default policy: our field's practices for channel switches, each a named rule.

The rules are written as data, exactly as a policy file would hold them, so any of
them can be dropped, replaced or reordered (``extends = "default"`` in a file, or
:meth:`Policy.without` / :meth:`Policy.replacing`). Consent, quiet hours, channel
windows, de-duplication and rate limits apply to every notification; they live in
:mod:`handoff.policy.delivery` and are tuned through :class:`PolicySettings`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from handoff.errors import PolicyError
from handoff.policy.durations import format_duration
from handoff.policy.loading import parse_rules
from handoff.policy.rules import DeclarativeRule, Rule
from handoff.policy.situation import PolicySettings

__all__ = ["DEFAULT_RULE_NAMES", "callback_rule_data", "default_rule_data", "default_rules"]

DEFAULT_RULE_NAMES: tuple[str, ...] = (
    "privacy",
    "redact_summaries",
    "bot_to_human",
    "context_transfer",
    "confirm_channel_move",
    "explain_transfer",
    "continuous_update",
    "offer_callback",
    "confirm_callback",
    "remind_callback",
    "rebook_missed_callback",
    "sla_warning",
    "survey_after_resolution",
    "raise_priority",
    "route",
)
_SWITCHES = ["channel_switched", "transfer_requested"]


def _is(fact: str, value: object, op: str = "eq") -> dict[str, Any]:
    return {"fact": fact, "op": op, "value": value}


def default_rule_data(settings: PolicySettings) -> list[dict[str, Any]]:
    """The default rules as policy-file data, with the thresholds of ``settings``."""
    to_phone = {"all": [_is("event.to_channel", "phone"), _is("contact.reaches.phone", True)]}
    rules = _rules(settings, to_phone)
    after = [r["name"] for r in rules].index("offer_callback") + 1
    return [*rules[:after], *callback_rule_data(settings), *rules[after:]]


def callback_rule_data(settings: PolicySettings) -> list[dict[str, Any]]:
    """The default rules about scheduled callbacks: confirm, remind, offer another slot."""
    reminder = format_duration(settings.callback_reminder)
    return [
        {
            "name": "confirm_callback",
            "description": "a callback is booked: confirm the slot to the customer in writing",
            "on": ["callback_scheduled"],
            "actions": [
                {
                    "do": "notify",
                    "purpose": "callback_confirmation",
                    "template": "callback_confirmation",
                    "channel": "best_async",
                }
            ],
        },
        {
            "name": "remind_callback",
            "description": f"remind the customer {reminder} before the call, so they pick up",
            "on": ["callback_scheduled"],
            "actions": [
                {
                    "do": "notify",
                    "purpose": "callback_reminder",
                    "template": "callback_reminder",
                    "channel": "best_async",
                    "before_callback": reminder,
                }
            ],
        },
        {
            "name": "rebook_missed_callback",
            "description": ("the customer was not reached: offer the next slot, or to continue in writing"),
            "on": ["callback_missed"],
            "actions": [
                {
                    "do": "notify",
                    "purpose": "callback_missed",
                    "template": "callback_missed",
                    "channel": "best_async",
                },
                {
                    "do": "suggest",
                    "kind": "offer_callback",
                    "channel": "phone",
                    "reason": "the call did not reach the customer: book another slot or reply in writing",
                },
            ],
        },
    ]


def _rules(settings: PolicySettings, to_phone: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": "privacy",
            "description": "a sensitive message on a public channel: move to a private one, reveal nothing",
            "on": ["inbound"],
            "when": {"all": [_is("event.sensitive", True), _is("channel.public", True)]},
            "actions": [
                {
                    "do": "suggest",
                    "kind": "move_private",
                    "channel": "private",
                    "reason": "the customer shared something sensitive in public; continue privately",
                },
                {"do": "notify", "purpose": "public_reply", "template": "public_reply", "urgent": True},
            ],
        },
        {
            "name": "redact_summaries",
            "description": "summaries for public channels and restricted roles are masked",
            "on": _SWITCHES,
            "when": {
                "any": [
                    _is("to_channel.public", True),
                    _is("to_role.restricted", True),
                    _is("flags.restricted_role", True),
                ]
            },
            "actions": [{"do": "summary", "redaction": "masked"}],
        },
        {
            "name": "bot_to_human",
            "description": "a bot hands over: the human gets the bot part of the conversation",
            "on": ["transfer_requested"],
            "when": _is("event.initiated_by", "bot"),
            "actions": [{"do": "summary", "recent": max(10, settings.recent_messages)}],
        },
        {
            "name": "context_transfer",
            "description": (
                "every handoff: the receiving agent's full summary, sized for their screen "
                "whatever the customer's channel"
            ),
            "on": _SWITCHES,
            "actions": [
                {
                    "do": "summary",
                    "when": _is("to_channel.async", False),
                    "recent": settings.recent_messages,
                },
                {"do": "summary", "recent": max(20, settings.recent_messages)},
            ],
        },
        {
            "name": "confirm_channel_move",
            "description": "the customer moved on their own: confirm that their history came along",
            "on": ["channel_switched"],
            "when": _is("event.initiated_by", "customer"),
            "actions": [
                {"do": "notify", "purpose": "channel_move", "template": "channel_move", "urgent": True}
            ],
        },
        {
            "name": "explain_transfer",
            "description": "an agent moves the journey: tell the customer what happens next and when",
            "on": ["transfer_requested"],
            "when": _is("event.moved", True),
            "actions": [
                {
                    "do": "notify",
                    "when": to_phone,
                    "purpose": "callback",
                    "template": "transfer_phone",
                    "channel": "customer_last",
                    "urgent": True,
                },
                {
                    "do": "notify",
                    "when": {"not": to_phone},
                    "purpose": "channel_move",
                    "template": "transfer",
                    "channel": "customer_last",
                    "urgent": True,
                },
            ],
        },
        {
            "name": "continuous_update",
            "description": "an agent replied where the customer no longer is: send the update asynchronously",
            "on": ["agent_replied", "customer_idle"],
            "when": {
                "any": [
                    {
                        "all": [
                            _is("event.kind", "agent_replied"),
                            {
                                "any": [
                                    _is("customer.idle", False, "is_set"),
                                    _is("customer.idle", format_duration(settings.idle_after), "gt"),
                                ]
                            },
                        ]
                    },
                    {"all": [_is("event.kind", "customer_idle"), _is("journey.agent_spoke_last", True)]},
                ]
            },
            "actions": [
                {
                    "do": "notify",
                    "purpose": "update",
                    "template": "update",
                    "channel": "best_async",
                    "exclude": ["event_channel"],
                }
            ],
        },
        {
            "name": "offer_callback",
            "description": "chat is not working out: offer a scheduled callback rather than a cold call",
            "on": ["inbound"],
            "when": {
                "all": [
                    _is("channel.async", False),
                    _is("event.channel", "phone", "ne"),
                    {
                        "any": [
                            _is("journey.customer_messages", settings.escalate_after, "ge"),
                            _is("sentiment", settings.negative_sentiment, "le"),
                        ]
                    },
                ]
            },
            "actions": [
                {
                    "do": "suggest",
                    "kind": "offer_callback",
                    "channel": "phone",
                    "reason": "offer a phone callback at a time that suits the customer",
                }
            ],
        },
        {
            "name": "sla_warning",
            "description": "the customer has waited too long for a reply",
            "on": ["tick"],
            "when": {
                "all": [
                    _is("journey.status", ["open", "pending"], "in"),
                    _is("journey.awaiting_reply", format_duration(settings.reply_sla), "gt"),
                ]
            },
            "actions": [
                {
                    "do": "suggest",
                    "kind": "escalate",
                    "reason": f"no reply within {format_duration(settings.reply_sla)}: escalate",
                }
            ],
        },
        {
            "name": "survey_after_resolution",
            "description": "one satisfaction survey, after a delay, if an agent actually replied",
            "on": ["resolved"],
            "when": {"all": [_is("journey.surveyed", False), _is("journey.agent_replied", True)]},
            "actions": [
                {
                    "do": "notify",
                    "purpose": "survey",
                    "template": "survey",
                    "channel": "customer_last",
                    "delay": format_duration(settings.survey_delay),
                }
            ],
        },
        {
            "name": "raise_priority",
            "description": "a repeat contact or an unhappy customer: the journey becomes high priority",
            "on": ["inbound"],
            "when": {
                "any": [
                    _is("journey.reopened", 1, "ge"),
                    _is("sentiment", settings.negative_sentiment, "le"),
                ]
            },
            "actions": [{"do": "prioritize", "at_least": "high"}],
        },
        {
            "name": "route",
            "description": "every handoff: the channel's queue; skills for language, priority, repeats",
            "on": _SWITCHES,
            "actions": [
                {
                    "do": "route",
                    "queue": "{channel}",
                    "skills": ["lang:{language}"],
                    "reason": "the queue of the channel it goes to",
                },
                {
                    "do": "route",
                    "when": _is("journey.priority", ["high", "urgent"], "in"),
                    "skills": ["{priority}_priority"],
                    "reason": "a high or urgent journey needs agents on priority work",
                },
                {
                    "do": "route",
                    "when": _is("journey.reopened", 1, "ge"),
                    "skills": ["returning_customer"],
                    "reason": "the customer came back about the same issue",
                },
            ],
        },
    ]


@lru_cache(maxsize=32)
def default_rules(settings: PolicySettings | None = None) -> tuple[DeclarativeRule, ...]:
    """The default rules, with the thresholds of ``settings``."""
    problems: list[tuple[str, str]] = []
    rules: tuple[Rule, ...] = parse_rules(default_rule_data(settings or PolicySettings()), problems)
    if problems:  # pragma: no cover - the defaults are tested to load
        raise PolicyError(problems)
    return tuple(r for r in rules if isinstance(r, DeclarativeRule))
