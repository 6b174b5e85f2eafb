"""The policy-file reference, written from the registries the policy loader itself checks against.

Every fact, operator, action, setting, event, channel choice, summary section and
template field is listed from the code (``handoff.policy.facts``, ``.conditions``,
``.actions``...), so the documentation cannot drift from what a policy file may say.
The documentation site inserts :func:`policy_reference` at build time.
"""

from __future__ import annotations

from datetime import timedelta

import attrs

from handoff import channels
from handoff.policy.actions import (
    ACTIONS,
    CHANNEL_CHOICES,
    SUGGESTION_KINDS,
    Notify,
    Prioritize,
    Route,
    Suggest,
    Summarize,
    Suppress,
)
from handoff.policy.conditions import OPERATORS
from handoff.policy.delivery import TEMPLATE_FIELDS
from handoff.policy.durations import format_duration
from handoff.policy.facts import FACT_TYPES, fact_names, lookup
from handoff.policy.situation import EVENT_KINDS, SLA_TARGETS, PolicySettings, SlaTarget
from handoff.policy.templates import DEFAULT_TEMPLATES
from handoff.summary import SECTIONS

__all__ = [
    "ACTION_OPTIONS",
    "OPERATOR_DOCS",
    "SETTING_DOCS",
    "TYPE_DOCS",
    "action_options",
    "policy_reference",
]

TYPE_DOCS: dict[str, str] = {
    "text": 'a string, e.g. `"escalation"`',
    "channel": 'a registered channel name, e.g. `"whatsapp"`',
    "bool": "`true` or `false`",
    "int": "a whole number, e.g. `2`",
    "number": "a number, e.g. `-0.5`",
    "duration": 'a duration string: `"30s"`, `"15m"`, `"2h"`, `"1d"`, `"1h30m"`',
    "clock": 'a time of day on the customer\'s clock, `"HH:MM"`',
}
"""How a value of each fact type is written in TOML."""

OPERATOR_DOCS: dict[str, str] = {
    "eq": "equal to `value`",
    "ne": "not equal to `value`",
    "lt": "less than `value` (int, number, duration and clock facts)",
    "le": "at most `value` (int, number, duration and clock facts)",
    "gt": "greater than `value` (int, number, duration and clock facts)",
    "ge": "at least `value` (int, number, duration and clock facts)",
    "in": "one of the non-empty list `value` (text, channel and int facts)",
    "not_in": "none of the non-empty list `value` (text, channel and int facts)",
    "is_set": "`value = true`: the fact has a value; `false`: it has none",
}
"""What each comparison operator means; every other comparison is false on an unset fact."""

ACTION_OPTIONS: dict[str, dict[str, str]] = {
    "notify": {
        "purpose": "what the message is for (`update`, `survey`...): de-duplication and `suppress` read it",
        "template": "the template filling its text (a default template or one in `[templates]`)",
        "channel": "a channel name or a channel choice (below); default `current`",
        "delay": 'send this long after the event, e.g. `"30m"`; default now',
        "urgent": "`true` lets it through quiet hours and rate limits",
        "exclude": 'channels never chosen; `"event_channel"` means the event\'s own',
        "when": "a condition for this action alone",
        "before_callback": 'send this long before the event\'s callback slot, e.g. `"15m"` (callback events)',
    },
    "summary": {
        "sections": "the sections the receiving side sees, in order (see Summary sections)",
        "recent": "how many recent messages it quotes",
        "max_chars": "its size budget in characters",
        "redaction": '`"none"` or `"masked"` (contact details masked)',
        "when": "a condition for this action alone",
    },
    "suggest": {
        "kind": "the advice: one of the suggestion kinds (below)",
        "reason": "a sentence the agent reads",
        "channel": 'where to move: a channel name, or `"private"` (the event channel\'s private side)',
        "when": "a condition for this action alone",
    },
    "suppress": {
        "purposes": "notification purposes dropped from the whole decision",
        "when": "a condition for this action alone",
    },
    "prioritize": {
        "set": "the journey's priority: `low`, `normal`, `high` or `urgent`",
        "at_least": "raise the journey's priority to this one, never lower it",
        "when": "a condition for this action alone",
    },
    "route": {
        "reason": "a sentence the host (and the agent) reads",
        "queue": "the queue that should receive the handoff; may use `{channel}`, `{language}`, `{priority}`",
        "skills": (
            "skills the receiving agent should have, same fields "
            "(a skill naming an unknown language is left out)"
        ),
        "when": "a condition for this action alone",
    },
}
"""What each option of each action means; the options themselves come from the action classes."""

SETTING_DOCS: dict[str, str] = {
    "reopen_window": "a customer writing this soon after resolution reopens the journey",
    "idle_after": "a customer silent this long on a live channel is away: updates go elsewhere",
    "survey_delay": "how long after resolution the survey is sent",
    "callback_within": "the callback time promised on a transfer to phone",
    "recent_messages": "recent messages quoted in a summary",
    "quiet_hours": "no non-urgent messages in this local span (contacts may set their own)",
    "business_hours": "the team's opening hours on the customer's clock",
    "business_days": "ISO weekdays the team works (1 = Monday)",
    "dedupe_window": 'the same purpose is not sent twice within it (`"0s"` turns it off)',
    "max_per_hour": "notifications per customer per hour (`0` turns the limit off)",
    "escalate_after": "customer messages without resolution before escalation is suggested",
    "negative_sentiment": "sentiment at or below this suggests escalation",
    "reply_sla": "time to a reply before an SLA warning",
    "outside_window": '`"template"` marks a message outside a service window; `"route"` moves it',
    "opt_in_channels": "channels used only for contacts who opted in (consent or preference)",
    "restricted_roles": "receiving teams (an outsourced tier...) whose summaries are masked",
    "callback_hours": "when a callback may be booked, on the customer's clock, on business days",
    "callback_slot": "the length of a callback slot; proposed slots start on its multiples",
    "callback_reminder": "how long before a callback the customer is reminded",
    "callback_grace": "a callback not recorded this long after its slot is missed",
    "sla_targets": (
        "per priority, `first_response`, `next_response` and `resolution` in business time "
        '(`[settings.sla_targets.high]` with `first_response = "30m"`; `false` drops a target)'
    ),
    "sla_warning_at": "the share of a target used when the team is warned (`0` turns warnings off)",
    "sla_timezone": "the clock SLA business hours are counted on; unset: the customer's time zone",
}
"""What each ``[settings]`` key means; the keys and defaults come from ``PolicySettings``."""

_ACTION_CLASSES: dict[str, type] = {
    "notify": Notify,
    "summary": Summarize,
    "suggest": Suggest,
    "suppress": Suppress,
    "prioritize": Prioritize,
    "route": Route,
}
_SAMPLES = {"channel": "email", "flag": "sensitive"}


def action_options(action: str) -> tuple[str, ...]:
    """The options an action takes besides ``do``, read from its class."""
    cls = _ACTION_CLASSES.get(action)
    if cls is None:
        return ()
    return tuple(a.name for a in attrs.fields(cls) if a.init)


def policy_reference(heading_level: int = 2) -> str:
    """The reference as Markdown; sections start at ``heading_level`` (``##`` by default)."""
    h = "#" * heading_level
    parts = [
        _events(h),
        _facts(h),
        _operators(h),
        _actions(h),
        _choices(h),
        _settings(h),
        _templates(h),
    ]
    return "\n\n".join(parts) + "\n"


def _events(h: str) -> str:
    listed = ", ".join(f"`{kind}`" for kind in EVENT_KINDS)
    return f"{h} Events\n\nA rule's `on` lists the events it is evaluated on: {listed}."


def _facts(h: str) -> str:
    rows = ["| fact | type | meaning | values |", "| --- | --- | --- | --- |"]
    for name in fact_names():
        spec = lookup(name)
        if spec is None and "<" in name:
            prefix, _, placeholder = name.partition("<")
            spec = lookup(prefix + _SAMPLES.get(placeholder.rstrip(">"), "email"))
        if spec is None:
            rows.append(f"| `{name}` | | | |")
            continue
        values = ", ".join(f"`{c}`" for c in spec.choices)
        rows.append(f"| `{name}` | {spec.type} | {_cell(spec.doc)} | {values} |")
    types = "\n".join(f"- **{kind}**: {TYPE_DOCS.get(kind, '')}" for kind in FACT_TYPES)
    return (
        f'{h} Facts\n\nA comparison names a fact: `{{ fact = "customer.idle", op = "gt", '
        f'value = "15m" }}`. `<channel>` stands for any registered channel name, `<flag>` for '
        "any lower-case flag the host sets on the event. A fact may be unset (no value).\n\n"
        + "\n".join(rows)
        + f"\n\nValues are written by the fact's type:\n\n{types}"
    )


def _operators(h: str) -> str:
    rows = ["| op | true when the fact is |", "| --- | --- |"]
    rows += [f"| `{op}` | {OPERATOR_DOCS.get(op, '')} |" for op in OPERATORS]
    return (
        f"{h} Operators\n\n"
        + "\n".join(rows)
        + "\n\nConditions combine with `{ all = [...] }`, `{ any = [...] }` and `{ not = {...} }`."
    )


def _actions(h: str) -> str:
    blocks = [f"{h} Actions\n\nEach `[[rules.actions]]` table has `do` and the options of that action."]
    for action in ACTIONS:
        docs = ACTION_OPTIONS.get(action, {})
        lines = [f"- `{option}`: {docs.get(option, '')}" for option in action_options(action)]
        blocks.append(f'{h}# `do = "{action}"`\n\n' + "\n".join(lines))
    return "\n\n".join(blocks)


def _choices(h: str) -> str:
    return (
        f"{h} Names\n\n"
        + "- Channel choices (a notify `channel`): "
        + ", ".join(f"`{c}`" for c in CHANNEL_CHOICES)
        + ", or a channel name: "
        + ", ".join(f"`{c}`" for c in channels.names())
        + ".\n- Suggestion kinds: "
        + ", ".join(f"`{k}`" for k in SUGGESTION_KINDS)
        + ".\n- Summary sections: "
        + ", ".join(f"`{s}`" for s in SECTIONS)
        + "."
    )


def _settings(h: str) -> str:
    rows = ["| setting | default | meaning |", "| --- | --- | --- |"]
    for a in attrs.fields(PolicySettings):
        rows.append(f"| `{a.name}` | `{_toml(a.default)}` | {_cell(SETTING_DOCS.get(a.name, ''))} |")
    return f"{h} Settings\n\nThe `[settings]` table; every key is optional.\n\n" + "\n".join(rows)


def _templates(h: str) -> str:
    names = ", ".join(f"`{name}`" for name in DEFAULT_TEMPLATES)
    fields = ", ".join(f"`{{{name}}}`" for name in sorted(TEMPLATE_FIELDS))
    return (
        f"{h} Templates\n\nThe `[templates]` table overrides or adds templates. Defaults: {names}.\n\n"
        f"Fields a template may use: {fields}."
    )


def _toml(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        return f'"{format_duration(value)}"'
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple) and value and isinstance(value[0], SlaTarget):
        return _sla(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return str(value)


def _sla(targets: tuple[SlaTarget, ...]) -> str:
    """``low 4h/8h/40h, normal 1h/4h/24h...``: first response / next response / resolution."""
    rows: dict[str, dict[str, str]] = {}
    for t in targets:
        rows.setdefault(t.priority, {})[t.target] = format_duration(t.within)
    shown = ("/".join(row.get(target, "-") for target in SLA_TARGETS) for row in rows.values())
    return ", ".join(f"{priority} {times}" for priority, times in zip(rows, shown, strict=True))


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
