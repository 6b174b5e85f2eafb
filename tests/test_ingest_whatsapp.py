"""WhatsApp Cloud API webhooks: what a developer behind the webhook relies on."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.channels import get as get_channel
from handoff.errors import IngestError
from handoff.identity import parse_identity
from handoff.ingest import whatsapp
from tests.fuzzing import cut_short, fuzz, json_values, keys_of, mutated, reads_or_rejects

FIXTURES = Path(__file__).parent / "fixtures" / "whatsapp"
CUSTOMER = "phone:+447700900123"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text("utf-8"))


ALL = sorted(path.name for path in FIXTURES.glob("*.json"))


def test_text_message_names_the_customer_by_phone_and_profile_name() -> None:
    parsed = whatsapp.parse(fixture("text_reply.json"))
    first = parsed.inbounds[0]
    assert first.channel == "whatsapp"
    assert first.identity == CUSTOMER
    assert first.name == "Imogen Achterberg"
    assert first.body == "My kettle stopped heating after two days."
    assert first.external_id == "wamid.kettle-0101"
    assert first.author == "customer"
    assert first.at == datetime(2024, 11, 12, 8, 26, 40, tzinfo=UTC)
    assert first.metadata["referral_headline"] == "Kettles that last"
    assert first.metadata["referral_ctwa_clid"] == "clid-778"


def test_reply_context_becomes_the_thread_reference() -> None:
    reply = whatsapp.parse(fixture("text_reply.json")).inbounds[1]
    assert reply.thread_ref == ("wamid.business-0042",)


def test_forwarded_messages_say_so() -> None:
    forwarded = whatsapp.parse(fixture("text_reply.json")).inbounds[2]
    assert forwarded.metadata["forwarded"] == "true"
    assert forwarded.thread_ref == ()


def test_media_keeps_captions_and_describes_what_has_none() -> None:
    parsed = whatsapp.parse(fixture("media.json"))
    bodies = [inbound.body for inbound in parsed.inbounds]
    assert bodies == [
        "[image] The base plate is scorched",
        "[document: receipt-KT-20931.pdf]",
        "[voice message]",
        "[video]",
        "[sticker]",
    ]
    image = parsed.inbounds[0]
    assert image.metadata["media_id"] == "771001"
    assert image.metadata["media_url"] == "https://lookaside.example/771001"
    assert parsed.inbounds[1].metadata["filename"] == "receipt-KT-20931.pdf"


def test_location_and_shared_contacts_are_readable() -> None:
    location, card = whatsapp.parse(fixture("location_contacts.json")).inbounds
    assert "Riverside Depot, 12 Wharf Lane, London" in location.body
    assert location.metadata["latitude"] == "51.5033"
    assert card.body == "[contact] Priya Natarajan +44 7700 900456; Tom Okafor"


def test_interactive_replies_read_as_what_the_customer_chose() -> None:
    button, listed, quick, form, order = whatsapp.parse(fixture("interactive.json")).inbounds
    assert button.body == "Send a replacement"
    assert button.metadata["reply_id"] == "send-replacement"
    assert button.thread_ref == ("wamid.business-0050",)
    assert listed.body == "Tuesday morning — 08:00 to 12:00"
    assert quick.body == "Stop promotions"
    assert quick.metadata["button_payload"] == "STOP_PROMOS"
    assert form.metadata["response_json"] == '{"rating": "4"}'
    assert order.body == "[order] 1 × KETTLE-PRO, 2 × DESCALER — Please gift-wrap"


def test_a_reaction_is_an_event_on_the_message_reacted_to_and_removals_are_skipped() -> None:
    parsed = whatsapp.parse(fixture("reactions.json"))
    (reaction,) = parsed.inbounds
    assert reaction.kind == "event"
    assert reaction.body == "reacted 👍"
    assert reaction.thread_ref == ("wamid.business-0051",)
    assert [skipped.reason for skipped in parsed.skipped] == ["reaction removed", "reaction removed"]


def test_unsupported_and_unknown_types_are_kept_with_a_placeholder() -> None:
    parsed = whatsapp.parse(fixture("unsupported.json"))
    poll, future, broken = parsed.inbounds
    assert poll.body == "[unsupported message: poll]"
    assert "131051" in poll.metadata["wa_errors"]
    assert future.body == "[hologram message]"
    assert future.metadata["wa_type"] == "hologram"
    assert broken.body == "[interactive message]"
    (reported,) = parsed.skipped
    assert reported.path == "$.entry[0].changes[0].value.errors[0]"
    assert "131000" in reported.reason


def test_an_edit_refers_to_the_original_and_a_deletion_retracts_it() -> None:
    parsed = whatsapp.parse(fixture("edit_revoke.json"))
    (edit,) = parsed.inbounds
    assert edit.body == "Order KT-20931, bought in April."
    assert edit.thread_ref == ("wamid.kettle-0102",)
    assert edit.external_id == "wamid.kettle-0701"
    (deleted,) = parsed.events
    assert (deleted.status, deleted.provider_id, deleted.identity) == (
        "retracted",
        "wamid.kettle-0103",
        CUSTOMER,
    )


def test_statuses_become_delivery_events() -> None:
    parsed = whatsapp.parse(fixture("statuses.json"))
    summary = [(event.status, event.provider_id) for event in parsed.events]
    assert summary[:4] == [
        ("sent", "wamid.business-0060"),
        ("delivered", "wamid.business-0060"),
        ("read", "wamid.business-0060"),
        ("read", "wamid.business-0061"),
    ]
    assert all(event.provider == "whatsapp" and event.channel == "whatsapp" for event in parsed.events)
    assert parsed.events[0].identity == CUSTOMER
    assert parsed.events[3].detail == "voice message played"


def test_a_re_engagement_failure_says_what_to_do() -> None:
    failed = whatsapp.parse(fixture("statuses.json")).events[4]
    assert failed.status == "failed"
    assert failed.error_code == "131047"
    assert "24 hours" in failed.detail
    assert "template" in failed.detail


def test_a_marketing_opt_out_does_not_withdraw_consent() -> None:
    parsed = whatsapp.parse(fixture("statuses.json"))
    marketing = parsed.events[5]
    assert marketing.status == "failed"
    assert marketing.error_code == "131050"
    assert all(event.status != "opted_out" for event in parsed.events)


def test_group_statuses_name_no_customer_and_unknown_statuses_are_skipped() -> None:
    parsed = whatsapp.parse(fixture("statuses.json"))
    assert parsed.events[6].identity is None
    (unknown,) = parsed.skipped
    assert "warped" in unknown.reason


def test_a_finished_call_is_a_call_interaction_with_its_duration() -> None:
    parsed = whatsapp.parse(fixture("calls.json"))
    incoming, outgoing = parsed.inbounds
    assert incoming.kind == "call"
    assert incoming.channel == "whatsapp"
    assert incoming.author == "customer"
    assert incoming.identity == CUSTOMER
    assert incoming.at == datetime.fromtimestamp(1731401005, UTC)
    assert incoming.metadata["duration_seconds"] == "185"
    assert "3 min 5 s" in incoming.body
    assert outgoing.author == "agent"
    assert outgoing.identity == "phone:+4915112345678"
    assert outgoing.metadata["call_status"] == "failed"
    assert {skipped.path.rsplit(".", 1)[-1] for skipped in parsed.skipped} == {"calls[0]", "statuses[0]"}


def test_business_app_echoes_are_agent_messages_to_the_customer() -> None:
    parsed = whatsapp.parse(fixture("echoes.json"))
    (echo,) = parsed.inbounds
    assert echo.author == "agent"
    assert echo.identity == CUSTOMER
    (retracted,) = parsed.events
    assert retracted.provider_id == "wamid.business-0070"
    assert "business" in retracted.detail


def test_an_echo_that_lists_the_business_as_recipient_still_finds_the_customer() -> None:
    payload = fixture("echoes.json")
    echo = payload["entry"][0]["changes"][0]["value"]["message_echoes"][0]
    echo["from"], echo["to"] = echo["to"], echo["from"]
    assert whatsapp.parse(payload).inbounds[0].identity == CUSTOMER


def test_system_notices_and_preferences_are_skipped_with_the_reason() -> None:
    parsed = whatsapp.parse(fixture("system.json"))
    assert parsed.inbounds == ()
    reasons = [skipped.reason for skipped in parsed.skipped]
    assert any("phone:+447700900999" in reason for reason in reasons)
    assert any("opened the chat" in reason for reason in reasons)
    assert any("'stop'" in reason for reason in reasons)
    assert any("message_template_status_update" in reason for reason in reasons)


def test_one_good_and_one_bad_message_yield_one_inbound_and_one_error() -> None:
    parsed = whatsapp.parse(fixture("good_and_bad.json"))
    assert [inbound.external_id for inbound in parsed.inbounds] == ["wamid.kettle-0901"]
    (error,) = parsed.errors
    assert error.field == "$.entry[0].changes[0].value.messages[1].timestamp"


def test_messages_come_out_in_time_order_across_entries() -> None:
    parsed = whatsapp.parse(fixture("two_entries.json"))
    assert [inbound.external_id for inbound in parsed.inbounds] == ["wamid.kettle-1001", "wamid.kettle-1002"]
    assert parsed.inbounds[1].name == "Jonas Brandt"


def test_redelivery_gives_the_same_records() -> None:
    payload = fixture("media.json")
    assert whatsapp.parse(payload) == whatsapp.parse(copy.deepcopy(payload))


def test_the_raw_request_body_is_accepted() -> None:
    raw = (FIXTURES / "text_reply.json").read_bytes()
    assert whatsapp.parse(raw) == whatsapp.parse(fixture("text_reply.json"))


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "$"),
        ({"object": "page", "entry": []}, "$.object"),
        ({"object": "whatsapp_business_account"}, "$.entry"),
        ({"object": "whatsapp_business_account", "entry": {}}, "$.entry"),
        (b"\xff\xfe{", "$"),
        (b'{"object": "whatsapp_business_account", "entry": [', "$"),
    ],
)
def test_an_unreadable_envelope_is_an_ingest_error_naming_where(payload: object, field: str) -> None:
    with pytest.raises(IngestError) as caught:
        whatsapp.parse(payload)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_bad_change_is_reported_and_the_others_are_read() -> None:
    payload = fixture("text_reply.json")
    payload["entry"][0]["changes"].insert(0, {"field": "messages", "value": "oops"})
    parsed = whatsapp.parse(payload)
    assert len(parsed.inbounds) == 3
    assert [error.field for error in parsed.errors] == ["$.entry[0].changes[0].value"]


@pytest.mark.parametrize("name", ALL)
def test_every_identity_is_normalized_and_reaches_its_channel(name: str) -> None:
    parsed = whatsapp.parse(fixture(name))
    for inbound in parsed.inbounds:
        identity = parse_identity(str(inbound.identity))
        assert str(identity) == inbound.identity
        assert identity.kind in get_channel(inbound.channel).identity_kinds
        assert inbound.at.utcoffset() == timedelta(0)


# Signature checks: a known answer computed independently (openssl dgst -sha256 -hmac).
SIGNED_BODY = b'{"object":"whatsapp_business_account","entry":[]}'
SECRET = "kettle-secret-42"
SIGNATURE = "sha256=2607830e69f12c0e8ea710f300ececbf3d78cbb66106c0626a5e6ca1be0c74c9"


def test_a_genuine_signature_verifies() -> None:
    assert whatsapp.verify_signature(SIGNED_BODY, SIGNATURE, SECRET)
    assert whatsapp.verify_signature(SIGNED_BODY, SIGNATURE.upper().replace("SHA256=", "sha256="), SECRET)


@pytest.mark.parametrize(
    ("body", "header", "secret"),
    [
        (SIGNED_BODY + b" ", SIGNATURE, SECRET),
        (SIGNED_BODY, SIGNATURE, SECRET + "x"),
        (SIGNED_BODY, SIGNATURE.removeprefix("sha256="), SECRET),
        (SIGNED_BODY, "sha1=" + SIGNATURE.removeprefix("sha256="), SECRET),
        (SIGNED_BODY, SIGNATURE[:-1], SECRET),
        (SIGNED_BODY, "", SECRET),
    ],
)
def test_anything_else_does_not(body: bytes, header: str, secret: str) -> None:
    assert not whatsapp.verify_signature(body, header, secret)


def test_signature_misuse_is_an_ingest_error() -> None:
    with pytest.raises(IngestError, match="bytes"):
        whatsapp.verify_signature(SIGNED_BODY.decode(), SIGNATURE, SECRET)  # type: ignore[arg-type]
    with pytest.raises(IngestError, match="app secret"):
        whatsapp.verify_signature(SIGNED_BODY, SIGNATURE, "")


@given(
    header=st.text(max_size=80),
    secret=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=20),
)
@settings(max_examples=100, deadline=None)
def test_signature_checks_never_raise_on_hostile_headers(header: str, secret: str) -> None:
    result = whatsapp.verify_signature(SIGNED_BODY, header, secret)
    assert result is False or header.strip().lower().startswith("sha256=")


# Fuzzing: hostile or broken payloads only ever raise IngestError.
ORIGINALS = [fixture(name) for name in ALL]
JSON = json_values(keys_of(ORIGINALS))
MUTATED = mutated(ORIGINALS, JSON)
RAW_BODIES = cut_short([(FIXTURES / name).read_bytes() for name in ALL])


def assert_reads_or_rejects(payload: object) -> None:
    reads_or_rejects(whatsapp.parse, payload)


@fuzz()
@given(JSON)
def test_random_json_only_raises_ingest_errors(payload: object) -> None:
    assert_reads_or_rejects(payload)


@fuzz()
@given(
    JSON.map(
        lambda value: {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}
    )
)
def test_random_values_inside_a_valid_envelope_only_raise_ingest_errors(payload: object) -> None:
    assert_reads_or_rejects(payload)


@fuzz()
@given(MUTATED)
def test_mutated_payloads_only_raise_ingest_errors(payload: object) -> None:
    assert_reads_or_rejects(payload)


@fuzz()
@given(RAW_BODIES)
def test_raw_bytes_only_raise_ingest_errors(payload: bytes) -> None:
    assert_reads_or_rejects(payload)
