"""Policies decide when to notify the customer and what the receiving agent is told."""

from handoff.policy.decision import Decision
from handoff.policy.engine import Policy, tick_events
from handoff.policy.facts import Facts, fact_names
from handoff.policy.rules import DeclarativeRule, Rule, register_rule
from handoff.policy.situation import (
    DEFAULT_SLA_TARGETS,
    SLA_TARGETS,
    Event,
    NotificationDraft,
    PlannedNotification,
    PolicySettings,
    RuleResult,
    Situation,
    SlaTarget,
    SummaryDraft,
)

__all__ = [
    "DEFAULT_SLA_TARGETS",
    "SLA_TARGETS",
    "Decision",
    "DeclarativeRule",
    "Event",
    "Facts",
    "NotificationDraft",
    "PlannedNotification",
    "Policy",
    "PolicySettings",
    "Rule",
    "RuleResult",
    "Situation",
    "SlaTarget",
    "SummaryDraft",
    "fact_names",
    "register_rule",
    "tick_events",
]
