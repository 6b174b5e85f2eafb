"""The write path's planning step is a pure function: records and time in, changeset out."""

from __future__ import annotations

from datetime import timedelta

from handoff import Policy, SeededIds
from handoff.flow.desk import draft_note, draft_transfer
from handoff.flow.plan import NOT_NOTIFIED, plan
from handoff.models import Interaction, Journey
from handoff.policy.actions import Summarize
from handoff.policy.rules import DeclarativeRule
from handoff.testing.factories import T0, appended, make_contact, make_journey

NOW = T0 + timedelta(days=2)


def _history(count: int) -> tuple[Journey, list[Interaction]]:
    """A journey on chat with ``count`` customer messages stored."""
    journey = make_journey(make_contact("email:ana@example.com"), current_channel="chat")
    stored = []
    for n in range(count):
        journey, interaction = appended(journey, channel="chat", at=T0 + timedelta(minutes=n))
        stored.append(interaction)
    return journey, stored


def _transfer(journey: Journey, ids: SeededIds) -> object:
    contact = make_contact("email:ana@example.com", id=journey.contact_id)
    return draft_transfer(
        journey,
        contact,
        ids,
        to_channel="phone",
        reason="escalation",
        by="alice",
        to_agent="bob",
        at=T0 + timedelta(hours=1),
        warm=True,
        initiated_by="agent",
        to_role=None,
        callback_within=timedelta(minutes=15),
    )


def test_the_same_records_and_time_plan_the_same_changeset() -> None:
    journey, stored = _history(6)
    policy = Policy.default()
    made = [
        plan(
            _transfer(journey, SeededIds(9)),  # type: ignore[arg-type]
            recent=stored,
            notifications=(),
            now=NOW,
            policy=policy,
            ids=SeededIds(3),
        )
        for _ in range(2)
    ]
    assert made[0] == made[1]
    changes = made[0].changeset
    assert changes.expected_journey_version == journey.version
    assert changes.journey is not None and changes.journey.version == journey.version + 1
    assert changes.journey.current_channel == "phone"
    (handoff,) = changes.handoffs
    assert handoff.to_channel == "phone" and handoff.summary.for_channel == "phone"
    assert made[0].outcome.handoff == handoff and made[0].more == 0


def test_a_plan_asks_for_more_history_when_the_summary_wants_more_than_it_was_given() -> None:
    journey, stored = _history(30)
    wide = DeclarativeRule(name="wide_summary", events={"transfer_requested"}, actions=[Summarize(recent=25)])
    policy = Policy([wide])
    short = plan(
        _transfer(journey, SeededIds(1)),  # type: ignore[arg-type]
        recent=stored[-3:],
        notifications=(),
        now=NOW,
        policy=policy,
        ids=SeededIds(2),
    )
    assert short.more == 24  # the 24 stored before the transfer's own interaction
    full = plan(
        _transfer(journey, SeededIds(1)),  # type: ignore[arg-type]
        recent=stored[-24:],
        notifications=(),
        now=NOW,
        policy=policy,
        ids=SeededIds(2),
    )
    assert full.more == 0
    (handoff,) = full.changeset.handoffs
    assert len(handoff.summary.recent) <= 25


def test_a_backfill_plan_schedules_nothing_and_says_so() -> None:
    journey, stored = _history(3)
    contact = make_contact("email:ana@example.com", id=journey.contact_id)
    draft = draft_note(journey, contact, SeededIds(4), agent="alice", body="Refund approved", at=T0)
    planned = plan(
        draft,
        recent=stored,
        notifications=(),
        now=NOW,
        policy=Policy.default(),
        ids=SeededIds(5),
        notify=False,
    )
    assert planned.changeset.notifications == () and planned.changeset.decisions == ()
    assert planned.outcome.trace[-1] == NOT_NOTIFIED
    assert planned.changeset.journey is not None
    assert planned.changeset.journey.notes[-1].text == "Refund approved"
