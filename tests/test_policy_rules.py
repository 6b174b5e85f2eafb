"""Each practice of the default policy fires when it should and stays quiet when it must not."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from handoff.models import Interaction
from handoff.policy import Event, Policy, PolicySettings
from handoff.summary import AGENT_SCREEN_CHARS, SECTIONS, build_summary
from tests.policy_situations import T0, contact, decide, journey, verdict


def switch(
    to: str, frm: str = "chat", by: str = "customer", kind: str = "channel_switched", **kw: object
) -> Event:
    return Event(kind, T0, to, from_channel=frm, to_channel=to, initiated_by=by, **kw)  # type: ignore[arg-type]


def transfer(to: str, frm: str = "chat", by: str = "agent", **kw: object) -> Event:
    return switch(to, frm, by, "transfer_requested", reason="escalation", agent="alice", **kw)


def message(body: str, channel: str = "chat", sensitive: bool = False) -> Interaction:
    return Interaction(
        id="ix_9",
        journey_id="jr_1",
        contact_id="ct_1",
        channel=channel,
        author="customer",
        body=body,
        at=T0,
        sequence=4,
        sensitive=sensitive,
    )


# -- 1. automated context transfer ------------------------------------------------------------


def test_a_phone_agent_gets_the_whole_summary_sized_for_their_screen() -> None:
    # The phone channel's 600 characters are a message length; the agent reads a desktop.
    d = decide(transfer("phone"), journey(current_channel="phone", subject="Parcel lost " * 30))
    assert d.summary is not None
    assert (d.summary.max_chars, d.summary.recent, d.summary.sections) == (AGENT_SCREEN_CHARS, 5, SECTIONS)
    j = journey(current_channel="phone", subject="Parcel lost " * 30)
    text = build_summary(j, contact("phone:+14155550100"), [], for_channel="phone", now=T0, spec=d.summary)
    assert len(text.render()) <= AGENT_SCREEN_CHARS
    assert text.opening and "Say first" in text.render()


@pytest.mark.parametrize(
    ("to", "frm", "recent"),
    [("phone", "chat", 5), ("sms", "chat", 20), ("chat", "phone", 5), ("email", "phone", 20)],
)
def test_every_receiving_channel_gets_the_agent_screen_and_async_ones_more_history(
    to: str, frm: str, recent: int
) -> None:
    d = decide(transfer(to, frm=frm), journey(current_channel=to))
    assert d.summary is not None
    spec = d.summary
    assert (spec.recent, spec.max_chars, spec.sections) == (recent, AGENT_SCREEN_CHARS, SECTIONS)
    assert d.summary.rule == "context_transfer"


def test_a_rule_on_the_receiving_role_sizes_the_summary() -> None:
    team = Policy.from_dict(
        {
            "extends": "default",
            "rules": [
                {
                    "name": "supervisor_screen",
                    "on": ["transfer_requested"],
                    "when": {"fact": "event.to_role", "op": "eq", "value": "supervisor"},
                    "actions": [{"do": "summary", "max_chars": 1500, "recent": 2}],
                }
            ],
        }
    )
    to_supervisor = decide(transfer("phone", to_role="supervisor"), journey(), policy=team).summary
    to_tier2 = decide(transfer("phone", to_role="tier2"), journey(), policy=team).summary
    assert to_supervisor is not None and to_tier2 is not None
    assert to_supervisor.max_chars == 1500 and to_supervisor.sections == SECTIONS
    assert to_tier2.max_chars == AGENT_SCREEN_CHARS


def test_no_summary_without_a_handoff() -> None:
    d = decide(Event("inbound", T0, "chat", initiated_by="customer"))
    assert d.summary is None


# -- 2. proactive notification on a channel move ---------------------------------------------------


def test_phone_transfer_says_who_calls_which_number_and_when() -> None:
    d = decide(transfer("phone", to_agent="bob"), journey(current_channel="phone"))
    (n,) = d.notifications
    assert (n.purpose, n.channel, n.rule) == ("callback", "chat", "explain_transfer")
    assert "+14155550100" in n.body and "15 minutes" in n.body and "J-7F3K9" in n.body and "bob" in n.body


def test_transfer_without_a_phone_number_names_the_new_channel() -> None:
    d = decide(transfer("phone"), journey(current_channel="phone"), contact("email:ana@example.com"))
    (n,) = d.notifications
    assert "Phone" in n.body and "J-7F3K9" in n.body and "call you at" not in n.body


def test_callback_promise_follows_the_policy_setting() -> None:
    policy = Policy.default(PolicySettings(callback_within=timedelta(minutes=30)))
    (n,) = decide(transfer("phone"), journey(current_channel="phone"), policy=policy).notifications
    assert "30 minutes" in n.body


# -- 3. continuous updates ------------------------------------------------------------------------------


def test_customer_idle_after_the_agents_last_word_gets_the_update_asynchronously() -> None:
    j = journey(last_agent_at={"chat": T0 + timedelta(minutes=1)})
    idle = Event("customer_idle", T0 + timedelta(minutes=20), "chat")
    c = contact("phone:+14155550100", "email:ana@example.com", preferred_channels=("whatsapp", "email"))
    (n,) = decide(idle, j, c).notifications
    assert (n.purpose, n.channel) == ("update", "whatsapp")
    assert n.template == "update"  # the customer never wrote on WhatsApp: outside its window


def test_customer_idle_after_their_own_message_is_not_an_update() -> None:
    j = journey(last_agent_at={"chat": T0 - timedelta(minutes=1)})
    d = decide(Event("customer_idle", T0 + timedelta(minutes=20), "chat"), j)
    assert d.notifications == ()
    matched, reason = verdict(d, "continuous_update")
    assert not matched and "customer spoke last" in reason


def test_an_update_never_goes_to_the_channel_the_agent_replied_on() -> None:
    c = contact("email:ana@example.com", preferred_channels=("email",))
    j = journey(current_channel="email", last_customer_at={"email": T0 - timedelta(hours=3)})
    d = decide(Event("agent_replied", T0, "email", agent="alice"), j, c)
    assert d.notifications == ()


# -- 4. consent -------------------------------------------------------------------------------------------


def test_opted_out_channel_is_skipped_for_the_next_allowed_one() -> None:
    c = contact("phone:+14155550100", "email:ana@example.com", consent={"sms": False})
    (n,) = decide(Event("agent_replied", T0 + timedelta(hours=1), "chat", agent="a"), c=c).notifications
    assert n.channel == "email"


def test_without_any_allowed_channel_the_trace_says_why() -> None:
    c = contact("phone:+14155550100", consent={"sms": False, "whatsapp": False})
    d = decide(Event("agent_replied", T0 + timedelta(hours=1), "chat", agent="a"), c=c)
    assert d.notifications == ()
    _, reason = verdict(d, "continuous_update")
    assert "no consent for sms" in reason and "no consent for whatsapp" in reason


def test_opt_in_channels_need_an_explicit_yes() -> None:
    policy = Policy.default(PolicySettings(opt_in_channels=("sms",)))
    event = Event("agent_replied", T0 + timedelta(hours=1), "chat", agent="a")
    c = contact("phone:+14155550100", "email:ana@example.com")
    assert decide(event, c=c, policy=policy).notifications[0].channel == "email"
    yes = contact("phone:+14155550100", "email:ana@example.com", consent={"sms": True})
    assert decide(event, c=yes, policy=policy).notifications[0].channel == "sms"


# -- 8. privacy -------------------------------------------------------------------------------------------


def test_sensitive_message_in_public_suggests_a_private_channel_and_a_reply_that_reveals_nothing() -> None:
    body = "my card is 4111 1111 1111 1111 and my password is hunter2"
    event = Event("inbound", T0, "twitter", initiated_by="customer", sensitive=("card number", "credentials"))
    j = journey(current_channel="twitter", last_customer_at={"twitter": T0}, last_customer_channel="twitter")
    d = decide(event, j, contact("twitter:@ana_k"), interaction=message(body, "twitter", sensitive=True))
    (s,) = d.suggestions
    assert (s.kind, s.channel, s.rule) == ("move_private", "twitter_dm", "privacy")
    (reply,) = d.notifications
    assert (reply.purpose, reply.channel) == ("public_reply", "twitter")
    for secret in ("4111", "1111", "hunter2", "password", "J-7F3K9", "Ana"):
        assert secret not in reply.body


def test_a_host_flag_marks_a_message_sensitive() -> None:
    event = Event("inbound", T0, "facebook", initiated_by="customer")
    j = journey(current_channel="facebook", last_customer_at={"facebook": T0})
    d = decide(event, j, contact("facebook:100200300"), flags={"sensitive"})
    assert [s.kind for s in d.suggestions] == ["move_private"]
    assert d.suggestions[0].channel is None  # no private facebook channel is registered


@pytest.mark.parametrize(
    ("channel", "identity", "sensitive"),
    [("twitter", "twitter:@ana_k", ()), ("chat", "email:ana@example.com", ("card number",))],
)
def test_no_privacy_move_when_public_and_sensitive_do_not_meet(
    channel: str, identity: str, sensitive: tuple[str, ...]
) -> None:
    event = Event("inbound", T0, channel, initiated_by="customer", sensitive=sensitive)
    d = decide(event, journey(current_channel=channel), contact(identity))
    assert d.suggestions == () and d.notifications == ()


def test_public_channels_get_no_other_notifications() -> None:
    event = switch("facebook")
    d = decide(event, journey(current_channel="facebook"), contact("facebook:100200300"))
    assert d.notifications == ()
    assert "facebook is public" in verdict(d, "confirm_channel_move")[1]


@pytest.mark.parametrize(
    ("event", "flags", "redaction"),
    [
        (transfer("twitter"), set(), "masked"),
        (transfer("chat", frm="phone"), {"restricted_role"}, "masked"),
        (transfer("chat", frm="phone"), set(), None),
    ],
)
def test_summaries_are_redacted_for_public_channels_and_restricted_roles(
    event: Event, flags: set[str], redaction: str | None
) -> None:
    d = decide(event, journey(current_channel=event.to_channel), flags=flags)
    assert d.summary is not None and d.summary.redaction == redaction


OUTSOURCED = Policy.default(PolicySettings(restricted_roles=("outsourced", "trainee")))


@pytest.mark.parametrize(
    ("event", "redaction", "why"),
    [
        (transfer("chat", frm="phone", to_role="outsourced"), "masked", "the receiving role is restricted"),
        (transfer("email", to_role="trainee"), "masked", "the receiving role is restricted"),
        (transfer("chat", frm="phone", to_role="tier2"), None, "the receiving role is not restricted"),
        (transfer("chat", frm="phone"), None, "the receiving role is not restricted"),
    ],
)
def test_a_restricted_role_gets_a_masked_summary_and_only_a_restricted_one(
    event: Event, redaction: str | None, why: str
) -> None:
    d = decide(event, journey(current_channel=event.to_channel), policy=OUTSOURCED)
    assert d.summary is not None and d.summary.redaction == redaction
    assert why in verdict(d, "redact_summaries")[1]


def test_no_role_is_restricted_unless_the_settings_say_so() -> None:
    d = decide(transfer("chat", frm="phone", to_role="outsourced"), journey(current_channel="chat"))
    assert d.summary is not None and d.summary.redaction is None


# -- 9. escalation ------------------------------------------------------------------------------------------


def test_many_unresolved_chat_messages_suggest_a_callback_in_local_business_hours() -> None:
    c = contact("phone:+14155550100", timezone="Asia/Tokyo")  # 14:00 UTC is 23:00 in Tokyo
    d = decide(Event("inbound", T0, "chat", initiated_by="customer"), c=c, customer_messages=4)
    (s,) = d.suggestions
    assert (s.kind, s.channel, s.rule) == ("offer_callback", "phone", "offer_callback")
    assert "Wed 11 Mar 09:00 Asia/Tokyo" in s.reason


def test_negative_sentiment_suggests_a_callback_right_away_inside_business_hours() -> None:
    c = contact("phone:+14155550100", timezone="Europe/Berlin")  # 15:00 in Berlin
    d = decide(
        Event("inbound", T0, "chat", initiated_by="customer"), c=c, sentiment=-0.8, customer_messages=1
    )
    (s,) = d.suggestions
    assert "now is inside the customer's business hours" in s.reason


@pytest.mark.parametrize(
    ("channel", "messages", "sentiment"),
    [("chat", 3, 0.2), ("chat", None, None), ("phone", 9, -1.0), ("email", 9, -1.0)],
)
def test_no_callback_suggestion_when_chat_is_going_fine_or_not_chat(
    channel: str, messages: int | None, sentiment: float | None
) -> None:
    event = Event("inbound", T0, channel, initiated_by="customer")
    d = decide(event, journey(current_channel=channel), customer_messages=messages, sentiment=sentiment)
    assert d.suggestions == ()


def test_the_callback_threshold_is_a_setting() -> None:
    policy = Policy.default(PolicySettings(escalate_after=2))
    d = decide(Event("inbound", T0, "chat", initiated_by="customer"), policy=policy, customer_messages=2)
    assert [s.kind for s in d.suggestions] == ["offer_callback"]


def test_a_long_wait_for_a_reply_suggests_escalation_on_tick() -> None:
    waiting = journey(last_customer_at={"chat": T0}, last_agent_at={"chat": T0 - timedelta(hours=1)})
    later = Event("tick", T0 + timedelta(hours=5), "chat")
    assert [s.kind for s in decide(later, waiting).suggestions] == ["escalate"]
    answered = journey(last_customer_at={"chat": T0}, last_agent_at={"chat": T0 + timedelta(minutes=3)})
    assert decide(later, answered).suggestions == ()
    assert decide(Event("tick", T0 + timedelta(hours=1), "chat"), waiting).suggestions == ()


# -- 10. surveys ------------------------------------------------------------------------------------------


def test_survey_after_resolution_on_the_last_customer_channel_after_the_delay() -> None:
    c = contact("phone:+14155550100", "email:ana@example.com")
    j = journey(
        status="resolved",
        current_channel="phone",
        last_customer_channel="email",
        last_customer_at={"email": T0 - timedelta(hours=2)},
        first_response_at=T0 - timedelta(hours=1),
    )
    (n,) = decide(Event("resolved", T0, "phone", agent="bob"), j, c).notifications
    assert (n.purpose, n.channel, n.send_at) == ("survey", "email", T0 + timedelta(hours=1))


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"first_response_at": None}, "no agent replied"),
        ({"surveyed": True, "first_response_at": T0}, "a survey was already scheduled"),
    ],
)
def test_no_survey_without_a_reply_or_twice(changes: dict[str, object], why: str) -> None:
    d = decide(Event("resolved", T0, "chat", agent="bob"), journey(status="resolved", **changes))
    assert d.notifications == ()
    matched, reason = verdict(d, "survey_after_resolution")
    assert not matched and why in reason


# -- 11. bot to human ---------------------------------------------------------------------------------------


def test_bot_handover_summary_includes_the_bot_part() -> None:
    d = decide(transfer("chat", frm="chat", by="bot", to_agent="alice"), journey(responder="agent"))
    assert d.summary is not None and d.summary.recent >= 10
    assert d.summary.rule == "bot_to_human, context_transfer"
    assert verdict(d, "bot_to_human")[0]
    assert d.notifications == ()  # same channel: nothing changes for the customer


def test_agent_transfer_is_not_a_bot_handover() -> None:
    d = decide(transfer("chat", frm="phone"), journey())
    assert d.summary is not None and d.summary.recent == 5
    assert not verdict(d, "bot_to_human")[0]


# -- overriding ---------------------------------------------------------------------------------------


def test_every_practice_can_be_dropped_by_name() -> None:
    policy = Policy.default().without("explain_transfer")
    d = decide(transfer("phone"), journey(current_channel="phone"), policy=policy)
    assert d.notifications == ()
    assert "explain_transfer" not in [v.rule for v in d.verdicts]


def test_local_time_fact_reads_the_customers_wall_clock() -> None:
    late = Policy.from_dict(
        {
            "rules": [
                {
                    "name": "night_owl",
                    "on": ["inbound"],
                    "when": {"fact": "customer.local_time", "op": "ge", "value": "22:00"},
                    "actions": [{"do": "suggest", "kind": "offer_callback", "reason": "late"}],
                }
            ]
        }
    )
    tokyo = contact("email:a@example.com", timezone="Asia/Tokyo")  # 23:00
    berlin = contact("email:a@example.com", timezone="Europe/Berlin")  # 15:00
    event = Event("inbound", T0, "chat")
    assert decide(event, c=tokyo, policy=late).suggestions
    assert not decide(event, c=berlin, policy=late).suggestions
    assert decide(event, c=tokyo, policy=late).facts["customer.local_time"] == time(23, 0)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("previous", "email"), ("preferred", "phone"), ("best_async", "email"), ("current", "chat")],
)
def test_channel_choices_of_a_notify_action(choice: str, expected: str) -> None:
    policy = Policy.from_dict(
        {
            "rules": [
                {
                    "name": "ping",
                    "on": ["inbound"],
                    "actions": [{"do": "notify", "purpose": "ping", "template": "update", "channel": choice}],
                }
            ]
        }
    )
    c = contact("phone:+14155550100", "email:ana@example.com", preferred_channels=("phone", "email"))
    j = journey(last_customer_at={"chat": T0})
    d = decide(
        Event("inbound", T0, "chat", initiated_by="customer"), j, c, policy=policy, previous_channel="email"
    )
    assert [n.channel for n in d.notifications] == [expected]
