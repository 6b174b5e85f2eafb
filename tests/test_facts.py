"""Fact extraction, the fact index and sensitivity: what the customer already said."""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from handoff import sensitivity
from handoff.errors import ValidationError
from handoff.facts import (
    ASKABLE,
    FACT_KINDS,
    _amounts_dates,
    asked_for,
    extract_facts,
    facts_of_masked,
    merge_facts,
    phone_region,
    restated,
    sensitive_reasons,
)
from handoff.flow.append import append
from handoff.identity import parse_identity
from handoff.masking import mask_cards, mask_secrets
from handoff.models import Fact, Interaction, Journey
from handoff.sensitivity import reasons_of_masked
from tests import facts_before, sensitivity_before
from tests.cards import any_text, luhn_windows, written_cards

AT = datetime(2025, 3, 14, 9, 30, tzinfo=timezone.utc)


def facts_in(text: str, channel: str = "chat", interaction_id: str = "in_1") -> list[tuple[str, str]]:
    return [
        (f.kind, f.value) for f in extract_facts(text, channel=channel, at=AT, interaction_id=interaction_id)
    ]


def fact(kind: str, value: str, minute: int = 0) -> Fact:
    return Fact(kind, value, value, "chat", AT + timedelta(minutes=minute), f"in_{minute}")


# -- extraction ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my order A-1042 never came", [("order", "A-1042")]),
        ("order #12345 please", [("order", "12345")]),
        ("it's order 55512", [("order", "55512")]),
        ("order number is 998877", [("order", "998877")]),
        ("ORD-2024-0001 is late", [("order", "ORD-2024-0001")]),
        ("tracking 1Z999AA10123456784", [("order", "1Z999AA10123456784")]),
        ("parcel RR123456789GB", [("order", "RR123456789GB")]),
        ("about J-7F3K9", [("reference", "J-7F3K9")]),
        ("about j-7f3k9", [("reference", "J-7F3K9")]),
        ("mail Ana.K@Example.COM", [("email", "ana.k@example.com")]),
        ("call +1 (415) 555-0100", [("phone", "+14155550100")]),
        ("or 0044 20 7946 0958", [("phone", "+442079460958")]),
        ("+44 (0)20 7946 0958", [("phone", "+442079460958")]),
        ("call me at 415-555-0100", [("phone", "4155550100")]),
        ("it was $49.99", [("amount", "USD 49.99")]),
        ("it was 49,99 €", [("amount", "EUR 49.99")]),
        ("EUR 12 only", [("amount", "EUR 12")]),
        ("USD 1,200.00 total", [("amount", "USD 1200")]),
        ("1.200,50 EUR", [("amount", "EUR 1200.50")]),
        ("£5", [("amount", "GBP 5")]),
        ("12.5 dollars", [("amount", "USD 12.50")]),
        ("on 2025-03-12", [("date", "2025-03-12")]),
        ("on 25/12/2024", [("date", "2024-12-25")]),
        ("on 12/25/2024", [("date", "2024-12-25")]),
        ("on 12.03.2025", [("date", "2025-03-12")]),
        ("on 03/04/25", [("date", "03/04/2025")]),
        ("on March 12", [("date", "--03-12")]),
        ("on the 12th of March 2025", [("date", "2025-03-12")]),
        ("on Mar. 12, 2025", [("date", "2025-03-12")]),
        ("card 4242 4242 4242 4242", [("card", "••••4242")]),
        ("card •••• •••• •••• 4242 (masked already)", [("card", "••••4242")]),
    ],
)
def test_extracts_known_facts(text: str, expected: list[tuple[str, str]]) -> None:
    assert facts_in(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ORDER NUMBER IS 998877", [("order", "998877")]),
        ("Tracking 1z999aa10123456784", [("order", "1Z999AA10123456784")]),
        ("on MARCH 12", [("date", "--03-12")]),
        ("on 12TH OF MARCH 2025", [("date", "2025-03-12")]),
        ("PAID EUR 12", [("amount", "EUR 12")]),
        ("C$ 30 and A$5", [("amount", "CAD 30"), ("amount", "AUD 5")]),
        ("HK$ 1,200.50", [("amount", "HKD 1200.50")]),
        ("REF J-7F3K9", [("reference", "J-7F3K9")]),
    ],
)
def test_extraction_reads_words_in_any_case_and_every_currency_sign(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert facts_in(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "yesterday it broke",
        "I may 5 times have asked",
        "COVID-19 delays",
        "I want to order 3 more",
        "#fail",
        "30 February 2025",
        "not a card 4242424242424241",
        "2 questions about the road",
    ],
)
def test_no_facts_in_ordinary_words(text: str) -> None:
    assert facts_in(text) == []


def test_facts_come_in_order_of_appearance_once_each() -> None:
    found = facts_in("Order #A-1042, $49.99 on 2025-03-12; again: a-1042 and $49.99. Mail ana@example.com")
    assert found == [
        ("order", "A-1042"),
        ("amount", "USD 49.99"),
        ("date", "2025-03-12"),
        ("email", "ana@example.com"),
    ]


def test_a_fact_records_where_and_when_and_how_it_was_written() -> None:
    (found,) = extract_facts("Order #a-1042", channel="twitter_dm", at=AT, interaction_id="in_9")
    assert (found.kind, found.value, found.text) == ("order", "A-1042", "#a-1042")
    assert (found.channel, found.at, found.interaction_id) == ("twitter_dm", AT, "in_9")


def test_restatements_have_the_same_value() -> None:
    first = extract_facts("order #A-1042", channel="twitter", at=AT, interaction_id="in_1")
    again = extract_facts("it is a-1042", channel="phone", at=AT, interaction_id="in_2")
    assert [f.key for f in first] == [f.key for f in again]


def test_phone_numbers_normalize_without_the_optional_library(monkeypatch: pytest.MonkeyPatch) -> None:
    with_library = facts_in("call +1 (415) 555-0100 or 0049 30 1234567")
    monkeypatch.setitem(sys.modules, "phonenumbers", None)  # import phonenumbers -> ImportError
    assert facts_in("call +1 (415) 555-0100 or 0049 30 1234567") == with_library
    assert with_library == [("phone", "+14155550100"), ("phone", "+49301234567")]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"channel": "Chat!"}, "channel"),
        ({"at": datetime(2025, 3, 14)}, "at"),
        ({"at": "2025-03-14"}, "at"),
        ({"interaction_id": " "}, "interaction_id"),
        ({"answering": "shoe_size"}, "answering"),
        ({"answering": 7}, "answering"),
        ({"region": "USA"}, "region"),
        ({"region": 44}, "region"),
    ],
)
def test_extract_rejects_bad_arguments_naming_them(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"channel": "chat", "at": AT, "interaction_id": "in_1", **kwargs}
    with pytest.raises(ValidationError) as err:
        extract_facts("order 55512", **args)  # type: ignore[arg-type]
    assert err.value.field == field


def test_text_functions_reject_non_text() -> None:
    with pytest.raises(ValidationError) as err:
        sensitive_reasons(b"4242424242424242")  # type: ignore[arg-type]
    assert err.value.field == "text"
    with pytest.raises(ValidationError) as err:
        extract_facts(None, channel="chat", at=AT, interaction_id="in_1")  # type: ignore[arg-type]
    assert err.value.field == "text"


@given(any_text)
@settings(max_examples=300)
def test_extraction_never_fails_and_stays_within_the_masked_text(text: str) -> None:
    found = extract_facts(text, channel="chat", at=AT, interaction_id="in_1")
    masked = mask_cards(text)
    assert len({f.key for f in found}) == len(found)
    for f in found:
        assert f.kind in FACT_KINDS
        assert f.text in masked
        assert luhn_windows(f.value) == [] and luhn_windows(f.text) == []


@given(st.text(max_size=40), written_cards(), st.text(max_size=40))
@settings(max_examples=200)
def test_extraction_never_returns_a_full_card_number(before: str, card: tuple[str, str], after: str) -> None:
    digits, written = card
    found = extract_facts(f"{before} {written} {after}", channel="chat", at=AT, interaction_id="in_1")
    for f in found:
        assert digits not in re.sub(r"[^0-9]", "", f.value)
        assert written not in f.text


@given(written_cards())
@settings(max_examples=50)
def test_a_card_alone_is_a_card_fact_with_its_last_four(card: tuple[str, str]) -> None:
    digits, written = card
    assert facts_in(f"my card is {written}.") == [("card", "••••" + digits[-4:])]


# -- the fact index ------------------------------------------------------------------------------


def test_merge_keeps_the_first_time_a_fact_was_given() -> None:
    index = (fact("order", "A-1042", 0),)
    merged = merge_facts(index, [fact("order", "A-1042", 5), fact("email", "ana@example.com", 5)])
    assert [(f.kind, f.value, f.interaction_id) for f in merged] == [
        ("order", "A-1042", "in_0"),
        ("email", "ana@example.com", "in_5"),
    ]


def test_merge_drops_the_oldest_past_the_cap() -> None:
    index = tuple(fact("order", f"A-{i}", i) for i in range(5))
    merged = merge_facts(index, [fact("order", "A-99", 9)], cap=3)
    assert [f.value for f in merged] == ["A-3", "A-4", "A-99"]


def test_restated_names_what_the_customer_had_to_repeat() -> None:
    index = (fact("order", "A-1042"), fact("email", "ana@example.com"))
    new = (fact("order", "A-1042", 3), fact("date", "2025-03-12", 3))
    assert restated(index, new) == (new[0],)
    assert restated((), new) == ()


@pytest.mark.parametrize("cap", [0, -1, True, 2.5, "50"])
def test_merge_rejects_a_bad_cap(cap: object) -> None:
    with pytest.raises(ValidationError) as err:
        merge_facts((), (), cap=cap)  # type: ignore[arg-type]
    assert err.value.field == "cap"


def test_merge_rejects_things_that_are_not_facts() -> None:
    with pytest.raises(ValidationError) as err:
        merge_facts((), [fact("order", "A-1"), "order A-2"])  # type: ignore[list-item]
    assert err.value.field == "new[1]"


keys = st.tuples(st.sampled_from(["order", "email", "date"]), st.sampled_from(["a", "b", "c", "d", "e", "f"]))


@given(st.lists(st.lists(keys, max_size=6), max_size=8), st.integers(1, 6))
@settings(max_examples=200)
def test_merging_inbound_after_inbound_matches_a_simple_model(
    batches: list[list[tuple[str, str]]], cap: int
) -> None:
    index: tuple[Fact, ...] = ()
    model: list[tuple[str, str]] = []
    for n, batch in enumerate(batches):
        index = merge_facts(index, [fact(k, v, n) for k, v in batch], cap=cap)
        for key in batch:
            if key not in model:
                model.append(key)
        model = model[-cap:]
        assert [f.key for f in index] == model
        assert len(index) <= cap


# -- sensitivity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("my card is 4242 4242 4242 4242", ("card number",)),
        ("card •••• •••• •••• 4242", ("card number",)),
        ("my password is hunter2", ("credentials",)),
        ("the CVV is 123", ("credentials",)),
        ("here is my one-time code", ("credentials",)),
        ("my PIN is 1234", ("credentials",)),
        ("my SSN is on file", ("government id",)),
        ("I was in hospital after the medication", ("health",)),
        ("my lawyer will call", ("legal",)),
        ("I will sue you", ("legal",)),
        ("password for my lawsuit, card 4242424242424242", ("card number", "credentials", "legal")),
        ("order A-1042 never arrived", ()),
        ("Sue from accounts said hi", ()),
        ("pin the tweet please", ()),
        ("PASSWORD reset", ("credentials",)),
        ("HOSPITALISED", ("health",)),
        ("Driver's License", ("government id",)),
        ("SUING YOU", ("legal",)),
        ("Pin", ()),
    ],
)
def test_sensitive_reasons(text: str, reasons: tuple[str, ...]) -> None:
    assert sensitive_reasons(text) == reasons


@given(any_text)
@settings(max_examples=200)
def test_sensitive_reasons_never_fail(text: str) -> None:
    assert set(sensitive_reasons(text)) <= {
        *("card number", "credentials", "government id", "health", "legal", "bank account")
    }


# -- the pre-checks change nothing ---------------------------------------------------------------

_FRAGMENTS = st.sampled_from(
    [
        *" .,:;-/#@$€£¥₹()+'\n\t",
        *("order ", "Order #", "ORD-", "ticket ", "RMA ", "ref ", "case no. ", "invoice: ", "caſe "),
        *("A-1042", "a-1042", "J-7F3K9", "j-7f3k9", "1Z999AA10123456784", "RR123456789GB", "#55512"),
        *("$49.99", "49,99 €", "EUR 12", "USD 1,200.00", "1.200,50 EUR", "12.5 dollars", "C$ 30", "US$5"),
        *("2025-03-12", "25/12/2024", "12.03.2025", "03/04/25", "March 12", "12th of March 2025", "Mar. 3"),
        *("may 5", "MAY 5", "Dec 1st, 2024", "İ", "ı", "ſ", "K", "DECEMBER 2"),
        *("+1 (415) 555-0100", "0044 20 7946 0958", "+44 (0)20 7946 0958", "call 415-555-0100", "tel "),
        *("4242 4242 4242 4242", "•••• •••• •••• 4242", "ana@example.com", "Ana.K@Example.COM"),
        *("0", "7", "12", "123", "2025", "884412", "07700 900123", "1.2.3.4", "10 000", "x", "K", "Z"),
        *("account ", "ACCOUNT # ", "cuſtomer no. ", "member ", "username: ", "user name is ", "LOGİN "),
        *("ana_k", "AC-88123", "locked", " is "),
    ]
)
_REALISTIC = st.lists(_FRAGMENTS, max_size=25).map("".join)


def _both(text: str) -> tuple[tuple[Fact, ...], tuple[Fact, ...]]:
    args: dict[str, Any] = {"channel": "chat", "at": AT, "interaction_id": "in_1"}
    return extract_facts(text, **args), facts_before.extract_facts(text, **args)


@given(st.one_of(any_text, _REALISTIC, st.text(alphabet=st.characters(max_codepoint=0x2200), max_size=80)))
@settings(max_examples=600)
def test_extraction_equals_the_reference_on_generated_text(text: str) -> None:
    now, before = _both(text)
    assert now == before


_SENSITIVE_FRAGMENTS = st.sampled_from(
    [
        *("password: hunter2", "my PIN is 1234", "pin number", "cvv 123", "CVC2", "security code 991"),
        *("one-time code", "OTP", "ssn", "Social Security number", "passport no", "driver's license"),
        *("doctor", "Hospitalised", "mental health", "allergies", "lawyer", "sue you", "court", "courtesy"),
        *("DE89 3704 0044 0532 0130 00", "DE•• •••• 3000", "4111 1111 1111 1111", "•••• •••• •••• 4242"),
        *("4111-1111-1111-1111", "４１１１ １１１１ １１１１ １１１１", "&#52;111 1111 1111 1111", "<b>"),
    ]
)


@given(
    st.one_of(
        any_text,
        _REALISTIC,
        st.lists(st.one_of(_FRAGMENTS, _SENSITIVE_FRAGMENTS), max_size=12).map("".join),
        st.lists(st.one_of(_SENSITIVE_FRAGMENTS, st.just(" ")), max_size=8).map("".join),
    )
)
@settings(max_examples=600)
def test_sensitive_reasons_equal_the_reference(text: str) -> None:
    assert sensitive_reasons(text) == sensitivity_before.sensitive_reasons(text)


@given(
    st.one_of(
        any_text,
        st.lists(st.one_of(_FRAGMENTS, _SENSITIVE_FRAGMENTS), max_size=12).map("".join),
        st.lists(st.one_of(_SENSITIVE_FRAGMENTS, st.just(" ")), max_size=8).map("".join),
    )
)
@settings(max_examples=600)
def test_reasons_of_a_masked_text_need_no_second_masking_pass(text: str) -> None:
    """The write path reads the reasons of a body masked already: they are what a second
    masking pass would say."""
    masked = mask_secrets(text)
    assert reasons_of_masked(masked) == sensitive_reasons(masked)


_WORD_EDGES = st.sampled_from([*" x_9-'.éΣ\u212a\u017f", "", "\n", "K", "ſ"])


@given(
    st.lists(
        st.one_of(_WORD_EDGES, _SENSITIVE_FRAGMENTS, st.sampled_from(["pin code", "Pin", "PIN", "2FA code"])),
        max_size=10,
    ).map("".join)
    | any_text
)
@settings(max_examples=500)
@example("xpassword")
@example("_PIN")
@example("\u212aPIN")  # the Kelvin sign: a word character that (?i) reads as k
@example("\u017fsn")  # the long s: (?i) reads it as s
def test_one_pass_word_check_finds_what_the_groups_find(text: str) -> None:
    """The one-pass pre-check finds a word wherever one group's own pattern does."""
    groups = any(pattern.search(text) for _, pattern in sensitivity._WORD_RES)
    assert bool(sensitivity._ANY_WORD_RE.search(text)) == groups


@given(
    st.one_of(any_text, _REALISTIC), st.sampled_from([None, *ASKABLE]), st.sampled_from([None, "US", "GB"])
)
@settings(max_examples=400)
def test_facts_of_a_masked_body_equal_extract_facts(
    text: str, answering: str | None, region: str | None
) -> None:
    """The write path reads its bodies masked already: skipping the checks and the card
    masking there changes no fact, and every fact is one its validating constructor accepts."""
    body = mask_secrets(text)
    args: dict[str, Any] = {
        "channel": "chat",
        "at": AT,
        "interaction_id": "in_1",
        "answering": answering,
        "region": region,
    }
    found = facts_of_masked(body, **args)
    assert found == extract_facts(body, **args)
    assert found == tuple(Fact(**attrs.asdict(f)) for f in found)


def test_extraction_equals_the_reference_on_realistic_messages() -> None:
    bench = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_facts.py"
    spec = importlib.util.spec_from_file_location("bench_facts", bench)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = 0
    for text in module.MESSAGES:
        now, before = _both(text)
        assert now == before, text
        found += len(now)
    assert found >= 15  # the messages hold facts of every kind, so the comparison says something


@given(st.integers(-5, 10_050), st.integers(-2, 14), st.integers(-2, 33))
@settings(max_examples=500)
def test_day_checks_equal_the_reference(year: int, month: int, day: int) -> None:
    assert _amounts_dates._iso(year, month, day) == facts_before._iso(year, month, day)


@given(st.from_regex(_amounts_dates._NUMBER, fullmatch=True))
@settings(max_examples=500)
def test_amount_numbers_equal_the_reference(number: str) -> None:
    assert _amounts_dates._decimal(number) == facts_before._decimal(number)


# -- account ids and usernames -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("account 12345678", [("account", "12345678")]),
        ("my account number is AC-88123", [("account", "AC-88123")]),
        ("Customer no. 55-1234 here", [("account", "55-1234")]),
        ("membership id: m88231", [("account", "M88231")]),
        ("username: ana_k", [("account", "ana_k")]),
        ("my username is AnaK", [("account", "anak")]),
        ("login = ana.k", [("account", "ana.k")]),
        ("user name is @ana_k88 and order A-1042", [("account", "ana_k88"), ("order", "A-1042")]),
        ("my user name is wrong", []),
        ("my account is locked", []),
        ("customer service never answers", []),
        ("member since 2019", []),
        ("my account was charged on 2025-03-12", [("date", "2025-03-12")]),
        ("my username is ana.k@example.com", [("email", "ana.k@example.com")]),
    ],
)
def test_account_ids_and_usernames_are_facts(text: str, expected: list[tuple[str, str]]) -> None:
    assert facts_in(text) == expected


# -- bare answers to an agent's question ------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What's your order number?", "order"),
        ("Could you give me the tracking number, please?", "order"),
        ("And your invoice #?", "order"),
        ("Could you give me your account number?", "account"),
        ("What is your username?", "account"),
        ("Which login do you use?", "account"),
        ("What's the phone number on your account?", "phone"),
        ("What number can I call you on?", "phone"),
        ("How are you today?", None),
        ("Please send your order number.", None),  # not a question
        ("Thanks, checking now.", None),
    ],
)
def test_asked_for_reads_what_a_question_asks_for(question: str, kind: str | None) -> None:
    assert asked_for(question) == kind


@pytest.mark.parametrize(
    ("reply", "answering", "expected"),
    [
        ("7916676427", "order", [("order", "7916676427")]),
        ("it's 7916676427", "order", [("order", "7916676427")]),
        ("Sure: #a-55512. Thanks!", "order", [("order", "A-55512")]),
        ("ana_k", "account", [("account", "ana_k")]),
        ("Sure, AC-88123 thanks", "account", [("account", "AC-88123")]),
        ("4155550100", "phone", [("phone", "4155550100")]),
        ("+44 20 7946 0958", "phone", [("phone", "+442079460958")]),
        ("yes", "account", []),
        ("123", "order", []),
        ("12/03/2025", "order", [("date", "12/03/2025")]),
        ("7916676427 and it never came", "order", []),
        ("I'll check and come back to you", "account", []),
    ],
)
def test_a_bare_answer_is_a_fact_of_the_kind_asked_for(
    reply: str, answering: str, expected: list[tuple[str, str]]
) -> None:
    found = extract_facts(reply, channel="chat", at=AT, interaction_id="in_1", answering=answering)
    assert [(f.kind, f.value) for f in found] == expected
    if expected and expected[0][0] == answering:
        assert found[0].text in reply


@given(
    st.from_regex(r"(?:[A-Z]{1,3}-?)?[0-9]{4,12}", fullmatch=True),
    st.sampled_from(["", "it's ", "It is ", "sure, ", "Yes: ", "here it is "]),
    st.sampled_from(["", ".", " thanks", " thank you!", "!"]),
)
@example(number="OK0000", lead="", tail="")  # "OK" here is part of the number, not a "yes"
@example(number="OK-0000", lead="", tail="")  # and here, joined by a hyphen
@settings(max_examples=200)
def test_a_number_given_alone_after_the_question_is_that_order(number: str, lead: str, tail: str) -> None:
    found = extract_facts(
        f"{lead}{number}{tail}", channel="chat", at=AT, interaction_id="in_1", answering="order"
    )
    assert [(f.kind, f.value, f.text) for f in found] == [("order", number.upper(), number)]
    unasked = extract_facts(f"{lead}{number}{tail}", channel="chat", at=AT, interaction_id="in_1")
    assert all(f.kind != "account" for f in unasked)


def test_the_journey_remembers_the_question_until_the_customer_replies() -> None:
    def said(sequence: int, author: str, body: str, identity: str | None = None) -> Interaction:
        return Interaction(
            id=f"ix_{sequence}",
            journey_id="jr_1",
            contact_id="ct_1",
            channel="chat",
            author=author,  # type: ignore[arg-type]
            body=body,
            at=AT + timedelta(minutes=sequence),
            sequence=sequence,
            identity=parse_identity(identity) if identity else None,
        )

    journey = Journey("jr_1", "J-7F3K9", "ct_1", "open", "chat", AT, AT)
    journey = append(journey, said(1, "customer", "My parcel never arrived"))
    journey = append(journey, said(2, "agent", "Sorry! What's your order number?"))
    assert journey.asked == "order"
    journey = append(journey, said(3, "customer", "7916676427"))
    assert [(f.kind, f.value) for f in journey.facts] == [("order", "7916676427")]
    assert journey.asked is None
    journey = append(journey, said(4, "customer", "5550100123"))  # nobody asked
    assert len(journey.facts) == 1
    journey = append(journey, said(5, "agent", "Thanks. Anything else I can help with?"))
    assert journey.asked is None


# -- phone numbers in E.164 -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("call me at 415-555-0100", "US", "+14155550100"),
        ("call me at (415) 555-0100", "us", "+14155550100"),
        ("ring 020 7946 0958", "GB", "+442079460958"),
        ("ring 07700 900123", "GB", "07700900123"),  # a drama number: no valid UK mobile
        ("call me at 415-555-0100", None, "4155550100"),  # no region: the digits as written
        ("call +1 (415) 555-0100", "GB", "+14155550100"),  # international: the region is not needed
        ("call me on 555 0100", "US", "5550100"),  # no area code: its digits
    ],
)
def test_national_phone_numbers_are_e164_where_the_region_is_known(
    text: str, region: str | None, expected: str
) -> None:
    found = extract_facts(text, channel="sms", at=AT, interaction_id="in_1", region=region)
    assert [(f.kind, f.value) for f in found] == [("phone", expected)]


def test_a_customer_writing_from_a_phone_number_dials_in_its_region() -> None:
    assert phone_region(parse_identity("phone:+447700900123")) == "GB"
    assert phone_region(parse_identity("phone:+14155550100")) == "US"
    assert phone_region(parse_identity("email:ana@example.com")) is None
    assert phone_region(None) is None
    sms = Interaction("ix_1", "jr_1", "ct_1", "sms", "customer", "call me on 020 7946 0959", AT, 1,
                      identity=parse_identity("phone:+447700900123"))  # fmt: skip
    journey = append(Journey("jr_1", "J-7F3K9", "ct_1", "open", "sms", AT, AT), sms)
    assert [(f.kind, f.value) for f in journey.facts] == [("phone", "+442079460959")]
