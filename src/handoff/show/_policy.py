"""A policy drawn for notebooks (HTML) and terminals (``rich``): its rules in order, and its settings.

Durations in the settings are written in the style of every drawing (``15 min``,
``7 d``), not in the compact notation of policy files.
"""

from __future__ import annotations

from datetime import timedelta

import attrs

from handoff.policy.engine import Policy
from handoff.policy.rules import DeclarativeRule, Rule, rule_kind_of
from handoff.show._escape import esc, rx
from handoff.show._words import BOX, MUTED, duration

__all__ = ["policy_html", "policy_rich"]


def policy_html(policy: Policy) -> str:
    """The rules in the order they run (events listened to, what each does) and the settings."""
    rules = "".join(
        f"<tr><td><code>{esc(rule.name)}</code></td>"
        f'<td style="{MUTED}">{esc(", ".join(sorted(rule.events)))}</td><td>{esc(_about(rule))}</td></tr>'
        for rule in policy.rules
    )
    settings = "".join(
        f'<tr><td style="{MUTED}">{esc(name)}</td><td>{esc(value)}</td></tr>'
        for name, value in _settings(policy)
    )
    templates = f" · {len(policy.templates)} own templates" if policy.templates else ""
    return (
        f'<div style="{BOX}"><div><b>Policy</b> <code>{esc(policy.revision)}</code> · '
        f"{len(policy.rules)} rules{esc(templates)}</div>"
        f"<table><tr><th>rule</th><th>on</th><th>does</th></tr>{rules}</table>"
        f"<table><tr><th>setting</th><th>value</th></tr>{settings}</table></div>"
    )


def policy_rich(policy: Policy) -> str:
    """The policy as ``rich`` console markup: one line per rule, then the settings."""
    lines = [f"[bold]Policy {rx(policy.revision, tag_follows=True)}[/bold] · {len(policy.rules)} rules"]
    lines += [
        f"  [bold]{rx(rule.name, tag_follows=True)}[/bold] [dim]on {rx(', '.join(sorted(rule.events)))}[/dim]"
        f": {rx(_about(rule))}"
        for rule in policy.rules
    ]
    lines += [f"  {rx(name)} = {rx(value)}" for name, value in _settings(policy)]
    return "\n".join(lines)


def _about(rule: Rule) -> str:
    if isinstance(rule, DeclarativeRule):
        return rule.description or "declarative rule"
    kind = rule_kind_of(rule)
    return f"Python rule {kind}" if kind else f"Python rule {type(rule).__qualname__}"


def _settings(policy: Policy) -> list[tuple[str, str]]:
    return [(name, _setting(value)) for name, value in attrs.asdict(policy.settings, recurse=False).items()]


def _setting(value: object) -> str:
    if isinstance(value, timedelta):
        return duration(value)
    if value is None:
        return "none"
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) and ":" in v for v in value):
        return f"{value[0]}–{value[1]}"  # a span of clock times: quiet or business hours
    if isinstance(value, tuple):
        return ", ".join(str(item) for item in value) or "none"
    return str(value)
