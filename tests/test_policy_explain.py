"""Compiled explanations word every condition as the plain recursive reading does.

The engine compiles a rule's ``when`` into closures, some of them specialised (an
``all`` or ``any`` of two parts, fact reads written out in place). Whatever the shape,
a decision must explain itself exactly as before: the reference below reads the
condition tree one node at a time through :meth:`Facts.value`, and both must agree on
the outcome, the wording and the facts read (in order) on generated conditions and
situations.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.policy import Event, PolicySettings, Situation
from handoff.policy.conditions import (
    _SYMBOLS,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Not,
    compile_condition,
    compile_explainer,
    show,
)
from handoff.policy.facts import Facts, lookup
from tests.policy_situations import T0, contact, journey


def reference(condition: Condition, facts: Facts) -> tuple[bool, str]:
    """How a condition explains itself, read node by node."""
    if isinstance(condition, AllOf):
        held = []
        for item in condition.items:
            ok, text = reference(item, facts)
            if not ok:
                return False, text
            held.append(text)
        return True, " and ".join(held)
    if isinstance(condition, AnyOf):
        failed = []
        for item in condition.items:
            ok, text = reference(item, facts)
            if ok:
                return True, text
            failed.append(text)
        return False, "; ".join(failed)
    if isinstance(condition, Not):
        ok, text = reference(condition.item, facts)
        return (False, f"excluded: {text}") if ok else (True, text)
    spec = lookup(condition.fact)
    assert spec is not None
    name, op, value = spec.name, condition.op, condition.value
    x = facts.value(spec)
    if op == "is_set":
        ok = (x is not None) is value
        return ok, f"{name} is {show(x)}" + ("" if ok else (", not set" if value else ", not unset"))
    members = frozenset(value) if op in ("in", "not_in") else value  # type: ignore[call-overload]
    tests = {
        "eq": lambda: x == value,
        "ne": lambda: x != value,
        "lt": lambda: x < value,  # type: ignore[operator]
        "le": lambda: x <= value,  # type: ignore[operator]
        "gt": lambda: x > value,  # type: ignore[operator]
        "ge": lambda: x >= value,  # type: ignore[operator]
        "in": lambda: x in members,
        "not_in": lambda: x not in members,
    }
    if op in ("eq", "ne") and spec.says is not None:
        if x is None:
            return False, f"{name} is unset"
        return tests[op](), f"{spec.says[0] if x else spec.says[1]} ({name})"
    target = f"{_SYMBOLS[op]} {show(value)}"
    if x is not None and tests[op]():
        return True, f"{name} {target}" if op == "eq" else f"{name} is {show(x)} ({target})"
    return False, f"{name} is {show(x)}, not {target}"


_COMPARES = st.sampled_from(
    [
        Compare("event.kind", "eq", "agent_replied"),
        Compare("event.kind", "in", ("inbound", "tick")),
        Compare("event.channel", "ne", "phone"),
        Compare("event.channel", "not_in", ("chat", "sms")),
        Compare("channel.public", "eq", True),
        Compare("channel.async", "ne", False),
        Compare("event.sensitive", "eq", True),
        Compare("customer.idle", "is_set", False),
        Compare("customer.idle", "is_set", True),
        Compare("customer.idle", "gt", timedelta(minutes=15)),
        Compare("customer.idle", "le", timedelta(hours=2)),
        Compare("journey.customer_messages", "ge", 3),
        Compare("journey.customer_messages", "lt", 2),
        Compare("sentiment", "le", -0.5),
        Compare("journey.status", "in", ("open", "pending")),
        Compare("journey.agent_spoke_last", "eq", True),
        Compare("flags.vip", "eq", True),
    ]
)
_CONDITIONS: st.SearchStrategy[Condition] = st.recursive(
    _COMPARES,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4).map(lambda items: AllOf(tuple(items))),
        st.lists(inner, min_size=1, max_size=4).map(lambda items: AnyOf(tuple(items))),
        inner.map(Not),
    ),
    max_leaves=10,
)


@st.composite
def situations(draw: st.DrawFn) -> Situation:
    kind = draw(st.sampled_from(["inbound", "agent_replied", "customer_idle", "tick"]))
    channel = draw(st.sampled_from(["chat", "sms", "email", "twitter", "phone"]))
    idle = draw(st.none() | st.integers(0, 300).map(lambda m: timedelta(minutes=m)))
    last = {} if idle is None else {channel: T0 - idle}
    agent = draw(st.none() | st.integers(0, 300).map(lambda m: {channel: T0 - timedelta(minutes=m)}))
    return Situation(
        Event(kind, T0, channel),
        journey(last_customer_at=last, last_agent_at=agent or {}),
        contact("email:ana@example.com"),
        None,
        customer_messages=draw(st.none() | st.integers(0, 6)),
        sentiment=draw(st.none() | st.floats(-1, 1)),
        flags=draw(st.sampled_from([frozenset(), frozenset({"vip"})])),
    )


@given(_CONDITIONS, situations())
@settings(max_examples=500, deadline=None)
def test_compiled_explanations_equal_the_plain_reading(condition: Condition, situation: Situation) -> None:
    compiled, plain = Facts(situation, PolicySettings()), Facts(situation, PolicySettings())
    assert compile_explainer(condition)(compiled) == reference(condition, plain)
    assert list(compiled.seen.items()) == list(plain.seen.items())


@given(_CONDITIONS, st.lists(situations(), min_size=2, max_size=12))
@settings(max_examples=200, deadline=None)
def test_an_explainer_reused_across_decisions_words_each_as_the_plain_reading(
    condition: Condition, many: list[Situation]
) -> None:
    """A comparison keeps the words of values it met before: reused over many situations
    (as a policy's rules are), it still words each one as if it met it first."""
    explain = compile_explainer(condition)
    for situation in [*many, *reversed(many)]:
        compiled, plain = Facts(situation, PolicySettings()), Facts(situation, PolicySettings())
        assert explain(compiled) == reference(condition, plain)
        assert list(compiled.seen.items()) == list(plain.seen.items())


@given(st.sampled_from([0.0, -0.0, 0.5, -0.5, 1e-300, -1e-300]), st.sampled_from([0.0, -0.0, -0.5]))
def test_equal_numbers_that_read_differently_are_worded_each_their_own_way(
    first: float, second: float
) -> None:
    explain = compile_explainer(Compare("sentiment", "le", -0.5))
    for mood in (first, second, first):
        situation = Situation(
            Event("inbound", T0, "chat"), journey(), contact("email:ana@example.com"), None, sentiment=mood
        )
        assert explain(Facts(situation, PolicySettings())) == reference(
            Compare("sentiment", "le", -0.5), Facts(situation, PolicySettings())
        )


@given(_CONDITIONS, situations())
@settings(max_examples=500, deadline=None)
def test_compiled_tests_hold_when_the_plain_reading_holds(condition: Condition, situation: Situation) -> None:
    """An action's ``when`` is compiled without words: it holds exactly when the condition
    reads as holding, and reads the same facts in the same order."""
    compiled, plain = Facts(situation, PolicySettings()), Facts(situation, PolicySettings())
    assert compile_condition(condition)(compiled) is reference(condition, plain)[0]
    assert list(compiled.seen.items()) == list(plain.seen.items())
