"""The checks every notification goes through: quiet hours (across DST), channel windows,
de-duplication and rate limits; each says in the trace what it did."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.policy import Event, Policy, PolicySettings
from handoff.policy.schedule import quiet_until
from tests.policy_situations import T0, contact, decide, journey, sent, verdict

UTC = timezone.utc


def reply_at(when: datetime, tz: str, **contact_kw: object) -> tuple[Event, object, object]:
    event = Event("agent_replied", when, "chat", agent="alice")
    j = journey(last_customer_at={"chat": when - timedelta(hours=1)}, opened_at=when - timedelta(hours=2))
    c = contact("phone:+14155550100", "email:ana@example.com", timezone=tz, **contact_kw)
    return event, j, c


def update_of(when: datetime, tz: str, policy: Policy | None = None, **contact_kw: object):  # type: ignore[no-untyped-def]
    event, j, c = reply_at(when, tz, **contact_kw)
    d = decide(event, j, c, policy=policy)  # type: ignore[arg-type]
    return d, next(n for n in d.notifications if n.purpose == "update")


# -- quiet hours --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "local_evening", "expected_local_morning"),
    [
        # New York springs forward on 8 March 2026 (02:00 -> 03:00): a night an hour shorter.
        ("America/New_York", datetime(2026, 3, 7, 23, 30), datetime(2026, 3, 8, 8, 0)),
        # Berlin falls back on 25 October 2026 (03:00 -> 02:00): a night an hour longer.
        ("Europe/Berlin", datetime(2026, 10, 24, 22, 15), datetime(2026, 10, 25, 8, 0)),
        # Sydney falls back on 5 April 2026, in the southern autumn.
        ("Australia/Sydney", datetime(2026, 4, 4, 21, 5), datetime(2026, 4, 5, 8, 0)),
    ],
)
def test_quiet_hours_defer_to_local_morning_across_dst(
    tz: str, local_evening: datetime, expected_local_morning: datetime
) -> None:
    zone = ZoneInfo(tz)
    when = local_evening.replace(tzinfo=zone).astimezone(UTC)
    d, update = update_of(when, tz)
    assert update.send_at == expected_local_morning.replace(tzinfo=zone)
    assert update.send_at.astimezone(zone).hour == 8
    matched, reason = verdict(d, "quiet_hours")
    assert matched and tz in reason


def test_spring_forward_night_is_an_hour_shorter_and_fall_back_an_hour_longer() -> None:
    ny = ZoneInfo("America/New_York")
    spring = datetime(2026, 3, 7, 21, 0, tzinfo=ny)
    _, update = update_of(spring.astimezone(UTC), "America/New_York")
    assert update.send_at - spring == timedelta(hours=10)
    berlin = ZoneInfo("Europe/Berlin")
    autumn = datetime(2026, 10, 24, 21, 0, tzinfo=berlin)
    _, update = update_of(autumn.astimezone(UTC), "Europe/Berlin")
    assert update.send_at - autumn == timedelta(hours=12)


_AROUND_DST = st.sampled_from(
    [
        ("America/New_York", datetime(2026, 3, 8, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 11, 1, tzinfo=UTC)),
        ("Europe/Berlin", datetime(2026, 3, 29, tzinfo=UTC)),
        ("Europe/Berlin", datetime(2026, 10, 25, tzinfo=UTC)),
    ]
)


@settings(max_examples=150, deadline=None)
@given(_AROUND_DST, st.integers(min_value=-36 * 60, max_value=36 * 60))
def test_no_update_is_ever_due_inside_quiet_hours(zone_day: tuple[str, datetime], minutes: int) -> None:
    tz, day = zone_day
    when = day + timedelta(minutes=minutes)
    _, update = update_of(when, tz)
    local = update.send_at.astimezone(ZoneInfo(tz))
    assert update.send_at >= when
    assert quiet_until(update.send_at, ("21:00", "08:00"), tz) is None
    if update.send_at != when:
        assert (local.hour, local.minute) == (8, 0)
        assert update.send_at - when <= timedelta(hours=12)


def test_urgent_notifications_ignore_quiet_hours() -> None:
    night = datetime(2026, 3, 10, 23, 30, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
    event = Event(
        "channel_switched", night, "chat", from_channel="email", to_channel="chat", initiated_by="customer"
    )
    c = contact("email:ana@example.com", timezone="Europe/Berlin")
    (n,) = decide(event, journey(), c).notifications
    assert n.send_at == night


def test_the_contacts_own_quiet_hours_win_over_the_teams() -> None:
    evening = datetime(2026, 6, 1, 20, 0, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
    team = Policy.default(PolicySettings(quiet_hours=("19:00", "07:30")))
    _, update = update_of(evening, "Europe/Berlin", policy=team)
    assert update.send_at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") == "07:30"
    _, own = update_of(evening, "Europe/Berlin", policy=team, quiet_hours=("22:00", "06:00"))
    assert own.send_at == evening
    off = Policy.default(PolicySettings(quiet_hours=None))
    late = datetime(2026, 6, 1, 23, 0, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
    assert update_of(late, "Europe/Berlin", policy=off)[1].send_at == late


# -- channel windows ----------------------------------------------------------------------------------------


def test_whatsapp_inside_its_window_is_free_form_and_outside_needs_a_template() -> None:
    c = contact("phone:+14155550100", preferred_channels=("whatsapp",))
    event = Event("agent_replied", T0, "chat", agent="alice")
    inside = journey(last_customer_at={"chat": T0 - timedelta(hours=1), "whatsapp": T0 - timedelta(hours=2)})
    (n,) = decide(event, inside, c).notifications
    assert (n.channel, n.template) == ("whatsapp", None)
    outside = journey(
        last_customer_at={"chat": T0 - timedelta(hours=1), "whatsapp": T0 - timedelta(hours=25)}
    )
    d = decide(event, outside, c)
    (n,) = d.notifications
    assert (n.channel, n.template) == ("whatsapp", "update")
    assert verdict(d, "channel_window")[0]


def test_outside_the_window_a_policy_may_route_to_another_channel() -> None:
    policy = Policy.default(PolicySettings(outside_window="route"))
    c = contact("phone:+14155550100", "email:ana@example.com", preferred_channels=("whatsapp",))
    event = Event("agent_replied", T0, "chat", agent="alice")
    (n,) = decide(
        event, journey(last_customer_at={"chat": T0 - timedelta(hours=1)}), c, policy=policy
    ).notifications
    assert (n.channel, n.template) == ("sms", None)


# -- de-duplication and rate limits -----------------------------------------------------------------------


def _idle_reply(**situation: object):  # type: ignore[no-untyped-def]
    event = Event("agent_replied", T0, "chat", agent="alice")
    return decide(event, journey(last_customer_at={"chat": T0 - timedelta(hours=1)}), **situation)


def test_no_two_notifications_with_the_same_purpose_within_the_window() -> None:
    d = _idle_reply(recent_notifications=(sent("update", T0 - timedelta(minutes=20)),))
    assert d.notifications == ()
    assert "deduplicate" in verdict(d, "continuous_update")[1]
    assert verdict(d, "deduplicate")[0]


@pytest.mark.parametrize(
    "earlier",
    [
        pytest.param(sent("update", T0 - timedelta(hours=2)), id="long-ago"),
        pytest.param(sent("survey", T0 - timedelta(minutes=5)), id="other-purpose"),
        pytest.param(sent("update", T0 - timedelta(minutes=5), status="cancelled"), id="cancelled"),
    ],
)
def test_notifications_outside_the_window_or_for_another_purpose_do_not_block(earlier: object) -> None:
    assert len(_idle_reply(recent_notifications=(earlier,)).notifications) == 1


def test_at_most_n_notifications_per_hour() -> None:
    recent = tuple(
        sent(p, T0 - timedelta(minutes=m)) for p, m in [("a", 10), ("b", 20), ("c", 30), ("d", 40)]
    )
    d = _idle_reply(recent_notifications=recent)
    assert d.notifications == ()
    assert verdict(d, "rate_limit")[0]
    relaxed = Policy.default(PolicySettings(max_per_hour=5))
    assert len(_idle_reply(recent_notifications=recent, policy=relaxed).notifications) == 1
    off = Policy.default(PolicySettings(max_per_hour=0))
    assert len(_idle_reply(recent_notifications=recent * 3, policy=off).notifications) == 1


def test_dedup_window_can_be_turned_off() -> None:
    policy = Policy.default(PolicySettings(dedupe_window=timedelta(0)))
    d = _idle_reply(recent_notifications=(sent("update", T0 - timedelta(minutes=5)),), policy=policy)
    assert len(d.notifications) == 1


# -- opt-in channels (WhatsApp) ---------------------------------------------------------------------------

_AWAY = Event("agent_replied", T0 + timedelta(hours=1), "chat", agent="alice")


def test_without_email_and_sms_consent_a_customer_who_never_opted_in_gets_no_whatsapp() -> None:
    c = contact("phone:+14155550100", "email:ana@example.com", consent={"email": False, "sms": False})
    d = decide(_AWAY, c=c)
    assert d.notifications == ()
    matched, reason = verdict(d, "continuous_update")
    assert matched
    assert "whatsapp needs an opt-in the contact never gave" in reason
    assert "no consent for sms" in reason and "no consent for email" in reason


@pytest.mark.parametrize(
    "opted_in",
    [
        pytest.param({"consent": {"email": False, "sms": False, "whatsapp": True}}, id="consent"),
        pytest.param(
            {"consent": {"email": False, "sms": False}, "preferred_channels": ("whatsapp",)}, id="preferred"
        ),
    ],
)
def test_a_customer_who_opted_in_gets_the_whatsapp_template(opted_in: dict[str, object]) -> None:
    c = contact("phone:+14155550100", "email:ana@example.com", **opted_in)
    d = decide(_AWAY, c=c)
    (n,) = d.notifications
    assert (n.channel, n.template) == ("whatsapp", "update")  # never wrote there: outside its window
    skipped = [v.reason for v in d.verdicts if v.rule == "consent"]
    if "preferred_channels" in opted_in:  # the preferred channel comes first: nothing skipped
        assert skipped == []
    else:
        assert skipped == [
            "update: skipped sms (consent withdrawn), email (consent withdrawn); chose whatsapp"
        ]


def test_skipping_whatsapp_for_another_channel_is_in_the_trace() -> None:
    c = contact("phone:+14155550100", "email:ana@example.com", consent={"sms": False})
    d = decide(_AWAY, c=c, policy=Policy.default())
    (n,) = d.notifications
    assert n.channel == "email"
    matched, note = verdict(d, "consent")
    assert matched and note == "update: skipped sms (consent withdrawn); chose email"
    only_phone = contact("phone:+14155550100", consent={"sms": False})
    assert decide(_AWAY, c=only_phone).notifications == ()


def test_a_customer_writing_on_whatsapp_is_answered_there_inside_the_window() -> None:
    event = Event(
        "channel_switched",
        T0,
        "whatsapp",
        from_channel="chat",
        to_channel="whatsapp",
        initiated_by="customer",
    )
    j = journey(
        current_channel="whatsapp", last_customer_at={"chat": T0 - timedelta(hours=1), "whatsapp": T0}
    )
    (n,) = decide(event, j, contact("phone:+14155550100")).notifications
    assert (n.channel, n.purpose, n.template) == ("whatsapp", "channel_move", None)
    # A day later the conversation's window is closed: a template needs an opt-in.
    later = Event("resolved", T0 + timedelta(hours=25), "whatsapp", agent="bob")
    survey = Policy.default().only("survey_after_resolution")
    d = decide(later, evolve(j, first_response_at=T0), contact("phone:+14155550100"), policy=survey)
    assert [n.channel for n in d.notifications] == ["sms"]


def test_a_team_may_drop_the_opt_in_requirement() -> None:
    anyone = Policy.default(PolicySettings(opt_in_channels=()))
    c = contact("phone:+14155550100", consent={"sms": False})
    (n,) = decide(_AWAY, c=c, policy=anyone).notifications
    assert n.channel == "whatsapp"


_CHANNEL_NAMES = ("sms", "email", "whatsapp")


@settings(max_examples=150, deadline=None)
@given(
    consent=st.dictionaries(st.sampled_from(_CHANNEL_NAMES), st.booleans()),
    preferred=st.lists(st.sampled_from(_CHANNEL_NAMES), unique=True, max_size=3),
    wrote_whatsapp=st.none() | st.integers(min_value=0, max_value=72),
    kind=st.sampled_from(["agent_replied", "resolved", "channel_switched"]),
)
def test_whatsapp_is_used_only_for_a_customer_who_opted_in_or_wrote_there_lately(
    consent: dict[str, bool], preferred: list[str], wrote_whatsapp: int | None, kind: str
) -> None:
    last = {"chat": T0 - timedelta(hours=2)}
    if wrote_whatsapp is not None:
        last["whatsapp"] = T0 - timedelta(hours=wrote_whatsapp)
    j = journey(last_customer_at=last, first_response_at=T0 - timedelta(hours=1))
    c = contact(
        "phone:+14155550100", "email:ana@example.com", consent=consent, preferred_channels=tuple(preferred)
    )
    if kind == "channel_switched":
        event = Event(kind, T0, "chat", from_channel="whatsapp", to_channel="chat", initiated_by="customer")
    else:
        event = Event(kind, T0 + timedelta(minutes=30), "chat", agent="alice")  # type: ignore[arg-type]
    d = decide(event, j, c)
    for n in d.notifications:
        assert consent.get(n.channel) is not False
        if n.channel == "whatsapp":
            inside = n.template is None  # free-form only inside the window of the customer's conversation
            assert consent.get("whatsapp") is True or "whatsapp" in preferred or inside
            if inside:
                assert wrote_whatsapp is not None and n.send_at - last["whatsapp"] <= timedelta(hours=24)
