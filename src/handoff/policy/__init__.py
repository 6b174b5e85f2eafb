"""Policies decide when to notify the customer and what the receiving agent is told."""

from handoff.policy.engine import (
    Decision,
    Event,
    NotificationDraft,
    PlannedNotification,
    Policy,
    PolicySettings,
    Rule,
    RuleResult,
    Situation,
)

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
