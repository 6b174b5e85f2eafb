"""The one masking step: secrets however they are written, and nothing else of the text."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff import Inbound
from handoff.errors import ValidationError
from handoff.masking import SECRET_KINDS, mask_inbound, mask_secrets, secrets_masked
from handoff.sensitivity import sensitive_reasons
from tests.cards import any_text, luhn_windows, written_cards

AT = datetime(2025, 3, 14, 9, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "expected", "kinds"),
    [
        ("card 4111 1111 1111 1111 ok", "card •••• •••• •••• 1111 ok", ("card number",)),
        ("４１１１ １１１１ １１１１ １１１１", "•••• •••• •••• 1111", ("card number",)),
        ("pay 4111\u00a01111\u00a01111\u00a01111.", "pay •••• •••• •••• 1111.", ("card number",)),
        ("4111\u200b1111\u200b1111\u200b1111", "•••• •••• •••• 1111", ("card number",)),
        (
            "4111.1111.1111.1111 and 4111/1111/1111/1111",
            "•••• •••• •••• 1111 and •••• •••• •••• 1111",
            ("card number",),
        ),
        ("card:\n4111 1111\n1111 1111\nthanks", "card:\n•••• •••• •••• 1111\nthanks", ("card number",)),
        (
            "<td>4111</td><td>1111</td><td>1111</td><td>1111</td>",
            "<td>•••• •••• •••• 1111</td>",
            ("card number",),
        ),
        ("4111&nbsp;1111&nbsp;1111&nbsp;1111", "•••• •••• •••• 1111", ("card number",)),
        ("my cvv is 123", "my cvv is [redacted]", ("credentials",)),
        ("CVC2: 987, exp 12/27", "CVC2: [redacted], exp 12/27", ("credentials",)),
        ("security code: 4321", "security code: [redacted]", ("credentials",)),
        ("my PIN is 2468", "my PIN is [redacted]", ("credentials",)),
        ("password: hunter2", "password: [redacted]", ("credentials",)),
        ("Password = 'c0rrect horse'", "Password = [redacted] horse'", ("credentials",)),
        ("my password is hunter2. Thanks", "my password is [redacted] Thanks", ("credentials",)),
        ("IBAN DE89 3704 0044 0532 0130 00 thanks", "IBAN DE•• •••• 3000 thanks", ("bank account",)),
        ("iban gb29nwbk60161331926819", "iban GB•• •••• 6819", ("bank account",)),
        (
            "card 4111111111111111 cvv 123 password: x",
            "card •••• •••• •••• 1111 cvv [redacted] password: [redacted]",
            ("card number", "credentials"),
        ),
    ],
)
def test_secrets_are_masked_and_named(text: str, expected: str, kinds: tuple[str, ...]) -> None:
    assert secrets_masked(text) == (expected, kinds)
    assert mask_secrets(expected) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 55512 arrived on 2025-03-12",
        "call me at +1 415 555 0100",
        "my pin is in the mail",
        "please reset my password",
        "the password field is empty",
        "IBAN DE89 3704 0044 0532 0130 02 (a typo: the check fails)",
        "4111 1111 1111 1112 is not a card",
        "Ana Kovač, ４ items, ٣ days",
        "passenger 12, cider 123",
    ],
)
def test_what_is_no_secret_stays_as_written(text: str) -> None:
    assert secrets_masked(text) == (text, ())


# Written characters detection must see through, and the characters that may sit between groups.
_FILLER = st.sampled_from(["\u200b", "\u00ad", "\u2060", "\ufeff", ""])
_SEPARATOR = st.sampled_from(
    [" ", "-", ".", "/", "\n", "\r\n", "\u00a0", "\u2009", "\u202f", "&nbsp;", "<br>", " | "]
)


@st.composite
def disguised_cards(draw: st.DrawFn) -> tuple[str, str]:
    """(digits, as written): groups split by any separator, digits in any width, fillers anywhere."""
    digits, _ = draw(written_cards())
    sizes = draw(st.lists(st.integers(1, 6), min_size=1, max_size=19))
    groups, i = [], 0
    for size in sizes:
        if i >= len(digits):
            break
        groups.append(digits[i : i + size])
        i += size
    if i < len(digits):
        groups.append(digits[i:])
    wide = draw(st.booleans())
    out = []
    for n, group in enumerate(groups):
        if n:
            out.append(draw(_SEPARATOR))
        for d in group:
            out.append(chr(0xFF10 + int(d)) if wide else d)
            out.append(draw(_FILLER))
    return digits, "".join(out)


def _all_digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) for c in unicodedata.normalize("NFKC", text) if c.isdecimal())


@given(
    st.text(alphabet="abc xyz,!", max_size=20), disguised_cards(), st.text(alphabet="abc xyz,!", max_size=20)
)
@settings(max_examples=400)
def test_a_disguised_card_keeps_only_its_last_four(before: str, card: tuple[str, str], after: str) -> None:
    digits, written = card
    masked, kinds = secrets_masked(f"{before} {written} {after}")
    assert _all_digits(masked) == digits[-4:]
    assert masked.startswith(f"{before} ") and masked.endswith(f" {after}")
    assert kinds == ("card number",)


@given(st.one_of(any_text, st.text(max_size=200)))
@settings(max_examples=400)
def test_masking_is_idempotent_and_leaves_no_card(text: str) -> None:
    masked, kinds = secrets_masked(text)
    assert mask_secrets(masked) == masked
    assert luhn_windows(masked) == []
    assert set(kinds) <= set(SECRET_KINDS)
    assert (masked == text) == (kinds == ())


def test_every_text_of_an_inbound_is_masked_and_the_inbound_flagged() -> None:
    inbound = Inbound(
        channel="email",
        identity="email:ana@example.com",
        body="Hi, see below",
        at=AT,
        external_id="<4111111111111111@mail>",
        name="Ana 4111 1111 1111 1111",
        agent="bot password: hunter2",
        metadata={
            "subject": "Card 4111-1111-1111-1111",
            "quoted": "> my cvv is 123",
            "attachments": "scan_4111111111111111.pdf",
            "iban DE89370400440532013000": "x",
        },
    )
    masked, kinds = mask_inbound(inbound)
    assert kinds == ("card number", "credentials", "bank account")
    assert masked.sensitive
    assert masked.name == "Ana •••• •••• •••• 1111"
    assert masked.agent == "bot password: [redacted]"
    assert masked.metadata == {
        "subject": "Card •••• •••• •••• 1111",
        "quoted": "> my cvv is [redacted]",
        "attachments": "scan_•••• •••• •••• 1111.pdf",
        "iban DE•• •••• 3000": "x",
    }
    assert masked.external_id == inbound.external_id  # identifiers are not masked
    assert mask_inbound(masked) == (masked, ())


def test_an_inbound_without_secrets_comes_back_as_it_is() -> None:
    inbound = Inbound(channel="chat", identity="email:bo@example.com", body="Where is order 1042?", at=AT)
    assert mask_inbound(inbound) == (inbound, ())
    assert mask_inbound(inbound)[0] is inbound


def test_mask_inbound_refuses_what_is_not_an_inbound() -> None:
    with pytest.raises(ValidationError) as caught:
        mask_inbound("4111111111111111")  # type: ignore[arg-type]
    assert caught.value.field == "inbound"


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("IBAN DE•• •••• 3000", ("bank account",)),
        ("４１１１ １１１１ １１１１ １１１１", ("card number",)),
        ("my cvv is [redacted]", ("credentials",)),
    ],
)
def test_sensitive_reasons_see_secrets_masked_or_disguised(text: str, reasons: tuple[str, ...]) -> None:
    assert sensitive_reasons(text) == reasons
