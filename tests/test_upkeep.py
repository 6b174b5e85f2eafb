"""Explaining a notification, the periodic tick, and providers' delivery reports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import handoff
from handoff import Decision, FixedClock, Inbound, NotFound, SeededIds, Switchboard, ValidationError
from handoff.ingest import DeliveryEvent, Parsed
from tests.pgserver import BACKENDS, backend_url

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["memory", "sqlite", *BACKENDS])
def board(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Switchboard]:
    if request.param in BACKENDS:
        url = backend_url(request, request.param)
    else:
        url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'u.db'}"
    with Switchboard.open(url, clock=FixedClock(T0), ids=SeededIds(4)) as b:
        yield b


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def chat(board: Switchboard, body: str = "Order A-77 is late", minutes: float = 0) -> str:
    out = board.receive(Inbound(channel="chat", identity="phone:+14155550100", body=body, at=at(minutes)))
    return out.journey.reference


def test_explain_returns_the_decision_behind_a_notification(board: Switchboard) -> None:
    ref = chat(board)
    out = board.reply(ref, agent="alice", body="Found it: at the depot", at=at(60))
    (update,) = [n for n in out.notifications if n.purpose == "update"]
    decision = board.explain(update.id)
    assert isinstance(decision, Decision)
    assert decision.id == update.decision_id
    assert decision.event.kind == "agent_replied"
    assert any(v.rule == "continuous_update" and v.matched for v in decision.verdicts)
    assert [n.purpose for n in decision.notifications] == ["update"]
    assert decision.facts
    assert "continuous_update" in decision.render()


def test_explain_errors(board: Switchboard) -> None:
    with pytest.raises(NotFound):
        board.explain("nt_missing")
    with pytest.raises(ValidationError):
        board.explain("")


def test_tick_sends_the_idle_update_once(board: Switchboard) -> None:
    ref = chat(board)
    board.reply(ref, agent="alice", body="Can you confirm the address?", at=at(2))
    early = board.tick(at(5))
    assert early.journeys == 1
    assert not [n for n in early.notifications if n.purpose == "update"]
    late = board.tick(at(30))
    updates = [n for n in late.notifications if n.purpose == "update"]
    assert len(updates) == 1
    assert updates[0].channel == "sms"
    assert board.explain(updates[0].id).event.kind == "customer_idle"
    again = board.tick(at(45))
    assert not [n for n in again.notifications if n.purpose == "update"]
    assert updates[0] in board.outbox.due(at(45))


def test_a_tick_is_an_outcome_like_any_other(board: Switchboard) -> None:
    ref = chat(board)  # and nobody answers for five hours
    done = board.tick(at(300))
    assert isinstance(done, handoff.Outcome)
    assert isinstance(done, handoff.TickOutcome)
    assert (done.at, done.journeys, done.notifications) == (at(300), 1, ())
    assert [(s.kind, s.rule) for s in done.suggestions] == [("escalate", "sla_warning")]
    assert any(v.rule == f"{ref}: sla_warning" and v.matched for v in done.trace)
    received = board.receive(
        Inbound(channel="chat", identity="phone:+14155550100", body="still there?", at=at(301))
    )
    assert isinstance(received, handoff.Outcome)
    assert isinstance(received, handoff.JourneyOutcome)
    assert received.journey.reference == ref


def test_tick_ignores_resolved_journeys(board: Switchboard) -> None:
    ref = chat(board)
    board.reply(ref, agent="alice", body="done", at=at(1))
    board.resolve(ref, by="alice", at=at(2))
    assert board.tick(at(60)).journeys == 0


def test_delivery_reports_follow_the_provider_id(board: Switchboard) -> None:
    ref = chat(board)
    out = board.reply(ref, agent="alice", body="Found it", at=at(60))
    (update,) = [n for n in out.notifications if n.purpose == "update"]
    board.outbox.ack(update.id, at=at(61), provider_id="SM123")

    def report(status: str, minutes: float) -> None:
        event = DeliveryEvent("twilio", "sms", status, "SM123", at(minutes))  # type: ignore[arg-type]
        board.ingest(Parsed(events=(event,)))

    report("delivered", 62)
    assert board.outbox.get(update.id).status == "delivered"
    report("read", 63)
    report("delivered", 64)  # late and out of order: ignored
    assert board.outbox.get(update.id).status == "read"
    report("failed", 65)  # about a message we never sent: nothing to update, nothing fails
    assert board.outbox.get(update.id).provider_id == "SM123"


def test_opt_out_withdraws_consent(board: Switchboard) -> None:
    chat(board)
    event = DeliveryEvent("twilio", "sms", "opted_out", "SM9", at(5), identity="phone:+14155550100")
    board.ingest(Parsed(events=(event, event)))
    contact = board.find_contact("phone:+14155550100")
    assert contact is not None
    assert contact.consent == {"sms": False}


def test_a_deleted_message_is_recorded_as_retracted(board: Switchboard) -> None:
    out = board.receive(
        Inbound(
            channel="whatsapp", identity="phone:+14155550100", body="oops", at=at(0), external_id="wamid.1"
        )
    )
    event = DeliveryEvent("whatsapp", "whatsapp", "retracted", "wamid.1", at(1))
    board.ingest(Parsed(events=(event,)))
    board.ingest(Parsed(events=(event,)))  # redelivered: recorded once
    history = board.history(out.journey.id)
    assert len(history) == 2
    assert history[-1].kind == "event"
    assert history[-1].metadata["retracted"] == "wamid.1"
