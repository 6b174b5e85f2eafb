"""Properties of SLA alerts: one alert per breach, never one for the customer."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import FixedClock, Inbound, Outcome, SeededIds, Switchboard, ValidationError
from handoff.models import Notification
from handoff.policy import Policy

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)
STEPS = ("tick", "customer", "reply", "resolve", "prioritize", "transfer")
PRIORITY = st.sampled_from(("low", "normal", "high", "urgent"))
steps = st.lists(
    st.tuples(
        st.sampled_from(STEPS), st.integers(1, 900), PRIORITY, st.sampled_from(("chat", "email", "sms"))
    ),
    max_size=14,
)


def _run(policy: Policy, script: list[tuple[str, int, str, str]]) -> tuple[list[Outcome], Switchboard]:
    board = Switchboard.open("memory://", policy=policy, clock=FixedClock(T0), ids=SeededIds(21))
    now = T0
    first = board.receive(
        Inbound(channel="chat", identity="phone:+14155550100", body="Order A-1 is late", at=now)
    )
    outcomes: list[Outcome] = [first]
    journey_id = first.journey.id
    for kind, minutes, priority, channel in script:
        now += timedelta(minutes=minutes)
        try:
            if kind == "tick":
                outcomes.append(board.tick(now))
            elif kind == "customer":
                body = f"Still waiting at {now:%H:%M}"
                outcomes.append(
                    board.receive(Inbound(channel=channel, identity="phone:+14155550100", body=body, at=now))
                )
                journey_id = outcomes[-1].journey.id  # type: ignore[attr-defined]
            elif kind == "reply":
                outcomes.append(board.reply(journey_id, agent="alice", body="Looking", at=now))
            elif kind == "resolve":
                outcomes.append(board.resolve(journey_id, by="alice", at=now))
            elif kind == "prioritize":
                outcomes.append(board.prioritize(journey_id, priority, at=now))  # type: ignore[arg-type]
            else:
                outcomes.append(
                    board.transfer(journey_id, to_channel=channel, reason="escalation", by="alice", at=now)
                )
        except ValidationError:
            pass  # resolving or moving a resolved journey: refused, nothing written
    outcomes.append(board.tick(now + timedelta(days=20)))
    return outcomes, board


def _customer(notes: list[Notification]) -> list[tuple[object, ...]]:
    return [(n.channel, n.purpose, n.body, n.send_at, n.to, n.rule) for n in notes]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=steps)
def test_no_alert_twice_for_one_breach_and_none_to_a_customer(
    script: list[tuple[str, int, str, str]],
) -> None:
    strict = Policy.default().with_settings(max_per_hour=1)  # one alert would use up the customer's hour
    outcomes, board = _run(strict, script)
    alerts = [a for o in outcomes for a in o.alerts]
    ids = [a.id for a in alerts]
    assert len(ids) == len(set(ids)), "an alert was emitted twice"
    for alert in alerts:
        assert alert.audience == "team" and alert.to is None
        assert alert.purpose in ("sla_warning", "sla_breach", "sla_cleared")
    warned_or_breached = sum(a.purpose != "sla_cleared" for a in alerts)
    assert sum(a.purpose == "sla_cleared" for a in alerts) <= warned_or_breached
    customer = [n for o in outcomes for n in o.notifications]
    assert all(n.audience == "customer" and not n.purpose.startswith("sla_") for n in customer)
    stored = [n for j in board.store.all_journeys() for n in board.store.notifications(j.id)]
    assert sorted(n.id for n in stored if n.audience == "team") == sorted(ids)
    later = T0 + timedelta(days=60)
    assert all(n.audience == "customer" for n in board.outbox.due(later, limit=1000))
    assert all(n.audience == "customer" for n in board.outbox.claim("sender", now=later, limit=1000))

    # The team's alerts change nothing the customer is sent (rate limits, de-duplication).
    quiet, _ = _run(strict.with_settings(sla_targets=()), script)
    assert [a for o in quiet for a in o.alerts] == []
    assert _customer([n for o in quiet for n in o.notifications]) == _customer(customer)
