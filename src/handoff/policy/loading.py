"""Policies as data: load from a dict or TOML, write back with ``to_dict``.

Loading checks everything up front (facts, value types, operators, actions, channels,
templates, durations, events) and raises one :class:`~handoff.errors.PolicyError`
listing every problem with its path, e.g. ``rules[3].when.any[1].op``, so a bad
policy never fails later at event time.

Document shape::

    extends = "default"          # optional: start from the default rules
    drop = ["survey_after_resolution"]   # optional, with extends: remove these
    [settings]                   # PolicySettings; durations like "15m", "2h", "1d"
    [templates]                  # name = "text with {first_name}, {reference}..."
    [[rules]]                    # a declarative rule: name, on, when, actions, description
    [[rules]]                    # or a registered Python rule: name, kind, params
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs

from handoff import channels
from handoff.errors import PolicyError, ValidationError
from handoff.models import PRIORITIES
from handoff.policy.actions import Action, Notify, action_to_data, parse_action
from handoff.policy.conditions import MAX_CONDITION_DEPTH, condition_to_data, parse_condition
from handoff.policy.delivery import TEMPLATE_FIELDS
from handoff.policy.durations import format_duration, parse_duration
from handoff.policy.rules import DeclarativeRule, Rule, python_rule_kinds, rule_kind_of
from handoff.policy.schedule import parse_clock_time, zone
from handoff.policy.situation import (
    DEFAULT_SLA_TARGETS,
    EVENT_KINDS,
    ROLE_RE,
    SLA_TARGETS,
    PolicySettings,
    SlaTarget,
)
from handoff.policy.templates import DEFAULT_TEMPLATES, fields_of

__all__ = [
    "check_policy",
    "parse_policy",
    "parse_rules",
    "read_toml",
    "rule_to_data",
    "settings_to_data",
]

Problems = list[tuple[str, str]]
Parts = tuple[tuple[Rule, ...], PolicySettings, dict[str, str]]
_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_TOP = ("extends", "drop", "settings", "templates", "rules")
_DURATIONS = (
    "reopen_window",
    "idle_after",
    "survey_delay",
    "callback_within",
    "dedupe_window",
    "reply_sla",
    "callback_reminder",
    "callback_grace",
    "callback_slot",
)
_COUNTS = {"recent_messages": 0, "max_per_hour": 0, "escalate_after": 1}


def read_toml(source: str | os.PathLike[str]) -> dict[str, Any]:
    """The document in ``source``: a path (``Path``, or text naming a ``.toml`` file) or TOML text."""
    is_path = isinstance(source, os.PathLike) or (
        isinstance(source, str)
        and "\n" not in source
        and source.strip().endswith(".toml")
        and "=" not in source
    )
    if is_path:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeError) as exc:
            raise PolicyError([("file", f"cannot read {os.fspath(source)!r}: {exc}")]) from None
    elif isinstance(source, str):
        text = source
    else:
        raise PolicyError([("source", f"expected TOML text or a path, got {type(source).__name__}")])
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([("toml", f"not valid TOML: {exc}")]) from None
    except RecursionError:  # the standard TOML reader recurses into every nested array or table
        raise PolicyError(
            [("toml", f"arrays or tables nest too deeply (conditions nest at most {MAX_CONDITION_DEPTH})")]
        ) from None


def parse_policy(data: object, default_rules: Callable[[PolicySettings], Sequence[Rule]]) -> Parts:
    """The rules, settings and templates written in ``data``; a PolicyError lists every problem."""
    problems: Problems = []
    if not isinstance(data, Mapping):
        raise PolicyError([("", f"expected a table, got {type(data).__name__}")])
    for key in sorted(str(k) for k in data if k not in _TOP):
        problems.append((key, f"unknown key (known: {', '.join(_TOP)})"))
    settings = _parse_settings(data.get("settings", {}), problems)
    templates = _parse_templates(data.get("templates", {}), problems)
    extends = data.get("extends")
    if extends not in (None, "default"):
        problems.append(("extends", f"only 'default' can be extended, got {extends!r}"))
    if "rules" not in data and extends is None:
        problems.append(("rules", 'missing (or write extends = "default")'))
    rules = parse_rules(data.get("rules", []), problems)
    if extends == "default":
        rules = _extend(default_rules(settings or PolicySettings()), rules, data.get("drop", []), problems)
    elif "drop" in data:
        problems.append(("drop", "only used together with extends"))
    problems += check_policy(rules, templates, settings or PolicySettings(), paths=extends is None)
    if problems or settings is None:
        raise PolicyError(problems)
    return rules, settings, templates


def _extend(base: Sequence[Rule], own: Sequence[Rule], drop: object, problems: Problems) -> tuple[Rule, ...]:
    names = {rule.name for rule in base}
    if not isinstance(drop, list) or any(not isinstance(name, str) for name in drop):
        problems.append(("drop", "expected a list of rule names"))
        drop = []
    for i, name in enumerate(drop):
        if name not in names:
            problems.append((f"drop[{i}]", f"no default rule is called {name!r}"))
    replacing = {rule.name: rule for rule in own}
    merged = [replacing.pop(rule.name, rule) for rule in base if rule.name not in drop]
    return (*merged, *(rule for rule in own if rule.name in replacing))


def parse_rules(data: object, problems: Problems, path: str = "rules") -> tuple[Rule, ...]:
    """The rules in ``data`` (a list of tables); problems are appended with their paths."""
    if not isinstance(data, list):
        problems.append((path, f"expected a list of rules, got {type(data).__name__}"))
        return ()
    rules: list[Rule] = []
    for i, item in enumerate(data):
        rule = _parse_rule(item, f"{path}[{i}]", problems)
        if rule is not None:
            rules.append(rule)
    return tuple(rules)


def _parse_rule(data: object, path: str, problems: Problems) -> Rule | None:
    if not isinstance(data, dict):
        problems.append((path, f"expected a table, got {type(data).__name__}"))
        return None
    before = len(problems)
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        problems.append((f"{path}.name", f"expected a lower-case name like 'quiet_hours', got {name!r}"))
    if "kind" in data:
        return _parse_python_rule(data, path, problems, before)
    keys = ("name", "on", "when", "actions", "description")
    for key in sorted(str(k) for k in data if k not in keys):
        problems.append(
            (f"{path}.{key}", f"unknown key (a rule has {', '.join(keys)}, or name, kind, params)")
        )
    events = data.get("on")
    if not isinstance(events, list) or not events:
        problems.append((f"{path}.on", f"expected a non-empty list of events ({', '.join(EVENT_KINDS)})"))
        events = []
    for j, event in enumerate(events):
        if event not in EVENT_KINDS:
            problems.append((f"{path}.on[{j}]", f"unknown event {event!r} (known: {', '.join(EVENT_KINDS)})"))
    when = parse_condition(data["when"], f"{path}.when", problems) if "when" in data else None
    actions = data.get("actions")
    parsed = []
    if not isinstance(actions, list) or not actions:
        problems.append((f"{path}.actions", "expected a non-empty list of actions"))
    else:
        parsed = [parse_action(a, f"{path}.actions[{j}]", problems) for j, a in enumerate(actions)]
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.append((f"{path}.description", "expected text"))
    if len(problems) > before:
        return None
    actions_ok: list[Action] = [a for a in parsed if a is not None]
    return DeclarativeRule(str(name), events, actions_ok, when, description)


def _parse_python_rule(data: dict[str, Any], path: str, problems: Problems, before: int) -> Rule | None:
    for key in sorted(str(k) for k in data if k not in ("name", "kind", "params")):
        problems.append((f"{path}.{key}", "unknown key (a Python rule has name, kind, params)"))
    kind, params = data.get("kind"), data.get("params", {})
    kinds = python_rule_kinds()
    if not isinstance(kind, str) or kind not in kinds:
        known = ", ".join(sorted(kinds)) or "none registered"
        problems.append((f"{path}.kind", f"unknown rule kind {kind!r} (known: {known})"))
    if not isinstance(params, dict):
        problems.append((f"{path}.params", f"expected a table, got {type(params).__name__}"))
    if len(problems) > before:
        return None
    assert isinstance(kind, str) and isinstance(params, dict)
    try:
        rule = kinds[kind](name=data["name"], **{str(k): v for k, v in params.items()})
    except Exception as exc:  # a host's class may reject its parameters in any way
        problems.append((f"{path}.params", f"{kind} rejected its parameters: {exc}"))
        return None
    if not isinstance(rule, Rule):
        problems.append((f"{path}.kind", f"{kind} does not make a rule (name, events, __call__)"))
        return None
    return rule


def _parse_templates(data: object, problems: Problems) -> dict[str, str]:
    if not isinstance(data, dict):
        problems.append(("templates", f"expected a table of name = text, got {type(data).__name__}"))
        return {}
    templates: dict[str, str] = {}
    for name, text in data.items():
        path = f"templates.{name}"
        if not isinstance(text, str) or not text.strip():
            problems.append((path, "expected the text of the notification"))
            continue
        try:
            unknown = fields_of(text) - TEMPLATE_FIELDS
        except ValidationError as exc:
            problems.append((path, exc.problem))
            continue
        if unknown:
            known = ", ".join(sorted(TEMPLATE_FIELDS))
            problems.append((path, f"unknown fields {', '.join(sorted(unknown))} (known: {known})"))
            continue
        templates[str(name)] = text
    return templates


def _parse_settings(data: object, problems: Problems) -> PolicySettings | None:
    if not isinstance(data, dict):
        problems.append(("settings", f"expected a table, got {type(data).__name__}"))
        return None
    before = len(problems)
    fields = attrs.fields_dict(PolicySettings)
    values: dict[str, Any] = {}
    for key, raw in data.items():
        path = f"settings.{key}"
        if key not in fields:
            problems.append((path, f"unknown setting (known: {', '.join(fields)})"))
        elif key in _DURATIONS:
            delta = parse_duration(raw)
            if delta is None:
                problems.append((path, f"expected a duration like '15m', '2h', '1d' or '1h30m', got {raw!r}"))
            values[key] = delta
        elif key in _COUNTS:
            low = _COUNTS[key]
            if isinstance(raw, bool) or not isinstance(raw, int) or raw < low:
                problems.append((path, f"expected a whole number >= {low}, got {raw!r}"))
            values[key] = raw
        elif key == "negative_sentiment":
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not -1 <= raw <= 1:
                problems.append((path, f"expected a number from -1 to 1, got {raw!r}"))
            values[key] = float(raw) if isinstance(raw, (int, float)) else raw
        elif key in ("quiet_hours", "business_hours", "callback_hours"):
            values[key] = _parse_hours(raw, path, problems, allow_off=key == "quiet_hours")
        elif key == "business_days":
            ok = isinstance(raw, list) and raw and all(type(d) is int and 1 <= d <= 7 for d in raw)
            if not ok:
                problems.append((path, f"expected a list of ISO weekdays 1 (Monday) .. 7, got {raw!r}"))
            values[key] = tuple(raw) if ok else ()
        elif key == "outside_window":
            if raw not in ("template", "route"):
                problems.append((path, f"expected 'template' or 'route', got {raw!r}"))
            values[key] = raw
        elif key == "sla_targets":
            values[key] = _parse_sla_targets(raw, path, problems)
        elif key == "sla_warning_at":
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0 <= raw < 1:
                problems.append(
                    (path, f"expected a share from 0 (no warnings) to below 1 like 0.8, got {raw!r}")
                )
            values[key] = float(raw) if isinstance(raw, (int, float)) else raw
        elif key == "sla_timezone":
            try:
                zone(raw, path)
            except ValidationError as exc:
                problems.append((path, f"{exc.problem} (an IANA name like 'Europe/Madrid')"))
            values[key] = raw
        elif key == "restricted_roles":
            ok = isinstance(raw, list) and all(isinstance(r, str) and ROLE_RE.match(r) for r in raw)
            if not ok:
                problems.append((path, f"expected a list of lower-case role names, got {raw!r}"))
            values[key] = tuple(raw) if ok else ()
        else:  # opt_in_channels
            ok = isinstance(raw, list) and all(isinstance(c, str) and c in channels.names() for c in raw)
            if not ok:
                problems.append((path, f"expected a list of known channel names, got {raw!r}"))
            values[key] = tuple(raw) if ok else ()
    return PolicySettings(**values) if len(problems) == before else None


def _parse_sla_targets(raw: object, path: str, problems: Problems) -> tuple[SlaTarget, ...]:
    """Per-priority tables of targets over the defaults: ``false`` drops a target."""
    if not isinstance(raw, dict):
        problems.append((path, f"expected a table of priorities ({', '.join(PRIORITIES)}), got {raw!r}"))
        return ()
    table = {(t.priority, t.target): t.within for t in DEFAULT_SLA_TARGETS}
    for priority, targets in raw.items():
        where = f"{path}.{priority}"
        if priority not in PRIORITIES:
            problems.append((where, f"unknown priority (known: {', '.join(PRIORITIES)})"))
            continue
        if not isinstance(targets, dict):
            known = ", ".join(SLA_TARGETS)
            problems.append((where, f"expected a table of targets ({known}), got {targets!r}"))
            continue
        for target, text in targets.items():
            if target not in SLA_TARGETS:
                problems.append((f"{where}.{target}", f"unknown target (known: {', '.join(SLA_TARGETS)})"))
                continue
            if text is False:
                table.pop((priority, target), None)
                continue
            within = parse_duration(text)
            if within is None or within <= timedelta(0):
                problems.append(
                    (f"{where}.{target}", f"expected business time like '1h', or false; got {text!r}")
                )
                continue
            table[(priority, target)] = within
    return tuple(SlaTarget(p, t, table[(p, t)]) for p in PRIORITIES for t in SLA_TARGETS if (p, t) in table)


def _parse_hours(raw: object, path: str, problems: Problems, *, allow_off: bool) -> tuple[str, str] | None:
    if raw is False and allow_off:
        return None
    if isinstance(raw, list) and len(raw) == 2:
        try:
            start, end = (parse_clock_time(t, f"{path}[{i}]") for i, t in enumerate(raw))
        except ValidationError as exc:
            problems.append((exc.field, exc.problem))
            return None
        if allow_off or start < end:
            return (raw[0], raw[1])
    off = " or false to turn them off" if allow_off else ""
    problems.append(
        (path, f"expected [start, end] as 'HH:MM'{off} (business hours: start before end), got {raw!r}")
    )
    return None


def check_policy(
    rules: Sequence[object], templates: Mapping[str, str], settings: object, *, paths: bool = True
) -> Problems:
    """Problems that span parts of a policy: rule shape, duplicate names, unknown templates."""
    problems: Problems = []
    if not isinstance(settings, PolicySettings):
        problems.append(("settings", f"expected PolicySettings, got {type(settings).__name__}"))
    elif not settings.callback_slot > timedelta(0):
        problems.append(("settings.callback_slot", f"must be longer than zero, got {settings.callback_slot}"))
    known = set(DEFAULT_TEMPLATES) | set(templates)
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        where = f"rules[{i}]" if paths else f"rules.{getattr(rule, 'name', i)}"
        if not isinstance(rule, Rule) or not isinstance(rule.name, str):
            problems.append((where, f"expected a rule (name, events, __call__), got {type(rule).__name__}"))
            continue
        if rule.name in seen:
            problems.append((f"{where}.name", f"another rule is already called {rule.name!r}"))
        seen.add(rule.name)
        unknown_events = sorted(set(rule.events) - set(EVENT_KINDS))
        if unknown_events:
            problems.append((f"{where}.on", f"unknown events {', '.join(map(str, unknown_events))}"))
        if isinstance(rule, DeclarativeRule):
            _recheck(rule, where, problems)
            for j, action in enumerate(rule.actions):
                if isinstance(action, Notify) and action.template not in known:
                    problems.append(
                        (f"{where}.actions[{j}].template", f"unknown template {action.template!r}")
                    )
    return problems


def _recheck(rule: DeclarativeRule, where: str, problems: Problems) -> None:
    """A rule built in code gets the same checks as one loaded from a file."""
    try:
        data = rule_to_data(rule)
    except (TypeError, ValueError, AttributeError) as exc:
        problems.append((where, f"not a valid rule: {exc}"))
        return
    _parse_rule(data, where, problems)


def rule_to_data(rule: Rule) -> dict[str, Any]:
    """The table :func:`parse_rules` reads back into an equal rule."""
    if isinstance(rule, DeclarativeRule):
        data: dict[str, Any] = {"name": rule.name, "on": [e for e in EVENT_KINDS if e in rule.events]}
        if rule.description:
            data["description"] = rule.description
        if rule.when is not None:
            data["when"] = condition_to_data(rule.when)
        data["actions"] = [action_to_data(a) for a in rule.actions]
        return data
    kind = rule_kind_of(rule)
    if kind is None:
        raise PolicyError(
            [
                (
                    f"rules.{rule.name}",
                    f"{type(rule).__name__} is not registered; see handoff.policy.register_rule",
                )
            ]
        )
    cls: Any = type(rule)  # registered classes are attrs classes (checked by register_rule)
    params = {f.name: _plain(getattr(rule, f.name)) for f in attrs.fields(cls) if f.init and f.name != "name"}
    return {"name": rule.name, "kind": kind, "params": params}


def settings_to_data(settings: PolicySettings) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in attrs.asdict(settings, recurse=False).items():
        if key == "quiet_hours" and value is None:
            data[key] = False
        elif key == "sla_targets":
            given = {(t.priority, t.target): format_duration(t.within) for t in value}
            data[key] = {p: {t: given.get((p, t), False) for t in SLA_TARGETS} for p in PRIORITIES}
        elif key == "sla_timezone" and value is None:
            continue
        else:
            data[key] = _plain(value)
    return data


def _plain(value: object) -> object:
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, (tuple, list, frozenset, set)):
        items = sorted(value) if isinstance(value, (frozenset, set)) else value
        return [_plain(v) for v in items]
    return value
