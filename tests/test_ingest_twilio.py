"""Twilio ingestion: SMS/MMS/WhatsApp webhooks, status callbacks, calls, and signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.clock import FixedClock
from handoff.errors import IngestError
from handoff.events import Inbound
from handoff.ingest import twilio
from handoff.ingest.base import DeliveryEvent, Parsed
from tests.fuzzing import fuzz_examples, json_values, mutated, reads_or_rejects

FIXTURES = Path(__file__).parent / "fixtures" / "twilio"
RECEIVED = datetime(2024, 7, 9, 16, 5, tzinfo=UTC)
CUSTOMER = "phone:+14155550123"


def form(name: str, **changes: str | None) -> dict[str, str]:
    fields: dict[str, str] = json.loads((FIXTURES / f"{name}.json").read_text())
    for key, value in changes.items():
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    return fields


def parse(fields: dict[str, str]) -> Parsed:
    return twilio.parse(fields, received_at=RECEIVED)


def only_inbound(parsed: Parsed) -> Inbound:
    assert parsed.errors == ()
    assert parsed.skipped == ()
    assert len(parsed.inbounds) == 1
    return parsed.inbounds[0]


def only_event(parsed: Parsed) -> DeliveryEvent:
    assert parsed.inbounds == ()
    assert parsed.errors == ()
    assert len(parsed.events) == 1
    return parsed.events[0]


# -- inbound messages ------------------------------------------------------------------------


def test_an_inbound_sms_is_a_customer_message_from_the_phone() -> None:
    inbound = only_inbound(parse(form("sms_inbound")))

    assert inbound.channel == "sms"
    assert inbound.identity == CUSTOMER
    assert inbound.body == "Hi, my package 88231 never arrived"
    assert inbound.external_id == "SM5d1c0a2f8e7b6a5948372615a4b3c2d1"
    assert inbound.author == "customer"
    assert inbound.at == RECEIVED
    assert inbound.metadata["to"] == "+14155550100"
    assert inbound.metadata["from_country"] == "US"


def test_an_mms_keeps_its_media_urls_and_types() -> None:
    inbound = only_inbound(parse(form("mms_inbound")))

    assert inbound.body == ""
    assert inbound.metadata["num_media"] == "2"
    assert inbound.metadata["media_url_0"].endswith("/Media/ME0001")
    assert inbound.metadata["media_type_0"] == "image/jpeg"
    assert inbound.metadata["media_url_1"].endswith("/Media/ME0002")
    assert inbound.metadata["media_type_1"] == "image/png"


def test_a_media_url_missing_for_num_media_is_reported_and_the_message_kept() -> None:
    parsed = parse(form("mms_inbound", MediaUrl1=None))

    (inbound,) = parsed.inbounds
    assert "media_url_0" in inbound.metadata
    assert "media_url_1" not in inbound.metadata
    (error,) = parsed.errors
    assert error.field == "$.MediaUrl1"


def test_a_whatsapp_message_is_on_the_whatsapp_channel_with_the_same_phone_identity() -> None:
    inbound = only_inbound(parse(form("whatsapp_inbound")))

    assert inbound.channel == "whatsapp"
    assert inbound.identity == "phone:+447700900123"
    assert inbound.name == "Adaeze"
    assert inbound.metadata["wa_id"] == "447700900123"


def test_sms_and_whatsapp_from_one_number_share_one_identity() -> None:
    sms = only_inbound(parse(form("sms_inbound")))
    whatsapp = only_inbound(parse(form("whatsapp_inbound", From="whatsapp:+14155550123")))

    assert sms.identity == whatsapp.identity == CUSTOMER
    assert {sms.channel, whatsapp.channel} == {"sms", "whatsapp"}


def test_a_shared_location_becomes_readable_text() -> None:
    inbound = only_inbound(parse(form("whatsapp_location")))

    assert inbound.body == "Home (51.5014, -0.1419)"
    assert inbound.metadata["latitude"] == "51.5014"
    assert inbound.metadata["address"] == "Westminster, London"


def test_a_button_reply_is_threaded_to_the_message_it_answers() -> None:
    inbound = only_inbound(parse(form("whatsapp_reply")))

    assert inbound.body == "Yes, reschedule"
    assert inbound.metadata["button_payload"] == "reschedule_yes"
    assert inbound.thread_ref == ("MMaaaabbbbccccddddeeeeffff00001111",)


def test_a_missing_body_is_an_empty_message() -> None:
    inbound = only_inbound(parse(form("sms_inbound", Body=None)))

    assert inbound.body == ""


@pytest.mark.parametrize(("field", "path"), [("From", "$.From"), ("MessageSid", "$.MessageSid")])
def test_a_missing_required_field_is_named(field: str, path: str) -> None:
    fields = form("sms_inbound", **{field: None})
    fields.pop("SmsMessageSid")
    fields.pop("SmsSid")

    with pytest.raises(IngestError) as caught:
        parse(fields)

    assert caught.value.field == path
    assert caught.value.problem == "missing"


def test_sms_message_sid_stands_in_for_message_sid() -> None:
    inbound = only_inbound(parse(form("sms_inbound", MessageSid=None)))

    assert inbound.external_id == "SM5d1c0a2f8e7b6a5948372615a4b3c2d1"


@pytest.mark.parametrize(
    ("sender", "hint"),
    [("14155550123", ""), (" 14155550123", "decoded as a space"), ("fax:+14155550123", "prefix")],
)
def test_a_sender_that_is_not_a_phone_is_refused(sender: str, hint: str) -> None:
    with pytest.raises(IngestError) as caught:
        parse(form("sms_inbound", From=sender))

    assert caught.value.field == "$.From"
    assert hint in caught.value.problem


@pytest.mark.parametrize("num_media", ["two", "-1", "21", "1e3"])
def test_a_bad_num_media_is_refused(num_media: str) -> None:
    with pytest.raises(IngestError) as caught:
        parse(form("mms_inbound", NumMedia=num_media))

    assert caught.value.field == "$.NumMedia"


# -- opt-outs --------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["STOP", "stop", " Stop. ", "unsubscribe", "QUIT", "StopAll", "revoke"])
def test_an_opt_out_keyword_keeps_the_message_and_records_the_opt_out(body: str) -> None:
    parsed = parse(form("sms_inbound", Body=body))

    (inbound,) = parsed.inbounds
    assert inbound.body == body
    (event,) = parsed.events
    assert event.status == "opted_out"
    assert event.identity == CUSTOMER
    assert event.channel == "sms"
    assert event.provider_id == inbound.external_id


@pytest.mark.parametrize(
    "body", ["please stop sending me this", "Don't stop", "STOP!!! now", "cancel my order"]
)
def test_a_sentence_mentioning_stop_is_not_an_opt_out(body: str) -> None:
    assert parse(form("sms_inbound", Body=body)).events == ()


def test_twilio_opt_out_type_is_honoured() -> None:
    parsed = parse(form("sms_stop"))

    (event,) = parsed.events
    assert event.status == "opted_out"
    assert event.identity == CUSTOMER


def test_stop_on_whatsapp_is_a_message_not_a_carrier_opt_out() -> None:
    parsed = parse(form("whatsapp_inbound", Body="STOP"))

    assert parsed.events == ()
    assert parsed.inbounds[0].body == "STOP"


# -- status callbacks ------------------------------------------------------------------------


def test_a_delivered_callback_is_a_delivery_event_for_the_sent_message() -> None:
    event = only_event(parse(form("status_delivered")))

    assert event.provider == "twilio"
    assert event.channel == "sms"
    assert event.status == "delivered"
    assert event.provider_id == "SMout00112233445566778899aabbccdd01"
    assert event.identity == CUSTOMER
    assert event.at == RECEIVED


def test_error_21610_means_the_customer_opted_out() -> None:
    event = only_event(parse(form("status_opted_out")))

    assert event.status == "opted_out"
    assert event.identity == CUSTOMER
    assert event.error_code == "21610"


def test_an_opt_out_callback_without_the_recipient_is_refused() -> None:
    with pytest.raises(IngestError) as caught:
        parse(form("status_opted_out", To=None))

    assert caught.value.field == "$.To"


def test_error_63016_is_the_whatsapp_window_not_an_opt_out() -> None:
    event = only_event(parse(form("status_whatsapp_window")))

    assert event.status == "failed"
    assert event.channel == "whatsapp"
    assert event.error_code == "63016"
    assert "24-hour" in event.detail


def test_undelivered_is_a_failure_with_its_code() -> None:
    event = only_event(parse(form("status_undelivered")))

    assert event.status == "failed"
    assert event.error_code == "30007"
    assert event.detail


def test_a_whatsapp_read_receipt_is_a_read_event() -> None:
    event = only_event(parse(form("status_whatsapp_read")))

    assert event.status == "read"
    assert event.channel == "whatsapp"
    assert event.identity == "phone:+447700900123"


@pytest.mark.parametrize("status", ["queued", "accepted", "sending", "scheduled"])
def test_interim_statuses_are_skipped(status: str) -> None:
    parsed = parse(form("status_queued", MessageStatus=status, SmsStatus=status))

    assert parsed.events == ()
    (skip,) = parsed.skipped
    assert status in skip.reason


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(IngestError) as caught:
        parse(form("status_delivered", MessageStatus="teleported"))

    assert caught.value.field == "$.MessageStatus"


# -- calls -----------------------------------------------------------------------------------


def test_a_completed_call_is_a_phone_interaction_with_its_duration() -> None:
    inbound = only_inbound(parse(form("voice_completed")))

    assert inbound.channel == "phone"
    assert inbound.kind == "call"
    assert inbound.identity == CUSTOMER
    assert inbound.body == "Call completed (2 min 3 s)"
    assert inbound.metadata["duration_s"] == "123"
    assert inbound.external_id == "CA7e6d5c4b3a29180716253443526170ab"
    assert inbound.at == datetime(2024, 7, 9, 16, 5, 3, tzinfo=UTC)  # Twilio's Timestamp


def test_a_ringing_call_is_recorded_at_once_under_its_own_id() -> None:
    ringing = only_inbound(parse(form("voice_ringing")))
    completed = only_inbound(parse(form("voice_completed")))

    assert ringing.kind == "call"
    assert ringing.body == "Incoming call (ringing)"
    assert ringing.name == "LOPEZ CARMEN"
    assert ringing.external_id == f"{completed.external_id}:start"
    assert ringing.metadata["call_sid"] == completed.metadata["call_sid"]


def test_an_unanswered_call_is_still_an_interaction() -> None:
    inbound = only_inbound(parse(form("voice_no_answer")))

    assert inbound.body == "Call not answered"
    assert inbound.identity == "phone:+447700900123"


def test_an_outbound_call_is_the_agent_calling_the_customer() -> None:
    inbound = only_inbound(parse(form("voice_outbound_completed")))

    assert inbound.author == "agent"
    assert inbound.identity == CUSTOMER
    assert inbound.body == "Call completed (1 h 2 min 5 s)"


def test_an_outbound_call_in_progress_waits_for_its_end() -> None:
    parsed = parse(form("voice_outbound_completed", CallStatus="ringing", CallDuration=None))

    assert parsed.inbounds == ()
    assert "recorded when it ends" in parsed.skipped[0].reason


def test_a_dialled_leg_of_another_call_is_skipped() -> None:
    parsed = parse(form("voice_outbound_completed", Direction="outbound-dial"))

    assert parsed.inbounds == ()
    assert parsed.skipped[0].path == "$.Direction"


@pytest.mark.parametrize("caller", ["+266696687", "Anonymous", "client:agent_mia", "sip:mia@pbx.example.com"])
def test_calls_without_a_customer_phone_are_skipped(caller: str) -> None:
    parsed = parse(form("voice_ringing", From=caller))

    assert parsed.inbounds == ()
    assert parsed.skipped[0].path == "$.From"


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"CallDuration": "2 minutes"}, "$.CallDuration"),
        ({"CallStatus": "exploded"}, "$.CallStatus"),
        ({"CallStatus": None}, "$.CallStatus"),
        ({"Timestamp": "yesterday"}, "$.Timestamp"),
        ({"From": None}, "$.From"),
    ],
)
def test_bad_call_fields_are_named(changes: dict[str, str | None], path: str) -> None:
    with pytest.raises(IngestError) as caught:
        parse(form("voice_completed", **changes))

    assert caught.value.field == path


# -- time --------------------------------------------------------------------------------------


def test_time_comes_from_the_clock_when_received_at_is_not_given() -> None:
    clock = FixedClock(datetime(2024, 7, 9, 18, 5, tzinfo=timezone(timedelta(hours=2))))

    inbound = only_inbound(twilio.parse(form("sms_inbound"), clock=clock))

    assert inbound.at == RECEIVED
    assert inbound.at.tzinfo == UTC


def test_received_at_is_converted_to_utc() -> None:
    local = RECEIVED.astimezone(timezone(timedelta(hours=-7)))

    assert only_inbound(twilio.parse(form("sms_inbound"), received_at=local)).at.tzinfo == UTC


def test_a_naive_received_at_is_refused() -> None:
    with pytest.raises(IngestError) as caught:
        twilio.parse(form("sms_inbound"), received_at=datetime(2024, 7, 9, 16, 5))

    assert caught.value.field == "received_at"


def test_redelivery_gives_the_same_record() -> None:
    assert parse(form("sms_inbound")) == parse(form("sms_inbound"))


# -- malformed forms -----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [None, "From=%2B1415", b"From=x", ["From", "+1"], 7])
def test_a_form_that_is_not_a_mapping_is_refused(payload: object) -> None:
    with pytest.raises(IngestError) as caught:
        twilio.parse(payload, received_at=RECEIVED)  # type: ignore[arg-type]

    assert caught.value.field == "$"


def test_parse_qs_lists_are_refused_with_a_hint() -> None:
    fields: dict[str, object] = dict(form("sms_inbound"))
    fields["Body"] = ["hello"]

    with pytest.raises(IngestError) as caught:
        twilio.parse(fields, received_at=RECEIVED)  # type: ignore[arg-type]

    assert caught.value.field == "$.Body"
    assert "parse_qs" in caught.value.problem


# -- signatures ----------------------------------------------------------------------------------

# Twilio's published known answer for its request validator.
KNOWN_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
KNOWN_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
KNOWN_TOKEN = "12345"
KNOWN_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def sign(url: str, params: dict[str, str], token: str) -> str:
    """Twilio's documented scheme, written out independently of the module under test."""
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def test_twilio_known_answer_signature_is_accepted() -> None:
    assert twilio.verify_signature(KNOWN_URL, KNOWN_PARAMS, KNOWN_SIGNATURE, KNOWN_TOKEN)


def test_independent_signer_agrees_with_the_known_answer() -> None:
    assert sign(KNOWN_URL, KNOWN_PARAMS, KNOWN_TOKEN) == KNOWN_SIGNATURE


@pytest.mark.parametrize(
    ("url", "params", "signature", "token"),
    [
        (KNOWN_URL, {**KNOWN_PARAMS, "Digits": "1235"}, KNOWN_SIGNATURE, KNOWN_TOKEN),
        (KNOWN_URL + "&baz=3", KNOWN_PARAMS, KNOWN_SIGNATURE, KNOWN_TOKEN),
        (KNOWN_URL, KNOWN_PARAMS, KNOWN_SIGNATURE, "54321"),
        (KNOWN_URL, KNOWN_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8", KNOWN_TOKEN),
        (KNOWN_URL, KNOWN_PARAMS, "", KNOWN_TOKEN),
        (KNOWN_URL.replace("https", "http"), KNOWN_PARAMS, KNOWN_SIGNATURE, KNOWN_TOKEN),
    ],
)
def test_any_change_invalidates_the_signature(
    url: str, params: dict[str, str], signature: str, token: str
) -> None:
    assert not twilio.verify_signature(url, params, signature, token)


def test_the_url_is_also_tried_with_and_without_its_port() -> None:
    with_port = KNOWN_URL.replace(".com", ".com:443")
    signed_with_port = sign(with_port, KNOWN_PARAMS, KNOWN_TOKEN)

    assert twilio.verify_signature(with_port, KNOWN_PARAMS, KNOWN_SIGNATURE, KNOWN_TOKEN)
    assert twilio.verify_signature(KNOWN_URL, KNOWN_PARAMS, signed_with_port, KNOWN_TOKEN)


def test_repeated_parameters_are_signed_sorted_and_deduplicated() -> None:
    params = {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234", "1234"]}
    data = KNOWN_URL + "Digits1234Digits5678SidCA123SidAccountAC123"
    expected = base64.b64encode(hmac.new(b"12345", data.encode(), hashlib.sha1).digest()).decode()

    assert twilio.verify_signature(KNOWN_URL, params, expected, KNOWN_TOKEN)


def test_a_json_body_is_checked_through_its_body_hash() -> None:
    body = '{"CallSid": "CA42", "Status": "ok"}'
    url = KNOWN_URL + "&bodySHA256=" + hashlib.sha256(body.encode()).hexdigest()
    signature = sign(url, {}, KNOWN_TOKEN)

    assert twilio.verify_signature(url, body, signature, KNOWN_TOKEN)
    assert twilio.verify_signature(url, body.encode(), signature, KNOWN_TOKEN)
    assert not twilio.verify_signature(url, body.replace("ok", "ko"), signature, KNOWN_TOKEN)
    assert not twilio.verify_signature(KNOWN_URL, body, sign(KNOWN_URL, {}, KNOWN_TOKEN), KNOWN_TOKEN)


def test_a_missing_signature_header_is_simply_not_valid() -> None:
    assert not twilio.verify_signature(KNOWN_URL, KNOWN_PARAMS, None, KNOWN_TOKEN)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "params", "token", "field"),
    [
        (KNOWN_URL, KNOWN_PARAMS, "", "auth_token"),
        (KNOWN_URL, KNOWN_PARAMS, None, "auth_token"),
        (None, KNOWN_PARAMS, KNOWN_TOKEN, "url"),
        (KNOWN_URL, 42, KNOWN_TOKEN, "params"),
        (KNOWN_URL, {"Digits": 5}, KNOWN_TOKEN, "params.Digits"),
    ],
)
def test_misuse_of_verify_signature_is_an_ingest_error(
    url: object, params: object, token: object, field: str
) -> None:
    with pytest.raises(IngestError) as caught:
        twilio.verify_signature(url, params, KNOWN_SIGNATURE, token)  # type: ignore[arg-type]

    assert caught.value.field == field


@settings(max_examples=fuzz_examples(), deadline=None)
@given(
    st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=6),
    st.text(max_size=60),
    st.text(min_size=1, max_size=20),
)
def test_signatures_made_by_the_documented_scheme_verify(
    params: dict[str, str], path: str, token: str
) -> None:
    url = "https://support.example.com/twilio/" + path
    signature = sign(url, params, token)

    assert twilio.verify_signature(url, params, signature, token)
    assert not twilio.verify_signature(url, {**params, "Injected": "1"}, signature, token)


@settings(max_examples=fuzz_examples(), deadline=None)
@given(st.text(max_size=200), st.one_of(st.text(max_size=50), st.binary(max_size=50)), st.text(max_size=40))
def test_verify_signature_never_raises_on_hostile_requests(
    url: str, body: str | bytes, signature: str
) -> None:
    result = twilio.verify_signature(url, body, signature, KNOWN_TOKEN)

    assert result is False


# -- untrusted input: only IngestError escapes ---------------------------------------------------

FIXTURE_NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))
TWILIO_KEYS = sorted({key for name in FIXTURE_NAMES for key in form(name)})


def check_parsed(parsed: Parsed) -> None:
    for inbound in parsed.inbounds:
        assert inbound.channel in ("sms", "whatsapp", "messenger", "phone")
        assert inbound.at.utcoffset() == timedelta(0)
        inbound.body.encode("utf-8")
        assert all(isinstance(v, str) for v in inbound.metadata.values())
    for event in parsed.events:
        assert event.at.utcoffset() == timedelta(0)
    for error in parsed.errors:
        assert error.field.startswith("$.")


def parse_untrusted(payload: object) -> None:
    """Parse, accepting only a sound Parsed or an IngestError that names a payload path."""
    parsed = reads_or_rejects(lambda fields: twilio.parse(fields, received_at=RECEIVED), payload)
    if parsed is not None:
        check_parsed(parsed)


JSON = json_values(text_size=20, key_size=8, dict_size=3, max_leaves=8)
FORMS = [form(name) for name in FIXTURE_NAMES]


@settings(max_examples=fuzz_examples(), deadline=None)
@given(JSON)
def test_random_json_values_raise_only_ingest_errors(payload: object) -> None:
    parse_untrusted(payload)


@settings(max_examples=fuzz_examples(), deadline=None)
@given(
    st.dictionaries(st.sampled_from(TWILIO_KEYS) | st.text(max_size=12), st.text(max_size=40), max_size=15)
)
def test_random_forms_raise_only_ingest_errors(fields: dict[str, str]) -> None:
    parse_untrusted(fields)


@settings(max_examples=fuzz_examples(), deadline=None)
@given(mutated(FORMS, JSON | st.text(max_size=30)))
def test_mutated_real_webhooks_raise_only_ingest_errors(fields: dict[str, object]) -> None:
    parse_untrusted(fields)


# -- <Gather> and <Record> callbacks ---------------------------------------------------------


def test_a_gather_callback_without_call_status_is_what_the_caller_keyed_in() -> None:
    inbound = only_inbound(parse(form("voice_gather_digits")))

    assert (inbound.channel, inbound.kind, inbound.author) == ("phone", "event", "customer")
    assert inbound.identity == CUSTOMER
    assert inbound.body == "Caller entered 2"
    assert inbound.external_id is not None
    assert inbound.external_id.startswith("CA5d0c1e2f3a4b5c6d7e8f9a0b1c2d3e4f:gather:")
    assert inbound.metadata["gather"] == "digits"
    again = only_inbound(parse(form("voice_gather_digits")))
    other = only_inbound(parse(form("voice_gather_digits", Digits="3")))
    assert again.external_id == inbound.external_id != other.external_id


def test_a_gather_callback_with_speech_is_what_the_caller_said() -> None:
    inbound = only_inbound(parse(form("voice_gather_speech")))

    assert inbound.body == "Caller said: I want to talk about my refund"
    assert inbound.metadata["confidence"] == "0.91"


def test_a_record_callback_is_a_voicemail() -> None:
    inbound = only_inbound(parse(form("voice_record_action")))

    assert (inbound.kind, inbound.body) == ("call", "Voicemail recorded (42 s)")
    assert (
        inbound.external_id
        == "CA5d0c1e2f3a4b5c6d7e8f9a0b1c2d3e4f:recording:RE0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    )
    assert inbound.metadata["recording_url"].endswith("RE0a1b2c3d4e5f60718293a4b5c6d7e8f9")


def test_a_recording_status_callback_names_no_caller_and_is_skipped() -> None:
    parsed = parse(form("voice_recording_status"))

    assert parsed.inbounds == ()
    assert parsed.errors == ()
    assert "RE0a1b2c3d4e5f60718293a4b5c6d7e8f9" in parsed.skipped[0].reason


def test_a_bad_recording_duration_is_named() -> None:
    with pytest.raises(IngestError) as caught:
        parse(form("voice_record_action", RecordingDuration="long"))

    assert caught.value.field == "$.RecordingDuration"


def test_form_fields_past_max_bytes_are_refused() -> None:
    fields = form("sms_inbound", Body="x" * 3000)
    with pytest.raises(IngestError) as caught:
        twilio.parse(fields, received_at=RECEIVED, max_bytes=2048)

    assert caught.value.field == "$"
    assert "max_bytes=2048" in caught.value.problem
    assert twilio.parse(fields, received_at=RECEIVED).inbounds
