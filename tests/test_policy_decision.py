"""Decisions explain themselves: which policy revision, which facts, which rules, and why."""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import pairwise

import pytest
from attrs import evolve

from handoff.errors import PolicyError, ValidationError
from handoff.policy import Event, Policy, PolicySettings, tick_events
from handoff.policy.decision import Decision
from tests.policy_situations import T0, decide, journey, verdict

SWITCH = Event(
    "channel_switched", T0, "chat", from_channel="email", to_channel="chat", initiated_by="customer"
)


def test_decision_id_is_stable_for_the_same_event_and_changes_with_the_journey_version() -> None:
    a, b = decide(SWITCH), decide(SWITCH)
    assert a.id == b.id and a.id.startswith("dc_")
    assert decide(SWITCH, journey(version=4)).id != a.id
    assert decide(evolve(SWITCH, at=T0 + timedelta(seconds=1))).id != a.id
    other_policy = Policy.default(PolicySettings(max_per_hour=9))
    assert decide(SWITCH, policy=other_policy).id != a.id
    assert a.policy_revision == Policy.default().revision


def test_decision_logs_the_facts_it_read_and_only_those() -> None:
    d = decide(SWITCH)
    assert d.facts["event.initiated_by"] == "customer"
    assert d.facts["to_channel.public"] is False
    assert "customer.idle" not in d.facts  # no rule on this event needed it


def test_every_listening_rule_is_in_the_trace_in_policy_order() -> None:
    d = decide(SWITCH)
    listening = [r.name for r in Policy.default().rules if "channel_switched" in r.events]
    assert [v.rule for v in d.verdicts] == listening


def test_render_for_a_terminal_names_rules_facts_and_results() -> None:
    text = decide(SWITCH).render()
    for expected in (
        "channel_switched",
        "email → chat",
        "confirm_channel_move",
        "event.initiated_by = customer",
    ):
        assert expected in text
    assert "→ channel_move via chat" in text
    assert "summary:" in text


def test_html_for_a_notebook_escapes_what_it_shows() -> None:
    policy = Policy.from_dict(
        {
            "rules": [
                {
                    "name": "x",
                    "on": ["inbound"],
                    "actions": [{"do": "suggest", "kind": "escalate", "reason": "<script>alert(1)</script>"}],
                }
            ]
        }
    )
    page = decide(Event("inbound", T0, "chat"), policy=policy)._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<table>" in page


def test_decision_log_record_is_json() -> None:
    d = decide(Event("agent_replied", T0 + timedelta(hours=1), "chat", agent="alice"))
    record = json.loads(json.dumps(d.to_dict()))
    assert record["id"] == d.id
    assert record["facts"]["customer.idle"] == "1h"
    assert record["notifications"][0]["purpose"] == "update"


def test_suppress_drops_a_purpose_for_the_whole_decision_and_says_so() -> None:
    quiet = {
        "name": "no_updates_for_vips",
        "on": ["agent_replied"],
        "when": {"fact": "flags.vip", "op": "eq", "value": True},
        "actions": [{"do": "suppress", "purposes": ["update"]}],
    }
    policy = Policy.from_dict({"extends": "default", "rules": [quiet]})
    event = Event("agent_replied", T0 + timedelta(hours=1), "chat", agent="alice")
    assert decide(event, policy=policy, flags={"vip"}).notifications == ()
    assert "update suppressed" in verdict(decide(event, policy=policy, flags={"vip"}), "continuous_update")[1]
    assert len(decide(event, policy=policy).notifications) == 1


def test_policy_editing_keeps_names_and_checks_them() -> None:
    policy = Policy.default()
    assert [r.name for r in policy.only("survey_after_resolution", "privacy").rules] == [
        "privacy",
        "survey_after_resolution",
    ]
    with pytest.raises(PolicyError):
        policy.without("no_such_rule")
    relaxed = policy.with_settings(max_per_hour=10)
    assert relaxed.settings.max_per_hour == 10 and relaxed.revision != policy.revision


# -- time-based events -------------------------------------------------------------------------


def test_tick_events_for_an_open_journey() -> None:
    settings = PolicySettings()
    j = journey(last_customer_at={"chat": T0}, last_agent_at={"chat": T0 + timedelta(minutes=1)})
    soon = tick_events(j, T0 + timedelta(minutes=5), settings)
    assert [e.kind for e in soon] == ["tick"]
    later = tick_events(j, T0 + timedelta(minutes=30), settings)
    assert [e.kind for e in later] == ["tick", "customer_idle"]
    waiting = journey(last_customer_at={"chat": T0}, last_agent_at={"chat": T0 - timedelta(minutes=1)})
    assert [e.kind for e in tick_events(waiting, T0 + timedelta(hours=1), settings)] == ["tick"]
    assert tick_events(journey(status="resolved"), T0 + timedelta(hours=1), settings) == ()


def test_customer_idle_is_due_once_not_on_every_tick() -> None:
    settings = PolicySettings()
    j = journey(last_customer_at={"chat": T0}, last_agent_at={"chat": T0 + timedelta(minutes=1)})
    ticks = [T0 + timedelta(minutes=m) for m in range(0, 120, 5)]
    idle = [
        now
        for since, now in pairwise(ticks)
        if any(e.kind == "customer_idle" for e in tick_events(j, now, settings, since))
    ]
    assert idle == [T0 + timedelta(minutes=15)]


def test_on_tick_takes_only_time_based_events() -> None:
    from handoff.policy import Situation
    from tests.policy_situations import contact

    policy = Policy.default()
    j = journey(last_customer_at={"chat": T0}, last_agent_at={"chat": T0 + timedelta(minutes=1)})
    (idle,) = [
        e for e in tick_events(j, T0 + timedelta(minutes=30), policy.settings) if e.kind == "customer_idle"
    ]
    d = policy.on_tick(Situation(idle, j, contact("email:ana@example.com"), None))
    assert [n.purpose for n in d.notifications] == ["update"]
    with pytest.raises(PolicyError):
        policy.on_tick(Situation(SWITCH, j, contact("email:ana@example.com"), None))


def test_decision_log_record_reads_back() -> None:
    d = decide(
        Event(
            "channel_switched", T0, "chat", from_channel="twitter", to_channel="chat", initiated_by="customer"
        )
    )
    back = Decision.from_dict(json.loads(json.dumps(d.to_dict())))
    assert back.id == d.id
    assert (back.event, back.verdicts, back.notifications, back.summary) == (
        d.event,
        d.verdicts,
        d.notifications,
        d.summary,
    )
    assert back.facts == d.to_dict()["facts"]


def test_decision_log_record_refuses_tampering() -> None:
    record = decide(Event("inbound", T0, "chat", initiated_by="customer")).to_dict()
    with pytest.raises(ValidationError) as err:
        Decision.from_dict({**record, "journey_version": record["journey_version"] + 1})
    assert err.value.field == "$.id"
    with pytest.raises(ValidationError) as err:
        Decision.from_dict({**record, "verdicts": [{"rule": 1}]})
    assert "$.verdicts[0]" in str(err.value)
