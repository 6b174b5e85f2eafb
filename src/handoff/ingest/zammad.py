"""Zammad ticket exports to :class:`~handoff.Inbound` records.

Takes a ticket with its articles as the Zammad REST API returns them:
``{"ticket": {...}, "articles": [...], "users": [...]}`` (``GET /api/v1/tickets/{id}``
and ``GET /api/v1/ticket_articles/by_ticket/{id}``, with or without ``expand=true``:
names such as ``"type": "email"`` and ids such as ``"type_id": 1`` are both read).

* ``sender`` Customer articles are customer messages, Agent articles agent replies,
  System articles bot messages. ``internal`` articles are internal notes
  (``kind="note"``, ``author="agent"``), and so are articles of type ``note``.
  Articles of type ``phone`` are call records (``kind="call"``, channel ``phone``).
* The channel comes from the article type (email, sms, chat, phone, web, twitter,
  facebook, whatsapp...), or the ticket's for notes and unknown types.
* The customer is the ticket's ``customer_id`` looked up in ``users``, else the expanded
  ``customer`` login, else the address of the first customer article.
* Grouping, ordering and external ids follow :mod:`handoff.ingest.helpdesk`.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parseaddr

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
    opt_ident,
    opt_list,
    opt_text,
    required,
)
from handoff.ingest.base import Parsed, Skipped
from handoff.ingest.helpdesk import (
    Author,
    ExportedMessage,
    ExportedTicket,
    Kind,
    assemble,
    closed_ticket,
    pick_identity,
)

__all__ = ["parse"]

# Zammad's seeded article types and senders, for exports without ``expand=true``.
_TYPE_IDS = {
    1: "email",
    2: "sms",
    3: "chat",
    4: "fax",
    5: "phone",
    6: "twitter status",
    7: "twitter direct-message",
    8: "facebook feed post",
    9: "facebook feed comment",
    10: "note",
    11: "web",
    12: "telegram personal-message",
}
_SENDER_IDS = {1: "agent", 2: "customer", 3: "system"}
_STATE_IDS = {1: "new", 2: "open", 3: "pending reminder", 4: "closed", 5: "merged", 7: "pending close"}
_CHANNELS = {
    "email": "email",
    "sms": "sms",
    "chat": "chat",
    "phone": "phone",
    "web": "portal",
    "fax": "portal",
    "twitter status": "twitter",
    "twitter direct-message": "twitter_dm",
    "facebook feed post": "facebook",
    "facebook feed comment": "facebook",
    "whatsapp message": "whatsapp",
}


def parse(payload: Mapping[str, object] | str | bytes) -> Parsed:
    """Read one exported Zammad ticket with its articles (decoded JSON, or the raw body)."""
    return guarded(_parse, payload)


def _parse(payload: object) -> Parsed:
    root = load(payload)
    ticket = as_object(required(root, "ticket", "$"), "$.ticket")
    ticket_id = ident(ticket, "id", "$.ticket")
    articles = [(raw, f"$.articles[{i}]") for i, raw in enumerate(opt_list(root, "articles", "$"))]
    first_type = _named(ticket, "create_article_type", _TYPE_IDS, "$.ticket")
    channel = _CHANNELS.get(first_type or "", "portal")
    customer_id = opt_ident(ticket, "customer_id", "$.ticket")
    customer = _users(root).get(customer_id or "", {})
    first_from = _first_customer_from(articles)
    emails = [opt_text(customer, "email", "$.users[customer]"), _login(ticket), first_from]
    phones = [opt_text(customer, key, "$.users[customer]") for key in ("mobile", "phone")] + [first_from]
    name = " ".join(
        part
        for part in (opt_text(customer, key, "$.users[customer]") for key in ("firstname", "lastname"))
        if part
    )
    state = _named(ticket, "state", _STATE_IDS, "$.ticket")
    exported = ExportedTicket(
        provider="zammad",
        key=f"ticket:{ticket_id}",
        identity=pick_identity(
            channel,
            emails=emails,
            phones=phones,
            fallback=f"zammad-{customer_id or 'ticket-' + ticket_id}",
            fallback_path="$.ticket.customer_id" if customer_id else "$.ticket.id",
        ),
        channel=channel,
        name=name or None,
        metadata=compact(
            helpdesk="zammad",
            ticket_id=ticket_id,
            ticket_number=opt_ident(ticket, "number", "$.ticket"),
            subject=opt_text(ticket, "title", "$.ticket"),
            ticket_status=state,
        ),
    )
    skipped: list[Skipped] = [closed_ticket("$.ticket.state", state)] if state in ("closed", "merged") else []
    errors: list[IngestError] = []
    messages: list[ExportedMessage] = []
    for raw, path in articles:
        try:
            messages.append(_article(raw, path, channel))
        except IngestError as exc:
            errors.append(exc)
    return assemble(exported, messages, skipped=skipped, errors=errors)


def _named(obj: JsonObject, key: str, ids: Mapping[int, str], path: str) -> str | None:
    """An expanded name (``"type": "email"``) or a seeded id (``"type_id": 1``), lower-cased."""
    name = opt_text(obj, key, path)
    if name and name.strip():
        return name.strip().lower()
    raw = obj.get(f"{key}_id")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return ids.get(raw)
    return None


def _users(root: JsonObject) -> dict[str, JsonObject]:
    users: dict[str, JsonObject] = {}
    for i, raw in enumerate(opt_list(root, "users", "$")):
        user = as_object(raw, f"$.users[{i}]")
        user_id = opt_ident(user, "id", f"$.users[{i}]")
        if user_id:
            users[user_id] = user
    return users


def _login(ticket: JsonObject) -> str | None:
    """The expanded ``customer`` field is the customer's login, often their address."""
    login = ticket.get("customer")
    return login if isinstance(login, str) and "@" in login else None


def _first_customer_from(articles: list[tuple[object, str]]) -> str | None:
    """The address (email or phone number) the customer's first article came from."""
    for raw, _path in articles:
        if isinstance(raw, Mapping) and _sender(raw) == "customer":
            sender = raw.get("from")
            if isinstance(sender, str) and sender.strip():
                return _split_from(sender)[1] or None
    return None


def _split_from(sender: str) -> tuple[str, str]:
    """``Name <address>`` into its parts; a bare name or number is kept whole."""
    if "@" not in sender:
        stripped = sender.strip()
        return ("", stripped) if stripped.startswith("+") else (stripped, "")
    return parseaddr(sender)


def _sender(article: Mapping[str, object]) -> str | None:
    name = article.get("sender")
    if isinstance(name, str):
        return name.strip().lower()
    raw = article.get("sender_id")
    return _SENDER_IDS.get(raw) if isinstance(raw, int) and not isinstance(raw, bool) else None


def _article(raw: object, path: str, ticket_channel: str) -> ExportedMessage:
    article = as_object(raw, path)
    article_id = ident(article, "id", path)
    at = iso_time(article, "created_at", path)
    kind_name = _named(article, "type", _TYPE_IDS, path) or "note"
    internal = flag(article, "internal", path)
    sender = _sender(article)
    author: Author
    if internal or sender == "agent":
        author = "agent"
    elif sender == "system":
        author = "bot"
    else:
        author = "customer"
    kind: Kind = "message"
    if internal or kind_name == "note":
        kind = "note"
    elif kind_name == "phone":
        kind = "call"
    body = opt_text(article, "body", path) or ""
    content_type = (opt_text(article, "content_type", path) or "text/plain").lower()
    body = html_to_text(body) if "html" in content_type else body.strip()
    raw_from = opt_text(article, "from", path)
    display, address = _split_from(raw_from) if raw_from else ("", "")
    agent = display or address or opt_text(article, "created_by", path) or _creator(article, path)
    return ExportedMessage(
        key=f"article:{article_id}",
        at=at,
        body=body,
        path=path,
        author=author,
        kind=kind,
        channel=None if kind == "note" else _CHANNELS.get(kind_name),
        agent=None if author == "customer" else agent,
        metadata=compact(
            article_type=kind_name,
            email_subject=opt_text(article, "subject", path),
            message_id=opt_text(article, "message_id", path),
        ),
    )


def _creator(article: JsonObject, path: str) -> str | None:
    creator = opt_ident(article, "created_by_id", path)
    return f"zammad user {creator}" if creator else None
