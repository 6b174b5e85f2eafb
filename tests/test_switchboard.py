"""The Switchboard end to end: every scenario of the core, on every built-in backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from handoff import (
    FixedClock,
    Inbound,
    NotFound,
    SeededIds,
    Switchboard,
    ValidationError,
)
from handoff.identity import parse_identity
from handoff.summary import AGENT_SCREEN_CHARS
from tests.pgserver import BACKENDS, backend_url

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["memory", "sqlite", *BACKENDS])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param in BACKENDS:
        return backend_url(request, request.param)
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'support.db'}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def board(url: str, clock: FixedClock) -> Iterator[Switchboard]:
    with Switchboard.open(url, clock=clock, ids=SeededIds(1), default_region="US") as b:
        yield b


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def tweet(body: str = "My order A-1042 never arrived", **kw: object) -> Inbound:
    fields: dict[str, object] = {
        "channel": "twitter",
        "identity": "twitter:@ana_k",
        "body": body,
        "at": at(0),
        "external_id": "tw-981",
        "name": "Ana K",
    }
    fields.update(kw)
    return Inbound(**fields)  # type: ignore[arg-type]


# -- the contract example --------------------------------------------------------------------


def test_first_message_opens_a_journey(board: Switchboard) -> None:
    out = board.receive(tweet())
    assert not out.duplicate
    assert out.handoff is None
    j = out.journey
    assert j.status == "open"
    assert j.current_channel == "twitter"
    assert j.version == 1
    assert j.opened_at == at(0)
    assert j.reference.startswith("J-") and len(j.reference) == 7
    assert out.interaction.journey_id == j.id
    assert out.interaction.author == "customer"
    assert out.interaction.external_id == "tw-981"
    assert out.contact.name == "Ana K"
    assert [str(i) for i in out.contact.identities] == ["twitter:@ana_k"]
    assert any(v.rule == "continuity" for v in out.trace)


def test_journey_ref_moves_to_chat_links_identity_and_summary_knows_the_order(board: Switchboard) -> None:
    first = board.receive(tweet())
    ref = first.journey.reference
    out = board.receive(
        Inbound(
            channel="chat",
            identity="email:Ana@Example.com",
            journey_ref=ref,
            body="Hi, moving here from Twitter",
            at=at(10),
        )
    )
    assert out.journey.id == first.journey.id
    assert out.journey.current_channel == "chat"
    assert out.journey.version == 2
    contact = board.contact(first.contact.id)
    assert parse_identity("email:ana@example.com") in contact.identities
    link = contact.link_for(parse_identity("email:ana@example.com"))
    assert link is not None and not link.confirmed and link.source == "journey_ref"
    assert board.find_contact("email:ANA@example.com") == contact
    h = out.handoff
    assert h is not None
    assert (h.from_channel, h.to_channel, h.initiated_by) == ("twitter", "chat", "customer")
    assert h.summary.for_channel == "chat"
    assert "A-1042" in h.summary.render("text")
    assert any(f.value.upper().endswith("A-1042") or "1042" in f.value for f in h.summary.facts)
    assert board.handoffs(ref) == [h]


def test_reference_lookup_is_case_insensitive(board: Switchboard) -> None:
    ref = board.receive(tweet()).journey.reference
    out = board.receive(
        Inbound(
            channel="chat", identity="email:ana@example.com", journey_ref=ref.lower(), body="hi", at=at(1)
        )
    )
    assert out.journey.reference == ref


def test_channel_move_confirmation_on_the_new_channel(board: Switchboard) -> None:
    ref = board.receive(tweet()).journey.reference
    out = board.receive(
        Inbound(channel="chat", identity="email:ana@example.com", journey_ref=ref, body="hi", at=at(10))
    )
    moves = [n for n in out.notifications if n.purpose == "channel_move"]
    assert len(moves) == 1
    n = moves[0]
    assert n.channel == "chat"
    assert ref in n.body and "repeat" in n.body
    assert n.rule == "confirm_channel_move"
    assert n.reason
    assert board.outbox.due(at(10)) == [n]


def test_same_phone_on_sms_and_whatsapp_is_one_contact_and_a_switch(board: Switchboard) -> None:
    sms = board.receive(
        Inbound(
            channel="sms",
            identity="phone:+1 (415) 555-0100",
            body="Order A-77 is late",
            at=at(0),
            external_id="SM1",
        )
    )
    wa = board.receive(
        Inbound(
            channel="whatsapp",
            identity="phone:+14155550100",
            body="still waiting",
            at=at(5),
            external_id="wamid.1",
        )
    )
    assert wa.contact.id == sms.contact.id
    assert wa.journey.id == sms.journey.id
    assert wa.handoff is not None
    assert (wa.handoff.from_channel, wa.handoff.to_channel) == ("sms", "whatsapp")


def test_national_phone_uses_default_region(board: Switchboard) -> None:
    out = board.receive(Inbound(channel="sms", identity="phone:(415) 555-0100", body="hi", at=at(0)))
    assert str(out.contact.identities[0]) == "phone:+14155550100"


def test_twitter_handle_reaches_public_and_dm(board: Switchboard) -> None:
    first = board.receive(tweet())
    dm = board.receive(Inbound(channel="twitter_dm", identity="twitter:@Ana_K", body="here", at=at(3)))
    assert dm.journey.id == first.journey.id
    assert dm.handoff is not None and dm.handoff.to_channel == "twitter_dm"


def test_different_people_are_never_merged_on_a_guess(board: Switchboard) -> None:
    a = board.receive(tweet())
    b = board.receive(
        Inbound(channel="email", identity="email:ana@example.com", name="Ana K", body="hi", at=at(1))
    )
    assert a.contact.id != b.contact.id
    assert a.journey.id != b.journey.id


def test_thread_ref_joins_the_journey_of_the_referenced_message(board: Switchboard) -> None:
    first = board.receive(
        Inbound(
            channel="email",
            identity="email:ana@example.com",
            body="Order A-1",
            at=at(0),
            external_id="<m1@x>",
        )
    )
    other = board.receive(
        Inbound(
            channel="email",
            identity="email:ana.work@example.com",
            body="re: order",
            at=at(5),
            external_id="<m2@x>",
            thread_ref=["<unknown@x>", "<m1@x>"],
        )
    )
    assert other.journey.id == first.journey.id
    link = board.contact(first.contact.id).link_for(parse_identity("email:ana.work@example.com"))
    assert link is not None and link.source == "thread" and not link.confirmed


def test_duplicate_delivery_is_stored_once(board: Switchboard) -> None:
    first = board.receive(tweet())
    again = board.receive(tweet())
    assert again.duplicate
    assert again.interaction == first.interaction
    assert again.journey.version == 1
    assert again.notifications == ()
    assert len(board.history(first.journey.id)) == 1


def test_reply_transfer_resolve_and_survey(board: Switchboard, clock: FixedClock) -> None:
    ref = board.receive(tweet()).journey.reference
    board.receive(
        Inbound(channel="chat", identity="email:ana@example.com", journey_ref=ref, body="hi", at=at(2))
    )
    contact_id = board.journey(ref).contact_id
    board.link(contact_id, "phone:+1 415 555 0100")
    r = board.reply(ref, channel="chat", agent="alice", body="Looking into it", at=at(3))
    assert r.journey.first_response_at == at(3)
    assert r.journey.status == "pending"
    assert r.journey.assignee == "alice"

    t = board.transfer(ref, to_channel="phone", reason="escalation", by="alice", to_agent="bob", at=at(5))
    h = t.handoff
    assert h is not None
    assert (h.from_channel, h.to_channel, h.initiated_by, h.reason) == (
        "chat",
        "phone",
        "agent",
        "escalation",
    )
    assert (h.from_agent, h.to_agent, h.warm) == ("alice", "bob", True)
    # A phone agent's screen holds the whole summary, not the phone channel's 600 characters.
    assert len(h.summary.render("text")) <= h.summary.max_chars == AGENT_SCREEN_CHARS
    assert h.summary.checklist and h.summary.opening
    assert t.journey.current_channel == "phone"
    assert t.journey.assignee == "bob"
    assert t.journey.commitments
    nexts = [n for n in t.notifications if n.rule == "explain_transfer"]
    assert len(nexts) == 1
    assert "+14155550100" in nexts[0].body and ref in nexts[0].body
    assert nexts[0].channel == "chat"

    board.reply(ref, channel="phone", agent="bob", body="Reshipping", at=at(12))
    res = board.resolve(ref, by="bob", at=at(14))
    assert res.journey.status == "resolved"
    assert res.journey.resolved_at == at(14)
    surveys = [n for n in res.notifications if n.purpose == "survey"]
    assert len(surveys) == 1
    # The customer's last channel was chat; an hour later nobody is there, so the survey
    # goes to the first asynchronous channel that reaches them.
    assert surveys[0].channel == "sms"
    assert surveys[0].send_at >= at(14) + timedelta(hours=1)
    assert res.journey.surveyed
    assert board.journey(ref).channels == ("twitter", "chat", "phone")
    assert [i.sequence for i in board.history(ref)] == list(range(1, 7))


def test_survey_only_when_an_agent_replied(board: Switchboard) -> None:
    ref = board.receive(tweet()).journey.reference
    res = board.resolve(ref, by="bot-1", at=at(1))
    assert not [n for n in res.notifications if n.purpose == "survey"]
    verdict = next(v for v in res.trace if v.rule == "survey_after_resolution")
    assert not verdict.matched and "no agent replied" in verdict.reason


def test_continuous_update_when_customer_left_the_channel(board: Switchboard) -> None:
    sms = board.receive(
        Inbound(channel="chat", identity="phone:+14155550100", body="help with A-5", at=at(0))
    )
    ref = sms.journey.reference
    quick = board.reply(ref, agent="alice", body="On it", at=at(2))
    assert not [n for n in quick.notifications if n.purpose == "update"]
    late = board.reply(ref, agent="alice", body="Found it: your parcel is at the depot", at=at(60))
    updates = [n for n in late.notifications if n.purpose == "update"]
    assert len(updates) == 1
    assert updates[0].channel == "sms"
    assert "depot" in updates[0].body
    assert updates[0].rule == "continuous_update"


def test_consent_is_respected_for_updates(board: Switchboard) -> None:
    out = board.receive(Inbound(channel="chat", identity="phone:+14155550100", body="help", at=at(0)))
    board.update_contact(out.contact.id, consent={"sms": False, "whatsapp": False})
    late = board.reply(out.journey.id, agent="alice", body="Done", at=at(60))
    assert not [n for n in late.notifications if n.purpose == "update"]
    verdict = next(v for v in late.trace if v.rule == "continuous_update")
    assert "no consent for sms" in verdict.reason


def test_quiet_hours_defer_updates_in_the_customer_zone(board: Switchboard) -> None:
    out = board.receive(Inbound(channel="chat", identity="phone:+14155550100", body="help", at=at(0)))
    board.update_contact(out.contact.id, timezone="Asia/Tokyo")  # 14:00 UTC is 23:00 in Tokyo
    late = board.reply(out.journey.id, agent="alice", body="Done", at=at(60))
    (update,) = [n for n in late.notifications if n.purpose == "update"]
    assert update.send_at == datetime(2026, 3, 10, 23, 0, tzinfo=timezone.utc)  # 08:00 in Tokyo
    assert "quiet hours" in update.reason


def test_resolved_journey_reopens_within_window(board: Switchboard) -> None:
    ref = board.receive(tweet()).journey.reference
    board.reply(ref, agent="alice", body="fixed", at=at(1))
    board.resolve(ref, by="alice", at=at(2))
    again = board.receive(tweet("it broke again", external_id="tw-990", at=at(60 * 24)))
    assert again.journey.reference == ref
    assert again.journey.status == "open"
    assert again.journey.reopen_count == 1
    later = board.receive(tweet("new problem", external_id="tw-999", at=at(60 * 24 * 30)))
    assert later.journey.reference == ref  # still open: it was reopened


def test_resolved_long_ago_starts_a_new_journey(board: Switchboard) -> None:
    ref = board.receive(tweet()).journey.reference
    board.resolve(ref, by="alice", at=at(1))
    later = board.receive(tweet("new problem", external_id="tw-999", at=at(60 * 24 * 30)))
    assert later.journey.reference != ref
    assert [j.reference for j in board.journeys(later.contact.id)] == [ref, later.journey.reference]


def test_same_channel_agent_to_agent_and_bot_to_agent(board: Switchboard) -> None:
    ref = board.receive(
        Inbound(channel="chat", identity="email:ana@example.com", body="hi", at=at(0))
    ).journey.reference
    board.reply(ref, agent="helpbot", body="I am a bot, how can I help?", bot=True, at=at(1))
    t = board.transfer(
        ref,
        to_channel="chat",
        reason="bot_to_human",
        by="helpbot",
        to_agent="alice",
        initiated_by="bot",
        at=at(2),
    )
    assert t.handoff is not None
    assert t.handoff.initiated_by == "bot" and t.handoff.from_channel == t.handoff.to_channel == "chat"
    assert t.journey.responder == "agent"
    with pytest.raises(ValidationError) as err:
        board.reply(ref, agent="helpbot", body="anything else?", bot=True, at=at(3))
    assert err.value.field == "bot"
    t2 = board.transfer(ref, to_channel="chat", reason="capacity", by="alice", to_agent="carol", at=at(4))
    assert t2.handoff is not None and t2.handoff.to_agent == "carol"
    assert t2.journey.handoff_count == 2


def test_unlink_undoes_a_wrong_link_and_keeps_everything_else(board: Switchboard) -> None:
    first = board.receive(tweet())
    board.receive(
        Inbound(
            channel="chat",
            identity="email:wrong@example.com",
            journey_ref=first.journey.reference,
            body="hi",
            at=at(1),
        )
    )
    before = board.history(first.journey.id)
    contact = board.unlink(first.contact.id, "email:wrong@example.com")
    assert [str(i) for i in contact.identities] == ["twitter:@ana_k"]
    assert board.find_contact("email:wrong@example.com") is None
    assert board.history(first.journey.id) == before
    with pytest.raises(NotFound):
        board.unlink(first.contact.id, "email:wrong@example.com")
    with pytest.raises(ValidationError):
        board.unlink(first.contact.id, "twitter:@ana_k")


def test_link_confirms_and_refuses_someone_elses_identity(board: Switchboard) -> None:
    ana = board.receive(tweet()).contact
    bob = board.receive(
        Inbound(channel="email", identity="email:bob@example.com", body="hi", at=at(1))
    ).contact
    linked = board.link(ana.id, "phone:+1 415 555 0100")
    link = linked.link_for(parse_identity("phone:+14155550100"))
    assert link is not None and link.confirmed and link.source == "agent"
    with pytest.raises(ValidationError) as err:
        board.link(ana.id, "email:bob@example.com")
    assert err.value.field == "identity"
    assert board.find_contact("email:bob@example.com") == bob


def test_summary_on_demand_and_card_masking(board: Switchboard) -> None:
    out = board.receive(tweet("Charge on card 4242 4242 4242 4242 was wrong, order A-1042"))
    assert "4242 4242 4242 4242" not in out.interaction.body
    assert out.interaction.body.count("4242") == 1
    summary = board.summary(out.journey.reference, for_channel="phone")
    text = summary.render("text", max_chars=600)
    assert len(text) <= 600
    assert "4242 4242 4242 4242" not in summary.render("html")
    assert "A-1042" in text
    with pytest.raises(ValidationError):
        board.summary(out.journey.reference, for_channel="pigeon")


def test_outbox_due_and_ack(board: Switchboard) -> None:
    ref = board.receive(tweet()).journey.reference
    board.reply(ref, agent="alice", body="ok", at=at(1))
    res = board.resolve(ref, by="alice", at=at(2))
    (survey,) = [n for n in res.notifications if n.purpose == "survey"]
    assert survey not in board.outbox.due(at(3))
    assert survey in board.outbox.due(survey.send_at)
    sent = board.outbox.ack(survey.id, at=survey.send_at)
    assert sent.status == "sent" and sent.sent_at == survey.send_at
    assert survey.id not in [n.id for n in board.outbox.due(survey.send_at + timedelta(days=1))]
    assert board.outbox.ack(survey.id).status == "sent"
    with pytest.raises(NotFound):
        board.outbox.ack("nt_missing")


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"at": datetime(2026, 3, 10, 14, 0)}, "at"),
        ({"channel": "pigeon"}, "channel"),
        ({"identity": ""}, "identity"),
        ({"body": b"bytes"}, "body"),
        ({"body": 42}, "body"),
        ({"author": "customerr"}, "author"),
        ({"thread_ref": 5}, "thread_ref"),
    ],
)
def test_bad_inbound_names_the_field(fields: dict[str, object], field: str) -> None:
    base: dict[str, object] = {"channel": "sms", "identity": "phone:+14155550100", "body": "x", "at": at(0)}
    base.update(fields)
    with pytest.raises(ValidationError) as err:
        Inbound(**base)  # type: ignore[arg-type]
    assert err.value.field == field


@pytest.mark.parametrize(
    ("inbound", "error", "field"),
    [
        (Inbound(channel="sms", identity="phone:hello", body="x", at=T0), ValidationError, "identity"),
        (Inbound(channel="sms", identity="twitter:@ana", body="x", at=T0), ValidationError, "identity"),
        (Inbound(channel="sms", identity="zz:1", body="x", at=T0), ValidationError, "identity"),
        (
            Inbound(channel="chat", identity="email:a@b.co", body="x", at=T0, journey_ref="J-NOPE1"),
            NotFound,
            None,
        ),
    ],
)
def test_bad_receive_changes_nothing(
    board: Switchboard, inbound: Inbound, error: type[Exception], field: str | None
) -> None:
    first = board.receive(tweet())
    with pytest.raises(error) as err:
        board.receive(inbound)
    if field is not None:
        assert err.value.field == field  # type: ignore[attr-defined]
    assert board.journey(first.journey.id) == first.journey
    assert board.contact(first.contact.id) == first.contact
    assert board.find_contact("email:a@b.co") is None
    assert len(board.history(first.journey.id)) == 1


def test_bad_agent_calls(board: Switchboard) -> None:
    ref = board.receive(tweet()).journey.reference
    with pytest.raises(ValidationError, match="naive"):
        board.reply(ref, agent="a", body="x", at=datetime(2026, 1, 1))
    with pytest.raises(ValidationError) as err:
        board.reply(ref, agent="", body="x")
    assert err.value.field == "agent"
    with pytest.raises(ValidationError) as err:
        board.transfer(ref, to_channel="fax", reason="escalation", by="a")
    assert err.value.field == "to_channel"
    with pytest.raises(ValidationError) as err:
        board.transfer(ref, to_channel="phone", reason="Because!", by="a")
    assert err.value.field == "reason"
    with pytest.raises(NotFound):
        board.reply("jr_missing", agent="a", body="x")
    with pytest.raises(NotFound):
        board.resolve("J-00000", by="a")
    with pytest.raises(ValidationError):
        board.update_contact(board.journey(ref).contact_id, timezone="Mars/Olympus")
    with pytest.raises(ValidationError):
        board.update_contact(board.journey(ref).contact_id, quiet_hours=("9pm", "8am"))
    assert board.journey(ref).version == 1


def test_resolve_twice_is_refused(board: Switchboard) -> None:
    ref = board.receive(tweet()).journey.reference
    board.resolve(ref, by="a", at=at(1))
    with pytest.raises(ValidationError):
        board.resolve(ref, by="a", at=at(2))
    with pytest.raises(ValidationError):
        board.transfer(ref, to_channel="phone", reason="escalation", by="a", at=at(2))


def test_reopening_the_sqlite_file_gives_everything_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'keep.db'}"
    clock = FixedClock(T0)
    with Switchboard.open(url, clock=clock, ids=SeededIds(3)) as board:
        ref = board.receive(tweet()).journey.reference
        board.receive(
            Inbound(channel="chat", identity="email:ana@example.com", journey_ref=ref, body="hi", at=at(1))
        )
        board.reply(ref, agent="alice", body="ok", at=at(2))
        board.resolve(ref, by="alice", at=at(3))
        snapshot = (
            board.journey(ref),
            board.contact(board.journey(ref).contact_id),
            board.history(ref),
            board.handoffs(ref),
            board.store.notifications(board.journey(ref).id),
        )
    with Switchboard.open(url, clock=clock) as board:
        again = (
            board.journey(ref),
            board.contact(board.journey(ref).contact_id),
            board.history(ref),
            board.handoffs(ref),
            board.store.notifications(board.journey(ref).id),
        )
    assert again == snapshot
    assert any(n.status == "pending" for n in again[4])


def test_a_reference_quoted_in_the_message_joins_the_journey(board: Switchboard) -> None:
    ref = board.receive(tweet()).journey.reference
    out = board.receive(
        Inbound(
            channel="email",
            identity="email:ana@example.com",
            body=f"Hello, following up on {ref.lower()}: still nothing.",
            metadata={"subject": "Where is my order?"},
            at=at(30),
        )
    )
    assert out.journey.reference == ref
    assert out.handoff is not None
    link = out.contact.link_for(parse_identity("email:ana@example.com"))
    assert link is not None and link.source == "journey_ref" and not link.confirmed
    assert any("quotes" in v.reason for v in out.trace)


def test_a_reference_in_the_subject_counts_too(board: Switchboard) -> None:
    ref = board.receive(tweet()).journey.reference
    out = board.receive(
        Inbound(
            channel="email",
            identity="email:ana@example.com",
            body="any news?",
            metadata={"subject": f"Re: [{ref}] Your request"},
            at=at(30),
        )
    )
    assert out.journey.reference == ref


def test_quoted_references_are_weaker_than_given_ones(board: Switchboard) -> None:
    ana = board.receive(tweet())
    bob = board.receive(Inbound(channel="email", identity="email:bob@example.com", body="hi", at=at(1)))
    typo = board.receive(
        Inbound(channel="email", identity="email:new@example.com", body="my ref is J-ZZZZZ", at=at(2))
    )
    assert typo.journey.id not in (ana.journey.id, bob.journey.id)  # names nothing: ignored, no error
    other = board.receive(
        Inbound(
            channel="email",
            identity="email:bob@example.com",
            body=f"about {ana.journey.reference}",
            at=at(3),
        )
    )
    assert other.journey.id == bob.journey.id  # a known identity never follows a typed reference


def test_rate_records_survey_answers_on_the_customers_channel(board: Switchboard) -> None:
    ref = board.receive(tweet()).journey.reference
    board.reply(ref, agent="alice", body="fixed", at=at(1))
    board.resolve(ref, by="alice", at=at(2))
    out = board.rate(ref, csat=5, nps=9, at=at(90), comment="Quick and kind")
    ix = out.interaction
    assert (ix.kind, ix.author, ix.channel) == ("survey", "customer", "twitter")
    assert ix.metadata == {"csat": "5", "nps": "9"}
    assert "Quick and kind" in ix.body
    assert out.journey.status == "resolved"  # answering a survey does not reopen anything
    assert out.journey.channels == ("twitter",)


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"csat": 0}, "csat"),
        ({"csat": 6}, "csat"),
        ({"nps": 11}, "nps"),
        ({"nps": -1}, "nps"),
        ({"ces": 8}, "ces"),
        ({"csat": True}, "csat"),
        ({"csat": 4.5}, "csat"),
        ({}, "csat"),
    ],
)
def test_rate_validates_scales(board: Switchboard, answers: dict[str, object], field: str) -> None:
    ref = board.receive(tweet()).journey.reference
    with pytest.raises(ValidationError) as err:
        board.rate(ref, **answers)  # type: ignore[arg-type]
    assert err.value.field == field
    assert board.journey(ref).version == 1
