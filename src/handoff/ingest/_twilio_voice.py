"""Twilio Voice webhooks: a call's status callbacks, ``<Gather>`` and ``<Record>`` callbacks
(see :mod:`handoff.ingest.twilio`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from handoff.errors import IngestError, ValidationError
from handoff.events import MAX_BODY_CHARS, Inbound
from handoff.identity import parse_identity
from handoff.ingest._twilio_fields import MAX_FIELD, form_metadata, required
from handoff.ingest.base import Parsed, Skipped

__all__ = ["read_call"]

_CALL_ENDED = {
    "completed": "Call completed",
    "busy": "Call not connected (busy)",
    "no-answer": "Call not answered",
    "failed": "Call failed",
    "canceled": "Call canceled before it was answered",
}
_CALL_STARTED = frozenset({"queued", "initiated", "ringing", "in-progress"})
# Caller ids Twilio substitutes when the caller withholds theirs.
_WITHHELD = frozenset(
    {"+266696687", "+7378742833", "+2562533", "+8656696", "anonymous", "restricted", "unknown", "blocked"}
)


def _duration(fields: Mapping[str, str]) -> int | None:
    raw = fields.get("CallDuration", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 7:
        raise IngestError("$.CallDuration", f"expected seconds as a whole number, got {raw[:20]!r}")
    return int(raw)


def _timestamp(fields: Mapping[str, str]) -> datetime | None:
    """The time Twilio stamps on Voice status callbacks (RFC 2822), in UTC."""
    raw = fields.get("Timestamp", "").strip()
    if not raw:
        return None
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        when = None
    if when is None or when.tzinfo is None:
        raise IngestError("$.Timestamp", f"expected an RFC 2822 date with a zone, got {raw[:40]!r}")
    return when.astimezone(UTC)


def _spoken(seconds: int) -> str:
    """2 min 3 s, 1 h 5 min, 45 s."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s" if secs else ""]
    return " ".join(p for p in parts if p) or "0 s"


def read_call(fields: dict[str, str], at: datetime) -> Parsed:
    """A Voice webhook: a phone interaction with the customer (see the module notes)."""
    sid = required(fields, "CallSid")
    recorded = fields.get("RecordingSid", "").strip() or fields.get("RecordingUrl", "").strip()
    if recorded and fields.get("CallStatus", "").strip().lower() not in _CALL_ENDED:
        return _recording(fields, sid, at)
    if fields.get("Digits", "").strip() or fields.get("SpeechResult", "").strip():
        return _gather(fields, sid, at)
    status = required(fields, "CallStatus").lower()
    direction = (fields.get("Direction") or "inbound").strip().lower()
    if direction == "outbound-dial":  # a leg <Dial>led from another call, usually to an agent
        return Parsed(
            skipped=[Skipped("$.Direction", "a leg dialled from another call; that call is recorded")]
        )
    outbound = direction.startswith("outbound")
    field = "$.To" if outbound else "$.From"
    party = required(fields, field[2:])
    if party.lower() in _WITHHELD:
        return Parsed(skipped=[Skipped(field, "the caller withheld their number")])
    if party.lower().startswith(("client:", "sip:")):
        return Parsed(skipped=[Skipped(field, f"{party.partition(':')[0]} endpoint, not a customer's phone")])
    if status in _CALL_STARTED:
        if outbound:
            return Parsed(skipped=[Skipped("$.CallStatus", f"outbound call {status}; recorded when it ends")])
        body, external_id = f"Incoming call ({status})", f"{sid}:start"
    elif status in _CALL_ENDED:
        seconds = _duration(fields)
        body, external_id = _CALL_ENDED[status], sid
        if seconds is not None and status == "completed":
            body = f"{body} ({_spoken(seconds)})"
    else:
        raise IngestError("$.CallStatus", f"unknown call status {status[:40]!r}")
    try:
        identity = str(parse_identity(f"phone:{party}"))
    except ValidationError as exc:
        raise IngestError(field, exc.problem) from None
    metadata = form_metadata(
        fields,
        (
            ("CallDuration", "duration_s"),
            ("AccountSid", "account_sid"),
            ("RecordingUrl", "recording_url"),
            ("To" if not outbound else "From", "to" if not outbound else "from"),
            ("ForwardedFrom", "forwarded_from"),
        ),
    )
    metadata.update(call_sid=sid[:MAX_FIELD], call_status=status, direction=direction[:40])
    inbound = Inbound(
        channel="phone",
        identity=identity,
        body=body,
        at=_timestamp(fields) or at,
        external_id=external_id,
        name=(fields.get("CallerName", "").strip()[:200] or None) if not outbound else None,
        author="agent" if outbound else "customer",
        kind="call",
        metadata=metadata,
    )
    return Parsed(inbounds=[inbound])


def _caller(fields: Mapping[str, str]) -> tuple[str, str] | Skipped:
    """(field, identity) of the customer on a call, or why there is none to record."""
    outbound = (fields.get("Direction") or "inbound").strip().lower().startswith("outbound")
    field = "$.To" if outbound else "$.From"
    party = fields.get(field[2:], "").strip() or ("" if outbound else fields.get("Caller", "").strip())
    if not party:
        return Skipped(field, "the callback names no caller")
    if party.lower() in _WITHHELD:
        return Skipped(field, "the caller withheld their number")
    if party.lower().startswith(("client:", "sip:")):
        return Skipped(field, f"{party.partition(':')[0]} endpoint, not a customer's phone")
    try:
        return field, str(parse_identity(f"phone:{party[:MAX_FIELD]}"))
    except ValidationError as exc:
        raise IngestError(field, exc.problem) from None


def _gather(fields: Mapping[str, str], sid: str, at: datetime) -> Parsed:
    """A <Gather> callback: what the caller keyed in or said, an event of the call."""
    caller = _caller(fields)
    if isinstance(caller, Skipped):
        return Parsed(skipped=[caller])
    digits = fields.get("Digits", "").strip()[:MAX_FIELD]
    speech = fields.get("SpeechResult", "").strip()[:MAX_FIELD]
    body = f"Caller said: {speech}" if speech else f"Caller entered {digits}"
    digest = hashlib.sha256(f"{digits}\n{speech}".encode("utf-8", "replace")).hexdigest()[:16]
    metadata = form_metadata(fields, (("AccountSid", "account_sid"), ("Confidence", "confidence")))
    metadata.update(call_sid=sid[:MAX_FIELD], gather="speech" if speech else "digits")
    inbound = Inbound(
        channel="phone",
        identity=caller[1],
        body=body,
        at=_timestamp(fields) or at,
        external_id=f"{sid}:gather:{digest}",
        author="customer",
        kind="event",
        metadata=metadata,
    )
    return Parsed(inbounds=[inbound])


def _recording(fields: Mapping[str, str], sid: str, at: datetime) -> Parsed:
    """A <Record> callback (a voicemail): recorded when it names the caller."""
    recording = (fields.get("RecordingSid") or "").strip()[:MAX_FIELD]
    url = (fields.get("RecordingUrl") or "").strip()[:MAX_FIELD]
    caller = _caller(fields)
    if isinstance(caller, Skipped):
        reason = f"recording {recording or url} of call {sid[:80]}: {caller.reason}; the call is recorded"
        return Parsed(skipped=[Skipped(caller.path, reason)])
    raw = fields.get("RecordingDuration", "").strip()
    if raw and (not raw.isdigit() or len(raw) > 7):
        raise IngestError("$.RecordingDuration", f"expected seconds as a whole number, got {raw[:20]!r}")
    body = "Voicemail recorded" + (f" ({_spoken(int(raw))})" if raw else "")
    transcript = fields.get("TranscriptionText", "").strip()
    if transcript:
        body = f"{body}: {transcript[: MAX_BODY_CHARS - len(body) - 2]}"
    metadata = form_metadata(
        fields,
        (("RecordingUrl", "recording_url"), ("RecordingSid", "recording_sid"), ("AccountSid", "account_sid")),
    )
    metadata.update(call_sid=sid[:MAX_FIELD])
    if raw:
        metadata["duration_s"] = raw
    inbound = Inbound(
        channel="phone",
        identity=caller[1],
        body=body,
        at=_timestamp(fields) or at,
        external_id=f"{sid}:recording:{recording or hashlib.sha256(url.encode()).hexdigest()[:16]}",
        author="customer",
        kind="call",
        metadata=metadata,
    )
    return Parsed(inbounds=[inbound])
