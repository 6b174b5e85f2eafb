"""Conditions: comparisons of named facts, combined with ``all``, ``any`` and ``not``.

A condition is data (it loads from and writes back to a dict) and is compiled once, at
load time, into a closure, so evaluating a rule never interprets a dict. A fact with
no value (``unset``) makes every comparison false except ``is_set``.

Conditions nest at most :data:`MAX_CONDITION_DEPTH` levels (a comparison alone is one
level, ``all``/``any``/``not`` around it two): deeper ones are refused with the path
where the limit is crossed, written as data or built in Python.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from datetime import time, timedelta
from functools import lru_cache
from typing import Any

from attrs import define

from handoff import channels
from handoff.errors import ValidationError
from handoff.policy.durations import format_duration, parse_duration
from handoff.policy.facts import Facts, FactSpec, lookup
from handoff.policy.schedule import parse_clock_time

__all__ = [
    "MAX_CONDITION_DEPTH",
    "OPERATORS",
    "AllOf",
    "AnyOf",
    "Compare",
    "Condition",
    "Not",
    "compile_condition",
    "compile_explainer",
    "condition_to_data",
    "parse_condition",
    "show",
]

MAX_CONDITION_DEPTH = 32
"""How deeply conditions may nest: ``all``, ``any`` and ``not`` each add a level."""
OPERATORS: tuple[str, ...] = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "is_set")
_SYMBOLS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "in", "not_in": "not in"}
_ORDERED = frozenset({"int", "number", "duration", "clock"})
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
Test = Callable[[Facts], bool]
Problems = list[tuple[str, str]]
_BAD = object()
_UNREAD = object()


@define(frozen=True)
class Compare:
    """``fact op value``, e.g. ``customer.idle gt 15m``; ``value`` is already typed."""

    fact: str
    op: str
    value: object


@define(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@define(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@define(frozen=True)
class Not:
    item: Condition


Condition = Compare | AllOf | AnyOf | Not


# -- loading -------------------------------------------------------------------------------


def parse_condition(data: object, path: str, problems: Problems, depth: int = 1) -> Condition | None:
    """The condition written as ``data``; every problem is appended to ``problems`` with its path.

    ``depth`` is the level ``data`` is at (1 for a rule's ``when``).
    """
    if depth > MAX_CONDITION_DEPTH:
        problems.append((path, f"conditions nest deeper than {MAX_CONDITION_DEPTH} levels"))
        return None
    if not isinstance(data, dict):
        problems.append((path, f"expected a table with fact/op/value, all, any or not; got {_kind(data)}"))
        return None
    combinators = [key for key in ("all", "any", "not") if key in data]
    if combinators:
        if len(data) != 1:
            extra = sorted(str(k) for k in data if k != combinators[0])
            problems.append((path, f"{combinators[0]!r} stands alone; unexpected {', '.join(extra)}"))
            return None
        key = combinators[0]
        if key == "not":
            inner = parse_condition(data["not"], f"{path}.not", problems, depth + 1)
            return None if inner is None else Not(inner)
        items = data[key]
        if not isinstance(items, list) or not items:
            problems.append((f"{path}.{key}", f"expected a non-empty list of conditions, got {_kind(items)}"))
            return None
        parsed = [
            parse_condition(item, f"{path}.{key}[{i}]", problems, depth + 1) for i, item in enumerate(items)
        ]
        if any(p is None for p in parsed):
            return None
        children = tuple(p for p in parsed if p is not None)
        return AllOf(children) if key == "all" else AnyOf(children)
    return _parse_compare(data, path, problems)


def _parse_compare(data: dict[Any, Any], path: str, problems: Problems) -> Compare | None:
    before = len(problems)
    unknown = sorted(str(k) for k in data if k not in ("fact", "op", "value"))
    if unknown:
        problems.append((path, f"unknown keys {', '.join(unknown)} (a comparison has fact, op, value)"))
    name, op = data.get("fact"), data.get("op")
    spec = lookup(name)
    if spec is None:
        problems.append((f"{path}.fact", f"unknown fact {name!r}" if "fact" in data else "missing"))
    if op not in OPERATORS:
        problems.append(
            (
                f"{path}.op",
                f"unknown operator {op!r} (known: {', '.join(OPERATORS)})" if "op" in data else "missing",
            )
        )
    if "value" not in data:
        problems.append((f"{path}.value", "missing"))
    if spec is None or op not in OPERATORS or "value" not in data:
        return None
    assert isinstance(op, str)
    value = _parse_operand(spec, op, data["value"], f"{path}.value", f"{path}.op", problems)
    if len(problems) > before or value is _BAD:
        return None
    return Compare(spec.name, op, value)


def _parse_operand(
    spec: FactSpec, op: str, raw: object, path: str, op_path: str, problems: Problems
) -> object:
    if op == "is_set":
        if not isinstance(raw, bool):
            problems.append((path, f"is_set takes true or false, got {_kind(raw)}"))
            return _BAD
        return raw
    if op in ("lt", "le", "gt", "ge") and spec.type not in _ORDERED:
        problems.append((op_path, f"{op!r} needs an ordered fact; {spec.name} is {spec.type}"))
        return _BAD
    if op in ("in", "not_in"):
        if spec.type not in ("text", "channel", "int"):
            problems.append(
                (op_path, f"{op!r} needs a text, channel or int fact; {spec.name} is {spec.type}")
            )
            return _BAD
        if not isinstance(raw, list) or not raw:
            problems.append((path, f"{op!r} takes a non-empty list, got {_kind(raw)}"))
            return _BAD
        members = [_typed(spec, item, f"{path}[{i}]", problems) for i, item in enumerate(raw)]
        return _BAD if any(m is _BAD for m in members) else tuple(members)
    return _typed(spec, raw, path, problems)


def _typed(spec: FactSpec, raw: object, path: str, problems: Problems) -> object:
    """``raw`` as a value of the fact's type, or ``_BAD`` with a problem recorded."""
    kind = spec.type
    if kind == "bool" and isinstance(raw, bool):
        return raw
    if kind == "int" and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if (
        kind == "number"
        and isinstance(raw, (int, float))
        and not isinstance(raw, bool)
        and math.isfinite(raw)
    ):
        return float(raw)
    if kind == "duration":
        delta = parse_duration(raw)
        if delta is not None:
            return delta
        problems.append((path, f"{spec.name} is a duration like '15m', '2h', '1d' or '1h30m'; got {raw!r}"))
        return _BAD
    if kind == "clock":
        try:
            return parse_clock_time(raw, path)  # type: ignore[arg-type]
        except ValidationError:
            problems.append((path, f"{spec.name} is a time of day 'HH:MM'; got {raw!r}"))
            return _BAD
    if kind in ("text", "channel") and isinstance(raw, str):
        if kind == "channel" and raw not in channels.names():
            problems.append((path, f"unknown channel {raw!r}"))
            return _BAD
        if spec.choices and raw not in spec.choices:
            problems.append((path, f"{spec.name} is one of {', '.join(spec.choices)}; got {raw!r}"))
            return _BAD
        return raw
    problems.append((path, f"{spec.name} is {spec.type}; got {_kind(raw)} {_short(raw)}"))
    return _BAD


def check_depth(condition: object, field: str = "when") -> None:
    """Refuse a condition built in Python that nests deeper than :data:`MAX_CONDITION_DEPTH`.

    Walks the tree without recursion, so even a hostile depth is a ValidationError naming
    the path (``when.all[0].not...``), never a RecursionError.
    """
    stack: list[tuple[object, str, int]] = [(condition, field, 1)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_CONDITION_DEPTH:
            raise ValidationError(path, f"conditions nest deeper than {MAX_CONDITION_DEPTH} levels")
        if isinstance(node, Not):
            stack.append((node.item, f"{path}.not", depth + 1))
        elif isinstance(node, (AllOf, AnyOf)):
            key = "all" if isinstance(node, AllOf) else "any"
            stack.extend((item, f"{path}.{key}[{i}]", depth + 1) for i, item in enumerate(node.items))
        elif not isinstance(node, Compare):
            raise ValidationError(path, f"expected Compare, AllOf, AnyOf or Not, got {_kind(node)}")


def condition_to_data(condition: Condition) -> dict[str, Any]:
    """The plain-data form of ``condition``, as :func:`parse_condition` reads it."""
    if isinstance(condition, AllOf):
        return {"all": [condition_to_data(c) for c in condition.items]}
    if isinstance(condition, AnyOf):
        return {"any": [condition_to_data(c) for c in condition.items]}
    if isinstance(condition, Not):
        return {"not": condition_to_data(condition.item)}
    value = condition.value
    data = [_plain(v) for v in value] if isinstance(value, tuple) else _plain(value)
    return {"fact": condition.fact, "op": condition.op, "value": data}


def _plain(value: object) -> object:
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


# -- evaluating ----------------------------------------------------------------------------


def _spec_of(condition: Compare) -> FactSpec:
    spec = lookup(condition.fact)
    if spec is None:  # only reachable for a hand-built Compare
        raise ValidationError("fact", f"unknown fact {condition.fact!r}")
    return spec


def compile_condition(condition: Condition) -> Test:
    """A closure evaluating ``condition`` on a decision's facts (see :func:`check_depth`)."""
    check_depth(condition)
    return _compile(condition)


def _compile(condition: Condition) -> Test:
    if isinstance(condition, (AllOf, AnyOf)):
        tests = tuple(_compile(c) for c in condition.items)
        every = isinstance(condition, AllOf)
        if len(tests) == 1:
            return tests[0]
        if len(tests) <= _FOLDED:  # a chain of pairs: the same answer, in fewer steps
            folded = tests[-1]
            for test in reversed(tests[:-1]):
                folded = _and(test, folded) if every else _or(test, folded)
            return folded
        if every:
            return lambda facts: all(test(facts) for test in tests)
        return lambda facts: any(test(facts) for test in tests)
    if isinstance(condition, Not):
        inner = _compile(condition.item)
        return lambda facts: not inner(facts)
    return _compile_compare(condition)


def _and(first: Test, second: Test) -> Test:
    return lambda facts: first(facts) and second(facts)


def _or(first: Test, second: Test) -> Test:
    return lambda facts: first(facts) or second(facts)


def _compile_compare(condition: Compare) -> Test:
    """One closure reading the fact as :meth:`Facts.value` does (at most once per decision,
    remembered in ``facts.seen``), written out in place, and comparing it."""
    spec = _spec_of(condition)
    name, read, value, op = spec.name, spec.read, condition.value, condition.op
    if op == "is_set":

        def is_set(facts: Facts) -> bool:
            seen = facts.seen
            x = seen.get(name, _UNREAD)
            if x is _UNREAD:
                x = seen[name] = read(facts.situation, facts.settings)
            return (x is not None) is value

        return is_set
    if op in ("in", "not_in"):
        members = frozenset(value)  # type: ignore[call-overload]
        inside = op == "in"

        def test_in(facts: Facts) -> bool:
            seen = facts.seen
            x = seen.get(name, _UNREAD)
            if x is _UNREAD:
                x = seen[name] = read(facts.situation, facts.settings)
            return x is not None and (x in members) is inside

        return test_in
    compare = _COMPARE[op]

    def test(facts: Facts) -> bool:
        seen = facts.seen
        x = seen.get(name, _UNREAD)
        if x is _UNREAD:
            x = seen[name] = read(facts.situation, facts.settings)
        return x is not None and compare(x, value)

    return test


Explainer = Callable[[Facts], tuple[bool, str]]


def compile_explainer(condition: Condition) -> Explainer:
    """A closure telling whether ``condition`` holds and why, naming facts and their values.

    It evaluates like :func:`compile_condition`, in one pass, and words only what
    decides the outcome: every part of an ``all`` that held, or the first part that did not.
    """
    check_depth(condition)
    return _explainer(condition)


def _explainer(condition: Condition) -> Explainer:
    if isinstance(condition, AllOf):
        parts = tuple(_explainer(c) for c in condition.items)
        if len(parts) == 1:
            return parts[0]
        if len(parts) <= _FOLDED:  # a chain of pairs words it the same, in fewer steps
            folded = parts[-1]
            for part in reversed(parts[:-1]):
                folded = _both(part, folded)
            return folded

        def all_of(facts: Facts) -> tuple[bool, str]:
            held = []
            for why in parts:
                ok, text = why(facts)
                if not ok:
                    return False, text
                held.append(text)
            return True, " and ".join(held)

        return all_of
    if isinstance(condition, AnyOf):
        parts = tuple(_explainer(c) for c in condition.items)
        if len(parts) == 1:
            return parts[0]
        if len(parts) <= _FOLDED:
            folded = parts[-1]
            for part in reversed(parts[:-1]):
                folded = _either(part, folded)
            return folded

        def any_of(facts: Facts) -> tuple[bool, str]:
            failed = []
            for why in parts:
                ok, text = why(facts)
                if ok:
                    return True, text
                failed.append(text)
            return False, "; ".join(failed)

        return any_of
    if isinstance(condition, Not):
        inner = _explainer(condition.item)

        def negated(facts: Facts) -> tuple[bool, str]:
            ok, text = inner(facts)
            return (False, f"excluded: {text}") if ok else (True, text)

        return negated
    return _compare_explainer(condition)


_FOLDED = 4
"""``all`` and ``any`` of up to this many parts are chains of pairs (:func:`_both`,
:func:`_either`): the same words, without the general loop; longer ones keep the loop so
that a wide condition does not become a deep chain of calls."""


def _both(first: Explainer, second: Explainer) -> Explainer:
    """``all`` of two parts (the usual case), worded as the general one words it: every
    part that held, joined by "and", or the first part that did not."""

    def both(facts: Facts) -> tuple[bool, str]:
        ok, text = first(facts)
        if not ok:
            return False, text
        ok, then = second(facts)
        return (True, f"{text} and {then}") if ok else (False, then)

    return both


def _either(first: Explainer, second: Explainer) -> Explainer:
    """``any`` of two parts (the usual case), worded as the general one words it: the
    first part that held, or every part that did not, joined by ";"."""

    def either(facts: Facts) -> tuple[bool, str]:
        ok, text = first(facts)
        if ok:
            return True, text
        ok, then = second(facts)
        return (True, then) if ok else (False, f"{text}; {then}")

    return either


def _compare_explainer(condition: Compare) -> Explainer:
    """One closure that reads the fact once and words the comparison, held or not.

    Each closure reads its fact as :meth:`Facts.value` does (at most once per decision,
    remembered in ``facts.seen``), written out in place: it runs for every rule on every
    event, and a call less per comparison is most of the engine's own cost.
    """
    spec = _spec_of(condition)
    name, read, op, value = spec.name, spec.read, condition.op, condition.value
    if op == "is_set":
        wanted = ", not set" if value else ", not unset"

        def is_set(facts: Facts) -> tuple[bool, str]:
            seen = facts.seen
            x = seen.get(name, _UNREAD)
            if x is _UNREAD:
                x = seen[name] = read(facts.situation, facts.settings)
            ok = (x is not None) is value
            return ok, f"{name} is {show(x)}" + ("" if ok else wanted)

        return is_set
    compare = _COMPARE.get(op) or (_inside if op == "in" else _outside)
    operand = frozenset(value) if op in ("in", "not_in") else value  # type: ignore[call-overload]
    says = spec.says if op in ("eq", "ne") else None
    if says is not None:
        yes, no, unset = f"{says[0]} ({name})", f"{says[1]} ({name})", f"{name} is unset"
        when_true, when_false = (compare(True, operand), yes), (compare(False, operand), no)

        def yes_no(facts: Facts) -> tuple[bool, str]:
            seen = facts.seen
            x = seen.get(name, _UNREAD)
            if x is _UNREAD:
                x = seen[name] = read(facts.situation, facts.settings)
            if x is True:  # a yes/no fact's usual values, their outcomes worked out once
                return when_true
            if x is False:
                return when_false
            if x is None:
                return False, unset
            return compare(x, operand), yes if x else no

        return yes_no
    target = f"{_SYMBOLS[op]} {show(value)}"
    held = f"{name} {target}" if op == "eq" else None
    said, held_tail, not_held = f"{name} is ", f" ({target})", f", not {target}"
    # What a value read comes to (whether it holds, and the words) depends on the value
    # alone: the values a policy meets again and again are worded once. Only values of
    # the one plain type the fact reads as, where equal values read the same.
    plain = _PLAIN_TYPES.get(spec.type)
    worded: dict[object, tuple[bool, str]] = {}

    def compared(facts: Facts) -> tuple[bool, str]:
        seen = facts.seen
        x = seen.get(name, _UNREAD)
        if x is _UNREAD:
            x = seen[name] = read(facts.situation, facts.settings)
        if type(x) is plain:
            known = worded.get(x)
            if known is not None:
                return known
        if x is not None and compare(x, operand):
            outcome = (True, held or f"{said}{show(x)}{held_tail}")
        else:
            outcome = (False, f"{said}{show(x)}{not_held}")
        if type(x) is plain and len(worded) < _WORDED and (x or plain is not float):
            worded[x] = outcome  # (0.0 and -0.0 are equal but read differently: not kept)
        return outcome

    return compared


_PLAIN_TYPES: dict[str, type] = {
    "int": int,
    "number": float,
    "text": str,
    "channel": str,
    "duration": timedelta,
}
"""The one Python type each fact type reads as, where equal values read the same (but for
a float zero: 0.0 and -0.0 are equal and read differently, so zero is never kept)."""
_WORDED = 64
"""How many values one comparison keeps the words of."""


def _inside(x: object, members: Any) -> bool:
    return x in members


def _outside(x: object, members: Any) -> bool:
    return x not in members


def show(value: object) -> str:
    """A fact value as a person reads it in a trace."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[return-value]
    if kind is int:
        return str(value)
    if kind is float:
        return f"{value:g}"
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        return _duration(value)
    if isinstance(value, time):
        return str(_plain(value))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


_duration = lru_cache(maxsize=1024)(format_duration)
"""A duration as a trace shows it: traces show the same few idle times again and again."""


def _kind(value: object) -> str:
    names = {dict: "a table", list: "a list", str: "text", bool: "a boolean", type(None): "nothing"}
    return names.get(type(value), type(value).__name__)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
