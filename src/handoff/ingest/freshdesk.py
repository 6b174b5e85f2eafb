"""Freshdesk API v2 responses to :class:`~handoff.Inbound` records.

Takes the responses that hold tickets and their conversations, one page at a time: a
ticket (``GET /api/v2/tickets/{id}``, with ``include=requester`` or
``include=conversations``), a list of tickets (``GET /api/v2/tickets``, best with
``include=description,requester``; ``GET /api/v2/search/tickets`` ``results``), a list
of conversations (``GET /api/v2/tickets/{id}/conversations``), or a ticket and its
conversations put together, ``{"ticket": {...}, "conversations": [...]}``; the
requester may also come as a top-level ``"requester"``. The description is the opening
message whichever page brings it, so pages can come in any order, and twice. A ticket
listed without its description (and no conversations) is reported in ``Parsed.skipped``.

* The ticket's description is its opening message, written by the requester (by an
  agent for outbound-email tickets). Conversations follow: ``private`` ones are
  internal notes; ``incoming`` ones (and any by the requester) are customer messages;
  the rest are agent replies, or bot messages when no user wrote them (a chat greeting).
* The channel comes from the ticket's ``source`` code (1 email, 2 portal, 3 phone,
  5 twitter, 6 facebook, 7 chat, 9 feedback widget, 10 outbound email, 13 whatsapp,
  15 web chat...; unknown codes are ``portal``); a conversation created from a phone
  call, a tweet or a Facebook post keeps that channel.
* Deleted conversations are skipped. Grouping, ordering and external ids follow
  :mod:`handoff.ingest.helpdesk`.
"""

from __future__ import annotations

from collections.abc import Mapping

from handoff.errors import IngestError
from handoff.ingest._html import html_to_text
from handoff.ingest._limits import EXPORT_MAX_BYTES, check_limit
from handoff.ingest._payload import (
    JsonObject,
    as_object,
    combine,
    compact,
    flag,
    guarded,
    ident,
    iso_time,
    kind_of,
    load_document,
    opt_ident,
    opt_list,
    opt_object,
    opt_text,
    shown,
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

_TICKET_SOURCES = {
    1: "email",
    2: "portal",
    3: "phone",
    5: "twitter",
    6: "facebook",
    7: "chat",
    8: "chat",
    9: "portal",
    10: "email",
    11: "portal",
    12: "chat",
    13: "whatsapp",
    15: "chat",
}
_OUTBOUND_EMAIL = 10
_PHONE = 9
_CONVERSATION_SOURCES = {5: "twitter", 7: "facebook", _PHONE: "phone"}
_STATUSES = {2: "open", 3: "pending", 4: "resolved", 5: "closed"}


def parse(payload: Mapping[str, object] | str | bytes, *, max_bytes: int = EXPORT_MAX_BYTES) -> Parsed:
    """Read one exported Freshdesk ticket with its conversations (decoded JSON, or the raw body)."""
    return guarded(_parse, payload, check_limit(max_bytes, "max_bytes"))


def _parse(payload: object) -> Parsed:
    root = load_document(payload)
    tickets: dict[str, tuple[JsonObject, str]] = {}
    conversations: dict[str, list[tuple[object, str]]] = {}
    requester: JsonObject | None = None
    errors: list[IngestError] = []

    def add_conversation(raw: object, path: str, owner: str | None) -> None:
        item = as_object(raw, path)
        ticket_id = owner or ident(item, "ticket_id", path)
        conversations.setdefault(ticket_id, []).append((item, path))

    if isinstance(root, Mapping):
        requester = opt_object(root, "requester", "$")
        if root.get("ticket") is not None:
            ticket = as_object(root.get("ticket"), "$.ticket")
            ticket_id = ident(ticket, "id", "$.ticket")
            tickets[ticket_id] = (ticket, "$.ticket")
            for i, raw in enumerate(opt_list(root, "conversations", "$")):
                conversations.setdefault(ticket_id, []).append((raw, f"$.conversations[{i}]"))
        elif root.get("results") is not None:
            for i, raw in enumerate(opt_list(root, "results", "$")):
                path = f"$.results[{i}]"
                try:
                    item = as_object(raw, path)
                    tickets[ident(item, "id", path)] = (item, path)
                except IngestError as exc:
                    errors.append(exc)
        elif root.get("id") is not None and not _is_conversation(root):
            ticket_id = ident(root, "id", "$")
            tickets[ticket_id] = (root, "$")
            for i, raw in enumerate(opt_list(root, "conversations", "$")):
                conversations.setdefault(ticket_id, []).append((raw, f"$.conversations[{i}]"))
        elif _is_conversation(root):
            add_conversation(root, "$", None)
        else:
            raise IngestError("$.ticket", "is missing: the response holds no ticket and no conversation")
    else:
        for i, raw in enumerate(root):
            path = f"$[{i}]"
            try:
                item = as_object(raw, path)
                if _is_conversation(item):
                    add_conversation(item, path, None)
                else:
                    tickets[ident(item, "id", path)] = (item, path)
            except IngestError as exc:
                errors.append(exc)
    if not tickets and not conversations and not errors:
        return Parsed(skipped=[Skipped("$", "an empty page: no tickets or conversations in it")])
    parts = []
    for ticket_id in dict.fromkeys([*tickets, *conversations]):
        try:
            ticket, base = tickets.get(ticket_id, ({}, "$"))
            parts.append(_ticket(ticket_id, ticket, base, conversations.get(ticket_id, []), requester))
        except IngestError as exc:
            errors.append(exc)
    return combine(parts, errors)


def _is_conversation(item: JsonObject) -> bool:
    return item.get("ticket_id") is not None and any(
        key in item for key in ("body", "body_text", "incoming", "private")
    )


def _ticket(
    ticket_id: str,
    ticket: JsonObject,
    base: str,
    conversations: list[tuple[object, str]],
    root_requester: JsonObject | None,
) -> Parsed:
    source = _code(ticket, "source", base)
    incoming = _incoming(conversations)
    if source is not None:
        channel = _TICKET_SOURCES.get(source, "portal")
    else:  # a page of conversations only: replies by email say the ticket is an email one
        channel = "email" if any(_text(raw, "from_email") for raw, _ in conversations) else "portal"
    requester_id = opt_ident(ticket, "requester_id", base) or _text(incoming, "user_id")
    requester = opt_object(ticket, "requester", base) or root_requester or {}
    where = f"{base}.requester"
    status_code = _code(ticket, "status", base)
    status = _STATUSES.get(status_code, str(status_code)) if status_code is not None else None
    exported = ExportedTicket(
        provider="freshdesk",
        key=f"ticket:{ticket_id}",
        identity=pick_identity(
            channel,
            emails=[
                opt_text(requester, "email", where),
                *_texts(requester, "other_emails", where),
                _text(incoming, "from_email"),
            ],
            phones=[opt_text(requester, "mobile", where), opt_text(requester, "phone", where)],
            fallback=f"freshdesk-{requester_id or 'ticket-' + ticket_id}",
            fallback_path=f"{base}.requester_id" if requester_id else f"{base}.id",
        ),
        channel=channel,
        name=opt_text(requester, "name", where),
        metadata=compact(
            helpdesk="freshdesk",
            ticket_id=ticket_id,
            subject=opt_text(ticket, "subject", base),
            ticket_status=status,
        ),
    )
    skipped: list[Skipped] = (
        [closed_ticket(f"{base}.status", status)] if status in ("resolved", "closed") else []
    )
    errors: list[IngestError] = []
    messages: list[ExportedMessage] = []
    if ticket:
        try:
            opening = _description(ticket, ticket_id, base, outbound=source == _OUTBOUND_EMAIL)
        except IngestError as exc:
            errors.append(exc)
        else:
            messages.extend([opening] if opening else [])
            if opening is None and not conversations:
                reason = f"ticket {ticket_id} came without its description and conversations"
                skipped.append(Skipped(base, reason + " (list tickets with include=description)"))
    for raw, path in conversations:
        try:
            message = _conversation(raw, path, requester_id)
        except IngestError as exc:
            errors.append(exc)
            continue
        if message is None:
            skipped.append(Skipped(path, "deleted conversation"))
        else:
            messages.append(message)
    return assemble(exported, messages, skipped=skipped, errors=errors)


def _incoming(conversations: list[tuple[object, str]]) -> Mapping[str, object]:
    """The first incoming conversation: written by the requester, when no ticket names them."""
    for raw, _ in conversations:
        if isinstance(raw, Mapping) and raw.get("incoming") is True:
            return raw
    return {}


def _text(item: object, key: str) -> str | None:
    """A value read only as a hint (never validated here: it is reported where it is parsed)."""
    value = item.get(key) if isinstance(item, Mapping) else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip()[:200] if isinstance(value, str) and value.strip() else None


def _code(obj: JsonObject, key: str, path: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise IngestError(f"{path}.{key}", f"expected a code number, got {shown(value)}")
    return value


def _texts(obj: JsonObject, key: str, path: str) -> list[str | None]:
    values: list[str | None] = []
    for i, raw in enumerate(opt_list(obj, key, path)):
        if not isinstance(raw, str):
            raise IngestError(f"{path}.{key}[{i}]", f"expected text, got {kind_of(raw)}")
        values.append(raw)
    return values


def _description(ticket: JsonObject, ticket_id: str, base: str, *, outbound: bool) -> ExportedMessage | None:
    body = _body(ticket, "description_text", "description", base)
    if not body:
        return None
    return ExportedMessage(
        key=f"description:{ticket_id}",
        at=iso_time(ticket, "created_at", base),
        body=body,
        path=f"{base}.description",
        author="agent" if outbound else "customer",
        opening=True,
        metadata=_attachments(ticket, base),
    )


def _conversation(raw: object, path: str, requester_id: str | None) -> ExportedMessage | None:
    """The message of one conversation; None for a deleted one."""
    conversation = as_object(raw, path)
    conversation_id = ident(conversation, "id", path)
    at = iso_time(conversation, "created_at", path)
    if flag(conversation, "deleted", path):
        return None
    private = flag(conversation, "private", path)
    incoming = flag(conversation, "incoming", path)
    user_id = opt_ident(conversation, "user_id", path)
    author: Author
    if private:
        author = "agent"
    elif incoming or (user_id is not None and user_id == requester_id):
        author = "customer"
    elif user_id is None:
        author = "bot"
    else:
        author = "agent"
    source = _code(conversation, "source", path)
    sender = opt_text(conversation, "from_email", path)
    agent = None if author == "customer" else sender or (f"freshdesk agent {user_id}" if user_id else None)
    metadata = _attachments(conversation, path)
    body = _body(conversation, "body_text", "body", path)
    if not body and "attachments" in metadata:
        body = f"[attachment: {metadata['attachments']}]"
    return ExportedMessage(
        key=f"conversation:{conversation_id}",
        at=at,
        body=body,
        path=path,
        author=author,
        kind="note" if private else "call" if source == _PHONE else "message",
        channel=_CONVERSATION_SOURCES.get(source) if source is not None else None,
        agent=agent,
        metadata=metadata,
    )


def _body(obj: JsonObject, text_key: str, html_key: str, path: str) -> str:
    plain = opt_text(obj, text_key, path)
    if plain and plain.strip():
        return plain.strip()
    html = opt_text(obj, html_key, path)
    return html_to_text(html) if html else ""


def _attachments(obj: JsonObject, path: str) -> dict[str, str]:
    names = []
    for i, raw in enumerate(opt_list(obj, "attachments", path)):
        where = f"{path}.attachments[{i}]"
        names.append(opt_text(as_object(raw, where), "name", where) or "unnamed file")
    return compact(attachments=", ".join(names))
