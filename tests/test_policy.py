"""The first policy: each built-in rule fires when it should, stays quiet when it must not,
and every notification says which rule put it there and why."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from handoff.identity import parse_identity
from handoff.models import Contact, IdentityLink, Journey
from handoff.policy import Event, Policy, PolicySettings, Situation
from handoff.policy.templates import fields_of, fill
from handoff.summary import AGENT_SCREEN_CHARS

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)


def contact(*identities: str, **kw: object) -> Contact:
    links = tuple(IdentityLink(parse_identity(i), True, "first_contact", T0) for i in identities)
    fields: dict[str, object] = {"id": "ct_1", "name": "Ana K", "links": links, "created_at": T0}
    fields.update(kw)
    return Contact(**fields)  # type: ignore[arg-type]


def journey(**kw: object) -> Journey:
    fields: dict[str, object] = {
        "id": "jr_1",
        "reference": "J-7F3K9",
        "contact_id": "ct_1",
        "status": "open",
        "current_channel": "chat",
        "opened_at": T0,
        "updated_at": T0,
        "version": 3,
        "last_customer_at": {"chat": T0},
        "last_customer_channel": "chat",
    }
    fields.update(kw)
    return Journey(**fields)  # type: ignore[arg-type]


def decide(event: Event, j: Journey, c: Contact, policy: Policy | None = None, previous: str | None = None):  # type: ignore[no-untyped-def]
    return (policy or Policy.default()).decide(Situation(event, j, c, None, previous))


def test_default_rules_are_named_and_ordered() -> None:
    names = [r.name for r in Policy.default().rules]
    assert names == [
        "privacy",
        "redact_summaries",
        "bot_to_human",
        "context_transfer",
        "confirm_channel_move",
        "explain_transfer",
        "continuous_update",
        "offer_callback",
        "confirm_callback",
        "remind_callback",
        "rebook_missed_callback",
        "sla_warning",
        "survey_after_resolution",
        "raise_priority",
        "route",
    ]


def test_revision_changes_with_rules_or_settings() -> None:
    a = Policy.default()
    assert a.revision == Policy.default().revision
    assert a.revision != Policy.default().without("survey_after_resolution").revision
    assert a.revision != Policy.default(PolicySettings(survey_delay=timedelta(hours=2))).revision


def test_customer_switch_confirms_on_new_channel_and_asks_for_a_summary() -> None:
    event = Event(
        "channel_switched", T0, "chat", from_channel="twitter", to_channel="chat", initiated_by="customer"
    )
    d = decide(event, journey(), contact("email:ana@example.com"), previous="twitter")
    (n,) = d.notifications
    assert (n.channel, n.purpose, n.rule) == ("chat", "channel_move", "confirm_channel_move")
    assert "Twitter" in n.body and "J-7F3K9" in n.body
    assert d.summary is not None and d.summary.max_chars == 4000
    assert [v.rule for v in d.verdicts] == [
        "redact_summaries",
        "context_transfer",
        "confirm_channel_move",
        "route",
    ]
    assert [v.matched for v in d.verdicts] == [False, True, True, True]


def test_switch_not_initiated_by_customer_is_not_confirmed() -> None:
    event = Event(
        "channel_switched", T0, "chat", from_channel="twitter", to_channel="chat", initiated_by="system"
    )
    d = decide(event, journey(), contact("email:ana@example.com"))
    assert d.notifications == ()
    verdict = next(v for v in d.verdicts if v.rule == "confirm_channel_move")
    assert not verdict.matched


def test_phone_transfer_promises_a_call_to_the_known_number() -> None:
    event = Event(
        "transfer_requested",
        T0,
        "phone",
        from_channel="chat",
        to_channel="phone",
        initiated_by="agent",
        reason="escalation",
        agent="alice",
        to_agent="bob",
    )
    d = decide(
        event, journey(current_channel="phone"), contact("email:ana@example.com", "phone:+14155550100")
    )
    (n,) = d.notifications
    assert n.channel == "chat"
    assert "+14155550100" in n.body and "15 minutes" in n.body and "bob" in n.body
    # The phone agent's screen, not the phone channel's message length.
    assert d.summary is not None and d.summary.max_chars == AGENT_SCREEN_CHARS


def test_same_channel_transfer_tells_the_customer_nothing() -> None:
    event = Event(
        "transfer_requested", T0, "chat", from_channel="chat", to_channel="chat", initiated_by="agent"
    )
    d = decide(event, journey(), contact("email:ana@example.com"))
    assert d.notifications == ()
    assert d.summary is not None


def test_update_goes_to_preferred_async_channel_when_customer_is_idle() -> None:
    event = Event("agent_replied", T0 + timedelta(minutes=30), "chat", agent="alice")
    c = contact("phone:+14155550100", "email:ana@example.com", preferred_channels=("email",))
    d = Policy.default().only("continuous_update").decide(Situation(event, journey(), c, None))
    (n,) = d.notifications
    assert n.channel == "email"
    assert n.purpose == "update"


def test_no_update_while_customer_is_active() -> None:
    event = Event("agent_replied", T0 + timedelta(minutes=5), "chat", agent="alice")
    d = (
        Policy.default()
        .only("continuous_update")
        .decide(Situation(event, journey(), contact("phone:+14155550100"), None))
    )
    assert d.notifications == ()
    assert not d.verdicts[0].matched


def test_unreachable_customer_records_why_nothing_was_sent() -> None:
    event = Event("agent_replied", T0 + timedelta(hours=1), "twitter", agent="alice")
    d = (
        Policy.default()
        .only("continuous_update")
        .decide(
            Situation(
                event,
                journey(current_channel="twitter", last_customer_at={}),
                contact("twitter:@ana_k"),
                None,
            )
        )
    )
    assert d.notifications == ()
    assert "no identity reaches sms" in d.verdicts[0].reason


def test_public_channels_are_never_used_for_notifications() -> None:
    event = Event(
        "channel_switched", T0, "twitter", from_channel="chat", to_channel="twitter", initiated_by="customer"
    )
    d = decide(event, journey(current_channel="twitter"), contact("twitter:@ana_k"))
    (n,) = d.notifications
    assert n.channel == "twitter_dm"  # the private side of the same handle
    facebook = decide(
        Event(
            "channel_switched",
            T0,
            "facebook",
            from_channel="chat",
            to_channel="facebook",
            initiated_by="customer",
        ),
        journey(current_channel="facebook"),
        contact("facebook:100200300"),
    )
    assert facebook.notifications == ()
    assert any("facebook is public" in v.reason for v in facebook.verdicts)


def test_survey_once_after_a_reply_with_delay_and_whatsapp_window() -> None:
    resolved = Event("resolved", T0, "whatsapp", agent="bob")
    j = journey(
        current_channel="whatsapp",
        last_customer_channel="whatsapp",
        last_customer_at={"whatsapp": T0 - timedelta(hours=23, minutes=30)},
        first_response_at=T0,
    )
    d = (
        Policy.default()
        .only("survey_after_resolution")
        .decide(Situation(resolved, j, contact("phone:+14155550100", consent={"whatsapp": True}), None))
    )
    (n,) = d.notifications
    assert n.send_at == T0 + timedelta(hours=1)
    assert n.template == "survey"  # past WhatsApp's 24 h window: needs an approved template
    surveyed = (
        Policy.default()
        .only("survey_after_resolution")
        .decide(
            Situation(
                resolved, j.__class__(**{**_fields(j), "surveyed": True}), contact("phone:+14155550100"), None
            )
        )
    )
    assert surveyed.notifications == ()


def _fields(j: Journey) -> dict[str, object]:
    import attrs

    return attrs.asdict(j, recurse=False)


def test_decision_renders_for_a_terminal() -> None:
    event = Event(
        "channel_switched", T0, "chat", from_channel="twitter", to_channel="chat", initiated_by="customer"
    )
    text = decide(event, journey(), contact("email:ana@example.com")).render()
    assert "confirm_channel_move" in text and "channel_switched" in text


def test_templates() -> None:
    assert fields_of("Hi {first_name}, ref {reference}") == {"first_name", "reference"}
    assert fill("Hi {first_name} {missing}", {"first_name": "Ana"}) == "Hi Ana {missing}"
    with pytest.raises(Exception, match="template"):
        fields_of("Hi {first_name")
