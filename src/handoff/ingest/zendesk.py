"""Zendesk Support ticket exports to :class:`~handoff.Inbound` records.

Takes a ticket with its comments as the Zendesk API returns them, e.g.
``{"ticket": {...}, "comments": [...], "users": [...]}`` (``GET
/api/v2/tickets/{id}/comments?include=users`` merged with the ticket). Audits
(``"audits": [...]``) may come along or stand in for the comments; their status
changes are reported in ``Parsed.skipped``.

* The requester's comments are customer messages; ``public: false`` comments are
  internal notes (``kind="note"``, ``author="agent"``); comments by agents are agent
  replies, named from ``users``. Voice comments are ``kind="call"`` on ``phone``.
* The channel comes from ``via.channel`` (email, web, chat, voice, sms, whatsapp,
  twitter, facebook, ...; unknown ones are ``portal``). A customer comment that arrived
  another way than the ticket (a phone call on an email ticket) keeps its own channel;
  an agent's comment typed in the agent UI goes out on the ticket's channel.
* Grouping, ordering and external ids follow :mod:`handoff.ingest.helpdesk`.
"""

from __future__ import annotations

from collections.abc import Mapping

from handoff.errors import IngestError
from handoff.ingest._html import html_to_text
from handoff.ingest._payload import (
    JsonObject,
    as_object,
    compact,
    flag,
    guarded,
    ident,
    iso_time,
    load,
    opt_count,
    opt_ident,
    opt_list,
    opt_object,
    opt_text,
    required,
)
from handoff.ingest.base import Parsed, Skipped
from handoff.ingest.helpdesk import (
    Author,
    ExportedMessage,
    ExportedTicket,
    assemble,
    closed_ticket,
    pick_identity,
)

__all__ = ["parse"]

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


def parse(payload: Mapping[str, object] | str | bytes) -> Parsed:
    """Read one exported Zendesk ticket with its comments (decoded JSON, or the raw body)."""
    return guarded(_parse, payload)


def _parse(payload: object) -> Parsed:
    root = load(payload)
    ticket = as_object(required(root, "ticket", "$"), "$.ticket")
    ticket_id = ident(ticket, "id", "$.ticket")
    users = _users(root)
    requester_id = opt_ident(ticket, "requester_id", "$.ticket")
    requester = users.get(requester_id or "") or opt_object(ticket, "requester", "$.ticket") or {}
    channel = _channel(ticket, "$.ticket") or "portal"
    status = opt_text(ticket, "status", "$.ticket")
    subject = opt_text(ticket, "subject", "$.ticket") or opt_text(ticket, "raw_subject", "$.ticket")
    exported = ExportedTicket(
        provider="zendesk",
        key=f"ticket:{ticket_id}",
        identity=pick_identity(
            channel,
            emails=[opt_text(requester, "email", "$.users[requester]")],
            phones=[opt_text(requester, "phone", "$.users[requester]")],
            fallback=f"zendesk-{requester_id or 'ticket-' + ticket_id}",
            fallback_path="$.ticket.requester_id" if requester_id else "$.ticket.id",
        ),
        channel=channel,
        name=opt_text(requester, "name", "$.users[requester]"),
        metadata=compact(helpdesk="zendesk", ticket_id=ticket_id, subject=subject, ticket_status=status),
    )
    skipped: list[Skipped] = [closed_ticket("$.ticket.status", status)] if status in _CLOSED else []
    errors: list[IngestError] = []
    comments = _comments(root, skipped, errors)
    if not comments and not errors:
        comments = _description(ticket, requester_id)
    messages: list[ExportedMessage] = []
    for comment, path in comments:
        try:
            messages.append(_message(comment, path, channel, requester_id, users))
        except IngestError as exc:
            errors.append(exc)
    return assemble(exported, messages, skipped=skipped, errors=errors)


def _users(root: JsonObject) -> dict[str, JsonObject]:
    users: dict[str, JsonObject] = {}
    for i, raw in enumerate(opt_list(root, "users", "$")):
        user = as_object(raw, f"$.users[{i}]")
        user_id = opt_ident(user, "id", f"$.users[{i}]")
        if user_id:
            users[user_id] = user
    return users


def _channel(item: JsonObject, path: str) -> str | None:
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


def _comments(
    root: JsonObject, skipped: list[Skipped], errors: list[IngestError]
) -> list[tuple[JsonObject, str]]:
    """The comments with their paths; from the audits' Comment events when there are no comments."""
    found: list[tuple[JsonObject, str]] = []
    for i, raw in enumerate(opt_list(root, "comments", "$")):
        try:
            found.append((as_object(raw, f"$.comments[{i}]"), f"$.comments[{i}]"))
        except IngestError as exc:
            errors.append(exc)
    use_audits = root.get("comments") is None
    for i, raw in enumerate(opt_list(root, "audits", "$")):
        path = f"$.audits[{i}]"
        try:
            audit = as_object(raw, path)
            for j, raw_event in enumerate(opt_list(audit, "events", path)):
                where = f"{path}.events[{j}]"
                change = as_object(raw_event, where)
                kind = opt_text(change, "type", where)
                if use_audits and kind in ("Comment", "VoiceComment"):
                    found.append(
                        ({"created_at": audit.get("created_at"), "via": audit.get("via"), **change}, where)
                    )
                elif kind == "Change" and change.get("field_name") == "status":
                    before = opt_text(change, "previous_value", where) or "?"
                    after = opt_text(change, "value", where) or "?"
                    when = opt_text(audit, "created_at", path) or "an unknown time"
                    skipped.append(Skipped(where, f"status changed from {before} to {after} at {when}"))
        except IngestError as exc:
            errors.append(exc)
    return found


def _description(ticket: JsonObject, requester_id: str | None) -> list[tuple[JsonObject, str]]:
    """A ticket exported without comments still has its description, the opening message."""
    body = opt_text(ticket, "description", "$.ticket")
    if not body or not body.strip():
        return []
    opening = {
        "id": f"description-{ident(ticket, 'id', '$.ticket')}",
        "author_id": requester_id,
        "body": body,
        "created_at": ticket.get("created_at"),
        "via": ticket.get("via"),
    }
    return [(opening, "$.ticket.description")]


def _message(
    comment: JsonObject,
    path: str,
    ticket_channel: str,
    requester_id: str | None,
    users: Mapping[str, JsonObject],
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
    own = _channel(comment, path)
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
