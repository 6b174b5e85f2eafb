"""Scheduled callbacks, worked by hand on every backend: slots on the customer's clock
(another zone than the team's, across a DST change), refusals naming the field, the
confirmation and reminder the policy sends, and what reached, not reached, missed and
cancelled callbacks leave behind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from handoff import (
    Callback,
    FixedClock,
    Inbound,
    NotFound,
    Policy,
    SeededIds,
    StoreUnavailable,
    Switchboard,
    ValidationError,
)
from handoff.stores import MemoryStore
from tests.pgserver import BACKENDS, backend_url

UTC = timezone.utc
# Tuesday 10 March 2026, 14:00 UTC: 10:00 in New York (EDT since 8 March), 15:00 in Paris.
T0 = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", *BACKENDS])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param in BACKENDS:
        return backend_url(request, request.param)
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'callbacks.db'}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def board(url: str, clock: FixedClock) -> Iterator[Switchboard]:
    with Switchboard.open(url, clock=clock, ids=SeededIds(7)) as opened:
        yield opened


def _customer(
    board: Switchboard, zone: str = "America/New_York", identity: str = "phone:+14155550100"
) -> str:
    """A customer who wrote by SMS from ``zone``; the journey's id."""
    channel = "sms" if identity.startswith("phone:") else "email"
    out = board.receive(
        Inbound(channel=channel, identity=identity, name="Ana K", body="My order A-1042 never arrived", at=T0)
    )
    board.update_contact(out.contact.id, timezone=zone)
    return out.journey.id


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_slots_are_on_the_customers_clock_not_the_teams(board: Switchboard) -> None:
    journey = _customer(board)
    # 10:00 in New York: the next half hours are 10:30, 11:00, 11:30 there.
    assert board.callback_slots(journey) == [
        _utc(2026, 3, 10, 14, 30),
        _utc(2026, 3, 10, 15),
        _utc(2026, 3, 10, 15, 30),
    ]
    # 12:30 UTC tomorrow is inside the team's day but 08:30 for the customer.
    with pytest.raises(ValidationError) as early:
        board.schedule_callback(journey, _utc(2026, 3, 11, 12, 30))
    assert early.value.field == "at"
    assert "outside callback hours (09:00-18:00 on the customer's clock)" in str(early.value)
    # 18:00 New York is the end of the hours: the last slot starts at 17:30.
    with pytest.raises(ValidationError, match="outside callback hours"):
        board.schedule_callback(journey, _utc(2026, 3, 10, 22))
    last = board.schedule_callback(journey, _utc(2026, 3, 10, 21, 30))
    assert last.callback is not None and last.callback.status == "scheduled"


def test_a_slot_across_the_customers_dst_change_keeps_their_wall_clock(
    board: Switchboard, clock: FixedClock
) -> None:
    journey = _customer(board, zone="Europe/Paris")
    # Friday 27 March 17:30 in Paris (CET, UTC+1): today's hours are over; the clocks go
    # forward on Sunday, so Monday 09:00 in Paris (CEST, UTC+2) is 07:00 UTC, not 08:00.
    clock.set(_utc(2026, 3, 27, 16, 30))
    assert board.callback_slots(journey, count=2) == [_utc(2026, 3, 30, 7), _utc(2026, 3, 30, 7, 30)]
    with pytest.raises(ValidationError, match="is not a callback day"):
        board.schedule_callback(journey, _utc(2026, 3, 28, 9))
    with pytest.raises(ValidationError, match="outside callback hours"):
        board.schedule_callback(journey, _utc(2026, 3, 30, 6, 30))  # 08:30 in Paris
    out = board.schedule_callback(journey, _utc(2026, 3, 30, 7), agent="bob")
    confirmation, reminder = out.notifications
    assert "Mon 30 Mar 09:00 (Europe/Paris)" in confirmation.body
    assert reminder.purpose == "callback_reminder"
    assert reminder.send_at == _utc(2026, 3, 30, 6, 45)


def test_a_slot_in_the_past_off_the_half_hour_or_taken_is_refused(board: Switchboard) -> None:
    journey = _customer(board)
    for at, problem in (
        (T0, "is not in the future"),
        (_utc(2026, 3, 10, 14, 40), "does not start a 30-minute slot"),
    ):
        with pytest.raises(ValidationError, match=problem) as caught:
            board.schedule_callback(journey, at)
        assert caught.value.field == "at"
    booked = board.schedule_callback(journey, _utc(2026, 3, 10, 15))
    assert booked.callback is not None
    with pytest.raises(ValidationError, match=f"callback {booked.callback.id} is already booked"):
        board.schedule_callback(journey, _utc(2026, 3, 10, 15))
    assert _utc(2026, 3, 10, 15) not in board.callback_slots(journey, count=5)
    assert board.callbacks(journey) == [booked.callback]


def test_a_contact_without_a_phone_gets_no_callback(board: Switchboard) -> None:
    journey = _customer(board, identity="email:ana@example.com")
    before = board.history(journey)
    with pytest.raises(ValidationError) as caught:
        board.schedule_callback(journey, board.callback_slots(journey)[0])
    assert caught.value.field == "number"
    assert board.callbacks(journey) == []
    assert board.history(journey) == before


def test_bad_arguments_name_their_field(board: Switchboard) -> None:
    journey = _customer(board)
    slot = board.callback_slots(journey)[0]
    for call, field in (
        (lambda: board.schedule_callback(journey, slot.replace(tzinfo=None)), "at"),
        (lambda: board.schedule_callback(journey, slot, channel="email"), "channel"),
        (lambda: board.schedule_callback(journey, slot, channel="fax"), "channel"),
        (lambda: board.callback_slots(journey, count=0), "count"),
        (lambda: board.record_callback("cb_x", reached="yes"), "reached"),  # type: ignore[arg-type]
        (lambda: board.record_callback(42, reached=True), "callback_id"),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        assert caught.value.field == field
    with pytest.raises(NotFound):
        board.record_callback("cb_missing", reached=True)


def test_booking_confirms_the_slot_and_schedules_a_reminder_both_explained(board: Switchboard) -> None:
    journey = _customer(board)
    out = board.schedule_callback(journey, _utc(2026, 3, 10, 15), agent="bob")
    callback = out.callback
    assert callback is not None
    assert (callback.number, callback.agent, callback.channel) == ("+14155550100", "bob", "phone")
    confirmation, reminder = out.notifications
    assert (confirmation.purpose, confirmation.channel, confirmation.send_at) == (
        "callback_confirmation",
        "sms",
        T0,
    )
    assert confirmation.body == (
        "Hi Ana, your callback is booked for Tue 10 Mar 11:00 (America/New_York): we will call you "
        "on +14155550100. Your reference is " + out.journey.reference + "."
    )
    assert reminder.send_at == _utc(2026, 3, 10, 14, 45)
    assert callback.reminder_id == reminder.id
    assert out.interaction.kind == "event" and "Callback booked for Tue 10 Mar 11:00" in out.interaction.body
    assert board.explain(confirmation.id).verdicts[0].rule == "confirm_callback"
    assert any(v.rule == "remind_callback" and v.matched for v in board.explain(reminder.id).verdicts)
    assert board.callbacks(journey) == [callback]


def test_a_reached_callback_is_a_call_in_the_history_and_its_reminder_is_dropped(
    board: Switchboard, clock: FixedClock
) -> None:
    journey = _customer(board)
    booked = board.schedule_callback(journey, _utc(2026, 3, 10, 15), agent="bob").callback
    assert booked is not None
    clock.set(_utc(2026, 3, 10, 14, 40))  # the agent calls early, before the reminder went out
    done = board.record_callback(booked.id, reached=True)
    assert done.callback is not None
    assert (done.callback.status, done.callback.closed_at) == ("done", clock.now())
    call = done.interaction
    assert (call.kind, call.author, call.agent, call.channel) == ("call", "agent", "bob", "phone")
    assert done.journey.first_response_at == clock.now()
    assert board.store.get_notification(booked.reminder_id or "").status == "cancelled"
    assert done.notifications == ()
    assert board.callbacks(journey)[0].status == "done"
    with pytest.raises(ValidationError) as again:
        board.record_callback(booked.id, reached=False)
    assert again.value.field == "callback_id"


def test_a_customer_not_reached_is_offered_the_next_slot_in_writing(
    board: Switchboard, clock: FixedClock
) -> None:
    journey = _customer(board)
    booked = board.schedule_callback(journey, _utc(2026, 3, 10, 15)).callback
    assert booked is not None
    clock.set(_utc(2026, 3, 10, 15, 5))
    board.outbox.ack(booked.reminder_id or "")  # the reminder was sent
    missed = board.record_callback(booked.id, reached=False)
    assert missed.callback is not None and missed.callback.status == "missed"
    (offer,) = missed.notifications
    assert offer.purpose == "callback_missed" and offer.channel == "sms"
    assert "call you again at Tue 10 Mar 11:30 (America/New_York)" in offer.body
    (suggestion,) = missed.suggestions
    assert suggestion.kind == "offer_callback" and "Tue 10 Mar 11:30" in suggestion.reason
    assert board.store.get_notification(booked.reminder_id or "").status == "sent"
    assert board.explain(offer.id).verdicts[0].rule == "rebook_missed_callback"


def test_tick_marks_a_callback_missed_after_the_grace_period_once(
    board: Switchboard, clock: FixedClock
) -> None:
    journey = _customer(board)
    booked = board.schedule_callback(journey, _utc(2026, 3, 10, 15)).callback
    assert booked is not None
    early = board.tick(_utc(2026, 3, 10, 15, 14))
    assert not any(n.purpose == "callback_missed" for n in early.notifications)
    assert board.callbacks(journey)[0].status == "scheduled"
    late = board.tick(_utc(2026, 3, 10, 15, 15))
    assert [n.purpose for n in late.notifications] == ["callback_missed"]
    assert any("missed: not recorded in time" in v.reason for v in late.trace)
    (stored,) = board.callbacks(journey)
    assert (stored.status, stored.closed_at) == ("missed", _utc(2026, 3, 10, 15, 15))
    again = board.tick(_utc(2026, 3, 10, 15, 30))
    assert not any(n.purpose == "callback_missed" for n in again.notifications)


def test_a_cancelled_callback_sends_no_reminder(board: Switchboard) -> None:
    journey = _customer(board)
    booked = board.schedule_callback(journey, _utc(2026, 3, 10, 16)).callback
    assert booked is not None
    out = board.cancel_callback(booked.id)
    assert out.callback is not None and out.callback.status == "cancelled"
    due = board.outbox.due(_utc(2026, 3, 10, 17))
    assert [n.purpose for n in due] == ["callback_confirmation"]
    with pytest.raises(ValidationError):
        board.cancel_callback(booked.id)


def test_callbacks_are_listed_by_time_and_erased_with_the_contact(board: Switchboard) -> None:
    journey = _customer(board)
    late = board.schedule_callback(journey, _utc(2026, 3, 10, 20)).callback
    early = board.schedule_callback(journey, _utc(2026, 3, 10, 15)).callback
    assert board.callbacks(journey) == [early, late]
    contact = board.journey(journey).contact_id
    board.erase_contact(contact, vacuum=False)
    with pytest.raises(NotFound):
        board.callbacks(journey)
    assert early is not None
    with pytest.raises(NotFound):
        board.record_callback(early.id, reached=True)


def test_a_store_that_keeps_no_callbacks_says_so_and_writes_nothing(clock: FixedClock) -> None:
    from tests.test_store_primitives import _PrimitivesOnly

    board = Switchboard(_PrimitivesOnly(), clock=clock, ids=SeededIds(7))
    journey = _customer(board)
    before = board.history(journey)
    with pytest.raises(StoreUnavailable, match="keeps no callbacks"):
        board.schedule_callback(journey, _utc(2026, 3, 10, 15))
    with pytest.raises(StoreUnavailable):
        board.callbacks(journey)
    assert board.history(journey) == before
    assert board.tick(_utc(2026, 3, 11)).journeys == 1  # the tick works without callbacks


def test_callback_settings_shape_slots_and_reminders() -> None:
    policy = Policy.from_toml(
        """
extends = "default"
[settings]
callback_hours = ["08:00", "12:00"]
callback_slot = "1h"
callback_reminder = "1h"
business_days = [1, 2, 3, 4, 5, 6]
"""
    )
    assert Policy.from_dict(policy.to_dict()) == policy
    clock = FixedClock(T0)
    board = Switchboard(MemoryStore(), policy, clock=clock, ids=SeededIds(7))
    journey = _customer(board)
    # 10:00 in New York, hours 08:00-12:00 by the hour: 11:00, then Wednesday 08:00...
    assert board.callback_slots(journey) == [
        _utc(2026, 3, 10, 15),
        _utc(2026, 3, 11, 12),
        _utc(2026, 3, 11, 13),
    ]
    out = board.schedule_callback(journey, _utc(2026, 3, 10, 15))
    assert [n.purpose for n in out.notifications] == [
        "callback_confirmation"
    ]  # too soon to remind an hour before
    assert any("no callback slot far enough ahead" in v.reason for v in out.trace)
    assert isinstance(out.callback, Callback) and out.callback.reminder_id is None


def test_a_contacts_export_holds_their_callbacks(board: Switchboard, tmp_path: Path) -> None:
    from handoff.privacy import read_export, read_export_lines

    journey = _customer(board)
    booked = board.schedule_callback(journey, _utc(2026, 3, 10, 15)).callback
    contact = board.journey(journey).contact_id
    whole = read_export(board.export_contact(contact))
    assert whole.callbacks == (booked,)
    path = tmp_path / "export.jsonl"
    with path.open("w", encoding="utf-8") as out:
        board.write_export(contact, out)
    with path.open(encoding="utf-8") as lines:
        assert read_export_lines(lines) == whole


def test_a_policy_with_no_slot_length_is_refused() -> None:
    from handoff import PolicyError

    with pytest.raises(PolicyError) as caught:
        Policy.from_toml('extends = "default"\n[settings]\ncallback_slot = "0s"\n')
    assert [path for path, _ in caught.value.problems] == ["settings.callback_slot"]
    with pytest.raises(PolicyError):
        Policy.from_toml('[settings]\ncallback_hours = ["18:00", "09:00"]\n')


def test_the_postgres_callbacks_key_starts_with_the_contact(postgres_url: str, postgres_schema: str) -> None:
    import psycopg

    with Switchboard.open(postgres_url) as board:
        _customer(board)
    with psycopg.connect(postgres_url.split("?", 1)[0], autocommit=True) as conn:
        (key,) = conn.execute(
            "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c"
            " JOIN pg_namespace n ON n.oid = c.connamespace"
            " WHERE n.nspname = %s AND c.conrelid::regclass::text LIKE %s AND c.contype = 'p'",
            (postgres_schema, "%callbacks"),
        ).fetchone() or ("",)
    assert key == "PRIMARY KEY (contact_id, id)"
