"""SLA alerts the team receives: warned once, alerted once per breach, cleared when met."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from attrs import evolve

from handoff import FixedClock, Inbound, SeededIds, Switchboard, ValidationError
from handoff.aio import AsyncSwitchboard
from handoff.policy import Policy, PolicySettings
from handoff.policy.sla import alerts_due, business_deadline
from tests.pgserver import BACKENDS, backend_url

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)  # a Tuesday, inside 09:00-17:00 UTC
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(params=["memory", "sqlite", *BACKENDS])
def board(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Switchboard]:
    if request.param in BACKENDS:
        url = backend_url(request, request.param)
    else:
        url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 's.db'}"
    with Switchboard.open(url, clock=FixedClock(T0), ids=SeededIds(7)) as b:
        yield b


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def chat(board: Switchboard, minutes: float = 0, body: str = "Order A-77 is late") -> str:
    out = board.receive(Inbound(channel="chat", identity="phone:+14155550100", body=body, at=at(minutes)))
    return out.journey.id


def test_first_response_warns_then_breaches_once_and_clears_on_reply(board: Switchboard) -> None:
    journey_id = chat(board)
    assert board.tick(at(30)).alerts == ()  # 30 of 60 business minutes used
    (warning,) = board.tick(at(50)).alerts  # 80% is 14:48
    assert (warning.audience, warning.purpose, warning.rule) == ("team", "sla_warning", "sla.first_response")
    assert warning.to is None and warning.send_at == at(50)
    assert "first response due Tue 10 Mar 15:00 UTC" in warning.body
    assert board.tick(at(55)).alerts == ()
    late = board.tick(at(61))
    (breach,) = late.alerts
    assert (breach.purpose, breach.rule) == ("sla_breach", "sla.first_response")
    assert late.notifications == ()  # nothing for the customer
    assert board.tick(at(120)).alerts == ()
    replied = board.reply(journey_id, agent="alice", body="Sorry for the wait", at=at(130))
    (cleared,) = replied.alerts
    assert (cleared.purpose, cleared.rule, cleared.audience) == ("sla_cleared", "sla.first_response", "team")
    assert all(n.audience == "customer" for n in replied.notifications)
    assert board.tick(at(200)).alerts == ()  # the next clock is resolution: 24 business hours

    decision = board.explain(cleared.id)
    (verdict,) = decision.explain("sla.first_response")
    assert verdict.matched and "alerted of the breach" in verdict.reason
    (breached,) = board.explain(breach.id).explain("sla.first_response")
    assert "no first response within 1 hour of business time at normal priority" in breached.reason

    later = at(300)
    assert board.outbox.due(later) == [
        n for n in board.outbox.due(later, audience=None) if n.audience == "customer"
    ]
    team = board.outbox.due(later, audience="team")
    assert [n.purpose for n in team] == ["sla_warning", "sla_breach", "sla_cleared"]
    stored = sorted(n.id for n in board.store.notifications(journey_id) if n.audience == "team")
    assert stored == sorted(n.id for n in team)  # each alert stored once


def test_a_breach_found_late_is_one_alert_without_a_warning(board: Switchboard) -> None:
    chat(board)
    (breach,) = board.tick(at(90)).alerts
    assert breach.purpose == "sla_breach"
    assert board.tick(at(91)).alerts == ()


def test_next_response_runs_from_the_first_unanswered_message(board: Switchboard) -> None:
    journey_id = chat(board)
    board.reply(journey_id, agent="alice", body="Checking", at=at(10))
    chat(board, 20, "Any news?")
    chat(board, 100, "Hello??")  # a second message does not restart the wait
    assert board.journey(journey_id).awaiting_since == at(20)
    assert board.tick(at(200)).alerts == ()  # 3 of 4 business hours (17:00 closes at 180)
    alerts = board.tick(T0 + timedelta(days=1, hours=-4, minutes=30)).alerts  # Wed 10:30 UTC
    assert [(a.purpose, a.rule) for a in alerts] == [("sla_breach", "sla.next_response")]
    out = board.reply(journey_id, agent="alice", body="Here it is", at=T0 + timedelta(days=1, hours=-3))
    assert [(a.purpose, a.rule) for a in out.alerts] == [("sla_cleared", "sla.next_response")]
    assert board.journey(journey_id).awaiting_since is None


def test_resolution_breach_clears_when_resolved(board: Switchboard) -> None:
    journey_id = chat(board)
    board.reply(journey_id, agent="alice", body="On it", at=at(5))
    nine_days = T0 + timedelta(days=9)  # 24 business hours are 3 business days; 9 days is surely late
    alerts = board.tick(nine_days).alerts
    assert [(a.purpose, a.rule) for a in alerts] == [("sla_breach", "sla.resolution")]
    done = board.resolve(journey_id, by="alice", at=nine_days + timedelta(minutes=1))
    assert [(a.purpose, a.rule) for a in done.alerts] == [("sla_cleared", "sla.resolution")]


def test_targets_met_without_any_alert_clear_nothing(board: Switchboard) -> None:
    journey_id = chat(board)
    out = board.reply(journey_id, agent="alice", body="Hi", at=at(5))
    assert out.alerts == ()
    assert board.resolve(journey_id, by="alice", at=at(6)).alerts == ()


def test_priority_picks_the_targets() -> None:
    with Switchboard.open("memory://", clock=FixedClock(T0), ids=SeededIds(1)) as board:
        out = board.receive(
            Inbound(channel="chat", identity="email:a@example.com", body="Site is down", at=T0),
            priority="urgent",
        )
        assert out.journey.priority == "urgent"
        (breach,) = board.tick(at(16)).alerts  # urgent: first response within 15 minutes
        assert "urgent priority" in breach.body


def test_customer_clock_across_a_dst_change_and_the_team_clock() -> None:
    friday = datetime(2026, 3, 6, 16, 30, tzinfo=NEW_YORK)  # 30 minutes before closing, EST
    # Thirty minutes on Friday, thirty on Monday: clocks went forward on Sunday 8 March.
    due = business_deadline(friday, timedelta(hours=1), ("09:00", "17:00"), (1, 2, 3, 4, 5), NEW_YORK)
    assert due == datetime(2026, 3, 9, 9, 30, tzinfo=NEW_YORK)
    assert due.astimezone(timezone.utc) == datetime(2026, 3, 9, 13, 30, tzinfo=timezone.utc)

    start = friday.astimezone(timezone.utc)
    for team_zone, breach_at in ((None, (13, 30)), ("Europe/London", (10, 0))):
        policy = Policy.default().with_settings(sla_timezone=team_zone)
        with Switchboard.open("memory://", policy=policy, clock=FixedClock(start), ids=SeededIds(2)) as board:
            out = board.receive(
                Inbound(channel="chat", identity="email:nyc@example.com", body="Help", at=start)
            )
            board.update_contact(out.contact.id, timezone="America/New_York")
            monday = datetime(2026, 3, 9, *breach_at, tzinfo=timezone.utc)
            assert [a.purpose for a in board.tick(monday - timedelta(minutes=1)).alerts] == ["sla_warning"]
            (breach,) = board.tick(monday).alerts
            assert breach.purpose == "sla_breach"
            zone = team_zone or "America/New_York"
            assert f"due Mon 09 Mar {monday.astimezone(ZoneInfo(zone)):%H:%M} {zone}" in breach.body


def test_business_deadline_edge_cases() -> None:
    hours, days = ("09:00", "17:00"), (1, 2, 3, 4, 5)
    saturday = datetime(2026, 3, 14, 12, 0, tzinfo=timezone.utc)
    assert business_deadline(saturday, timedelta(0), hours, days, timezone.utc) == saturday
    assert business_deadline(saturday, timedelta(hours=2), hours, (), timezone.utc) == saturday + timedelta(
        hours=2
    )
    assert business_deadline(saturday, timedelta(hours=9), hours, days, timezone.utc) == datetime(
        2026, 3, 17, 10, 0, tzinfo=timezone.utc
    )


def test_warnings_can_be_turned_off_and_targets_dropped() -> None:
    policy = Policy.from_toml(
        """
extends = "default"
[settings]
sla_warning_at = 0
[settings.sla_targets.normal]
first_response = "2h"
resolution = false
"""
    )
    assert policy.settings.sla_warning_at == 0
    with Switchboard.open("memory://", policy=policy, clock=FixedClock(T0), ids=SeededIds(3)) as board:
        chat(board)
        assert board.tick(at(110)).alerts == ()  # no warning, and two hours not used yet
        assert [a.rule for a in board.tick(at(121)).alerts] == ["sla.first_response"]
        assert board.tick(T0 + timedelta(days=30)).alerts == ()  # no resolution target at normal


def test_unknown_customer_zone_falls_back_to_utc() -> None:
    with Switchboard.open("memory://", clock=FixedClock(T0), ids=SeededIds(3)) as board:
        journey_id = chat(board)
        journey = board.journey(journey_id)
        contact = board.contact(journey.contact_id)
        odd = evolve(contact, timezone="Nowhere/Atlantis")
        alerts, verdicts = alerts_due(journey, odd, PolicySettings(), at(61), set())
        assert [a.purpose for a in alerts] == ["sla_breach"]
        assert "UTC" in alerts[0].body and any(v.rule == "sla.resolution" and not v.matched for v in verdicts)


def test_outbox_filters_by_audience_and_rejects_others(board: Switchboard) -> None:
    chat(board)
    board.tick(at(61))
    now = at(62)
    assert all(n.audience == "customer" for n in board.outbox.due(now))
    assert [n.purpose for n in board.outbox.due(now, audience="team")] == ["sla_breach"]
    with pytest.raises(ValidationError) as raised:
        board.outbox.due(now, audience="everyone")
    assert raised.value.field == "audience"
    assert all(n.audience == "customer" for n in board.outbox.claim("sender", now=now))
    (claimed,) = board.outbox.claim("pager", now=now, audience="team")
    assert claimed.purpose == "sla_breach"
    assert board.outbox.claim("pager-2", now=now, audience="team") == []
    with pytest.raises(ValidationError) as raised:
        board.outbox.claim("pager", now=now, audience="staff")
    assert raised.value.field == "audience"


def test_due_reads_past_other_audiences_to_fill_its_limit() -> None:
    with Switchboard.open("memory://", clock=FixedClock(T0), ids=SeededIds(9)) as board:
        ids = [
            board.receive(
                Inbound(channel="chat", identity=f"email:c{i}@example.com", body="Late", at=T0)
            ).journey.id
            for i in range(6)
        ]
        assert len(board.tick(at(61)).alerts) == 6  # six breach alerts, due before anything else
        (update,) = board.reply(ids[0], agent="alice", body="Sorry", at=at(62)).notifications
        assert update.audience == "customer"
        assert board.outbox.due(at(63), limit=1) == [update]
        assert len(board.outbox.due(at(63), limit=2, audience="team")) == 2
        assert len(board.outbox.due(at(63), audience=None)) == 8  # six breaches, one cleared, the update


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_the_async_board_on_postgresql_keeps_alerts_for_the_team(postgres_url: str) -> None:
    async with await AsyncSwitchboard.open(postgres_url, clock=FixedClock(T0), ids=SeededIds(8)) as board:
        inbound = Inbound(channel="chat", identity="phone:+14155550100", body="Order A-77 is late", at=T0)
        first = await board.receive(inbound, priority="high")
        assert first.journey.priority == "high"
        (breach,) = (await board.tick(at(31))).alerts  # high: first response within 30 minutes
        assert breach.audience == "team"
        assert all(n.audience == "customer" for n in await board.outbox.due(at(32)))
        assert [n.id for n in await board.outbox.due(at(32), audience="team")] == [breach.id]
        claimed = await board.outbox.claim("sender", now=at(32))
        assert all(n.audience == "customer" for n in claimed)
        assert [n.id for n in await board.outbox.claim("pager", now=at(32), audience="team")] == [breach.id]
        out = await board.prioritize(first.journey.id, "urgent", by="alice", at=at(33))
        assert out.journey.priority == "urgent"
        with pytest.raises(ValidationError) as raised:
            await board.prioritize(first.journey.id, "soon")  # type: ignore[arg-type]
        assert raised.value.field == "priority"
        moved = await board.transfer(
            first.journey.id, to_channel="phone", reason="escalation", by="alice", priority="low", at=at(34)
        )
        assert (
            moved.journey.priority == "low" and moved.handoff is not None and moved.handoff.queue == "phone"
        )
