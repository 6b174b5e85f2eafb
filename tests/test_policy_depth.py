"""Conditions nested past the documented limit are a PolicyError naming the path, never a RecursionError."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff import Policy
from handoff.errors import PolicyError, ValidationError
from handoff.policy.conditions import MAX_CONDITION_DEPTH, AllOf, AnyOf, Compare, Not, compile_condition
from handoff.policy.rules import DeclarativeRule

LEAF: dict[str, Any] = {"fact": "event.kind", "op": "eq", "value": "inbound"}
NOTIFY = [{"do": "notify", "purpose": "update", "template": "update"}]


def _nested(levels: int, wrappers: list[str]) -> dict[str, Any]:
    """A condition ``levels`` deep: the comparison wrapped ``levels - 1`` times."""
    data: dict[str, Any] = LEAF
    for i in range(levels - 1):
        kind = wrappers[i % len(wrappers)]
        data = {"not": data} if kind == "not" else {kind: [data]}
    return data


def _policy(when: dict[str, Any]) -> dict[str, Any]:
    return {
        "extends": "default",
        "rules": [{"name": "deep", "on": ["inbound"], "when": when, "actions": NOTIFY}],
    }


def _path(levels: int, wrappers: list[str]) -> str:
    """Where the level past the limit sits, as the loader names it."""
    keys = [wrappers[i % len(wrappers)] for i in range(levels - 1)][::-1]
    parts = ["rules[0].when"]
    for kind in keys[:MAX_CONDITION_DEPTH]:
        parts.append("not" if kind == "not" else f"{kind}[0]")
    return ".".join(parts)


wrapper_lists = st.lists(st.sampled_from(["all", "any", "not"]), min_size=1, max_size=4)


@given(wrapper_lists, st.integers(1, MAX_CONDITION_DEPTH))
@settings(max_examples=30, deadline=None)
def test_conditions_up_to_the_limit_load_and_round_trip(wrappers: list[str], levels: int) -> None:
    policy = Policy.from_dict(_policy(_nested(levels, wrappers)))
    assert Policy.from_dict(policy.to_dict()) == policy


@given(wrapper_lists, st.sampled_from([MAX_CONDITION_DEPTH + 1, 200, 5_000, 50_000]))
@settings(max_examples=30, deadline=None)
def test_deeper_conditions_are_refused_with_the_path(wrappers: list[str], levels: int) -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_dict(_policy(_nested(levels, wrappers)))
    assert caught.value.problems == (
        (_path(levels, wrappers), f"conditions nest deeper than {MAX_CONDITION_DEPTH} levels"),
    )


@pytest.mark.parametrize("levels", [MAX_CONDITION_DEPTH + 1, 100, 3_000])
def test_deep_toml_is_a_policy_error(levels: int) -> None:
    when = "{ fact = 'event.kind', op = 'eq', value = 'inbound' }"
    for _ in range(levels - 1):
        when = f"{{ not = {when} }}"
    text = f"""
extends = "default"
[[rules]]
name = "deep"
on = ["inbound"]
when = {when}
actions = [{{ do = "notify", purpose = "update", template = "update" }}]
"""
    with pytest.raises(PolicyError) as caught:
        Policy.from_toml(text)
    path, message = caught.value.problems[0]
    assert path in ("toml", "rules[0].when" + ".not" * MAX_CONDITION_DEPTH)
    assert "nest" in message


@pytest.mark.parametrize("levels", [MAX_CONDITION_DEPTH + 1, 100_000])
def test_conditions_built_in_python_are_checked_too(levels: int) -> None:
    condition: Any = Compare("event.kind", "eq", "inbound")
    for i in range(levels - 1):
        condition = (Not(condition), AllOf((condition,)), AnyOf((condition,)))[i % 3]
    with pytest.raises(ValidationError) as caught:
        compile_condition(condition)
    assert caught.value.field.startswith("when.")
    assert "nest deeper" in str(caught.value)
    with pytest.raises(ValidationError, match="nest deeper"):
        DeclarativeRule(name="deep", events=["inbound"], actions=(), when=condition)


def test_a_condition_at_the_limit_compiles() -> None:
    condition: Any = Compare("event.kind", "eq", "inbound")
    for _ in range(MAX_CONDITION_DEPTH - 1):
        condition = Not(condition)
    assert callable(compile_condition(condition))
