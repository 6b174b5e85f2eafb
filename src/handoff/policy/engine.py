"""The policy engine: ordered rules evaluated on an event, returning a Decision.

Pure: a decision reads only the situation handed in (event, journey, contact, recent
notifications, time) and does no I/O, so it is cheap, repeatable and can always be
explained. Conditions are compiled when a policy is built; facts are read lazily, at
most once per decision.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from attrs import evolve

from handoff import _drawing
from handoff._records import maker
from handoff.errors import PolicyError
from handoff.events import Suggestion, Verdict
from handoff.models import Journey, Priority
from handoff.policy.actions import Outputs
from handoff.policy.builtin import default_rules
from handoff.policy.decision import Decision
from handoff.policy.delivery import Planner
from handoff.policy.facts import Facts
from handoff.policy.loading import (
    check_policy,
    parse_policy,
    read_toml,
    rule_to_data,
    settings_to_data,
)
from handoff.policy.rules import DeclarativeRule, Rule, rule_kind_of
from handoff.policy.situation import (
    EVENT_KINDS,
    Event,
    NotificationDraft,
    PlannedNotification,
    PolicySettings,
    RuleResult,
    Situation,
    SummaryDraft,
)
from handoff.policy.templates import DEFAULT_TEMPLATES
from handoff.summary import AGENT_SCREEN_CHARS, SECTIONS, SummarySpec

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
    "plain_decisions",
    "tick_events",
]


_verdict = maker(Verdict)
_decision = maker(Decision)


class Policy:
    """An ordered set of rules, the settings they share and the notification templates.

    Build one with :meth:`default`, :meth:`from_toml`, :meth:`from_dict` or from rules
    directly; ``policy.to_dict()`` writes it back so that ``Policy.from_dict(p.to_dict()) == p``.
    ``revision`` is a content hash: two equal policies have the same revision.
    """

    def __init__(
        self,
        rules: Iterable[Rule],
        settings: PolicySettings | None = None,
        templates: Mapping[str, str] | None = None,
    ) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.settings = PolicySettings() if settings is None else settings
        self.templates: dict[str, str] = dict(templates or {})
        problems = check_policy(self.rules, self.templates, self.settings)
        if problems:
            raise PolicyError(problems)
        self._all_templates = {**DEFAULT_TEMPLATES, **self.templates}
        self._runners = {
            kind: tuple((r.name, _runner(r)) for r in self.rules if kind in r.events) for kind in EVENT_KINDS
        }
        self.revision = _content_hash(self)
        # Rules checked as a policy file's are (see check_policy) and run by the engine itself.
        self._declarative = all(type(rule) is DeclarativeRule for rule in self.rules)

    # -- building ------------------------------------------------------------------------
    @classmethod
    def default(cls, settings: PolicySettings | None = None) -> Policy:
        """The built-in rules for our field's practices (see :mod:`handoff.policy.builtin`)."""
        return cls(default_rules(settings or PolicySettings()), settings)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        """A policy from plain data; a :class:`~handoff.errors.PolicyError` lists every problem."""
        rules, settings, templates = parse_policy(data, default_rules)
        return cls(rules, settings, templates)

    @classmethod
    def from_toml(cls, source: str | os.PathLike[str]) -> Policy:
        """A policy from TOML text or a ``.toml`` file (see :mod:`handoff.policy.loading`)."""
        return cls.from_dict(read_toml(source))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (TOML-ready) that :meth:`from_dict` reads back into an equal policy."""
        data: dict[str, Any] = {"settings": settings_to_data(self.settings)}
        if self.templates:
            data["templates"] = dict(self.templates)
        data["rules"] = [rule_to_data(rule) for rule in self.rules]
        return data

    def rule(self, name: str) -> Rule:
        """The rule called ``name``."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise PolicyError([("rules", f"no rule is called {name!r}")])

    def without(self, *names: str) -> Policy:
        """This policy without the named rules."""
        for name in names:
            self.rule(name)
        return Policy([r for r in self.rules if r.name not in names], self.settings, self.templates)

    def only(self, *names: str) -> Policy:
        """This policy with just the named rules, in their order here."""
        for name in names:
            self.rule(name)
        return Policy([r for r in self.rules if r.name in names], self.settings, self.templates)

    def replacing(self, *rules: Rule) -> Policy:
        """This policy with each rule put in place of the one with its name (or appended)."""
        by_name = {rule.name: rule for rule in rules}
        kept = [by_name.pop(r.name, r) for r in self.rules]
        return Policy([*kept, *by_name.values()], self.settings, self.templates)

    def with_settings(self, **changes: Any) -> Policy:
        """This policy's rules with changed settings (the default rules are not rebuilt)."""
        return Policy(self.rules, evolve(self.settings, **changes), self.templates)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Policy):
            return NotImplemented
        return (self.rules, self.settings, self.templates) == (other.rules, other.settings, other.templates)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Policy({[r.name for r in self.rules]}, revision={self.revision!r})"

    def _repr_html_(self) -> str:
        """The rules in order and the settings, for a notebook."""
        return _drawing.draw(self, "html")

    def __rich__(self) -> str:
        return _drawing.draw(self, "rich")

    # -- deciding ------------------------------------------------------------------------
    def decide(self, situation: Situation) -> Decision:
        """Evaluate every rule listening to the event, in order, and plan what they asked for."""
        facts = Facts(situation, self.settings)
        verdicts: list[Verdict] = []
        produced: list[tuple[int, str, bool, str, Outputs]] = []
        for name, run in self._runners.get(situation.event.kind, ()):
            matched, reason, out = run(facts)
            if out is not None:  # its verdict is written once its notifications are planned
                produced.append((len(verdicts), name, matched, reason, out))
            verdicts.append(_verdict(name, matched, reason))
        planned: tuple[PlannedNotification, ...] = ()
        summary: SummarySpec | None = None
        suggestions: list[Suggestion] = []
        priority = None
        if produced:
            planner, summary, priority = self._outputs(facts, produced, verdicts, suggestions)
            if planner is not None:
                verdicts.extend(planner.checks)
                planned = tuple(planner.planned)
        return _decision(  # every field, in order: the parts are the engine's own
            self.revision,
            situation.event,
            tuple(verdicts),
            planned,
            summary,
            tuple(suggestions),
            situation.journey.id,
            situation.journey.version,
            facts.seen,
            priority,
        )

    def _outputs(
        self,
        facts: Facts,
        produced: Sequence[tuple[int, str, bool, str, Outputs]],
        verdicts: list[Verdict],
        suggestions: list[Suggestion],
    ) -> tuple[Planner | None, SummarySpec | None, Priority | None]:
        """Plan what the rules that ran their actions asked for, in rule order; a rule whose
        notifications were suppressed or not sent gets its verdict reworded."""
        suppressed: set[str] | None = None
        planner: Planner | None = None
        summaries: list[tuple[str, SummaryDraft]] = []
        priority: Priority | None = None
        for at, name, matched, reason, out in produced:
            if out.priority is not None:
                priority = out.priority
            if out.notify:
                if suppressed is None:
                    suppressed = {p for *_, o in produced for p in o.suppress}
                if planner is None:
                    planner = Planner(facts, self._all_templates)
                worded = _plan(planner, out.notify, suppressed, name, reason)
                if worded != reason:
                    verdicts[at] = Verdict(name, matched, worded)
            if out.summary is not None:
                summaries.append((name, out.summary))
            suggestions.extend(out.suggestions)
        summary = _summary(summaries, facts.situation.event, self.settings) if summaries else None
        return planner, summary, priority

    def on_tick(self, situation: Situation) -> Decision:
        """Decide on a time-based event (``tick`` or ``customer_idle``) for one journey."""
        if situation.event.kind not in ("tick", "customer_idle"):
            raise PolicyError(
                [("event.kind", f"expected tick or customer_idle, got {situation.event.kind!r}")]
            )
        return self.decide(situation)


_Run = Callable[[Facts], tuple[bool, str, Outputs | None]]


def _runner(rule: Rule) -> _Run:
    """How the engine runs ``rule``: a declarative rule directly, a Python rule through its result."""
    if type(rule) is DeclarativeRule:  # a subclass may override __call__
        return rule._run

    def run(facts: Facts) -> tuple[bool, str, Outputs | None]:
        result = rule(facts)
        out = Outputs()
        out.notify.extend(result.notify)
        out.summary = result.summary
        out.suggestions.extend(result.suggestions)
        out.suppress.extend(result.suppress)
        out.priority = result.priority
        return result.matched, result.reason, out

    return run


def _plan(
    planner: Planner, drafts: Sequence[NotificationDraft], suppressed: set[str], rule: str, reason: str
) -> str:
    """Plan one rule's notifications; the rule's verdict says which were suppressed or not sent."""
    verdict = reason
    for draft in drafts:
        if draft.purpose in suppressed:
            verdict = f"{verdict}; {draft.purpose} suppressed"
            continue
        why_not = planner.plan(draft, rule, reason)
        if why_not is not None:
            verdict = f"{verdict}; not sent: {why_not}"
    return verdict


def plain_decisions(policy: Policy) -> bool:
    """Whether every :meth:`Decision.to_dict` of ``policy``'s decisions is JSON data by
    construction: a :class:`Policy` itself (a subclass may decide otherwise) whose rules
    are all declarative, so that every part of a decision is text, numbers, booleans or
    records the engine made of them (a Python rule's result may hold anything)."""
    return type(policy) is Policy and policy._declarative


def tick_events(
    journey: Journey, now: datetime, settings: PolicySettings, since: datetime | None = None
) -> tuple[Event, ...]:
    """The time-based events due for ``journey`` at ``now`` (the previous tick was at ``since``).

    Every active journey gets a ``tick`` (SLA checks). A ``customer_idle`` is due once:
    at the first tick after the customer has been silent on the current channel for
    ``idle_after`` following the agent's last word there (a chat that ended with an
    unread reply), so it is not repeated on later ticks.
    """
    if not journey.is_active:
        return ()
    channel = journey.current_channel
    events = [Event("tick", now, channel)]
    customer = journey.last_customer_at.get(channel)
    agent = journey.last_agent_at.get(channel)
    if customer is not None and agent is not None and agent > customer:
        due = max(agent, customer + settings.idle_after)
        if due <= now and (since is None or due > since):
            events.append(Event("customer_idle", now, channel))
    return tuple(events)


def _summary(
    parts: Sequence[tuple[str, SummaryDraft]], event: Event, settings: PolicySettings
) -> SummarySpec:
    """Merge the summary drafts: for each field the first rule that set it wins."""
    sections = recent = max_chars = redaction = None
    for _, draft in parts:
        sections = sections if sections is not None else draft.sections
        recent = recent if recent is not None else draft.recent
        max_chars = max_chars if max_chars is not None else draft.max_chars
        redaction = redaction if redaction is not None else draft.redaction
    spec = (
        sections or SECTIONS,
        settings.recent_messages if recent is None else recent,
        # The receiving agent reads a screen, whatever the customer's channel allows per message.
        AGENT_SCREEN_CHARS if max_chars is None else max_chars,
        redaction,
        ", ".join(dict.fromkeys(name for name, _ in parts)),
    )
    try:
        return _summary_spec(*spec)
    except TypeError:  # a Python rule's draft that cannot be a cache key: checked as it is
        return SummarySpec(*spec)


@lru_cache(maxsize=256)
def _summary_spec(sections: Any, recent: int, max_chars: int, redaction: Any, rule: str) -> SummarySpec:
    """Specs are frozen and a policy asks for the same few again and again: each is
    built (and checked) once."""
    return SummarySpec(sections, recent, max_chars, redaction, rule)


def _content_hash(policy: Policy) -> str:
    """The revision: a hash of ``to_dict``; an unregistered Python rule counts by its repr."""
    data = {
        "settings": settings_to_data(policy.settings),
        "templates": policy.templates,
        "rules": [_rule_key(rule) for rule in policy.rules],
    }
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _rule_key(rule: Rule) -> object:
    if isinstance(rule, DeclarativeRule) or rule_kind_of(rule) is not None:
        return rule_to_data(rule)
    return {"python": f"{type(rule).__qualname__}: {rule!r}"}
