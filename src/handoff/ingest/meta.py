"""Messenger and Instagram messaging webhooks to :class:`~handoff.Inbound` records and events.

Reads ``object: page`` (Messenger, channel ``messenger``) and ``object: instagram``
(channel ``instagram``) envelopes: ``entry[].messaging[]``, and ``entry[].standby[]``
(the same events, seen while another app owns the conversation under the handover
protocol; marked ``standby`` in metadata).

* The person is the page-scoped id: ``messenger:<PSID>`` or ``instagram:<IGSID>``.
  These are namespaces of their own: never a phone, and never merged with each other
  because the digits happen to match.
* Messages: text, attachments as bracketed labels (their URLs in metadata), quick-reply
  payloads, ``reply_to.mid`` as thread reference. Timestamps are epoch milliseconds.
* Echoes (``is_echo``: the page's own messages, sent from the inbox or by an app) are
  agent-side; the customer is then the recipient.
* ``delivery`` (one event per entry of ``mids``) and ``read`` become delivery events.
  A Messenger read receipt names no message, only a watermark meaning "everything sent
  before this was read", so its provider id is ``watermark:<epoch ms>``.
* ``message.is_deleted`` (unsend) is a ``retracted`` event for the mid; an edit
  (``message_edit``) is a new Inbound that refers to the original.
* Postbacks (button taps) are Inbounds whose body is the button title, payload in
  metadata; reactions are Inbounds of kind ``event``. Opt-ins, referrals without a
  message, handover and policy notices are skipped with the reason, and so are
  ``changes`` (feed posts and comments are not direct messages).

The envelope itself raises IngestError; a bad event becomes an error in
``Parsed.errors`` while the others are still read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial

from attrs import define

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
    kind_of,
    load,
    opt_count,
    opt_ident,
    opt_list,
    opt_object,
    opt_text,
    required,
    shown,
    skip,
)
from handoff.ingest._signature import verify_signature
from handoff.ingest.base import DeliveryEvent, DeliveryStatus, Parsed

__all__ = ["parse", "verify_signature"]

_CHANNELS = {"page": "messenger", "instagram": "instagram"}
_NOTICES = {
    "optin": "opt-in (a plugin, one-time notification or marketing opt-in); no message",
    "referral": "referral (an ad, m.me link or QR code) without a message",
    "account_linking": "account linking; no message",
    "pass_thread_control": "handover protocol: control of the conversation passed between apps",
    "take_thread_control": "handover protocol: control of the conversation taken by another app",
    "request_thread_control": "handover protocol: an app asked for control of the conversation",
    "app_roles": "handover protocol: app roles changed",
    "policy_enforcement": "policy enforcement notice for the page",
    "messaging_feedback": "feedback form answer; not a message",
    "game_play": "instant game played; no message",
}


def parse(payload: Mapping[str, object] | str | bytes, *, max_bytes: int = WEBHOOK_MAX_BYTES) -> Parsed:
    """Read one Messenger or Instagram webhook body (decoded JSON, or the raw body).

    A body larger than ``max_bytes`` (1 MB by default) is refused before it is parsed.
    """
    return guarded(_parse, payload, check_limit(max_bytes, "max_bytes"))


def _parse(payload: object) -> Parsed:
    root = load(payload)
    kind = root.get("object")
    channel = _CHANNELS.get(kind) if isinstance(kind, str) else None
    if channel is None:
        raise IngestError("$.object", f"expected 'page' or 'instagram', got {shown(kind)}")
    entries = as_list(required(root, "entry", "$"), "$.entry")
    errors: list[IngestError] = []
    return combine(each(entries, "$.entry", partial(_entry, channel=channel), errors), errors)


def _entry(raw: object, path: str, *, channel: str) -> Parsed:
    entry = as_object(raw, path)
    parts: list[Parsed] = []
    errors: list[IngestError] = []
    for key in ("messaging", "standby"):
        try:
            items = opt_list(entry, key, path)
        except IngestError as exc:
            errors.append(exc)
            continue
        handle = partial(_event, channel=channel, standby=key == "standby")
        parts.extend(each(items, f"{path}.{key}", handle, errors))
    if entry.get("changes") is not None:
        parts.append(skip(f"{path}.changes", "feed posts and comments are not direct messages"))
    if not parts and not errors:
        parts.append(skip(path, "no messaging events in this entry"))
    return combine(parts, errors)


def _event(raw: object, path: str, *, channel: str, standby: bool) -> Parsed:
    item = as_object(raw, path)
    sender = _party(item, "sender", path)
    recipient = _party(item, "recipient", path)
    at = epoch(required(item, "timestamp", path), f"{path}.timestamp", millis=True)
    seen = _Seen(channel, path, sender, recipient, at, standby)
    message = opt_object(item, "message", path)
    if message is not None:
        return _message(message, seen)
    for key, handle in _HANDLERS.items():
        part = opt_object(item, key, path)
        if part is not None:
            return handle(part, seen)
    for key, reason in _NOTICES.items():
        if item.get(key) is not None:
            return skip(path, reason)
    return skip(path, "a messaging event this adapter does not know")


@define(frozen=True)
class _Seen:
    """Where and when an event happened, and between whom; shared by the event readers."""

    channel: str
    path: str
    sender: str
    recipient: str
    at: datetime
    standby: bool

    def person(self, *, echo: bool = False) -> str:
        """The customer's identity: the sender, or the recipient of the page's own echo."""
        side = "recipient" if echo else "sender"
        return identity(self.channel, self.recipient if echo else self.sender, f"{self.path}.{side}.id")

    @property
    def millis(self) -> int:
        return round(self.at.timestamp() * 1000)

    def metadata(self, **values: str | None) -> dict[str, str]:
        return compact(standby="true" if self.standby else None, **values)

    def delivery(
        self, status: DeliveryStatus, provider_id: str, detail: str = "", *, echo: bool = False
    ) -> DeliveryEvent:
        return event(
            self.path,
            provider=self.channel,
            channel=self.channel,
            status=status,
            provider_id=provider_id,
            at=self.at,
            identity=self.person(echo=echo),
            detail=detail,
        )


def _party(item: JsonObject, key: str, path: str) -> str:
    party = as_object(required(item, key, path), f"{path}.{key}")
    return ident(party, "id", f"{path}.{key}")


def _message(message: JsonObject, seen: _Seen) -> Parsed:
    path = f"{seen.path}.message"
    mid = ident(message, "mid", path)
    echo = flag(message, "is_echo", path)
    if flag(message, "is_deleted", path):
        who = "page" if echo else "customer"
        return Parsed(events=[seen.delivery("retracted", mid, f"the {who} unsent this message", echo=echo)])
    labels, urls = _attachments(message, path)
    text = opt_text(message, "text", path)
    pieces = [piece for piece in (text, *labels) if piece and piece.strip()]
    if flag(message, "is_unsupported", path):
        pieces.append("[unsupported message]")
    body = " ".join(pieces) if pieces else "[empty message]"
    thread: tuple[str, ...] = ()
    story_url = story_id = None
    reply_to = opt_object(message, "reply_to", path)
    if reply_to is not None:
        replied = opt_ident(reply_to, "mid", f"{path}.reply_to")
        thread = (replied,) if replied else ()
        story = opt_object(reply_to, "story", f"{path}.reply_to")
        if story is not None:
            story_url = opt_text(story, "url", f"{path}.reply_to.story")
            story_id = opt_ident(story, "id", f"{path}.reply_to.story")
    quick = opt_object(message, "quick_reply", path)
    metadata = seen.metadata(
        quick_reply_payload=opt_text(quick, "payload", f"{path}.quick_reply") if quick else None,
        attachment_urls="\n".join(urls) or None,
        replied_to_story=story_url or story_id,
        app_id=opt_ident(message, "app_id", path),
    )
    return Parsed(
        inbounds=[
            inbound(
                seen.path,
                channel=seen.channel,
                identity=seen.person(echo=echo),
                body=body,
                at=seen.at,
                external_id=mid,
                thread_ref=thread,
                author="agent" if echo else "customer",
                metadata=metadata,
            )
        ]
    )


def _attachments(message: JsonObject, path: str) -> tuple[list[str], list[str]]:
    """A label per attachment (``[image]``, ``[file: invoice.pdf]``) and the URLs they point to."""
    labels: list[str] = []
    urls: list[str] = []
    for i, raw in enumerate(opt_list(message, "attachments", path)):
        where = f"{path}.attachments[{i}]"
        attachment = as_object(raw, where)
        kind = clip(opt_text(attachment, "type", where) or "attachment", 40)
        payload = opt_object(attachment, "payload", where) or {}
        where = f"{where}.payload"
        url = opt_text(payload, "url", where)
        if url:
            urls.append(url)
        title = opt_text(payload, "title", where) or opt_text(attachment, "title", f"{path}.attachments[{i}]")
        coordinates = opt_object(payload, "coordinates", where)
        if coordinates is not None:
            lat, long = (_number(coordinates, key, f"{where}.coordinates") for key in ("lat", "long"))
            labels.append(f"[location] ({lat}, {long})")
        elif payload.get("sticker_id") is not None:
            labels.append("[sticker]")
        elif title and title.strip():
            labels.append(f"[{kind}: {clip(title.strip(), 120)}]")
        else:
            labels.append(f"[{kind}]")
    return labels, urls


def _number(obj: JsonObject, key: str, path: str) -> str:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IngestError(f"{path}.{key}", f"expected a number, got {kind_of(value)}")
    return str(value)


def _delivery(part: JsonObject, seen: _Seen) -> Parsed:
    path = f"{seen.path}.delivery"
    mids = [_mid(raw, f"{path}.mids[{i}]") for i, raw in enumerate(opt_list(part, "mids", path))]
    if mids:
        return Parsed(events=[seen.delivery("delivered", mid) for mid in mids])
    mark = _watermark(part, path)
    detail = f"every message sent before {mark[1].isoformat()} was delivered"
    return Parsed(events=[seen.delivery("delivered", f"watermark:{mark[0]}", detail)])


def _read(part: JsonObject, seen: _Seen) -> Parsed:
    path = f"{seen.path}.read"
    mid = opt_ident(part, "mid", path)
    if mid is not None:
        return Parsed(events=[seen.delivery("read", mid)])
    mark = _watermark(part, path)
    detail = f"every message sent before {mark[1].isoformat()} was read"
    return Parsed(events=[seen.delivery("read", f"watermark:{mark[0]}", detail)])


def _watermark(part: JsonObject, path: str) -> tuple[int, datetime]:
    raw = part.get("watermark")
    if raw is None:
        raise IngestError(path, "names no message: neither mids nor a watermark")
    when = epoch(raw, f"{path}.watermark", millis=True)
    return round(when.timestamp() * 1000), when


def _mid(raw: object, path: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise IngestError(
            path, f"expected a message id, got {shown(raw) if isinstance(raw, str) else kind_of(raw)}"
        )
    return raw.strip()


def _postback(part: JsonObject, seen: _Seen) -> Parsed:
    path = f"{seen.path}.postback"
    title = opt_text(part, "title", path)
    payload = opt_text(part, "payload", path)
    mid = opt_ident(part, "mid", path) or f"postback:{seen.sender}:{seen.millis}"
    body = title if title and title.strip() else f"[button: {clip(payload, 120)}]" if payload else "[button]"
    return Parsed(
        inbounds=[
            inbound(
                seen.path,
                channel=seen.channel,
                identity=seen.person(),
                body=body,
                at=seen.at,
                external_id=mid,
                metadata=seen.metadata(postback_payload=payload),
            )
        ]
    )


def _reaction(part: JsonObject, seen: _Seen) -> Parsed:
    path = f"{seen.path}.reaction"
    target = ident(part, "mid", path)
    action = (opt_text(part, "action", path) or "react").strip().lower()
    if action == "unreact":
        return skip(seen.path, "reaction removed")
    shown_as = opt_text(part, "emoji", path) or opt_text(part, "reaction", path) or "a reaction"
    return Parsed(
        inbounds=[
            inbound(
                seen.path,
                channel=seen.channel,
                identity=seen.person(),
                body=f"reacted {clip(shown_as, 40)}",
                at=seen.at,
                external_id=f"{target}#reaction:{seen.millis}",
                thread_ref=(target,),
                kind="event",
                metadata=seen.metadata(reacted_to=target),
            )
        ]
    )


def _edit(part: JsonObject, seen: _Seen) -> Parsed:
    path = f"{seen.path}.message_edit"
    target = ident(part, "mid", path)
    count = opt_count(part, "num_edit", path)
    return Parsed(
        inbounds=[
            inbound(
                seen.path,
                channel=seen.channel,
                identity=seen.person(),
                body=opt_text(part, "text", path) or "[edited message]",
                at=seen.at,
                external_id=f"{target}#edit:{count if count is not None else seen.millis}",
                thread_ref=(target,),
                metadata=seen.metadata(edited=target),
            )
        ]
    )


_HANDLERS: dict[str, Callable[[JsonObject, _Seen], Parsed]] = {
    "delivery": _delivery,
    "read": _read,
    "postback": _postback,
    "reaction": _reaction,
    "message_edit": _edit,
}
