"""The ContextSummary builder: what the receiving agent is told, redacted for where they are."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff import FixedClock, Inbound, Policy, PolicySettings, SeededIds, Switchboard, channels
from handoff.errors import ValidationError
from handoff.flow.append import append
from handoff.masking import luhn_valid, mask_secrets
from handoff.models import ContextSummary, Interaction
from handoff.policy import Event, Situation
from handoff.summary import (
    AGENT_SCREEN_CHARS,
    MESSAGE_CHARS,
    SECTIONS,
    SummarySpec,
    build_summary,
    summary_of_planned,
)
from tests.journeys import ANA, TYPICAL, Built, at, build, contact

NOW = at(60)


def summarize(built: Built, channel: str = "phone", **kwargs: Any) -> ContextSummary:
    recent = kwargs.pop("recent", built.interactions[-8:])
    return build_summary(built.journey, built.contact, recent, for_channel=channel, now=NOW, **kwargs)


def every_text(summary: ContextSummary) -> list[str]:
    texts = [summary.issue, summary.transition or "", *summary.commitments, *summary.checklist]
    texts += [line.text for line in (*summary.recent, *summary.notes)]
    texts += [part for f in summary.facts for part in (f.value, f.text)]
    texts += [i.identity for i in summary.contact.identities] + [summary.contact.name or ""]
    return texts


def card_runs(text: str) -> list[str]:
    digits = [re.sub(r"[ -]", "", m.group()) for m in re.finditer(r"[0-9](?:[ -]?[0-9]){12,18}", text)]
    return [d for d in digits if luhn_valid(d)]


# -- what a summary holds ------------------------------------------------------------------------


def test_a_typical_summary_tells_the_agent_what_the_customer_already_said() -> None:
    built = build()
    summary = summarize(built, transition="chat → phone, by an agent, reason: escalation")
    assert (summary.journey_id, summary.reference, summary.for_channel) == ("jr_1", "J-7F3K9", "phone")
    assert (summary.status, summary.opened_at, summary.generated_at) == ("open", at(3), NOW)
    assert summary.since_first_contact == NOW - at(3)
    assert summary.issue.startswith("@acme my order A-1042 never arrived")
    assert summary.transition == "chat → phone, by an agent, reason: escalation"
    assert [(f.kind, f.value) for f in summary.facts][:3] == [
        ("order", "A-1042"),
        ("amount", "USD 49.99"),
        ("card", "••••4242"),
    ]
    assert [f.channel for f in summary.facts][:3] == ["twitter", "twitter", "twitter_dm"]
    assert summary.path == built.journey.path
    assert [n.text for n in summary.notes] == ["VIP customer; refund approved up to $50."]
    assert summary.commitments == ("Call the customer back within 10 minutes",)
    # Sized for the agent's screen, not the phone channel's 600-character message length.
    assert (summary.redaction, summary.max_chars, summary.rule) == ("none", AGENT_SCREEN_CHARS, None)


def test_contact_card_shows_identity_status_and_local_time() -> None:
    card = summarize(build()).contact
    assert (card.contact_id, card.name, card.timezone, card.language) == (
        "ct_1",
        "Ana Kovač",
        "Europe/Madrid",
        "es",
    )
    assert [(i.identity, i.confirmed, i.source) for i in card.identities] == [
        ("twitter:@ana_k", True, "first_contact"),
        ("email:ana@example.com", False, "journey_ref"),
    ]
    assert card.local_time == NOW
    assert card.local_time is not None and card.local_time.utcoffset() == timedelta(hours=1)  # CET in March


def test_unknown_time_zone_leaves_local_time_out() -> None:
    who = contact(("email:ana@example.com", True, "first_contact"), tz="Mars/Olympus_Mons")
    assert summarize(build(who=who)).contact.local_time is None


def test_recent_holds_the_last_conversation_lines_only() -> None:
    built = build()
    summary = summarize(built, recent=built.interactions, spec=SummarySpec(recent=4))
    shown = [(line.author, line.text) for line in summary.recent]
    assert shown == [
        ("agent", "I can see the order. Shall we call you?"),
        ("customer", "Yes please call me on +1 415 555 0100, I am at 12 Main Street."),
        ("agent", "Calling you in 5 minutes."),
        ("customer", "Thanks, waiting for the call about my order."),
    ]
    everything = summarize(built, recent=built.interactions, spec=SummarySpec(recent=50))
    assert {line.author for line in everything.recent} == {"customer", "agent", "bot"}
    assert all("VIP" not in line.text and "joined" not in line.text for line in everything.recent)
    assert summarize(built, spec=SummarySpec(recent=0)).recent == ()


def test_recent_lines_keep_who_said_it_where_and_when() -> None:
    built = build()
    last = summarize(built).recent[-2]
    assert (last.at, last.channel, last.author, last.agent) == (at(33), "chat", "agent", "maria")


def test_issue_is_one_trimmed_line_and_falls_back_to_a_customer_message() -> None:
    long = "My order  A-1042\nnever arrived " + "and I am still waiting " * 20
    issue = summarize(build(subject=long)).issue
    assert len(issue) <= 120 and issue.endswith("…") and "\n" not in issue and "  " not in issue
    assert issue.startswith("My order A-1042 never arrived")
    untitled = build(subject="")
    assert summarize(untitled, recent=untitled.interactions).issue == TYPICAL[0][3]
    assert (
        summarize(untitled).issue == "Still nothing for J-7F3K9. It was due on March 10."
    )  # earliest at hand


def test_long_messages_are_trimmed() -> None:
    script = (("chat", "customer", "message", "word " * 400),)
    (line,) = summarize(build(script)).recent
    assert len(line.text) <= MESSAGE_CHARS and line.text.endswith("…")


# -- determinism ---------------------------------------------------------------------------------


def test_same_inputs_give_an_equal_summary_whatever_the_order_of_recent() -> None:
    built = build()
    forward = summarize(built, transition="chat → phone")
    backward = summarize(built, transition="chat → phone", recent=tuple(reversed(built.interactions[-8:])))
    assert forward == summarize(build(), transition="chat → phone")
    assert forward == backward
    assert forward.render("text") == backward.render("text")


# -- redaction -----------------------------------------------------------------------------------


def test_public_channel_gets_a_masked_summary() -> None:
    summary = summarize(build(), channel="twitter")
    assert summary.redaction == "masked"
    assert summary.max_chars == AGENT_SCREEN_CHARS  # the agent's screen, not a tweet
    assert [i.identity for i in summary.contact.identities] == ["twitter:@a***", "email:a***@example.com"]
    texts = " ".join(every_text(summary))
    assert "ana@example.com" not in texts
    assert "415 555 0100" not in texts and "4155550100" not in texts
    assert "12 Main Street" not in texts
    assert "A-1042" in texts  # what the case is about stays readable
    kinds = {f.kind: f for f in summary.facts}
    assert kinds["email"].value == "a***@example.com"
    assert "Confirm identity — not yet confirmed: email:a***@example.com (journey ref)" in summary.checklist


def test_private_channel_gets_contact_details_but_never_card_numbers() -> None:
    summary = summarize(build(), channel="chat")
    texts = " ".join(every_text(summary))
    assert summary.redaction == "none"
    assert "ana@example.com" in texts and "+1 415 555 0100" in texts
    assert card_runs(texts) == []


def test_spec_can_ask_for_masking_on_a_private_channel() -> None:
    summary = summarize(build(), channel="chat", spec=SummarySpec(redaction="masked", rule="restricted_role"))
    assert (summary.redaction, summary.rule) == ("masked", "restricted_role")
    assert "ana@example.com" not in " ".join(every_text(summary))


def test_card_numbers_are_masked_even_if_they_reached_the_store() -> None:
    built = build()
    raw = evolve(built.interactions[-1], body="oops my card is 4111 1111 1111 1111")
    journey = evolve(
        built.journey,
        subject="charged on 4111-1111-1111-1111",
        commitments=("refund 4111111111111111",),
        notes=(evolve(built.journey.notes[0], text="card 4111 1111 1111 1111"),),
    )
    summary = build_summary(
        journey,
        built.contact,
        (*built.interactions[-3:-1], raw),
        for_channel="chat",
        now=NOW,
        transition="card 4111111111111111",
        checklist_extra=("check 4111 1111 1111 1111",),
    )
    texts = every_text(summary)
    assert all(card_runs(t) == [] for t in texts)
    assert all("1111 1111" not in summary.render(fmt) for fmt in ("text", "markdown", "html"))


@given(st.sampled_from(["chat", "twitter", "phone"]), st.lists(st.text(max_size=60), min_size=1, max_size=6))
@settings(max_examples=60, deadline=None)
def test_no_summary_text_holds_a_card_number(channel: str, bodies: list[str]) -> None:
    card = "4242 4242 4242 4242"
    script = tuple(("chat", "customer", "message", f"{b} {card} {b}") for b in bodies)
    built = build(script)
    raw = tuple(evolve(i, body=i.body.replace("•••• •••• •••• 4242", card)) for i in built.interactions)
    summary = build_summary(built.journey, built.contact, raw, for_channel=channel, now=NOW)
    assert all(card not in t for t in every_text(summary))


_SECRETS = st.sampled_from(
    [
        "4242 4242 4242 4242", "card 4111-1111-1111-1111 cvv 123", "my password: hunter2", "PIN 4321",
        "IBAN DE89 3704 0044 0532 0130 00", "order #DE89370400440532013000",
        "４２４２ ４２４２ ４２４２ ４２４２",
        "ana@example.com", "+1 415 555 0100", "A-1042", "$49.99", "12 Baker Street",
    ]
)  # fmt: skip


@given(
    st.sampled_from(["chat", "twitter", "phone", "email"]),
    st.lists(
        st.tuples(
            st.sampled_from(["customer", "agent"]),
            st.lists(
                st.one_of(st.text(max_size=30), _SECRETS, st.just("a long message " * 30)),
                min_size=1,
                max_size=4,
            ).map(" ".join),
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([None, "masked"]),
)
@settings(max_examples=150, deadline=None)
def test_texts_masked_when_stored_are_not_searched_for_cards_again(
    channel: str, said: list[tuple[str, str]], redaction: str | None
) -> None:
    """The write path tells the summary that its texts went through ``mask_secrets``:
    the summary is then exactly what looking for cards again would give."""
    script = tuple(("chat", author, "message", mask_secrets(body)) for author, body in said)
    built = build(script)
    spec = SummarySpec(redaction=redaction)  # type: ignore[arg-type]
    args: dict[str, Any] = {"for_channel": channel, "now": NOW, "spec": spec, "transition": "chat → phone"}
    trusted = build_summary(built.journey, built.contact, built.interactions, secrets_masked=True, **args)
    assert trusted == build_summary(built.journey, built.contact, built.interactions, **args)


@given(
    st.sampled_from(channels.names()),
    st.lists(
        st.tuples(
            st.sampled_from(["chat", "sms", "email", "phone"]),
            st.sampled_from(["customer", "agent", "bot"]),
            st.sampled_from(["message", "note", "call", "event"]),
            st.one_of(st.text(max_size=40), _SECRETS, st.just("a long message " * 40)),
        ),
        min_size=1,
        max_size=8,
    ),
    st.builds(
        SummarySpec,
        sections=st.lists(st.sampled_from(SECTIONS), unique=True).map(tuple),
        recent=st.integers(0, 10),
        max_chars=st.none() | st.integers(1, 5000),
        redaction=st.sampled_from([None, "masked", "none"]),
        rule=st.none() | st.just("context_transfer"),
    ),
    st.none() | st.just("chat → phone, by the customer, reason: customer choice"),
    st.randoms(use_true_random=False),
)
@settings(max_examples=150, deadline=None)
def test_the_write_paths_summary_is_the_checked_one(
    channel: str,
    said: list[tuple[str, str, str, str]],
    spec: SummarySpec,
    transition: str | None,
    order: Any,
) -> None:
    """The plan builds its summaries without checking its own records again: the summary
    is the very one the checking builder makes of the same (masked) records, in any order."""
    built = build(tuple((where, who, kind, mask_secrets(body)) for where, who, kind, body in said))
    recent = list(built.interactions)
    order.shuffle(recent)
    args: dict[str, Any] = {"for_channel": channel, "now": NOW, "spec": spec, "transition": transition}
    planned = summary_of_planned(built.journey, built.contact, recent, **args)
    assert planned == build_summary(built.journey, built.contact, recent, secrets_masked=True, **args)


# -- the checklist ---------------------------------------------------------------------------------


def test_checklist_names_unconfirmed_identities_and_counts_channels() -> None:
    summary = summarize(build(), transition="chat → phone")
    assert summary.checklist == (
        "Review the history above before replying",
        "Confirm identity — not yet confirmed: email:ana@example.com (journey ref)",
        "Explain the transition to the customer",
        "Respond with empathy — the customer has already explained the issue on 3 channels",
        "Ask for feedback after resolution",
    )


def test_checklist_without_transition_and_with_confirmed_identities() -> None:
    who = contact(("email:ana@example.com", True, "first_contact"), ("phone:+14155550100", True, "agent"))
    script = (("chat", "customer", "message", "hello"),)
    checklist = summarize(build(script, who=who), checklist_extra=("Offer the refund", "  ")).checklist
    assert checklist == (
        "Review the history above before replying",
        "Identity confirmed: email:ana@example.com, phone:+14155550100",
        "Respond with empathy — the customer has already explained the issue on 1 channel",
        "Ask for feedback after resolution",
        "Offer the refund",
    )


def test_checklist_when_no_identity_is_known() -> None:
    checklist = summarize(build(who=contact())).checklist
    assert "Confirm identity — no identity on file" in checklist


# -- sections and the spec -----------------------------------------------------------------------


def test_only_the_asked_sections_are_filled() -> None:
    summary = summarize(build(), transition="x", spec=SummarySpec(sections=("issue", "facts")))
    assert summary.issue and summary.facts
    assert (summary.transition, summary.recent, summary.notes, summary.path) == (None, (), (), ())
    assert (summary.commitments, summary.checklist) == ((), ())
    assert (summary.contact.name, summary.contact.identities, summary.contact.local_time) == (None, (), None)
    bare = summarize(build(), spec=SummarySpec(sections=()))
    assert (bare.issue, bare.facts) == ("", ())


def test_spec_defaults_and_budget() -> None:
    spec = SummarySpec()
    assert (
        spec.sections == SECTIONS and spec.recent == 5 and spec.max_chars is None and spec.redaction is None
    )
    assert summarize(build(), channel="chat").max_chars == 4000
    assert summarize(build(), channel="chat", spec=SummarySpec(max_chars=900)).max_chars == 900
    assert SummarySpec(sections=["facts", "issue"]).sections == ("facts", "issue")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sections": ("issue", "gossip")}, "sections[1]"),
        ({"sections": ("issue", "issue")}, "sections[1]"),
        ({"sections": (3,)}, "sections[0]"),
        ({"sections": "facts"}, "sections"),
        ({"recent": -1}, "recent"),
        ({"recent": True}, "recent"),
        ({"max_chars": 0}, "max_chars"),
        ({"max_chars": "600"}, "max_chars"),
        ({"redaction": "public"}, "redaction"),
        ({"rule": ""}, "rule"),
    ],
)
def test_spec_rejects_bad_fields_naming_them(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        SummarySpec(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_build_rejects_bad_input_naming_it() -> None:
    built = build()
    other = Interaction("in_x", "jr_other", "ct_1", "chat", "customer", "hi", at(1), 1)
    stranger = evolve(ANA, id="ct_2")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"channel": "pigeon"}, "for_channel"),
        ({"recent": (other,)}, "recent[0]"),
        ({"recent": ("hello",)}, "recent[0]"),
        ({"transition": 5}, "transition"),
        ({"checklist_extra": "call back"}, "checklist_extra"),
        ({"spec": {"recent": 3}}, "spec"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as err:
            summarize(built, **kwargs)
        assert err.value.field == field
    with pytest.raises(ValidationError) as err:
        build_summary(built.journey, stranger, (), for_channel="chat", now=NOW)
    assert err.value.field == "contact"
    with pytest.raises(ValidationError) as err:
        build_summary(built.journey, built.contact, (), for_channel="chat", now=datetime(2025, 3, 12))
    assert err.value.field == "now"


def test_a_journey_without_messages_still_summarizes() -> None:
    summary = summarize(build(()), recent=())
    assert (summary.recent, summary.facts, summary.issue) == ((), (), "")
    assert (
        "Respond with empathy — the customer has already explained the issue on 1 channel"
        in summary.checklist
    )


def test_typical_script_is_what_the_tests_think_it_is() -> None:
    # Guards the fixture the rendering tests rely on: ten conversational lines, a note, an event.
    kinds = [kind for _channel, _author, kind, _body in TYPICAL]
    assert kinds.count("message") == 10 and kinds.count("note") == 1 and kinds.count("event") == 1


# -- restricted roles --------------------------------------------------------------------------------


def _board_with_ana(restricted_roles: tuple[str, ...] = ("outsourced",)) -> tuple[Switchboard, str]:
    policy = Policy.default(PolicySettings(restricted_roles=restricted_roles))
    board = Switchboard.open("memory://", policy=policy, clock=FixedClock(at(0)), ids=SeededIds(7))
    out = board.receive(
        Inbound(
            channel="email",
            identity="email:ana@example.com",
            body="Order A-1042 is late. Call me on +1 415 555 0100 or write to ana.k@example.org",
            at=at(0),
        )
    )
    return board, out.journey.id


def _shows_contact_details(summary: ContextSummary) -> bool:
    text = "\n".join(every_text(summary))
    return "ana@example.com" in text or "555 0100" in text or "ana.k@example.org" in text


def test_summary_for_a_restricted_role_masks_contact_details_whatever_the_spec() -> None:
    board, journey_id = _board_with_ana()
    for spec in (None, SummarySpec(redaction="none")):
        summary = board.summary(journey_id, for_channel="chat", now=at(5), role="outsourced", spec=spec)
        assert summary.redaction == "masked"
        assert not _shows_contact_details(summary)
        assert "A-1042" in summary.render("text")


@pytest.mark.parametrize("role", [None, "tier2"])
def test_summary_for_other_roles_on_a_private_channel_is_not_masked(role: str | None) -> None:
    board, journey_id = _board_with_ana()
    summary = board.summary(journey_id, for_channel="chat", now=at(5), role=role)
    assert summary.redaction == "none"
    assert _shows_contact_details(summary)


def test_a_transfer_to_a_restricted_role_hands_over_a_masked_summary() -> None:
    board, journey_id = _board_with_ana()
    to_outsourced = board.transfer(
        journey_id, to_channel="chat", reason="escalation", by="alice", to_role="outsourced", at=at(5)
    )
    assert to_outsourced.handoff is not None
    assert to_outsourced.handoff.summary.redaction == "masked"
    assert not _shows_contact_details(to_outsourced.handoff.summary)
    back = board.transfer(
        journey_id, to_channel="email", reason="escalation", by="bob", to_role="tier2", at=at(9)
    )
    assert back.handoff is not None and back.handoff.summary.redaction == "none"
    assert _shows_contact_details(back.handoff.summary)


def test_a_transfer_to_a_restricted_role_is_masked_even_without_the_redaction_rule() -> None:
    policy = Policy(rules=[], settings=PolicySettings(restricted_roles=("outsourced",)))
    board = Switchboard.open("memory://", policy=policy, clock=FixedClock(at(0)), ids=SeededIds(7))
    opened = board.receive(
        Inbound(
            channel="email", identity="email:ana@example.com", body="Call me on +1 415 555 0100", at=at(0)
        )
    )
    moved = board.transfer(
        opened.journey.id, to_channel="chat", reason="escalation", by="al", to_role="outsourced", at=at(5)
    )
    assert moved.handoff is not None
    assert (moved.handoff.summary.redaction, moved.handoff.summary.rule) == ("masked", "restricted_role")
    assert not _shows_contact_details(moved.handoff.summary)


@pytest.mark.parametrize("role", ["Outsourced", "", "a b", 7])
def test_role_names_are_checked_naming_the_argument(role: object) -> None:
    board, journey_id = _board_with_ana()
    with pytest.raises(ValidationError) as err:
        board.summary(journey_id, for_channel="chat", role=role)  # type: ignore[arg-type]
    assert err.value.field == "role"
    with pytest.raises(ValidationError) as err:
        board.transfer(journey_id, to_channel="chat", reason="escalation", by="al", to_role=role)  # type: ignore[arg-type]
    assert err.value.field == "to_role"


# -- what the receiving agent sees, whatever the customer's channel ---------------------------------


@given(st.sampled_from(channels.names()), st.sampled_from(["channel_switched", "transfer_requested"]))
@settings(max_examples=60, deadline=None)
def test_the_agent_summary_always_carries_notes_commitments_and_the_checklist(to: str, kind: str) -> None:
    built = build()
    event = Event(kind, NOW, to, from_channel="chat", to_channel=to, initiated_by="agent", agent="maria")  # type: ignore[arg-type]
    situation = Situation(event, evolve(built.journey, current_channel=to), built.contact, None)
    spec = Policy.default().decide(situation).summary
    assert spec is not None and spec.max_chars == AGENT_SCREEN_CHARS
    summary = build_summary(
        built.journey, built.contact, built.interactions, for_channel=to, now=NOW, spec=spec
    )
    assert [n.text for n in summary.notes] == ["VIP customer; refund approved up to $50."]
    assert summary.commitments and summary.checklist and len(summary.recent) >= 5
    drawn = summary.render("text")  # within the summary's own budget: nothing was dropped
    assert "refund approved up to $50" in drawn and "Ask for feedback after resolution" in drawn
    assert "Call the customer back within 10 minutes" in drawn
    assert summary.recent[-1].text in drawn
    assert bool(summary.opening) == channels.get(to).voice


def test_a_phone_agent_gets_a_spoken_opening() -> None:
    summary = summarize(build(), transition="chat → phone, by an agent, reason: escalation")
    greet, confirm, issue, empathy, moved, nexts, feedback = summary.opening
    assert greet.startswith("Hello Ana,") and "J-7F3K9" in greet
    assert confirm == "Before we go on, can you confirm the email address on your account?"
    assert issue == (
        "I understand this is about: @acme your order A-1042 never arrived and you were charged $49.99."
    )
    assert "3 channels" in empathy
    assert moved == "We've moved from Live chat to this call so we can sort it out together."
    assert nexts.startswith("Here is what happens next:")
    assert "how did we do" in feedback
    drawn = summary.render("text")
    assert "Say first" in drawn and drawn.index("Say first") < drawn.index("Facts already given")
    assert "#### Say first" in summary.render("markdown") and "Say first" in summary.render("html")
    assert summarize(build(), channel="chat").opening == ()
    assert summarize(build(), spec=SummarySpec(sections=("issue", "facts"))).opening == ()


@pytest.mark.parametrize(
    ("links", "ask"),
    [
        ((), "may I have your full name and an email address or phone number?"),
        ((("phone:+14155550100", True, "first_contact"),), "can you confirm your full name for me?"),
        ((("twitter:@ana_k", False, "journey_ref"),), "can you confirm your twitter username?"),
    ],
)
def test_the_opening_asks_the_customer_to_say_who_they_are(links: tuple[Any, ...], ask: str) -> None:
    (line,) = [x for x in summarize(build(who=contact(*links))).opening if x.startswith("Before we go on")]
    assert line == "Before we go on, " + ask


@given(
    st.lists(
        st.sampled_from(
            ["email:ana@example.com", "phone:+14155550100", "twitter:@ana_k", "email:k.b@example.org"]
        ),
        unique=True,
        max_size=3,
    ),
    st.booleans(),
    st.sampled_from(["phone", "chat"]),
)
@settings(max_examples=40, deadline=None)
def test_the_opening_never_reads_an_identity_out(identities: list[str], confirmed: bool, to: str) -> None:
    who = contact(*((i, confirmed, "first_contact") for i in identities), name="Ana Kovač")
    summary = summarize(build(who=who), channel=to)
    said = " ".join(summary.opening)
    assert all(i.partition(":")[2] not in said for i in identities)


def test_a_registered_voice_channel_gets_the_opening_too() -> None:
    channels.register(
        channels.ChannelProfile("zz_voip", "Web call", "private", "sync", {"email"}, 600, voice=True),
        replace=True,
    )
    assert summarize(build(), channel="zz_voip").opening


# -- the issue line ---------------------------------------------------------------------------------

_GREETINGS = [
    "hi",
    "HEY HO!",
    "Hello?",
    "hey there",
    "Good morning!",
    "hiya 👋",
    "Hi Ana",
    "can someone help me?",
]
_PROBLEMS = [
    "My order never arrived",
    "I was charged twice for my subscription",
    "The app crashes when I open settings",
    "refund please",
    "7916676427",
    "where is parcel RR123456789GB",
]


@st.composite
def _greeting(draw: st.DrawFn) -> str:
    word = draw(st.sampled_from(_GREETINGS))
    return draw(st.sampled_from([word, word.upper(), word.lower(), f"{word}!!", f"  {word} "]))


@given(
    st.lists(_greeting(), max_size=4),
    st.sampled_from(_PROBLEMS),
    st.lists(st.sampled_from(_PROBLEMS + _GREETINGS), max_size=3),
)
@settings(max_examples=120, deadline=None)
def test_the_issue_is_the_first_message_that_states_the_problem(
    greetings: list[str], problem: str, later: list[str]
) -> None:
    script = tuple(("chat", "customer", "message", body) for body in (*greetings, problem, *later))
    built = build(script, subject=greetings[0] if greetings else problem)  # what older journeys stored
    summary = summarize(built, recent=built.interactions)
    assert summary.issue == problem
    ledgered = build(script, subject="")
    journey = ledgered.journey
    for interaction in ledgered.interactions:  # the ledger picks the same line as the subject
        journey = append(evolve(journey, version=interaction.sequence - 1), interaction)
    assert " ".join(journey.subject.split()) == problem
    assert (
        summarize(evolve(built, journey=evolve(built.journey, subject=journey.subject)), recent=()).issue
        == problem
    )


@pytest.mark.parametrize(
    ("subject", "issue"),
    [
        (
            "Hi there! Just wondering when my refund will be processed.",
            "Just wondering when my refund will be processed.",
        ),
        ("HEY HO! my parcel is lost", "My parcel is lost"),
        ("Dear support team, I am writing again about my booking", "I am writing again about my booking"),
        ("Good news: it arrived but broken", "Good news: it arrived but broken"),
        ("hi", "hi"),
    ],
)
def test_the_issue_line_leaves_out_the_greeting_it_opens_with(subject: str, issue: str) -> None:
    assert summarize(build((), subject=subject), recent=()).issue == issue
