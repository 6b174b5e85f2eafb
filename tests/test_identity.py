"""Identity parsing and normalization: the only way two messages become one person."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.errors import ValidationError
from handoff.identity import Identity, _normalize_phone_strict, parse_identity, register_identity_kind


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("email:Ana@Example.COM", "email:ana@example.com"),
        ("  email:ana@example.com ", "email:ana@example.com"),
        ("ana@example.com", "email:ana@example.com"),
        ("phone:+1 (415) 555-0100", "phone:+14155550100"),
        ("phone:+14155550100", "phone:+14155550100"),
        ("+44 20 7946 0958", "phone:+442079460958"),
        ("twitter:@Ana_K", "twitter:@ana_k"),
        ("twitter:Ana_K", "twitter:@ana_k"),
        ("messenger:1234567890", "messenger:1234567890"),
        ("instagram:1234567890", "instagram:1234567890"),
        ("EMAIL:ana@example.com", "email:ana@example.com"),
    ],
)
def test_normalizes(raw: str, expected: str) -> None:
    assert str(parse_identity(raw)) == expected


def test_national_phone_needs_region() -> None:
    with pytest.raises(ValidationError) as err:
        parse_identity("phone:(415) 555-0100")
    assert err.value.field == "identity"
    assert "default_region" in str(err.value)
    assert str(parse_identity("phone:(415) 555-0100", "US")) == "phone:+14155550100"


def test_sms_and_whatsapp_formats_are_one_identity() -> None:
    assert parse_identity("phone:+1 (415) 555-0100") == parse_identity("phone:+14155550100")


def test_scoped_ids_of_different_kinds_never_match() -> None:
    assert parse_identity("messenger:1234567890") != parse_identity("instagram:1234567890")
    assert parse_identity("messenger:14155550100") != parse_identity("phone:+14155550100")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "email:",
        "email:not-an-address",
        "phone:hello",
        "zz:whatever",
        "justtext",
        "twitter:a b",
        "phone:+1",
    ],
)
def test_rejects_malformed(raw: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_identity(raw)
    assert err.value.field == "identity"


@pytest.mark.parametrize("raw", [None, 42, b"email:a@b.co", ["email:a@b.co"]])
def test_rejects_non_text(raw: object) -> None:
    with pytest.raises(ValidationError):
        parse_identity(raw)  # type: ignore[arg-type]


def test_strict_phone_fallback_without_phonenumbers() -> None:
    assert _normalize_phone_strict("+1 (415) 555-0100") == "+14155550100"
    assert _normalize_phone_strict("0044 20 7946 0958") == "+442079460958"
    with pytest.raises(ValidationError, match="handoff\\[phone\\]"):
        _normalize_phone_strict("(415) 555-0100")


def test_register_kind() -> None:
    register_identity_kind("zzcrm", lambda value, _region: value.strip().upper(), replace=True)
    assert parse_identity("zzcrm: ab12 ") == Identity("zzcrm", "AB12")
    with pytest.raises(ValidationError):
        register_identity_kind("zzcrm", lambda value, _region: value)
    with pytest.raises(ValidationError):
        register_identity_kind("Bad Kind", lambda value, _region: value)


def test_masked_hides_most_of_the_value() -> None:
    assert "ana" not in parse_identity("email:ana.k@example.com").masked()
    assert "555" not in parse_identity("phone:+14155550100").masked()


local = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,15}", fullmatch=True)
domain = st.from_regex(r"[A-Za-z0-9-]{1,12}\.[A-Za-z]{2,6}", fullmatch=True)


@given(local, domain)
def test_email_normalization_is_idempotent_and_case_insensitive(user: str, host: str) -> None:
    once = parse_identity(f"email:{user}@{host}")
    assert parse_identity(str(once)) == once
    assert parse_identity(f"email:{user.upper()}@{host.upper()}") == once


@given(st.sampled_from(["1415555", "4420794", "4930123", "3314567", "8190123"]), st.integers(1000, 9999))
def test_phone_normalization_is_idempotent(prefix: str, tail: int) -> None:
    once = parse_identity(f"phone:+{prefix}{tail}")
    assert once.value.startswith("+")
    assert parse_identity(str(once)) == once


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_arbitrary_text_never_escapes_as_another_error(text: str) -> None:
    try:
        identity = parse_identity(text)
    except ValidationError:
        return
    assert parse_identity(str(identity)) == identity
