"""Per-journey figures, on small journeys whose answers are worked out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings

from handoff import FixedClock, Inbound, SeededIds, Switchboard
from handoff.errors import ValidationError
from handoff.metrics import BusinessCalendar, JourneyRecords, journey_figures
from handoff.metrics._fold import fold
from handoff.metrics._tally import tally
from handoff.metrics.aggregate import Aggregator
from handoff.metrics.journeys import DEFAULT_FCR_WINDOW, compact, figures_of
from tests.metrics_build import T0, Story, journeys, periods

MINUTE = 60.0


def test_first_response_ignores_bots_and_notes() -> None:
    story = Story("chat").customer(0).bot(1).note(2).agent(7)
    figures = journey_figures(story.records())
    # opened 0, first human reply at 7 min: 7 * 60 = 420 s
    assert figures.first_response is not None
    assert figures.first_response.seconds == 7 * MINUTE
    assert figures.agent == "sam"


def test_response_times_run_from_the_first_unanswered_message() -> None:
    story = (
        Story("email")
        .customer(0)
        .agent(30)  # 30 min
        .customer(40)
        .customer(50)  # still waiting since 40
        .bot(55)  # a bot is not an answer
        .agent(100)  # 100 - 40 = 60 min
        .customer(120)  # never answered: no figure
    )
    figures = journey_figures(story.records())
    assert [w.seconds for w in figures.responses] == [30 * MINUTE, 60 * MINUTE]


def test_a_journey_with_no_agent_reply_has_no_response_figures() -> None:
    figures = journey_figures(Story("sms").customer(0).bot(1).customer(5).records())
    assert figures.first_response is None
    assert figures.responses == ()
    assert figures.resolution is None
    assert figures.agent is None
    assert not figures.fcr


def test_a_reopened_journey_has_a_first_and_a_last_resolution() -> None:
    story = (
        Story("chat")
        .customer(0)
        .agent(5)
        .resolve(60)  # first resolution: 60 min
        .customer(200)  # reopens
        .agent(210)
        .resolve(300)  # last resolution: 300 min
    )
    figures = journey_figures(story.records())
    assert figures.first_resolution is not None and figures.resolution is not None
    assert figures.first_resolution.seconds == 60 * MINUTE
    assert figures.resolution.seconds == 300 * MINUTE
    assert figures.reopens == 1
    assert not figures.fcr  # reopened


def test_a_journey_reopened_and_left_open_is_not_resolved() -> None:
    figures = journey_figures(Story("chat").customer(0).agent(5).resolve(60).customer(90).records())
    assert figures.first_resolution is not None
    assert figures.first_resolution.seconds == 60 * MINUTE
    assert figures.resolution is None
    assert figures.resolved_at is None
    assert figures.reopens == 1


def test_fcr_needs_no_new_contact_within_the_window() -> None:
    story = Story("chat").customer(0).agent(5).resolve(20)
    resolved = T0 + timedelta(minutes=20)
    assert journey_figures(story.records()).fcr
    # back after 3 days: within the default 7-day window, not a first-contact resolution
    assert not journey_figures(story.records(next_contact_at=resolved + timedelta(days=3))).fcr
    # back after 8 days: a new issue; the first one was resolved at first contact
    assert journey_figures(story.records(next_contact_at=resolved + timedelta(days=8))).fcr
    # with a 1-day window, 3 days later no longer counts against it
    later = story.records(next_contact_at=resolved + timedelta(days=3))
    assert journey_figures(later, fcr_window=timedelta(days=1)).fcr


def test_switch_path_handoff_response_and_reason() -> None:
    story = (
        Story("twitter")
        .customer(0)
        .agent(10)
        .switch(30, "chat")  # customer moves to chat at 30
        .bot(31)
        .agent(36)  # first agent on chat: 36 - 30 = 6 min
        .transfer(40, "phone", reason="escalation")
        .agent(52, agent="lee")  # 52 - 40 = 12 min
        .resolve(60, by="lee")
    )
    figures = journey_figures(story.records())
    assert figures.path == ("twitter", "chat", "phone")
    assert figures.entry_channel == "twitter"
    assert [h.reason for h in figures.handoffs] == ["customer_choice", "escalation"]
    assert figures.reason == "customer_choice"
    assert [h.response.seconds if h.response else None for h in figures.handoffs] == [6 * MINUTE, 12 * MINUTE]
    assert figures.resolved_channel == "phone"


def test_a_handoff_nobody_answers_on_the_new_channel_has_no_response() -> None:
    # moved to phone at 5, but the only later agent reply is on chat
    story = Story("chat").customer(0).agent(2).transfer(5, "phone").agent(9, channel="chat")
    figures = journey_figures(story.records())
    assert figures.handoffs[0].response is None
    assert figures.path == ("chat", "phone")


def test_restating_a_known_fact_after_a_handoff_is_a_repeat() -> None:
    story = (
        Story("twitter")
        .customer(0, "order A-1042 never arrived, I paid $49.99")
        .agent(5)
        .switch(30, "chat", "hi, it's about order A-1042")  # restates the order: a repeat
        .agent(32)
        .transfer(40, "phone")
        .customer(45, "my email is ana@example.com")  # new fact: not a repeat
        .customer(46, "J-7F3K9")  # quoting the reference is not repeating oneself
    )
    figures = journey_figures(story.records())
    first, second = figures.handoffs
    assert [(f.kind, f.value) for f in first.restated] == [("order", "A-1042")]
    assert first.repeated and not second.repeated
    assert figures.repeated_handoffs == 1


def test_a_fact_first_given_after_the_handoff_is_not_a_repeat() -> None:
    story = (
        Story("chat")
        .customer(0, "hello")
        .switch(10, "email", "order A-2000 is late")
        .customer(20, "order A-2000 again")  # repeated, but only within the new leg
    )
    assert journey_figures(story.records()).repeated_handoffs == 0


def test_a_repeat_belongs_to_the_leg_it_was_said_in() -> None:
    story = (
        Story("chat")
        .customer(0, "order A-3000")
        .transfer(10, "phone")
        .agent(11)
        .transfer(20, "email")
        .customer(30, "about order A-3000")  # after the second handoff only
    )
    first, second = journey_figures(story.records()).handoffs
    assert not first.repeated and second.repeated


def test_survey_answers_are_read_and_checked() -> None:
    story = Story("chat").customer(0).agent(1).resolve(2).survey(3, csat=4, nps=10).survey(4, ces=6)
    figures = journey_figures(story.records())
    assert (figures.csat, figures.nps, figures.ces) == ((4,), (10,), (6,))
    assert figures.resolved  # a survey answer is not a reopen
    broken = Story("chat").customer(0).survey(1, csat=9)
    with pytest.raises(ValidationError) as caught:
        journey_figures(broken.records())
    assert "csat" in caught.value.field


def test_business_hours_figures_across_a_weekend() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    cal = BusinessCalendar.weekly("Europe/Madrid", {"mon-fri": "09:00-17:00"})
    friday = datetime(2025, 3, 14, 16, 30, tzinfo=madrid)
    # customer writes Friday 16:30; the agent answers Monday 09:15 and resolves at 10:00.
    # first response: Fri 16:30-17:00 (30 min) + Mon 09:00-09:15 (15 min) = 45 min
    # resolution:     Fri 30 min + Mon 09:00-10:00 (60 min)             = 90 min
    monday = (datetime(2025, 3, 17, 9, 15, tzinfo=madrid) - friday).total_seconds() / MINUTE
    story = Story("email", start=friday).customer(0).agent(monday).resolve(monday + 45)
    figures = journey_figures(story.records(), calendar=cal)
    assert figures.first_response is not None and figures.resolution is not None
    assert figures.first_response.business_seconds == 45 * MINUTE
    assert figures.resolution.business_seconds == 90 * MINUTE
    assert figures.first_response.seconds == monday * MINUTE  # calendar time is kept too


def test_records_must_belong_to_the_journey() -> None:
    story = Story("chat").customer(0)
    other = Story("chat", journey_id="jr_2").customer(0)
    with pytest.raises(ValidationError) as caught:
        JourneyRecords(story.journey(), tuple(other.items))
    assert caught.value.field == "interactions[0]"
    with pytest.raises(ValidationError):
        JourneyRecords(story.journey(), ["not an interaction"])
    with pytest.raises(ValidationError):
        journey_figures(story.records(), fcr_window=-1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        journey_figures("jr_1")  # type: ignore[arg-type]


def test_figures_from_a_switchboard_journey() -> None:
    """The records the Switchboard writes (reopen by continuity, transfers) read right."""
    clock = FixedClock(T0)
    board = Switchboard.open("memory://", clock=clock, ids=SeededIds(7))

    def minutes(n: float) -> datetime:
        return T0 + timedelta(minutes=n)

    opened = board.receive(Inbound("twitter", "twitter:@ana_k", "order A-1042 never came", minutes(0)))
    jid = opened.journey.id
    board.reply(jid, agent="sam", body="Please DM us", at=minutes(4), bot=True)
    board.reply(jid, agent="sam", body="Looking into it", at=minutes(10))
    board.transfer(jid, to_channel="phone", reason="escalation", by="sam", to_agent="lee", at=minutes(20))
    board.reply(jid, agent="lee", body="Calling now", at=minutes(25))
    board.resolve(jid, by="lee", at=minutes(40))
    board.receive(Inbound("twitter", "twitter:@ana_k", "it broke again, order A-1042", minutes(100)))
    board.reply(jid, agent="lee", body="Sorry!", at=minutes(130))
    board.resolve(jid, by="lee", at=minutes(160))
    board.rate(jid, csat=5, nps=9, ces=6, at=minutes(170))

    journey = board.journey(jid)
    figures = journey_figures(JourneyRecords(journey, board.history(jid), board.handoffs(jid)))
    assert figures.first_response is not None and figures.first_response.seconds == 10 * MINUTE
    # customer waits: 0 -> 10 (10 min), 100 -> 130 (30 min); the phone reply at 25 had no waiting message
    assert [w.seconds for w in figures.responses] == [10 * MINUTE, 30 * MINUTE]
    assert figures.reopens == journey.reopen_count == 1
    assert figures.first_resolution is not None and figures.first_resolution.seconds == 40 * MINUTE
    assert figures.resolution is not None and figures.resolution.seconds == 160 * MINUTE
    # twitter -> phone (escalation), then the customer writes on twitter again
    assert figures.path == ("twitter", "phone", "twitter")
    assert figures.handoffs[0].response is not None
    assert figures.handoffs[0].response.seconds == 5 * MINUTE  # 20 -> 25
    assert figures.handoffs[1].repeated  # "order A-1042" again after the move back to twitter
    assert (figures.csat, figures.nps, figures.ces) == ((5,), (9,), (6,))
    assert not figures.fcr
    assert figures.opened_at.tzinfo is not None and figures.opened_at == T0.astimezone(timezone.utc)


def test_a_journey_belongs_to_the_queue_of_its_last_routed_handoff() -> None:
    story = Story("chat").customer(0)
    assert journey_figures(story.records()).queue is None  # never moved
    story.transfer(5, "phone", queue="desk-phone")
    assert journey_figures(story.records()).queue == "desk-phone"
    story.switch(10, "email")  # the customer's own move was not routed: the desk still has it
    assert journey_figures(story.records()).queue == "desk-phone"
    story.transfer(15, "chat", reason="capacity", queue="overflow")
    figures = journey_figures(story.records())
    assert figures.queue == "overflow" and figures.reason == "escalation"
    assert [h.queue for h in figures.handoffs] == ["desk-phone", None, "overflow"]
    aggregator = Aggregator(("queue",), end=T0 + timedelta(days=1), week_zone=timezone.utc)
    aggregator.add(figures)
    aggregator.add(journey_figures(Story("sms", journey_id="jr_2").customer(0).records()))
    assert [group.key for group in aggregator.totals()] == [("none",), ("overflow",)]


@settings(max_examples=60, deadline=None)
@given(journeys(0))
def test_figures_of_any_journey_are_consistent(records: JourneyRecords) -> None:
    cal = BusinessCalendar.weekly("Europe/Madrid", {"mon-fri": "09:00-17:00"})
    figures = journey_figures(records, calendar=cal)
    assert len(figures.handoffs) == len(records.handoffs)
    assert 0 <= figures.repeated_handoffs <= len(figures.handoffs)
    assert figures.path[0] == figures.entry_channel
    assert all(a != b for a, b in pairwise(figures.path))
    if figures.resolution is not None:
        assert figures.first_resolution is not None
        assert figures.first_resolution.seconds <= figures.resolution.seconds
    assert not figures.fcr or (figures.resolved and figures.reopens == 0)
    waits = [figures.first_response, figures.resolution, *figures.responses]
    waits += [h.response for h in figures.handoffs]
    for wait in waits:
        if wait is not None:
            assert wait.business_seconds is not None
            assert 0 <= wait.business_seconds <= wait.seconds
    agents = {i.agent for i in records.interactions if i.author == "agent" and i.kind == "message"}
    assert (figures.first_response is None) == (not agents)


@settings(max_examples=60, deadline=None)
@given(periods())
def test_the_store_fold_gives_the_totals_of_the_figures(period: list[JourneyRecords]) -> None:
    # Stores fold tallies of compact rows straight into groups; the models go through figures.
    cal = BusinessCalendar.weekly("Europe/Madrid", {"mon-fri": "09:00-17:00"})
    end = T0 + timedelta(days=21)
    window = DEFAULT_FCR_WINDOW // timedelta(microseconds=1)
    for by in (("channel",), ("path", "reason"), ("agent", "week"), ("queue",)):
        for worktime in (None, cal.worktime()):
            folded = Aggregator(by, end=end, week_zone=cal.zone)
            fold(folded, [tally(compact(r)) for r in period], worktime, window)
            expected = Aggregator(by, end=end, week_zone=cal.zone)
            for records in period:
                expected.add(figures_of(compact(records), worktime, window))
            assert folded.totals() == expected.totals()
