"""The speed comparison is honest: the hand-written rules in benchmarks/bench_policy.py decide
exactly what the default policy decides, on generated situations of every event kind."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.models import Interaction
from handoff.policy import Event, Policy, PolicySettings, Situation
from handoff.policy.situation import EVENT_KINDS
from tests.policy_situations import T0, contact, journey, sent


def _bench() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_policy.py"
    spec = importlib.util.spec_from_file_location("bench_policy", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = _bench()
CHANNELS = ("chat", "email", "phone", "sms", "whatsapp", "messenger", "twitter", "facebook", "portal")
IDENTITIES = ("email:ana@example.com", "phone:+14155550100", "facebook:100200300", "messenger:55501")
POLICIES = (
    Policy.default(),
    Policy.default(PolicySettings(restricted_roles=("outsourced",), outside_window="route")),
    Policy.default(PolicySettings(quiet_hours=None, max_per_hour=1, escalate_after=2)),
)
minutes = st.integers(0, 60 * 30).map(lambda m: T0 - timedelta(minutes=m))


@st.composite
def situations(draw: st.DrawFn) -> tuple[Policy, Situation]:
    kind = draw(st.sampled_from(EVENT_KINDS))
    channel = draw(st.sampled_from(CHANNELS))
    fields: dict[str, Any] = {}
    if kind in ("channel_switched", "transfer_requested"):
        fields["from_channel"] = draw(st.sampled_from((*CHANNELS, None)))
        fields["to_channel"] = channel
        fields["to_role"] = draw(st.sampled_from((None, "outsourced", "tier2")))
    starters = ("agent", "bot", "system") if kind == "transfer_requested" else ("customer", "agent", "bot")
    fields["initiated_by"] = draw(st.sampled_from(starters))
    fields["sensitive"] = draw(st.sampled_from(((), ("card number",))))
    at = T0 + timedelta(hours=draw(st.integers(0, 23)))
    if kind.startswith("callback_"):
        fields["callback_at"] = draw(
            st.sampled_from((None, at + timedelta(minutes=10), at + timedelta(hours=2)))
        )
        fields["next_slot"] = draw(st.sampled_from((None, at + timedelta(days=1))))
    event = Event(kind, at, channel, agent="alice", **fields)
    said = draw(st.dictionaries(st.sampled_from(CHANNELS), minutes, max_size=3))
    answered = draw(st.dictionaries(st.sampled_from(CHANNELS), minutes, max_size=2))
    j = journey(
        status=draw(st.sampled_from(("open", "pending", "resolved"))),
        current_channel=channel,
        last_customer_at=said,
        last_agent_at=answered,
        last_customer_channel=max(said, key=said.__getitem__) if said else None,
        first_response_at=min(answered.values()) if answered else None,
        surveyed=draw(st.booleans()),
    )
    who = contact(
        *draw(st.lists(st.sampled_from(IDENTITIES), min_size=1, max_size=4, unique=True)),
        timezone=draw(st.sampled_from(("UTC", "Asia/Tokyo", "America/New_York", "Europe/Berlin"))),
        preferred_channels=tuple(draw(st.lists(st.sampled_from(CHANNELS), max_size=2, unique=True))),
        consent=draw(st.dictionaries(st.sampled_from(CHANNELS), st.booleans(), max_size=3)),
    )
    interaction = Interaction(
        id="ix_9",
        journey_id="jr_1",
        contact_id="ct_1",
        channel=channel,
        author="customer",
        body="Still waiting for order A-1042",
        at=at,
        sequence=4,
        sensitive=draw(st.booleans()),
    )
    earlier = draw(
        st.lists(st.sampled_from(("update", "channel_move", "survey", "callback")), max_size=4).map(
            lambda purposes: tuple(sent(p, at - timedelta(minutes=10 * i)) for i, p in enumerate(purposes))
        )
    )
    situation = Situation(
        event,
        j,
        who,
        draw(st.sampled_from((interaction, None))),
        previous_channel=draw(st.sampled_from((None, "email", "chat"))),
        recent_notifications=earlier,
        sentiment=draw(st.sampled_from((None, -0.9, 0.2))),
        customer_messages=draw(st.sampled_from((None, 1, 5))),
        flags=draw(st.sampled_from((frozenset(), frozenset({"restricted_role"}), frozenset({"sensitive"})))),
    )
    return draw(st.sampled_from(POLICIES)), situation


@given(situations())
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_hand_written_rules_decide_like_the_default_policy(case: tuple[Policy, Situation]) -> None:
    policy, situation = case
    engine = policy.decide(situation)
    manual = BENCH.handwritten(situation, policy.settings, policy.revision)
    assert BENCH.same_outcome(engine, manual), (engine.render(), manual.render())


def test_the_benchmark_situations_decide_alike_and_do_something() -> None:
    policy = Policy.default()
    acted = 0
    for situation in BENCH._situations().values():
        engine = policy.decide(situation)
        assert BENCH.same_outcome(engine, BENCH.handwritten(situation, policy.settings, policy.revision))
        acted += bool(engine.notifications or engine.summary or engine.suggestions)
    assert acted >= 4


@given(st.lists(situations(), min_size=1, max_size=8))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_policy_that_decided_before_decides_as_a_fresh_one(cases: list[tuple[Policy, Situation]]) -> None:
    """Compiled rules keep what they worded before: after any number of decisions a policy
    decides each event exactly as a policy loaded afresh (new closures, nothing kept) does,
    explanation, facts read and outputs alike."""
    for policy, situation in cases:
        warm = policy.decide(situation)
        fresh = Policy.from_dict(policy.to_dict()).decide(situation)
        assert warm.verdicts == fresh.verdicts
        assert list(warm.facts.items()) == list(fresh.facts.items())
        assert (warm.notifications, warm.summary, warm.suggestions, warm.priority) == (
            fresh.notifications,
            fresh.summary,
            fresh.suggestions,
            fresh.priority,
        )
        assert warm.to_dict() == fresh.to_dict()
