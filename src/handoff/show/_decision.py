"""A policy decision drawn as an account: for a terminal, in Markdown, as HTML tables, for ``rich``.

Each form says the same: which policy revision decided on what event, the facts the
rules read, every rule's verdict, and what came out (notifications, the summary asked
for, suggestions). Rule reasons and notification bodies may quote customer text, so
everything is escaped for its format.
"""

from __future__ import annotations

from datetime import timedelta

from handoff._drawing import RENDER_FORMATS, RenderFormat
from handoff.errors import ValidationError
from handoff.events import Suggestion
from handoff.policy.conditions import show as show_value
from handoff.policy.decision import Decision
from handoff.show._escape import esc, md, rx
from handoff.show._words import BOX, MUTED, chip, duration, when

__all__ = ["decision_html", "decision_markdown", "decision_rich", "decision_text", "render_decision"]


def render_decision(decision: Decision, fmt: RenderFormat = "text") -> str:
    """``decision`` drawn as ``text`` (plain, for a terminal), ``markdown`` or ``html``."""
    if not isinstance(decision, Decision):
        raise ValidationError("decision", f"expected a Decision, got {type(decision).__name__}")
    if fmt == "text":
        return decision_text(decision)
    if fmt == "markdown":
        return decision_markdown(decision)
    if fmt == "html":
        return decision_html(decision)
    raise ValidationError("fmt", f"must be one of {list(RENDER_FORMATS)}, got {fmt!r}")


def decision_text(decision: Decision) -> str:
    """A plain-text account for a terminal."""
    lines = [_title(decision), _event(decision)]
    for heading, items in _sections(decision):
        if heading == "summary":
            lines.append(f"summary: {items[0]}")
        else:
            lines.append(f"{heading}:")
            lines += [f"  {item}" for item in items]
    return "\n".join(lines)


def decision_markdown(decision: Decision) -> str:
    """The account in Markdown: a heading, the event, then one list per section."""
    blocks = [f"### {md(_title(decision))}", md(_event(decision))]
    for heading, items in _sections(decision):
        blocks.append(f"#### {heading.capitalize()}\n\n" + "\n".join(f"- {md(item)}" for item in items))
    return "\n\n".join(blocks)


def decision_rich(decision: Decision) -> str:
    """The plain-text account with matched rules in green, as ``rich`` console markup."""
    lines = []
    for line in decision_text(decision).split("\n"):
        matched = line.startswith("  ✔")
        escaped = rx(line, tag_follows=matched)
        lines.append(f"[green]{escaped}[/green]" if matched else escaped)
    return "\n".join(lines)


def decision_html(decision: Decision) -> str:
    """The decision as tables: every rule's verdict, the facts read, what came out."""
    e = esc
    rows = "".join(
        f'<tr style="{"" if v.matched else MUTED}"><td>{"✔" if v.matched else "·"}</td>'
        f"<td><code>{e(v.rule)}</code></td><td>{e(v.reason)}</td></tr>"
        for v in decision.verdicts
    )
    facts = "".join(
        f"<tr><td><code>{e(name)}</code></td><td>{e(_value(value))}</td></tr>"
        for name, value in decision.facts.items()
    )
    sent = "".join(
        f"<li>{chip(n.channel)} <b>{e(n.purpose)}</b> at {e(when(n.send_at))} "
        f"[<code>{e(n.rule)}</code>]: {e(n.body)}</li>"
        for n in decision.notifications
    )
    advice = "".join(
        f"<li><b>{e(s.kind)}</b>{e(_routed(s))} [<code>{e(s.rule)}</code>]: {e(s.reason)}</li>"
        for s in decision.suggestions
    )
    event = decision.event
    moved = f" {event.from_channel} → {event.to_channel}" if event.from_channel and event.to_channel else ""
    return (
        f'<div style="{BOX}"><div><b>{e(event.kind)}</b> on {chip(event.channel)}{e(moved)} '
        f"at {e(when(event.at))} · policy <code>{e(decision.policy_revision)}</code> · "
        f"decision <code>{e(decision.id)}</code></div>"
        f"<table><tr><th></th><th>rule</th><th>reason</th></tr>{rows}</table>"
        + (f"<table><tr><th>fact</th><th>value</th></tr>{facts}</table>" if facts else "")
        + (f"<div><b>Notifications</b></div><ul>{sent}</ul>" if sent else "")
        + (f"<div><b>Suggestions</b></div><ul>{advice}</ul>" if advice else "")
        + "</div>"
    )


# -- the account, line by line ---------------------------------------------------------------------


def _title(decision: Decision) -> str:
    return f"decision {decision.id or '-'} · policy {decision.policy_revision}"


def _event(decision: Decision) -> str:
    event = decision.event
    moved = f" {event.from_channel} → {event.to_channel}" if event.from_channel and event.to_channel else ""
    return f"event {event.kind} on {event.channel}{moved} at {event.at.isoformat()}"


def _sections(decision: Decision) -> list[tuple[str, list[str]]]:
    """The account's sections in order, each a heading and its lines; empty ones left out."""
    sections: list[tuple[str, list[str]]] = []
    if decision.facts:
        facts = [f"{name} = {_value(value)}" for name, value in decision.facts.items()]
        sections.append(("facts read", facts))
    sections.append(("rules", [str(verdict) for verdict in decision.verdicts]))
    if decision.notifications:
        sections.append(
            (
                "notifications",
                [
                    f"→ {n.purpose} via {n.channel} to {n.to} at {n.send_at.isoformat()} [{n.rule}]"
                    + (f" (template {n.template})" if n.template else "")
                    + f": {n.reason}"
                    for n in decision.notifications
                ],
            )
        )
    if decision.summary is not None:
        s = decision.summary
        size = f", max {s.max_chars} chars" if s.max_chars else ""
        sections.append(
            (
                "summary",
                [
                    f"{', '.join(s.sections)}; last {s.recent} messages{size}; "
                    f"redaction {s.redaction or 'by channel'} [{s.rule}]"
                ],
            )
        )
    if decision.suggestions:
        sections.append(
            (
                "suggestions",
                [
                    f"! {s.kind}"
                    + (f" to {s.channel}" if s.channel else "")
                    + _routed(s)
                    + f" [{s.rule}]: {s.reason}"
                    for s in decision.suggestions
                ],
            )
        )
    return sections


def _routed(suggestion: Suggestion) -> str:
    """`` to queue phone, skills voice, lang:es`` for a route suggestion; else nothing."""
    parts = [f"queue {suggestion.queue}"] if suggestion.queue else []
    if suggestion.skills:
        parts.append("skills " + ", ".join(suggestion.skills))
    return (" to " + ", ".join(parts)) if parts else ""


def _value(value: object) -> str:
    """A fact's value as a trace shows it; a duration in the style of every drawing."""
    return duration(value) if isinstance(value, timedelta) else show_value(value)
