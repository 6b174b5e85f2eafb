"""WhatsApp Cloud API webhooks to :class:`~handoff.Inbound` records and delivery events.

Reads the envelope Meta posts for a WhatsApp Business Account
(``object: whatsapp_business_account``, ``entry[].changes[].value``):

* Customer messages (``value.messages[]``) become one Inbound each on channel
  ``whatsapp``: identity ``phone:+<wa_id>``, the profile name from ``value.contacts[]``,
  the ``wamid`` as external id, ``context.id`` (the message replied to) as thread
  reference. Every message is kept whatever its type: what cannot be shown as text
  (media without caption, unsupported or future types) gets a bracketed placeholder
  such as ``[image]`` and its WhatsApp type in metadata, because the customer did write
  and restarted the 24-hour service window.
* A reaction is an Inbound of kind ``event`` that refers to the message reacted to;
  removing one is skipped. An edit is a new Inbound whose thread reference is the
  original. A deleted message is a ``retracted`` delivery event for the original.
* ``statuses[]`` become delivery events (``played`` counts as ``read``); failures carry
  the WhatsApp error code and what it means (131047: outside the 24-hour window, send a
  template). Marketing opt-outs (error 131050, ``user_preferences`` "stop") are *not*
  ``opted_out``: they withdraw marketing consent only, service messages still arrive.
* Calls: a ``terminate`` event becomes an Inbound of kind ``call`` on channel
  ``whatsapp`` (the customer reached us through WhatsApp) with duration and status,
  missed calls included; authored by the customer when they called, by an agent when
  the business did. ``connect`` events and ringing statuses are skipped: the terminate
  event records the whole call.
* Messages the business sent from the WhatsApp Business app (``smb_message_echoes``)
  are agent-side Inbounds.
* System notices (number or security code changed), welcome requests and other fields
  are skipped with the reason; a number change names the new number, so the host can
  link the two identities.

The envelope itself (not an object, another ``object``, ``entry`` not an array) raises
IngestError; a bad entry, change, message or status becomes an error in
``Parsed.errors`` while the rest is still read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from handoff.errors import IngestError
from handoff.ingest._limits import WEBHOOK_MAX_BYTES, check_limit
from handoff.ingest._payload import (
    JsonObject,
    as_list,
    as_object,
    clip,
    combine,
    compact,
    each,
    epoch,
    event,
    flag,
    guarded,
    ident,
    identity,
    inbound,
    load,
    opt_count,
    opt_ident,
    opt_list,
    opt_object,
    opt_text,
    required,
    shown,
    skip,
    text,
)
from handoff.ingest._signature import verify_signature
from handoff.ingest._whatsapp_content import render as render_content
from handoff.ingest.base import DeliveryStatus, Parsed, Skipped

__all__ = ["parse", "verify_signature"]

_PROVIDER = "whatsapp"
_CHANNEL = "whatsapp"
_FIELDS = frozenset({"messages", "calls", "smb_message_echoes", "user_preferences"})
_STATUSES: dict[str, DeliveryStatus] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "played": "read",
    "failed": "failed",
    "deleted": "retracted",
}
# What the failure codes an agent is most likely to meet mean, and what to do about them.
_ERROR_HINTS = {
    "470": "more than 24 hours since the customer last wrote; send an approved template",
    "131047": "re-engagement message: more than 24 hours since the customer last wrote, so free-form "
    "messages are refused; send an approved template to reopen the conversation",
    "131026": "undeliverable: the number may not be on WhatsApp or the app may be outdated",
    "131049": "not delivered to keep marketing engagement healthy; try later or another channel",
    "131050": "the customer stopped marketing messages from this business (service messages still allowed)",
    "131051": "message type not supported",
    "131052": "media could not be downloaded from the sender",
    "131053": "media could not be uploaded",
    "131056": "too many messages to this number in a short time; slow down",
    "130472": "the customer's number is part of a WhatsApp experiment",
}


def parse(payload: Mapping[str, object] | str | bytes, *, max_bytes: int = WEBHOOK_MAX_BYTES) -> Parsed:
    """Read one WhatsApp Cloud API webhook body (decoded JSON, or the raw body).

    A body larger than ``max_bytes`` (1 MB by default) is refused before it is parsed.
    """
    return guarded(_parse, payload, check_limit(max_bytes, "max_bytes"))


def _parse(payload: object) -> Parsed:
    root = load(payload)
    if root.get("object") != "whatsapp_business_account":
        raise IngestError(
            "$.object", f"expected 'whatsapp_business_account', got {shown(root.get('object'))}"
        )
    entries = as_list(required(root, "entry", "$"), "$.entry")
    errors: list[IngestError] = []
    return combine(each(entries, "$.entry", _entry, errors), errors)


def _entry(raw: object, path: str) -> Parsed:
    entry = as_object(raw, path)
    changes = as_list(required(entry, "changes", path), f"{path}.changes")
    errors: list[IngestError] = []
    return combine(each(changes, f"{path}.changes", _change, errors), errors)


def _change(raw: object, path: str) -> Parsed:
    change = as_object(raw, path)
    field = opt_text(change, "field", path) or "messages"
    if field not in _FIELDS:
        return skip(path, f"{clip(field, 60)!r} changes carry no conversation")
    value_path = f"{path}.value"
    value = as_object(required(change, "value", path), value_path)
    errors: list[IngestError] = []
    names = _profile_names(value, value_path, errors)
    business = _business_number(value)
    handlers: dict[str, Callable[[object, str], Parsed]] = {
        "messages": lambda item, where: _message(item, where, names, echo=False),
        "message_echoes": lambda item, where: _message(item, where, names, echo=True, business=business),
        "statuses": _status,
        "calls": lambda item, where: _call(item, where, names),
        "user_preferences": _preference,
    }
    parts: list[Parsed] = []
    for key, handle in handlers.items():
        try:
            items = opt_list(value, key, value_path)
        except IngestError as exc:
            errors.append(exc)
            continue
        parts.extend(each(items, f"{value_path}.{key}", handle, errors))
    provider_errors = value.get("errors")
    reported = [
        Skipped(f"{value_path}.errors[{i}]", f"WhatsApp reported an error: {_error_text(item)}")
        for i, item in enumerate(provider_errors if isinstance(provider_errors, list) else ())
    ]
    if not parts and not errors and not reported:
        return skip(path, "no messages, statuses or calls in this change")
    return combine(parts, errors, reported)


def _profile_names(value: JsonObject, path: str, errors: list[IngestError]) -> dict[str, str]:
    """wa_id -> profile name, from ``value.contacts[]``; a bad contact is reported, not fatal."""
    names: dict[str, str] = {}
    try:
        contacts = opt_list(value, "contacts", path)
    except IngestError as exc:
        errors.append(exc)
        return names
    for i, raw in enumerate(contacts):
        where = f"{path}.contacts[{i}]"
        try:
            contact = as_object(raw, where)
            wa_id = opt_ident(contact, "wa_id", where)
            profile = opt_object(contact, "profile", where)
            name = opt_text(profile, "name", f"{where}.profile") if profile else None
        except IngestError as exc:
            errors.append(exc)
            continue
        if wa_id and name and name.strip():
            names[wa_id] = name
    return names


def _phone(wa_id: str, path: str) -> str:
    """WhatsApp ids are E.164 numbers without the '+'."""
    return identity("phone", wa_id if wa_id.startswith("+") else "+" + wa_id, path)


def _business_number(value: JsonObject) -> str | None:
    """The business's own number, to tell which side of an echo is the customer."""
    metadata = value.get("metadata")
    number = metadata.get("display_phone_number") if isinstance(metadata, Mapping) else None
    return number if isinstance(number, str) else None


def _message(
    raw: object, path: str, names: Mapping[str, str], *, echo: bool, business: str | None = None
) -> Parsed:
    msg = as_object(raw, path)
    mid = ident(msg, "id", path)
    at = epoch(required(msg, "timestamp", path), f"{path}.timestamp")
    wa_type = text(msg, "type", path)
    party_key = "to" if echo else "from"
    party = ident(msg, party_key, path)
    if echo and party == business and msg.get("from") not in (None, business):
        party_key = "from"  # an echo listing the business as recipient: the customer is the other side
        party = ident(msg, party_key, path)
    if wa_type == "revoke":
        return _revoke(msg, path, at=at, party=f"{path}.{party_key}", wa_id=party, echo=echo)
    who = _phone(party, f"{path}.{party_key}")
    if wa_type == "system":
        return skip(path, _system_reason(msg, path, who))
    if wa_type == "request_welcome":
        return skip(path, "the customer opened the chat for the first time; nothing was written")
    thread: list[str] = []
    kind = "message"
    if wa_type == "reaction":
        reaction = opt_object(msg, "reaction", path) or {}
        emoji = opt_text(reaction, "emoji", f"{path}.reaction")
        target = opt_ident(reaction, "message_id", f"{path}.reaction")
        if not emoji:
            return skip(path, "reaction removed")
        body, metadata, kind = f"reacted {emoji}", compact(wa_type="reaction", reacted_to=target), "event"
        thread = [target] if target else []
    elif wa_type == "edit":
        edit = opt_object(msg, "edit", path) or {}
        edited = opt_ident(edit, "original_message_id", f"{path}.edit")
        content = opt_object(edit, "message", f"{path}.edit") or {"type": "edit"}
        body, metadata = render_content(content, f"{path}.edit.message")
        metadata["edited"] = edited or "true"
        thread = [edited] if edited else []
    else:
        body, metadata = render_content(msg, path)
    metadata.update(_context(msg, path, thread))
    return Parsed(
        inbounds=[
            inbound(
                path,
                channel=_CHANNEL,
                identity=who,
                body=body,
                at=at,
                external_id=mid,
                name=None if echo else names.get(party),
                thread_ref=tuple(thread),
                author="agent" if echo else "customer",
                kind=kind,
                metadata=metadata,
            )
        ]
    )


def _revoke(msg: JsonObject, path: str, *, at: datetime, party: str, wa_id: str, echo: bool) -> Parsed:
    """A deleted message: a ``retracted`` event for the original, not a new message."""
    revoke = opt_object(msg, "revoke", path) or {}
    original = opt_ident(revoke, "original_message_id", f"{path}.revoke") or ident(msg, "id", path)
    try:
        who: str | None = _phone(wa_id, party)
    except IngestError:
        who = None  # only an annotation: the deletion itself is what matters
    return Parsed(
        events=[
            event(
                path,
                provider=_PROVIDER,
                channel=_CHANNEL,
                status="retracted",
                provider_id=original,
                at=at,
                identity=who,
                detail=f"the {'business' if echo else 'customer'} deleted this message",
            )
        ]
    )


def _context(msg: JsonObject, path: str, thread: list[str]) -> dict[str, str]:
    """Reply target (into ``thread``), forwarding, ad referral and provider errors of a message."""
    context = opt_object(msg, "context", path)
    metadata: dict[str, str] = {}
    if context is not None:
        replied_to = opt_ident(context, "id", f"{path}.context")
        if replied_to and replied_to not in thread:
            thread.append(replied_to)
        if flag(context, "frequently_forwarded", f"{path}.context"):
            metadata["forwarded"] = "frequently"
        elif flag(context, "forwarded", f"{path}.context"):
            metadata["forwarded"] = "true"
    referral = opt_object(msg, "referral", path)
    if referral is not None:
        where = f"{path}.referral"
        metadata.update(
            compact(
                referral_source_url=opt_text(referral, "source_url", where),
                referral_source_type=opt_text(referral, "source_type", where),
                referral_headline=opt_text(referral, "headline", where),
                referral_ctwa_clid=opt_text(referral, "ctwa_clid", where),
            )
        )
    problems = opt_list(msg, "errors", path)
    if problems:
        metadata["wa_errors"] = "; ".join(_error_text(item) for item in problems)
    return metadata


def _system_reason(msg: JsonObject, path: str, who: str) -> str:
    system = opt_object(msg, "system", path) or {}
    where = f"{path}.system"
    kind = opt_text(system, "type", where) or "notice"
    new_id = opt_ident(system, "wa_id", where)
    if kind in ("user_changed_number", "customer_changed_number") and new_id:
        new = new_id if new_id.startswith("+") else "+" + new_id
        return (
            f"the customer changed number from {who} to phone:{clip(new, 30)}; "
            "link the identities to keep one contact"
        )
    body = opt_text(system, "body", where) or ""
    return clip(f"system notice {kind!r}: {body}".strip(), 300)


def _status(raw: object, path: str) -> Parsed:
    status = as_object(raw, path)
    provider_id = ident(status, "id", path)
    word = text(status, "status", path).strip().lower()
    at = epoch(required(status, "timestamp", path), f"{path}.timestamp")
    if status.get("type") == "call":
        return skip(path, f"call status {clip(word, 30)!r}: the call is recorded when it ends")
    mapped = _STATUSES.get(word)
    if mapped is None:
        return skip(path, f"unknown message status {clip(word, 30)!r}")
    recipient = opt_ident(status, "recipient_id", path)
    who = None
    if recipient and status.get("recipient_type") != "group":
        try:
            who = _phone(recipient, f"{path}.recipient_id")
        except IngestError:
            who = None  # only an annotation: the status is still worth recording
    problems = opt_list(status, "errors", path)
    code = _error_code(problems[0]) if problems else None
    detail = "; ".join(_error_text(item) for item in problems)
    if word == "played":
        detail = "voice message played"
    return Parsed(
        events=[
            event(
                path,
                provider=_PROVIDER,
                channel=_CHANNEL,
                status=mapped,
                provider_id=provider_id,
                at=at,
                identity=who,
                error_code=code,
                detail=detail,
            )
        ]
    )


def _error_code(item: object) -> str | None:
    if isinstance(item, Mapping):
        code = item.get("code")
        if isinstance(code, int | str) and not isinstance(code, bool):
            return clip(str(code), 20)
    return None


def _error_text(item: object) -> str:
    """One provider error as a line an agent can act on; lenient, since it only describes."""
    if not isinstance(item, Mapping):
        return shown(item)
    code = _error_code(item)
    title = item.get("title") or item.get("message")
    data = item.get("error_data")
    details = data.get("details") if isinstance(data, Mapping) else None
    parts = [part for part in (code, title if isinstance(title, str) else None) if part]
    line = " ".join(parts) or "unknown error"
    if isinstance(details, str) and details.strip() and details != title:
        line += f" ({details})"
    hint = _ERROR_HINTS.get(code or "")
    return clip(f"{line}: {hint}" if hint else line, 500)


def _call(raw: object, path: str, names: Mapping[str, str]) -> Parsed:
    call = as_object(raw, path)
    call_id = ident(call, "id", path)
    stage = text(call, "event", path).strip().lower()
    at = epoch(required(call, "timestamp", path), f"{path}.timestamp")
    if stage != "terminate":
        return skip(path, f"call {clip(stage, 30)!r}: the call is recorded when it ends")
    direction = (opt_text(call, "direction", path) or "USER_INITIATED").upper()
    by_customer = direction != "BUSINESS_INITIATED"
    party_key = "from" if by_customer else "to"
    party = ident(call, party_key, path)
    who = _phone(party, f"{path}.{party_key}")
    outcome = (opt_text(call, "status", path) or "completed").strip().lower()
    duration = opt_count(call, "duration", path)
    started = call.get("start_time")
    start = epoch(started, f"{path}.start_time") if started is not None else at
    ended = call.get("end_time")
    end = epoch(ended, f"{path}.end_time") if ended is not None else None
    side = "from the customer" if by_customer else "to the customer"
    body = f"WhatsApp call {side}: {clip(outcome, 30)}"
    if duration is not None:
        body += f", {_duration(duration)}"
    return Parsed(
        inbounds=[
            inbound(
                path,
                channel=_CHANNEL,
                identity=who,
                body=body,
                at=start,
                external_id=call_id,
                name=names.get(party) if by_customer else None,
                author="customer" if by_customer else "agent",
                kind="call",
                metadata=compact(
                    wa_type="call",
                    call_status=clip(outcome, 30),
                    direction=clip(direction, 30),
                    duration_seconds=None if duration is None else str(duration),
                    ended_at=end.isoformat() if end else None,
                ),
            )
        ]
    )


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _preference(raw: object, path: str) -> Parsed:
    preference = as_object(raw, path)
    wa_id = opt_ident(preference, "wa_id", path) or "unknown number"
    choice = opt_text(preference, "value", path) or "unknown"
    category = opt_text(preference, "category", path) or "marketing_messages"
    detail = opt_text(preference, "detail", path)
    reason = f"{clip(category, 40)} preference {clip(choice, 30)!r} from {clip(wa_id, 30)}"
    if detail:
        reason += f" ({clip(detail, 200)})"
    return skip(path, reason + "; marketing preferences leave consent for service messages unchanged")
