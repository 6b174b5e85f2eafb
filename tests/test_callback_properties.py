"""Properties of scheduled callbacks: every slot proposed is one a booking accepts, in any
zone and across DST changes; a callback's status moves once, from scheduled; and a
closed callback never leaves a reminder to send."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from handoff import FixedClock, Inbound, Policy, PolicySettings, SeededIds, Switchboard, ValidationError
from handoff.flow.callbacks import check_slot, propose_slots
from handoff.models import Callback
from handoff.stores import MemoryStore
from handoff.testing.factories import make_contact

UTC = timezone.utc
ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Paris",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
]

# Moments of 2026, DST changes of every zone above included.
moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
).map(lambda at: at.replace(second=0, microsecond=0))
half_hours = st.integers(0, 47).map(lambda n: time(n // 2, 30 * (n % 2)))


@st.composite
def callback_settings(draw: st.DrawFn) -> PolicySettings:
    start, end = sorted(draw(st.lists(half_hours, min_size=2, max_size=2, unique=True)))
    days = tuple(sorted(draw(st.sets(st.integers(1, 7), min_size=1))))
    slot = draw(st.sampled_from([timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1)]))
    return PolicySettings(
        callback_hours=(f"{start:%H:%M}", f"{end:%H:%M}"), business_days=days, callback_slot=slot
    )


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    now=moments,
    policy=callback_settings(),
    booked_offsets=st.lists(st.integers(0, 20 * 48), max_size=5),
    count=st.integers(1, 5),
)
def test_every_proposed_slot_is_accepted_in_order_and_free(
    zone: str, now: datetime, policy: PolicySettings, booked_offsets: list[int], count: int
) -> None:
    contact = make_contact("phone:+14155550100", timezone=zone)
    booked = [
        Callback(f"cb_{i}", "jr_1", contact.id, now + timedelta(minutes=30 * n), "+14155550100", now)
        for i, n in enumerate(booked_offsets)
    ]
    slots = propose_slots(contact, policy, now=now, booked=booked, count=count)
    assert len(slots) == count
    assert slots == sorted(set(slots))
    for slot in slots:
        assert slot > now
        check_slot(slot, contact, policy, now=now, booked=booked)  # raises if refused
        local = slot.astimezone(ZoneInfo(zone))
        assert local.isoweekday() in policy.business_days
        assert policy.callback_hours[0] <= f"{local:%H:%M}" < policy.callback_hours[1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone=st.sampled_from(ZONES), now=moments, pick=st.integers(0, 2))
def test_the_board_books_any_slot_it_proposes(zone: str, now: datetime, pick: int) -> None:
    board = Switchboard(MemoryStore(), clock=FixedClock(now), ids=SeededIds(1))
    out = board.receive(Inbound(channel="sms", identity="phone:+14155550100", body="Call me", at=now))
    board.update_contact(out.contact.id, timezone=zone)
    slot = board.callback_slots(out.journey.id)[pick]
    booked = board.schedule_callback(out.journey.id, slot)
    assert booked.callback is not None and booked.callback.at == slot
    assert slot not in board.callback_slots(out.journey.id)
    # Every notification goes to the customer's phone, never before it is created.
    assert all(n.to is not None and n.to.kind == "phone" and n.send_at >= now for n in booked.notifications)


@settings(max_examples=200, deadline=None)
@given(zone=st.sampled_from(ZONES), at=moments, now=moments)
def test_a_slot_is_refused_by_its_field_or_accepted(zone: str, at: datetime, now: datetime) -> None:
    contact = make_contact("phone:+14155550100", timezone=zone)
    policy = PolicySettings()
    refused: ValidationError | None = None
    try:
        check_slot(at, contact, policy, now=now)
    except ValidationError as exc:
        refused = exc
    if refused is not None:
        assert refused.field == "at"
        return
    local = at.astimezone(ZoneInfo(zone))
    assert at > now and local.isoweekday() <= 5 and time(9) <= local.time() < time(18)
    assert local.minute in (0, 30)


START = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)  # a Friday; New York changes clocks on Sunday
LEGAL = {"scheduled": {"scheduled", "done", "missed", "cancelled"}}


class CallbackLifecycle(RuleBasedStateMachine):
    """Book, record, cancel and tick in any order: each callback moves once, from
    scheduled, and a closed one never leaves a pending reminder."""

    @initialize()
    def start(self) -> None:
        self.clock = FixedClock(START)
        policy = Policy.default(PolicySettings(dedupe_window=timedelta(0), max_per_hour=0))
        self.board = Switchboard(MemoryStore(), policy, clock=self.clock, ids=SeededIds(5))
        out = self.board.receive(Inbound(channel="sms", identity="phone:+14155550100", body="Hi", at=START))
        self.board.update_contact(out.contact.id, timezone="America/New_York")
        self.journey = out.journey.id
        self.seen: dict[str, str] = {}  # callback id -> last status seen

    def _callbacks(self) -> list[Callback]:
        return self.board.callbacks(self.journey)

    @rule(pick=st.integers(0, 2))
    def book(self, pick: int) -> None:
        slot = self.board.callback_slots(self.journey)[pick]
        out = self.board.schedule_callback(self.journey, slot, agent="bob")
        assert out.callback is not None and out.callback.status == "scheduled"
        assert out.callback.id not in self.seen

    @precondition(lambda self: any(c.is_open for c in self._callbacks()))
    @rule(reached=st.booleans(), data=st.data())
    def record(self, reached: bool, data: st.DataObject) -> None:
        callback = data.draw(st.sampled_from([c for c in self._callbacks() if c.is_open]))
        out = self.board.record_callback(callback.id, reached=reached)
        assert out.callback is not None and out.callback.status == ("done" if reached else "missed")

    @precondition(lambda self: any(c.is_open for c in self._callbacks()))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        callback = data.draw(st.sampled_from([c for c in self._callbacks() if c.is_open]))
        self.board.cancel_callback(callback.id)

    @precondition(lambda self: bool(self._callbacks()))
    @rule(data=st.data())
    def close_again(self, data: st.DataObject) -> None:
        callback = data.draw(st.sampled_from([c for c in self._callbacks() if not c.is_open] or [None]))
        if callback is None:
            return
        with pytest.raises(ValidationError) as caught:
            self.board.record_callback(callback.id, reached=True)
        assert caught.value.field == "callback_id"

    @rule(minutes=st.integers(1, 24 * 60))
    def wait_and_tick(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)
        self.board.tick()

    @invariant()
    def statuses_move_once_from_scheduled(self) -> None:
        for callback in self._callbacks():
            before = self.seen.get(callback.id, "scheduled")
            assert before == callback.status or (
                before == "scheduled" and callback.status in LEGAL["scheduled"]
            )
            self.seen[callback.id] = callback.status
            assert (callback.closed_at is None) == callback.is_open

    @invariant()
    def no_reminder_outlives_its_callback(self) -> None:
        for callback in self._callbacks():
            if not callback.is_open and callback.reminder_id is not None:
                reminder = self.board.store.get_notification(callback.reminder_id)
                assert reminder.status != "pending"
        due = self.board.outbox.due(self.clock.now() + timedelta(days=400), limit=1000)
        customer = self.board.store.get_contact(self.board.journey(self.journey).contact_id)
        assert all(n.contact_id == customer.id for n in due)


CallbackLifecycle.TestCase.settings = settings(
    max_examples=30, stateful_step_count=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestCallbackLifecycle = CallbackLifecycle.TestCase
