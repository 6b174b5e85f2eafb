"""Policies as data: TOML and dicts in, dicts out, and every mistake reported at load time."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from attrs import define, field
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.errors import HandoffError, PolicyError, ValidationError
from handoff.policy import DeclarativeRule, Event, Facts, Policy, PolicySettings, RuleResult, register_rule
from handoff.policy.actions import Notify
from handoff.policy.situation import EVENT_KINDS
from handoff.policy.templates import DEFAULT_TEMPLATES
from tests.policy_situations import T0, contact, decide, journey

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "custom_policy.toml"

TOML = """
extends = "default"
drop = ["sla_warning"]

[settings]
idle_after = "30m"
survey_delay = "2h"
quiet_hours = ["22:00", "07:00"]

[templates]
update = "Hello {first_name}: {excerpt} ({reference})"

[[rules]]
name = "vip_callback"
on = ["inbound"]
when = { all = [
  { fact = "flags.vip", op = "eq", value = true },
  { fact = "event.channel", op = "in", value = ["chat", "messenger"] },
] }

[[rules.actions]]
do = "suggest"
kind = "offer_callback"
channel = "phone"
reason = "VIP customers get a call back"
"""


def test_default_policy_round_trips() -> None:
    policy = Policy.default()
    again = Policy.from_dict(policy.to_dict())
    assert again == policy
    assert again.revision == policy.revision


def test_toml_text_extends_the_default_policy() -> None:
    policy = Policy.from_toml(TOML)
    names = [r.name for r in policy.rules]
    assert "sla_warning" not in names and names[-1] == "vip_callback"
    assert policy.settings.idle_after.total_seconds() == 1800
    assert policy.settings.quiet_hours == ("22:00", "07:00")
    assert Policy.from_dict(policy.to_dict()) == policy
    assert policy != Policy.default()
    d = decide(Event("inbound", T0, "chat", initiated_by="customer"), policy=policy, flags={"vip"})
    assert [(s.kind, s.rule) for s in d.suggestions] == [("offer_callback", "vip_callback")]


def test_custom_templates_change_the_text() -> None:
    policy = Policy.from_toml(TOML)
    event = Event("agent_replied", T0, "chat", agent="alice")
    j = journey(last_customer_at={"chat": T0.replace(hour=12)})
    (n,) = decide(event, j, policy=policy).notifications
    assert n.body.startswith("Hello Ana: ") and n.body.endswith("(J-7F3K9)")


def test_toml_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(TOML, encoding="utf-8")
    assert Policy.from_toml(path) == Policy.from_toml(str(path)) == Policy.from_toml(TOML)


def test_missing_file_and_bad_toml_are_policy_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as missing:
        Policy.from_toml(tmp_path / "nope.toml")
    assert missing.value.problems[0][0] == "file"
    with pytest.raises(PolicyError) as broken:
        Policy.from_toml("rules = [")
    assert broken.value.problems[0][0] == "toml"


def test_the_example_policy_loads() -> None:
    policy = Policy.from_toml(EXAMPLE)
    assert Policy.from_dict(policy.to_dict()) == policy


def test_every_problem_is_listed_with_its_path() -> None:
    data: dict[str, Any] = {
        "settings": {"idle_after": "15 minutes", "colour": "blue"},
        "templates": {"hello": "Hi {first_name}, {shoe_size}"},
        "rules": [
            {
                "name": "a",
                "on": ["inbound"],
                "when": {
                    "any": [{"fact": "event.kind", "op": "eq", "value": "inbound"}, {"fact": "x", "op": "~"}]
                },
                "actions": [{"do": "notify", "purpose": "update", "template": "update"}],
            },
            {
                "name": "b",
                "on": ["lunch"],
                "actions": [{"do": "notify", "purpose": "update", "template": "nope", "channel": "fax"}],
            },
            {
                "name": "c",
                "on": ["inbound"],
                "when": {"fact": "journey.handoffs", "op": "gt", "value": "three"},
                "actions": [{"do": "dance"}],
            },
            {"name": "c", "on": ["resolved"], "actions": [{"do": "summary", "recent": -1}]},
        ],
    }
    with pytest.raises(PolicyError) as err:
        Policy.from_dict(data)
    paths = {path for path, _ in err.value.problems}
    assert paths == {
        "settings.idle_after",
        "settings.colour",
        "templates.hello",
        "rules[0].when.any[1].fact",
        "rules[0].when.any[1].op",
        "rules[0].when.any[1].value",
        "rules[1].on[0]",
        "rules[1].actions[0].channel",
        "rules[2].when.value",
        "rules[2].actions[0].do",
        "rules[3].actions[0].recent",
    }
    assert isinstance(err.value, ValidationError) and isinstance(err.value, HandoffError)
    assert "rules[0].when.any[1].op" in str(err.value)


def test_unknown_template_and_duplicate_names_are_found_once_the_rules_load() -> None:
    rule = {"on": ["resolved"], "actions": [{"do": "notify", "purpose": "survey", "template": "nps_v2"}]}
    with pytest.raises(PolicyError) as err:
        Policy.from_dict({"rules": [{"name": "s", **rule}, {"name": "s", **rule}]})
    assert err.value.problems == (
        ("rules[0].actions[0].template", "unknown template 'nps_v2'"),
        ("rules[1].name", "another rule is already called 's'"),
        ("rules[1].actions[0].template", "unknown template 'nps_v2'"),
    )
    with_template = Policy.from_dict(
        {"templates": {"nps_v2": "Rate us, {first_name}"}, "rules": [{"name": "s", **rule}]}
    )
    assert with_template.templates == {"nps_v2": "Rate us, {first_name}"}


@pytest.mark.parametrize(
    ("condition", "path", "words"),
    [
        ({"fact": "event.channel", "op": "eq", "value": "fax"}, "when.value", "unknown channel"),
        ({"fact": "journey.surveyed", "op": "gt", "value": True}, "when.op", "ordered"),
        ({"fact": "customer.idle", "op": "gt", "value": "PT15M"}, "when.value", "duration"),
        ({"fact": "customer.local_time", "op": "ge", "value": "25:00"}, "when.value", "HH:MM"),
        ({"fact": "event.kind", "op": "in", "value": []}, "when.value", "non-empty"),
        ({"fact": "event.kind", "op": "eq", "value": "lunch"}, "when.value", "one of"),
        ({"fact": "consent.fax", "op": "eq", "value": True}, "when.fact", "unknown fact"),
        ({"all": []}, "when.all", "non-empty"),
        ({"not": {"fact": "sentiment", "op": "lt", "value": "bad"}}, "when.not.value", "number"),
        ({"any": [], "all": []}, "when", "stands alone"),
    ],
)
def test_condition_mistakes(condition: dict[str, Any], path: str, words: str) -> None:
    rule = {
        "name": "r",
        "on": ["inbound"],
        "when": condition,
        "actions": [{"do": "suppress", "purposes": ["x"]}],
    }
    with pytest.raises(PolicyError) as err:
        Policy.from_dict({"rules": [rule]})
    ((where, message),) = err.value.problems
    assert where == f"rules[0].{path}" and words in message


def test_building_a_policy_in_code_is_checked_too() -> None:
    with pytest.raises(PolicyError) as err:
        Policy([object()])  # type: ignore[list-item]
    assert err.value.problems[0][0] == "rules[0]"
    bad = DeclarativeRule("x", {"inbound"}, [Notify("Bad Purpose", "update", "fax")])
    with pytest.raises(PolicyError) as err:
        Policy([bad])
    assert [p for p, _ in err.value.problems] == [
        "rules[0].actions[0].purpose",
        "rules[0].actions[0].channel",
    ]


# -- Python rules ---------------------------------------------------------------------------------


@define(frozen=True)
class VipGreeting:
    """Greet customers whose language is on a list."""

    name: str = "vip_greeting"
    languages: tuple[str, ...] = field(default=("ja",), converter=tuple)
    events: frozenset[str] = field(default=frozenset({"inbound"}), init=False)

    def __call__(self, facts: Facts) -> RuleResult:
        language = facts["contact.language"]
        if language not in self.languages:
            return RuleResult(False, f"language {language} is not on the list")
        return RuleResult(True, f"{language} speaker")


register_rule("vip_greeting", VipGreeting)


def test_python_rules_round_trip_and_appear_in_traces() -> None:
    policy = Policy.default().replacing(VipGreeting(languages=("ja", "ko")))
    data = policy.to_dict()
    assert data["rules"][-1] == {
        "name": "vip_greeting",
        "kind": "vip_greeting",
        "params": {"languages": ["ja", "ko"]},
    }
    assert Policy.from_dict(data) == policy
    c = contact("email:a@example.com", language="ko")
    d = decide(Event("inbound", T0, "chat", initiated_by="customer"), c=c, policy=policy)
    assert ("vip_greeting", True, "ko speaker") in [(v.rule, v.matched, v.reason) for v in d.verdicts]
    assert d.facts["contact.language"] == "ko"


def test_bad_python_rule_parameters_are_policy_problems() -> None:
    data = {
        "rules": [
            {"name": "v", "kind": "vip_greeting", "params": {"shoe": 42}},
            {"name": "w", "kind": "nope"},
        ]
    }
    with pytest.raises(PolicyError) as err:
        Policy.from_dict(data)
    assert [p for p, _ in err.value.problems] == ["rules[0].params", "rules[1].kind"]


def test_an_unregistered_python_rule_cannot_be_written_out() -> None:
    @define(frozen=True)
    class Local:
        name: str = "local"
        events: frozenset[str] = frozenset({"inbound"})

        def __call__(self, facts: Facts) -> RuleResult:
            return RuleResult(True, "always")

    policy = Policy([Local()])
    assert policy.revision  # still has a revision
    with pytest.raises(PolicyError, match="not registered"):
        policy.to_dict()


# -- properties ---------------------------------------------------------------------------------------

_durations = st.builds(
    lambda d, h, m: f"{d}d{h}h{m}m" if d else (f"{h}h{m}m" if h else f"{m}m"),
    st.integers(0, 3),
    st.integers(0, 23),
    st.integers(1, 59),
)
_clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
_channels = st.sampled_from(["chat", "email", "phone", "sms", "whatsapp", "twitter"])
_ordered = st.one_of(
    st.tuples(st.just("customer.idle"), _durations),
    st.tuples(st.just("journey.age"), _durations),
    st.tuples(st.just("journey.handoffs"), st.integers(0, 10)),
    st.tuples(st.just("sentiment"), st.floats(-1, 1, allow_nan=False)),
    st.tuples(st.just("customer.local_time"), _clock),
)
_compare = st.one_of(
    st.builds(
        lambda fv, op: {"fact": fv[0], "op": op, "value": fv[1]},
        _ordered,
        st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]),
    ),
    st.builds(
        lambda fact, v: {"fact": fact, "op": "eq", "value": v},
        st.sampled_from(
            ["journey.surveyed", "event.sensitive", "consent.sms", "flags.vip", "to_channel.public"]
        ),
        st.booleans(),
    ),
    st.builds(
        lambda op, vs: {"fact": "event.channel", "op": op, "value": vs},
        st.sampled_from(["in", "not_in"]),
        st.lists(_channels, min_size=1, max_size=3),
    ),
    st.builds(
        lambda f, v: {"fact": f, "op": "is_set", "value": v},
        st.sampled_from(["sentiment", "customer.idle"]),
        st.booleans(),
    ),
)
_conditions = st.recursive(
    _compare,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=6,
)
_actions = st.one_of(
    st.fixed_dictionaries(
        {
            "do": st.just("notify"),
            "purpose": st.sampled_from(["update", "survey", "channel_move"]),
            "template": st.sampled_from(sorted(DEFAULT_TEMPLATES)),
            "channel": st.sampled_from(
                ["current", "previous", "customer_last", "preferred", "best_async", "sms"]
            ),
        },
        optional={"delay": _durations, "urgent": st.booleans(), "exclude": st.lists(_channels, max_size=2)},
    ),
    st.fixed_dictionaries(
        {"do": st.just("summary"), "recent": st.integers(0, 20)},
        optional={"max_chars": st.integers(1, 5000), "redaction": st.sampled_from(["none", "masked"])},
    ),
    st.fixed_dictionaries(
        {
            "do": st.just("suggest"),
            "kind": st.sampled_from(["move_private", "offer_callback", "escalate"]),
            "reason": st.text(min_size=1, max_size=20).filter(str.strip),
        },
        optional={"channel": st.sampled_from(["private", "phone"])},
    ),
    st.fixed_dictionaries(
        {"do": st.just("suppress"), "purposes": st.lists(st.sampled_from(["update", "survey"]), min_size=1)}
    ),
)
_rules = st.lists(
    st.fixed_dictionaries(
        {
            "on": st.lists(st.sampled_from(EVENT_KINDS), min_size=1, max_size=3, unique=True),
            "actions": st.lists(
                st.one_of(_actions, st.builds(lambda a, w: {**a, "when": w}, _actions, _conditions)),
                min_size=1,
                max_size=3,
            ),
        },
        optional={"when": _conditions, "description": st.text(max_size=20)},
    ),
    max_size=4,
).map(lambda rules: [{"name": f"rule_{i}", **r} for i, r in enumerate(rules)])
_settings = st.fixed_dictionaries(
    {},
    optional={
        "idle_after": _durations,
        "max_per_hour": st.integers(0, 10),
        "quiet_hours": st.one_of(st.just(False), st.lists(_clock, min_size=2, max_size=2)),
        "business_days": st.lists(st.integers(1, 7), min_size=1, max_size=7),
        "outside_window": st.sampled_from(["template", "route"]),
        "negative_sentiment": st.floats(-1, 1, allow_nan=False),
    },
)
_policies = st.fixed_dictionaries({"rules": _rules, "settings": _settings})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_policies)
def test_from_dict_of_to_dict_is_the_same_policy(data: dict[str, Any]) -> None:
    policy = Policy.from_dict(data)
    again = Policy.from_dict(policy.to_dict())
    assert again == policy
    assert again.revision == policy.revision
    assert again.to_dict() == policy.to_dict()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_policies, st.sampled_from(EVENT_KINDS))
def test_loaded_policies_decide_without_errors(data: dict[str, Any], kind: str) -> None:
    policy = Policy.from_dict(data)
    event = Event(kind, T0, "chat", from_channel="email", to_channel="chat", initiated_by="customer")  # type: ignore[arg-type]
    decision = decide(event, policy=policy, sentiment=-0.2)
    assert {v.rule for v in decision.verdicts} >= {r.name for r in policy.rules if kind in r.events}


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_arbitrary_data_only_ever_raises_policy_error(data: object) -> None:
    with pytest.raises(PolicyError):
        Policy.from_dict(data)  # type: ignore[arg-type]


def _paths(node: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), _json)
def test_mutated_policies_load_or_raise_policy_error(data: st.DataObject, junk: object) -> None:
    document = copy.deepcopy(Policy.default().to_dict())
    path = data.draw(st.sampled_from(_paths(document)))
    parent: Any = document
    for step in path[:-1]:
        parent = parent[step]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = junk
    problems: tuple[tuple[str, str], ...] = ()
    try:
        policy = Policy.from_dict(document)
    except PolicyError as err:
        problems = err.problems
    else:
        assert Policy.from_dict(policy.to_dict()) == policy
        return
    assert problems and all(isinstance(p, str) and isinstance(m, str) for p, m in problems)


def test_settings_round_trip_with_quiet_hours_off() -> None:
    policy = Policy.default(PolicySettings(quiet_hours=None, business_days=(1, 2, 3)))
    data = policy.to_dict()
    assert data["settings"]["quiet_hours"] is False
    assert Policy.from_dict(data) == policy


def test_restricted_roles_load_from_toml_and_round_trip() -> None:
    policy = Policy.from_toml(
        'extends = "default"\n[settings]\nrestricted_roles = ["outsourced", "trainee"]\n'
    )
    assert policy.settings.restricted_roles == ("outsourced", "trainee")
    assert Policy.from_dict(policy.to_dict()) == policy


@pytest.mark.parametrize("roles", ["outsourced", ["Outsourced"], [1], ["two words"]])
def test_restricted_roles_must_be_a_list_of_role_names(roles: object) -> None:
    with pytest.raises(PolicyError) as err:
        Policy.from_dict({"extends": "default", "settings": {"restricted_roles": roles}})
    assert [path for path, _ in err.value.problems] == ["settings.restricted_roles"]


def test_register_rule_wants_an_attrs_class_with_a_name() -> None:
    class Plain:
        name = "plain"

    with pytest.raises(ValidationError, match="attrs class"):
        register_rule("plain", Plain)

    @define(frozen=True)
    class Other:
        name: str = "other"

    with pytest.raises(ValidationError, match="already registered"):
        register_rule("vip_greeting", Other)


def test_policy_error_survives_pickling_with_every_problem() -> None:
    import pickle

    err = PolicyError([("rules[0].op", "bad"), ("settings.x", "unknown")])
    again = pickle.loads(pickle.dumps(err))
    assert again.problems == err.problems and again.field == "rules[0].op"
