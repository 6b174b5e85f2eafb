"""The decision log's data is walked for what JSON cannot carry only when outside code made it.

A decision that the library's own engine and declarative rules made encodes to JSON data
by construction, so the write path does not walk it again; a Python rule's result may hold
anything, so a policy with one (or a subclass of ``Policy``) has its decisions checked as
before, and one that cannot be stored is refused with nothing written.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from attrs import define, field
from hypothesis import HealthCheck, given, settings

from handoff import FixedClock, Inbound, SeededIds, Switchboard
from handoff.errors import ValidationError
from handoff.events import Suggestion
from handoff.policy import Decision, Policy
from handoff.policy.conditions import show
from handoff.policy.engine import plain_decisions
from handoff.policy.facts import Facts
from handoff.policy.rules import DeclarativeRule
from handoff.policy.situation import RuleResult, Situation
from handoff.serde import _reference
from handoff.stores.rules import _check_json
from tests.test_policy_handwritten import POLICIES, situations

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(situations())
def test_a_declarative_policys_decisions_are_json_data(drawn: tuple[Policy, Situation]) -> None:
    policy, situation = drawn
    assert plain_decisions(policy)
    decision = policy.decide(situation)
    data = decision.to_dict()
    _check_json(data, "data", 0)  # raises if it is not
    assert json.dumps(data) == json.dumps(_as_cattrs_encodes(decision))  # the same keys, in order


_CATTRS = _reference()


def _as_cattrs_encodes(decision: Decision) -> dict[str, Any]:
    """A decision's record with every part encoded by cattrs alone."""
    data = {
        "id": decision.id,
        "policy_revision": decision.policy_revision,
        "journey_id": decision.journey_id,
        "journey_version": decision.journey_version,
        "event": _CATTRS.unstructure(decision.event),
        "facts": {name: show(value) for name, value in decision.facts.items()},
        "verdicts": [_CATTRS.unstructure(v) for v in decision.verdicts],
        "notifications": [_CATTRS.unstructure(n) for n in decision.notifications],
        "summary": None if decision.summary is None else _CATTRS.unstructure(decision.summary),
        "suggestions": [_CATTRS.unstructure(s) for s in decision.suggestions],
    }
    return data if decision.priority is None else {**data, "priority": decision.priority}


def test_the_default_policies_are_plain() -> None:
    assert all(plain_decisions(policy) for policy in POLICIES)
    assert plain_decisions(Policy.default().only("route", "context_transfer"))


@define(frozen=True)
class _Odd:
    """A Python rule whose suggestion's reason is a number JSON cannot carry."""

    name: str = "odd"
    events: frozenset[str] = field(default=frozenset({"channel_switched"}))

    def __call__(self, facts: Facts) -> RuleResult:
        return RuleResult(True, "odd", suggestions=(Suggestion("route", None, math.nan, "odd"),))  # type: ignore[arg-type]


class _Declared(DeclarativeRule):
    """A subclass may run differently: the engine runs it as a Python rule."""


class _Decider(Policy):
    pass


def test_a_python_rule_a_declarative_subclass_or_a_policy_subclass_is_not_plain() -> None:
    default = Policy.default()
    assert not plain_decisions(default.replacing(_Odd()))
    route = default.rule("route")
    assert isinstance(route, DeclarativeRule)
    declared = _Declared(route.name, route.events, route.actions, route.when, route.description)
    assert not plain_decisions(default.replacing(declared))
    assert not plain_decisions(_Decider(default.rules, default.settings))


def test_a_python_rules_decision_json_cannot_carry_is_refused_and_nothing_is_written() -> None:
    policy = Policy.default().replacing(_Odd())
    with Switchboard.open("memory://", policy=policy, clock=FixedClock(T0), ids=SeededIds(1)) as board:
        first = board.receive(
            Inbound(channel="sms", identity="phone:+14155550100", body="my order A-1", at=T0, external_id="a")
        )
        switched = Inbound(
            channel="whatsapp",
            identity="phone:+14155550100",
            body="moved here",
            at=T0 + timedelta(minutes=1),
            external_id="b",
        )
        with pytest.raises(ValidationError) as refused:
            board.receive(switched)
        assert refused.value.field.startswith("decisions[0].data.suggestions")
        assert board.store.get_journey(first.journey.id) == first.journey
        assert board.store.find_interaction("whatsapp", "b") is None
        assert board.store.handoffs(first.journey.id) == []
