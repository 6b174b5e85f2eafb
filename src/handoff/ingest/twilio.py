"""Twilio webhooks to :class:`~handoff.Inbound`: SMS, MMS and WhatsApp messages, message
status callbacks, and Voice call webhooks; plus Twilio's request signature check.

Pass the webhook's form fields as a mapping (``request.form`` in most frameworks).
Twilio sends no timestamp with messages, so the time is ``received_at`` when given,
else the current time of ``clock`` (the system clock by default), which is right
inside a webhook handler; pass ``received_at`` when replaying stored webhooks.

Calls: a ringing or answered inbound call is recorded at once, as
``<CallSid>:start``, so the agent who picks up gets the journey's context while the
phone rings; the call's final status (completed, busy, no-answer...) is recorded as
``<CallSid>`` with its duration. Calls placed through the API (an agent calling the
customer) are recorded when they end; legs ``<Dial>``-led from another call are skipped,
since the call they belong to is the customer's interaction. A ``<Gather>`` callback
(``Digits`` or ``SpeechResult``, with or without ``CallStatus``) is an event of the call
saying what the caller keyed in or said; a ``<Record>`` callback (``RecordingSid`` or
``RecordingUrl``, before the call's final status) is a voicemail, recorded when it names
the caller, and a recording status callback, which does not, is reported in
``Parsed.skipped``.

Every function here takes untrusted input and raises only :class:`handoff.IngestError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from handoff.clock import Clock, SystemClock, ensure_aware
from handoff.errors import IngestError, ValidationError
from handoff.events import MAX_BODY_CHARS, Inbound
from handoff.identity import parse_identity
from handoff.ingest._limits import WEBHOOK_MAX_BYTES, check_limit, refuse_large_form
from handoff.ingest._twilio_fields import MAX_FIELD, form_metadata, required
from handoff.ingest._twilio_signature import verify_signature
from handoff.ingest._twilio_voice import read_call
from handoff.ingest.base import DeliveryEvent, DeliveryStatus, Parsed, Skipped

__all__ = ["parse", "verify_signature"]

_MAX_MEDIA = 20
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Address prefixes Twilio puts on non-SMS senders: channel, and identity kind of the rest.
_PREFIXES = {"whatsapp": ("whatsapp", "phone"), "messenger": ("messenger", "messenger")}
_MESSAGE_STATUSES: dict[str, DeliveryStatus | None] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "failed",
    "queued": None,
    "accepted": None,
    "scheduled": None,
    "sending": None,
    "canceled": None,
    "partially_delivered": None,
}
_INBOUND_STATUSES = frozenset({"received", "receiving"})
# 21610: "Attempt to send to unsubscribed recipient" -- the customer texted STOP.
# Not 63016 ("outside the allowed window"): that is WhatsApp's 24-hour rule, which a
# template message satisfies; the customer has not withdrawn consent.
_OPT_OUT_CODES = frozenset({"21610"})
_ERROR_DETAILS = {
    "21610": "recipient has opted out (replied STOP)",
    "21614": "not a mobile number",
    "30003": "unreachable destination handset",
    "30004": "message blocked",
    "30005": "unknown destination handset",
    "30006": "landline or unreachable carrier",
    "30007": "filtered by the carrier",
    "30008": "unknown error",
    "63016": "outside the WhatsApp 24-hour window; a template message is required",
}
# Twilio's default opt-out keywords, matched on the whole trimmed message as Twilio does.
_STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})


def parse(
    form: Mapping[str, str],
    *,
    received_at: datetime | None = None,
    clock: Clock | None = None,
    max_bytes: int = WEBHOOK_MAX_BYTES,
) -> Parsed:
    """Read one Twilio webhook: an inbound message, a status callback or a call.

    Form fields larger than ``max_bytes`` together (1 MB by default) are refused.
    """
    fields = _fields(form, check_limit(max_bytes, "max_bytes"))
    at = _time(received_at, clock)
    try:
        if "CallSid" in fields and not _message_sid(fields):
            return read_call(fields, at)
        status = (fields.get("MessageStatus") or fields.get("SmsStatus") or "").strip().lower()
        if status and status not in _INBOUND_STATUSES:
            return _status(fields, status, at)
        return _message(fields, at)
    except ValidationError as exc:
        if isinstance(exc, IngestError):
            raise
        raise IngestError(f"$.{exc.field}", exc.problem) from None


def _fields(form: object, max_bytes: int) -> dict[str, str]:
    if not isinstance(form, Mapping):
        raise IngestError(
            "$", f"expected the form fields as a mapping, got {type(form).__name__} (decode the body first)"
        )
    fields: dict[str, str] = {}
    try:
        items = list(form.items())
    except Exception as exc:  # a hostile Mapping implementation
        raise IngestError("$", f"cannot read the form fields ({type(exc).__name__})") from None
    refuse_large_form(dict(items), max_bytes)
    for key, value in items:
        if not isinstance(key, str):
            raise IngestError("$", f"field names must be text, got {type(key).__name__}")
        if not isinstance(value, str):
            hint = " (one value per field, not parse_qs lists)" if isinstance(value, (list, tuple)) else ""
            raise IngestError(f"$.{key}", f"expected text, got {type(value).__name__}{hint}")
        fields[key] = _CONTROL.sub("", value)
    return fields


def _time(received_at: datetime | None, clock: Clock | None) -> datetime:
    try:
        if received_at is not None:
            return ensure_aware(received_at, "received_at").astimezone(UTC)
        now = (clock or SystemClock()).now()
        return ensure_aware(now, "received_at").astimezone(UTC)
    except (ValidationError, OverflowError, AttributeError, TypeError) as exc:
        raise IngestError("received_at", getattr(exc, "problem", str(exc))) from None


def _message_sid(fields: Mapping[str, str]) -> str:
    return (fields.get("MessageSid") or fields.get("SmsMessageSid") or fields.get("SmsSid") or "").strip()


def _address(value: str, field: str) -> tuple[str, str]:
    """(channel, identity) of a Twilio address: ``+1...``, ``whatsapp:+1...``, ``messenger:...``."""
    prefix, sep, rest = value.partition(":")
    channel, kind, raw = "sms", "phone", value
    if sep:
        if prefix.strip().lower() not in _PREFIXES:
            raise IngestError(field, f"unknown address prefix {prefix[:20]!r}")
        (channel, kind), raw = _PREFIXES[prefix.strip().lower()], rest
    try:
        return channel, str(parse_identity(f"{kind}:{raw}"))
    except ValidationError as exc:
        hint = " ('+' decoded as a space? URL-decode the body once)" if raw[:1] == " " else ""
        raise IngestError(field, exc.problem + hint) from None


def _channel_of(address: str) -> str | None:
    prefix, sep, _ = address.strip().partition(":")
    found = _PREFIXES.get(prefix.lower()) if sep else None
    return found[0] if found else None


def _message(fields: dict[str, str], at: datetime) -> Parsed:
    """An inbound SMS, MMS or WhatsApp message (and an opt-out if it says STOP)."""
    sid = required(fields, "MessageSid", "SmsMessageSid", "SmsSid")
    required(fields, "From")
    channel, identity = _address(fields["From"], "$.From")
    metadata = form_metadata(
        fields,
        (
            ("To", "to"),
            ("AccountSid", "account_sid"),
            ("MessagingServiceSid", "messaging_service_sid"),
            ("WaId", "wa_id"),
            ("FromCountry", "from_country"),
            ("ButtonPayload", "button_payload"),
            ("Latitude", "latitude"),
            ("Longitude", "longitude"),
            ("Address", "address"),
            ("Label", "label"),
        ),
    )
    media, errors = _media(fields, metadata)
    body = fields.get("Body", "") or fields.get("ButtonText", "")
    if not body.strip() and "latitude" in metadata and "longitude" in metadata:
        place = fields.get("Label") or fields.get("Address") or "Location"
        body = f"{place} ({metadata['latitude']}, {metadata['longitude']})"
    if len(body) > MAX_BODY_CHARS:
        body, metadata["truncated"] = body[:MAX_BODY_CHARS], "true"
    if media:
        metadata["num_media"] = str(media)
    replied = fields.get("OriginalRepliedMessageSid", "").strip()
    inbound = Inbound(
        channel=channel,
        identity=identity,
        body=body,
        at=at,
        external_id=sid,
        name=(fields.get("ProfileName", "").strip()[:200] or None),
        thread_ref=(replied[:MAX_FIELD],) if replied else (),
        metadata=metadata,
    )
    events = []
    opt_out = fields.get("OptOutType", "").strip().upper() == "STOP"
    if opt_out or (channel == "sms" and body.strip().strip(".!").upper() in _STOP_WORDS):
        detail = "opt-out keyword" if not opt_out else "Twilio OptOutType STOP"
        events.append(DeliveryEvent("twilio", channel, "opted_out", sid, at, identity, None, detail))
    return Parsed(inbounds=[inbound], events=events, errors=errors)


def _media(fields: Mapping[str, str], metadata: dict[str, str]) -> tuple[int, list[IngestError]]:
    """Copy MediaUrlN/MediaContentTypeN into metadata; report (not drop) missing ones."""
    raw = fields.get("NumMedia", "").strip() or "0"
    if not raw.isdigit() or len(raw) > 3:
        raise IngestError("$.NumMedia", f"expected a whole number, got {raw[:20]!r}")
    count = int(raw)
    if count > _MAX_MEDIA:
        raise IngestError("$.NumMedia", f"at most {_MAX_MEDIA} media per message, got {count}")
    errors = []
    for i in range(count):
        url = fields.get(f"MediaUrl{i}", "").strip()
        if not url:
            errors.append(IngestError(f"$.MediaUrl{i}", f"missing, though NumMedia is {count}"))
            continue
        metadata[f"media_url_{i}"] = url[:MAX_FIELD]
        kind = fields.get(f"MediaContentType{i}", "").strip()
        if kind:
            metadata[f"media_type_{i}"] = kind[:MAX_FIELD]
    return count, errors


def _status(fields: dict[str, str], status: str, at: datetime) -> Parsed:
    """A message status callback: what happened to a message we sent."""
    sid = required(fields, "MessageSid", "SmsSid", "SmsMessageSid")
    field = "$.MessageStatus" if fields.get("MessageStatus") else "$.SmsStatus"
    if status not in _MESSAGE_STATUSES:
        raise IngestError(field, f"unknown message status {status[:40]!r}")
    code = fields.get("ErrorCode", "").strip()[:20] or None
    mapped = "opted_out" if code in _OPT_OUT_CODES else _MESSAGE_STATUSES[status]
    if mapped is None:
        return Parsed(skipped=[Skipped(field, f"interim status {status!r}; only outcomes are recorded")])
    recipient = fields.get("To", "").strip()
    identity = _address(recipient, "$.To")[1] if recipient else None
    channel = _channel_of(recipient) or _channel_of(fields.get("From", "")) or "sms"
    if mapped == "opted_out" and identity is None:
        raise IngestError("$.To", "missing; needed to record the opt-out")
    detail = fields.get("ErrorMessage", "").strip()[:500] or _ERROR_DETAILS.get(code or "", "")
    event = DeliveryEvent("twilio", channel, mapped, sid, at, identity, code, detail)
    return Parsed(events=[event])
