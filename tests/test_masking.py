"""Masking: card numbers never leak, and restricted views hide contact details."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.errors import ValidationError
from handoff.events import MAX_BODY_CHARS, Inbound
from handoff.masking import (
    luhn_valid,
    mask_cards,
    mask_contact_details,
    mask_fact,
    mask_inbound,
    mask_secrets,
)
from handoff.models import Fact
from handoff.sensitivity import sensitive_reasons
from tests.cards import any_text, card_numbers, luhn_windows, written_cards

AT = datetime(2025, 3, 14, 9, 30, tzinfo=timezone.utc)


# -- Luhn and card masking -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("4242424242424242", True),
        ("4242 4242 4242 4242", True),
        ("378282246310005", True),
        ("6011111111111117", True),
        ("4242424242424241", False),
        ("", False),
        ("0", False),
        ("4242x4242", False),
        ("４２４２４２４２４２４２４２４２", False),  # full-width digits are not a card number
    ],
)
def test_luhn_valid(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@given(card_numbers)
@settings(max_examples=50)
def test_generated_numbers_pass_luhn_and_one_changed_digit_fails(digits: str) -> None:
    assert luhn_valid(digits)
    changed = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    assert not luhn_valid(changed)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4242 4242 4242 4242 please", "card •••• •••• •••• 4242 please"),
        ("card 4242-4242-4242-4242.", "card •••• •••• •••• 4242."),
        ("amex 378282246310005", "amex •••• •••• •••• 0005"),
        ("order 55512 and 4242424242424242", "order 55512 and •••• •••• •••• 4242"),
        ("my phone is +1 415 555 0100", "my phone is +1 415 555 0100"),
        ("not luhn 4242424242424241", "not luhn 4242424242424241"),
        ("twenty digits 42424242424242424242", "twenty digits 42424242424242424242"),
    ],
)
def test_mask_cards_examples(text: str, expected: str) -> None:
    assert mask_cards(text) == expected


def test_card_typed_right_after_an_order_number_is_still_masked() -> None:
    masked = mask_cards("order 8812 4242 4242 4242 4242")
    assert "4242 4242 4242 4242" not in masked
    assert luhn_windows(masked) == []


@given(any_text)
@settings(max_examples=400)
def test_mask_cards_is_idempotent_and_leaves_no_card(text: str) -> None:
    masked = mask_cards(text)
    assert mask_cards(masked) == masked
    assert luhn_windows(masked) == []


@given(st.text(max_size=40), written_cards(), st.text(max_size=40))
@settings(max_examples=300)
def test_embedded_cards_never_survive_masking(before: str, card: tuple[str, str], after: str) -> None:
    _digits, written = card
    text = f"{before} {written} {after}"
    for masked in (mask_cards(text), mask_contact_details(text)):
        assert written not in masked
        assert luhn_windows(masked) == []


# -- contact details -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to Ana.K@Example.com now", "write to A***@Example.com now"),
        ("call +1 (415) 555-0100", "call +• (•••) •••-••00"),
        ("or 415-555-0100", "or •••-•••-••00"),
        ("UK +44 (0)20 7946 0958", "UK +•• (•)•• •••• ••58"),
        ("call me at 4155550100", "call me at ••••••••00"),
        ("I live at 221B Baker Street, London", "I live at [address], London"),
        ("ship to 10 Downing St. please", "ship to [address] please"),
        ("12 rue de la Paix, Paris", "[address], Paris"),
        ("Hauptstraße 5, Berlin", "[address], Berlin"),
        ("Calle de Alcalá, 42", "[address]"),
        ("card 4242 4242 4242 4242", "card •••• •••• •••• 4242"),
    ],
)
def test_mask_contact_details_examples(text: str, expected: str) -> None:
    assert mask_contact_details(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CALLE MAYOR 5", "[address]"),
        ("12 RUE DE LA PAIX", "[address]"),
        ("10 DOWNING STREET", "[address]"),
        ("SCHILLERSTR. 12", "[address]"),
        ("CALL ME ON 4155550100", "CALL ME ON ••••••••00"),
        ("Tel: 415 555 0100", "Tel: ••• ••• ••00"),
        ("ORDER 4155550100", "ORDER 4155550100"),
        ("ACCOUNT NO 12345678", "ACCOUNT NO 12345678"),
    ],
)
def test_mask_contact_details_reads_words_in_any_case(text: str, expected: str) -> None:
    assert mask_contact_details(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 55512 arrived on 2025-03-12",
        "order A-1042 and ORD-2024-0001",
        "paid $1,200.00 on 12/03/2025",
        "ticket 555-0100",
        "server 192.168.1.10",
        "I have 2 questions",
    ],
)
def test_mask_contact_details_leaves_orders_amounts_and_dates(text: str) -> None:
    assert mask_contact_details(text) == text


@given(any_text)
@settings(max_examples=400)
def test_mask_contact_details_is_idempotent_and_leaves_no_card(text: str) -> None:
    masked = mask_contact_details(text)
    assert mask_contact_details(masked) == masked
    assert luhn_windows(masked) == []
    assert not re.search(r"(?<![\w.+*'%@-])[\w.+'%-]{2,}@[\w-]+(?:\.[\w-]+)+", masked)  # no whole email left


def test_mask_fact_masks_contact_kinds_fully_and_cards_always() -> None:
    email = Fact("email", "ana@example.com", "Ana@Example.com", "chat", AT, "in_1")
    phone = Fact("phone", "+14155550100", "+1 415 555 0100", "chat", AT, "in_1")
    order = Fact("order", "A-1042", "#A-1042", "chat", AT, "in_1")
    leaky = Fact("order", "4242424242424242", "4242 4242 4242 4242", "chat", AT, "in_1")
    assert (mask_fact(email).value, mask_fact(email).text) == ("a***@example.com", "A***@Example.com")
    assert (mask_fact(phone).value, mask_fact(phone).text) == ("+•••••••••00", "+• ••• ••• ••00")
    assert mask_fact(order) is order
    assert mask_fact(email, contact_details=False) is email
    assert "4242424242424242" not in mask_fact(leaky, contact_details=False).value
    assert "4242 4242 4242 4242" not in mask_fact(leaky, contact_details=False).text


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "field"), [(mask_cards, "text"), (mask_contact_details, "text"), (luhn_valid, "digits")]
)
def test_text_functions_reject_non_text(function: object, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        function(b"4242424242424242")  # type: ignore[operator]
    assert err.value.field == field


def test_mask_fact_rejects_what_is_not_a_fact() -> None:
    with pytest.raises(ValidationError) as err:
        mask_fact("4242424242424242")  # type: ignore[arg-type]
    assert err.value.field == "fact"


def test_a_body_cut_to_its_limit_after_masking_is_masked_again() -> None:
    """Masking a card lengthens the text; cutting it back to the limit can leave the first
    sixteen digits of a longer number, which are a card on their own."""
    tail = "4111111111111111010"  # 19 digits: no card, but its first 16 are one
    assert not luhn_valid(tail) and luhn_valid(tail[:16])
    body = "4242424242424242 " + "x" * (MAX_BODY_CHARS - 17 - 20) + " " + tail
    inbound = Inbound(channel="chat", identity="email:ana@example.com", body=body, at=AT)
    masked, kinds = mask_inbound(inbound)
    assert len(masked.body) <= MAX_BODY_CHARS
    assert "4111111111111111" not in masked.body and masked.body.endswith(" •••• •••• •••• 1")
    assert mask_secrets(masked.body) == masked.body and kinds == ("card number",)


@pytest.mark.parametrize(
    "text",
    ["< 4111 1111 1111 1111 >", "<4111111111111111>", "a <b 4111-1111-1111-1111> c", "x < 0000000000000 > y"],
)
def test_a_card_inside_what_reads_as_a_tag_is_masked(text: str) -> None:
    """Detection reads a tag as one space (cards split by ``<br>`` are found); a card
    between angle brackets is found as well, the brackets read as written."""
    for masked in (mask_cards(text), mask_secrets(text), mask_contact_details(text)):
        assert luhn_windows(masked) == [] and "••••" in masked
    assert sensitive_reasons(text) == ("card number",)
