"""Messenger and Instagram webhooks: what a developer behind the webhook relies on."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff.channels import get as get_channel
from handoff.errors import IngestError
from handoff.identity import parse_identity
from handoff.ingest import meta
from tests.fuzzing import cut_short, fuzz, json_values, keys_of, mutated, reads_or_rejects

FIXTURES = Path(__file__).parent / "fixtures" / "meta"
PERSON = "messenger:7104455667788990"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text("utf-8"))


ALL = sorted(path.name for path in FIXTURES.glob("*.json"))


def test_a_messenger_message_names_the_customer_by_page_scoped_id() -> None:
    first, second = meta.parse(fixture("messenger_text.json")).inbounds
    assert first.channel == "messenger"
    assert first.identity == PERSON
    assert first.author == "customer"
    assert first.external_id == "m_kettle-001"
    assert first.body == "Hi, my blender lid cracked."
    assert first.at == datetime(2024, 11, 13, 12, 13, 20, 120_000, tzinfo=UTC)
    assert second.thread_ref == ("m_page-100",)
    assert second.metadata["quick_reply_payload"] == "WARRANTY_CLAIM"


def test_attachments_are_labelled_and_their_urls_kept() -> None:
    files, location, sticker = meta.parse(fixture("messenger_attachments.json")).inbounds
    assert files.body == "Here it is: [image] [file: receipt.pdf]"
    assert files.metadata["attachment_urls"].splitlines() == [
        "https://cdn.example/lid.jpg",
        "https://cdn.example/receipt.pdf",
    ]
    assert location.body == "[location] (48.8566, 2.3522)"
    assert sticker.body == "[sticker]"


def test_an_echo_is_the_pages_own_message_to_the_recipient() -> None:
    (echo,) = meta.parse(fixture("messenger_echo.json")).inbounds
    assert echo.author == "agent"
    assert echo.identity == PERSON
    assert echo.external_id == "m_page-101"
    assert echo.metadata["app_id"] == "263902037430900"


def test_delivery_and_read_receipts_become_events() -> None:
    parsed = meta.parse(fixture("messenger_receipts.json"))
    assert parsed.inbounds == ()
    assert [(event.status, event.provider_id) for event in parsed.events] == [
        ("delivered", "m_page-101"),
        ("delivered", "m_page-102"),
        ("delivered", "watermark:1731500305000"),
        ("read", "watermark:1731500315000"),
    ]
    assert all(event.identity == PERSON and event.channel == "messenger" for event in parsed.events)
    assert "2024-11-13T12:18:35" in parsed.events[-1].detail


def test_postbacks_reactions_and_edits() -> None:
    parsed = meta.parse(fixture("messenger_actions.json"))
    titled, untitled, reaction, edit = parsed.inbounds
    assert titled.body == "Talk to a person"
    assert titled.metadata["postback_payload"] == "HANDOFF_HUMAN"
    assert titled.external_id == "m_kettle-020"
    assert untitled.body == "[button: MENU_ORDERS]"
    assert untitled.external_id == "postback:7104455667788990:1731500410000"
    assert (reaction.kind, reaction.body, reaction.thread_ref) == ("event", "reacted 😢", ("m_page-101",))
    assert edit.thread_ref == ("m_kettle-001",)
    assert edit.external_id != "m_kettle-001"
    assert [skipped.reason for skipped in parsed.skipped] == ["reaction removed"]


def test_notices_are_skipped_and_standby_messages_kept() -> None:
    parsed = meta.parse(fixture("messenger_notices.json"))
    (standby,) = parsed.inbounds
    assert standby.metadata["standby"] == "true"
    assert standby.body == "Still waiting for an answer"
    reasons = " | ".join(skipped.reason for skipped in parsed.skipped)
    for expected in ("opt-in", "referral", "handover", "does not know", "not direct messages"):
        assert expected in reasons


def test_instagram_messages_unsends_and_read_receipts() -> None:
    parsed = meta.parse(fixture("instagram_dm.json"))
    story, share, unsupported, echo = parsed.inbounds
    assert {inbound.channel for inbound in parsed.inbounds} == {"instagram"}
    assert story.identity == "instagram:7104455667788990"
    assert story.metadata["replied_to_story"] == "https://lookaside.example/story.mp4"
    assert share.body == "[share]"
    assert unsupported.body == "[unsupported message]"
    assert echo.author == "agent"
    unsent, read = parsed.events
    assert (unsent.status, unsent.provider_id) == ("retracted", "aWdfZAG1faXRlbTox")
    assert (read.status, read.provider_id) == ("read", "aWdfZAG1faXRlbTo5")


def test_page_scoped_ids_never_become_phones_or_each_other() -> None:
    messenger = meta.parse(fixture("messenger_text.json")).inbounds[0]
    instagram = meta.parse(fixture("instagram_dm.json")).inbounds[0]
    assert messenger.identity.split(":")[1] == instagram.identity.split(":")[1]
    assert parse_identity(messenger.identity) != parse_identity(instagram.identity)
    assert {parse_identity(messenger.identity).kind, parse_identity(instagram.identity).kind} == {
        "messenger",
        "instagram",
    }


def test_one_good_and_one_bad_event_yield_one_inbound_and_one_error() -> None:
    parsed = meta.parse(fixture("good_and_bad.json"))
    assert [inbound.external_id for inbound in parsed.inbounds] == ["m_kettle-040"]
    (error,) = parsed.errors
    assert error.field == "$.entry[0].messaging[1].timestamp"


def test_redelivery_gives_the_same_records() -> None:
    payload = fixture("messenger_actions.json")
    assert meta.parse(payload) == meta.parse(copy.deepcopy(payload))


def test_the_raw_request_body_is_accepted() -> None:
    raw = (FIXTURES / "instagram_dm.json").read_bytes()
    assert meta.parse(raw) == meta.parse(fixture("instagram_dm.json"))


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ("[1, 2]", "$"),
        ({"object": "whatsapp_business_account", "entry": []}, "$.object"),
        ({"object": "page"}, "$.entry"),
        ({"object": "instagram", "entry": "none"}, "$.entry"),
        (b"\x80", "$"),
    ],
)
def test_an_unreadable_envelope_is_an_ingest_error_naming_where(payload: object, field: str) -> None:
    with pytest.raises(IngestError) as caught:
        meta.parse(payload)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (
            {"recipient": {"id": "1"}, "timestamp": 1, "message": {"mid": "m"}},
            "$.entry[0].messaging[0].sender",
        ),
        (
            {"sender": {"id": "a b"}, "recipient": {"id": "1"}, "timestamp": 1, "message": {"mid": "m"}},
            "$.entry[0].messaging[0].sender.id",
        ),
        (
            {"sender": {"id": "1"}, "recipient": {"id": "2"}, "timestamp": 10**20, "message": {"mid": "m"}},
            "$.entry[0].messaging[0].timestamp",
        ),
        (
            {"sender": {"id": "1"}, "recipient": {"id": "2"}, "timestamp": 1, "delivery": {"mids": [7]}},
            "$.entry[0].messaging[0].delivery.mids[0]",
        ),
        (
            {"sender": {"id": "1"}, "recipient": {"id": "2"}, "timestamp": 1, "read": {}},
            "$.entry[0].messaging[0].read",
        ),
    ],
)
def test_a_bad_event_is_reported_with_its_path(event: dict[str, Any], field: str) -> None:
    parsed = meta.parse({"object": "page", "entry": [{"id": "1", "messaging": [event]}]})
    assert [error.field for error in parsed.errors] == [field]


@pytest.mark.parametrize("name", ALL)
def test_every_identity_is_normalized_and_reaches_its_channel(name: str) -> None:
    parsed = meta.parse(fixture(name))
    for inbound in parsed.inbounds:
        identity = parse_identity(str(inbound.identity))
        assert str(identity) == inbound.identity
        assert identity.kind in get_channel(inbound.channel).identity_kinds
        assert inbound.at.utcoffset() == timedelta(0)


# Signature checks: a known answer computed independently (openssl dgst -sha256 -hmac).
SIGNED_BODY = b'{"object":"page","entry":[]}'
SECRET = "kettle-secret-42"
SIGNATURE = "sha256=aa62b0c8ec94af944f1ec9d4f2a31e4e111b5ece502409cd465bf0fca83ae1bf"


def test_a_genuine_signature_verifies_and_a_tampered_body_does_not() -> None:
    assert meta.verify_signature(SIGNED_BODY, SIGNATURE, SECRET)
    assert not meta.verify_signature(SIGNED_BODY.replace(b"page", b"pagf"), SIGNATURE, SECRET)
    assert not meta.verify_signature(SIGNED_BODY, SIGNATURE, "another-secret")


# Fuzzing: hostile or broken payloads only ever raise IngestError.
ORIGINALS = [fixture(name) for name in ALL]
JSON = json_values(keys_of(ORIGINALS))
MUTATED = mutated(ORIGINALS, JSON)
RAW_BODIES = cut_short([(FIXTURES / name).read_bytes() for name in ALL])


def assert_reads_or_rejects(payload: object) -> None:
    parsed = reads_or_rejects(meta.parse, payload)
    for inbound in parsed.inbounds if parsed else ():
        assert not str(inbound.identity).startswith("phone:")


@fuzz()
@given(JSON)
def test_random_json_only_raises_ingest_errors(payload: object) -> None:
    assert_reads_or_rejects(payload)


@fuzz()
@given(st.sampled_from(["page", "instagram"]), JSON)
def test_random_events_inside_a_valid_envelope_only_raise_ingest_errors(kind: str, event: object) -> None:
    assert_reads_or_rejects({"object": kind, "entry": [{"id": "1", "messaging": [event]}]})


@fuzz()
@given(MUTATED)
def test_mutated_payloads_only_raise_ingest_errors(payload: object) -> None:
    assert_reads_or_rejects(payload)


@fuzz()
@given(RAW_BODIES)
def test_raw_bytes_only_raise_ingest_errors(payload: bytes) -> None:
    assert_reads_or_rejects(payload)
