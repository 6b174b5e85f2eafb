"""Intercom conversation exports to :class:`~handoff.Inbound` records.

Takes the responses of the Intercom REST API (2.x) that hold conversations, one page
at a time: a conversation (``GET /conversations/{id}``, and what replying to or acting
on one returns) with its ``source`` (the opening message) and its
``conversation_parts``; a ``conversation.list`` (``GET /conversations``,
``POST /conversations/search``, whatever page ``pages.next`` leads to), whose
conversations carry their opening message only. A conversation may also come wrapped
as ``{"conversation": {...}, "contacts": [...]}`` with the full contact objects, which
supply the customer's email address and phone number. The opening message always has
the conversation's external id, so pages can come in any order, and twice.

* Authors of type user, lead or contact are the customer; admin and team are agents;
  bot (Fin, custom bots) and operator are bots.
* ``comment`` parts, and any other part with text (an admin closing with a message, a
  customer reply that reopens the conversation), are messages; ``note`` parts are
  internal notes. Parts without text (assignment, snooze, open, close...) are state
  changes, reported in ``Parsed.skipped``.
* The channel is the source type: ``conversation`` (the Messenger widget) is ``chat``,
  then email, phone_call (``phone``), sms, whatsapp, facebook (``messenger``),
  instagram, twitter; unknown types are ``portal``.
* The customer is the conversation's first contact: their email address (from the
  full contacts, or from the parts they wrote), else their phone number, else
  ``portal:intercom-<contact id>``.
* Grouping, ordering and external ids follow :mod:`handoff.ingest.helpdesk`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from handoff.errors import IngestError
from handoff.ingest._html import html_to_text
from handoff.ingest._limits import EXPORT_MAX_BYTES, check_limit
from handoff.ingest._payload import (
    JsonObject,
    as_object,
    combine,
    compact,
    epoch,
    flag,
    guarded,
    ident,
    load,
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
    "conversation": "chat",
    "chat": "chat",
    "push": "chat",
    "email": "email",
    "phone_call": "phone",
    "phone_switch": "phone",
    "call": "phone",
    "sms": "sms",
    "whatsapp": "whatsapp",
    "facebook": "messenger",
    "instagram": "instagram",
    "twitter": "twitter",
}
_CUSTOMERS = frozenset({"user", "lead", "contact"})
_BOTS = frozenset({"bot", "operator"})
_NOTES = frozenset({"note", "note_and_reopen"})


def parse(payload: Mapping[str, object] | str | bytes, *, max_bytes: int = EXPORT_MAX_BYTES) -> Parsed:
    """Read one exported Intercom conversation with its parts (decoded JSON, or the raw body)."""
    return guarded(_parse, payload, check_limit(max_bytes, "max_bytes"))


def _parse(payload: object) -> Parsed:
    root = load(payload)
    if root.get("type") == "conversation.list" or isinstance(root.get("conversations"), list):
        full_contacts = opt_list(root, "contacts", "$")
        errors: list[IngestError] = []
        found = []
        for i, raw in enumerate(opt_list(root, "conversations", "$")):
            path = f"$.conversations[{i}]"
            try:
                found.append(_conversation(as_object(raw, path), path, full_contacts))
            except IngestError as exc:
                errors.append(exc)
        if not found and not errors:
            return Parsed(skipped=[Skipped("$", "an empty page: no conversations in it")])
        return combine(found, errors)
    if root.get("type") != "conversation" and root.get("conversation") is not None:
        return _conversation(
            as_object(root.get("conversation"), "$.conversation"),
            "$.conversation",
            opt_list(root, "contacts", "$"),
        )
    return _conversation(root, "$", ())


def _conversation(conversation: JsonObject, base: str, full_contacts: Sequence[object]) -> Parsed:
    conversation_id = ident(conversation, "id", base)
    created = epoch(required(conversation, "created_at", base), f"{base}.created_at")
    source = opt_object(conversation, "source", base) or {}
    source_type = (opt_text(source, "type", f"{base}.source") or "conversation").strip().lower()
    channel = _CHANNELS.get(source_type, "portal")
    contact_ids = _contact_ids(conversation, base)
    parts = _listed(conversation, "conversation_parts", base)
    email, phone, name = _customer(contact_ids, full_contacts, [source, *(p for p, _ in parts)])
    state = opt_text(conversation, "state", base)
    if contact_ids:
        fallback, fallback_path = f"intercom-{contact_ids[0]}", f"{base}.contacts"
    else:
        fallback, fallback_path = f"intercom-conversation-{conversation_id}", f"{base}.id"
    exported = ExportedTicket(
        provider="intercom",
        key=f"conversation:{conversation_id}",
        identity=pick_identity(
            channel, emails=[email], phones=[phone], fallback=fallback, fallback_path=fallback_path
        ),
        channel=channel,
        name=name,
        metadata=compact(
            helpdesk="intercom",
            conversation_id=conversation_id,
            subject=opt_text(conversation, "title", base)
            or html_to_text(opt_text(source, "subject", base) or ""),
            ticket_status=state,
        ),
    )
    skipped: list[Skipped] = (
        [closed_ticket(f"{base}.state", state, what="conversation")] if state == "closed" else []
    )
    errors: list[IngestError] = []
    messages: list[ExportedMessage] = []
    try:
        opening = _message(source, f"{base}.source", created, opening=True) if source else None
    except IngestError as exc:
        errors.append(exc)
    else:
        if isinstance(opening, Skipped):
            skipped.append(opening)
        elif opening is not None:
            messages.append(opening)
    for raw, path in parts:
        try:
            part = as_object(raw, path)
            message = _message(part, path, epoch(required(part, "created_at", path), f"{path}.created_at"))
        except IngestError as exc:
            errors.append(exc)
            continue
        if isinstance(message, Skipped):
            skipped.append(message)
        else:
            messages.append(message)
    return assemble(exported, messages, skipped=skipped, errors=errors)


def _contact_ids(conversation: JsonObject, base: str) -> list[str]:
    """The conversation's contact ids."""
    ids = []
    for item, path in _listed(conversation, "contacts", base):
        contact_id = opt_ident(as_object(item, path), "id", path)
        if contact_id:
            ids.append(contact_id)
    return ids


def _listed(conversation: JsonObject, key: str, base: str) -> list[tuple[object, str]]:
    """The items under ``key`` with their paths: Intercom wraps lists in a list object or not.

    ``{"contacts": {"type": "contact.list", "contacts": [...]}}`` and a plain array
    both occur, depending on the API version the export was made with.
    """
    raw = conversation.get(key)
    path = f"{base}.{key}"
    if isinstance(raw, Mapping):
        items = opt_list(raw, key, path)
        path = f"{path}.{key}"
    else:
        items = opt_list(conversation, key, base)
    return [(item, f"{path}[{i}]") for i, item in enumerate(items)]


def _customer(
    contact_ids: Sequence[str], full_contacts: Sequence[object], authored: Sequence[object]
) -> tuple[str | None, str | None, str | None]:
    """Email, phone and name of the first contact, from full contacts or the parts they wrote.

    Only read, never validated here: a malformed part is reported where it is parsed.
    """
    email = phone = name = None
    people = [contact for contact in full_contacts if isinstance(contact, Mapping)]
    for item in authored:
        author = item.get("author") if isinstance(item, Mapping) else None
        if isinstance(author, Mapping) and _plain(author.get("type")) in _CUSTOMERS:
            people.append(author)
    for person in people:
        if contact_ids and str(person.get("id")) != contact_ids[0]:
            continue
        email = email or _plain(person.get("email"))
        phone = phone or _plain(person.get("phone"))
        name = name or _plain(person.get("name"))
    return email, phone, name


def _plain(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _message(
    item: JsonObject, path: str, at: datetime, *, opening: bool = False
) -> ExportedMessage | Skipped:
    """A part (or the opening message) with text as a message or note; one without as skipped."""
    part_type = (opt_text(item, "part_type", path) or "comment").strip().lower()
    author_obj = opt_object(item, "author", path) or {}
    author_type = (opt_text(author_obj, "type", f"{path}.author") or "").strip().lower()
    key = f"{'message' if opening else 'part'}:{ident(item, 'id', path)}"
    html = opt_text(item, "body", path)
    body = html_to_text(html) if html else ""
    names = []
    for i, raw in enumerate(opt_list(item, "attachments", path)):
        attachment = as_object(raw, f"{path}.attachments[{i}]")
        names.append(opt_text(attachment, "name", f"{path}.attachments[{i}]") or "unnamed file")
    if flag(item, "redacted", path):
        body = "[redacted]"
    elif not body and names:
        body = "[attachment: " + ", ".join(names) + "]"
    if not body:
        who = author_type or "someone"
        return Skipped(path, f"{part_type.replace('_', ' ')} by {who}: no text, not an interaction")
    author: Author
    if part_type in _NOTES or author_type not in _CUSTOMERS | _BOTS:
        author = "agent"
    elif author_type in _BOTS:
        author = "bot"
    else:
        author = "customer"
    agent = opt_text(author_obj, "name", f"{path}.author") or opt_text(author_obj, "email", f"{path}.author")
    return ExportedMessage(
        key=key,
        at=at,
        body=body,
        path=path,
        author=author,
        kind="note" if part_type in _NOTES else "message",
        agent=None if author == "customer" else agent,
        opening=opening,
        metadata=compact(part_type=part_type, attachments=", ".join(names) or None),
    )
