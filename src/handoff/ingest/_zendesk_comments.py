"""One Zendesk comment (a ticket comment, a request comment, an audit's Comment event)
as an :class:`~handoff.ingest.helpdesk.ExportedMessage`, and the channel of a ``via``."""

from __future__ import annotations

from collections.abc import Mapping

from handoff.ingest._html import html_to_text
from handoff.ingest._payload import (
    JsonObject,
    as_object,
    compact,
    flag,
    ident,
    iso_time,
    opt_count,
    opt_ident,
    opt_list,
    opt_object,
    opt_text,
)
from handoff.ingest.helpdesk import Author, ExportedMessage

__all__ = ["channel_of", "message"]

_CHANNELS = {
    "email": "email",
    "mail": "email",
    "closed_ticket": "email",
    "chat": "chat",
    "chat_transcript": "chat",
    "messaging": "chat",
    "native_messaging": "chat",
    "mobile_sdk": "chat",
    "web_widget": "chat",
    "voice": "phone",
    "phone": "phone",
    "phone_call_inbound": "phone",
    "phone_call_outbound": "phone",
    "voicemail": "phone",
    "sms": "sms",
    "text": "sms",
    "whatsapp": "whatsapp",
    "instagram_dm": "instagram",
    "twitter": "twitter",
    "twitter_dm": "twitter_dm",
    "facebook": "facebook",
    "facebook_messenger": "messenger",
}
# Channels that say how a comment was entered, not how it reached the customer.
_NO_CHANNEL = frozenset({"api", "rule", "system", "any_channel", "side_conversation", "batch", "automation"})
_AUTOMATED = frozenset({"rule", "answer_bot", "automation", "system"})
_CLOSED = frozenset({"solved", "closed"})


def channel_of(item: JsonObject, path: str) -> str | None:
    """Our channel name for an item's ``via``, or None when it says nothing about one."""
    via = opt_object(item, "via", path)
    if via is None:
        return None
    word = (opt_text(via, "channel", f"{path}.via") or "").strip().lower()
    if not word or word in _NO_CHANNEL:
        return None
    source = opt_object(via, "source", f"{path}.via")
    rel = opt_text(source, "rel", f"{path}.via.source") if source else None
    if word == "twitter" and rel == "direct_message":
        return "twitter_dm"
    if word == "facebook" and rel == "message":
        return "messenger"
    return _CHANNELS.get(word, "portal")


def message(
    comment: JsonObject,
    path: str,
    ticket_channel: str,
    requester_id: str | None,
    users: Mapping[str, JsonObject],
    *,
    opening: bool = False,
) -> ExportedMessage:
    comment_id = ident(comment, "id", path)
    at = iso_time(comment, "created_at", path)
    author_id = opt_ident(comment, "author_id", path)
    user = users.get(author_id or "", {})
    role = (opt_text(user, "role", "$.users[author]") or "").lower()
    via = opt_object(comment, "via", path)
    via_word = (opt_text(via, "channel", f"{path}.via") or "").lower() if via else ""
    public = flag(comment, "public", path, default=True)
    author: Author
    if not public:
        author = "agent"
    elif (author_id is not None and author_id == requester_id) or role == "end-user":
        author = "customer"
    elif via_word in _AUTOMATED or author_id == "-1":
        author = "bot"
    else:
        author = "agent"
    own = channel_of(comment, path)
    channel = own if own and (author == "customer" or own != "portal") else ticket_channel
    voice = opt_text(comment, "type", path) == "VoiceComment"
    body = _body(comment, path)
    metadata = compact(
        author_name=opt_text(user, "name", "$.users[author]") if author == "customer" else None
    )
    if voice:
        channel = "phone"
        body, call_meta = _voice(comment, path, body)
        metadata.update(call_meta)
    names = _attachment_names(comment, path)
    if names:
        metadata["attachments"] = ", ".join(names)
        body = body or "[attachment: " + ", ".join(names) + "]"
    return ExportedMessage(
        key=f"comment:{comment_id}",
        at=at,
        body=body,
        path=path,
        author=author,
        kind="note" if not public else "call" if voice else "message",
        channel=channel,
        agent=None if author == "customer" else _agent_name(user, author_id),
        opening=opening,
        metadata=metadata,
    )


def _agent_name(user: JsonObject, author_id: str | None) -> str | None:
    name = opt_text(user, "name", "$.users[author]") or opt_text(user, "email", "$.users[author]")
    if name and name.strip():
        return name.strip()
    return f"zendesk user {author_id}" if author_id else None


def _body(comment: JsonObject, path: str) -> str:
    for key in ("plain_body", "body"):
        value = opt_text(comment, key, path)
        if value and value.strip():
            return value.strip()
    html = opt_text(comment, "html_body", path)
    return html_to_text(html) if html else ""


def _voice(comment: JsonObject, path: str, body: str) -> tuple[str, dict[str, str]]:
    data = opt_object(comment, "data", path) or {}
    where = f"{path}.data"
    seconds = opt_count(data, "call_duration", where)
    transcript = opt_text(data, "transcription_text", where)
    summary = "Phone call" + (f", {seconds // 60} min {seconds % 60} s" if seconds is not None else "")
    text = "\n".join(part for part in (summary, transcript or body) if part and part.strip())
    return text, compact(
        duration_seconds=None if seconds is None else str(seconds),
        recording_url=opt_text(data, "recording_url", where),
        call_from=opt_text(data, "from", where),
    )


def _attachment_names(comment: JsonObject, path: str) -> list[str]:
    names = []
    for i, raw in enumerate(opt_list(comment, "attachments", path)):
        attachment = as_object(raw, f"{path}.attachments[{i}]")
        name = opt_text(attachment, "file_name", f"{path}.attachments[{i}]")
        names.append(name or "unnamed file")
    return names
