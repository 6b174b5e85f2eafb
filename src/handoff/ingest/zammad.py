"""Zammad REST API responses to :class:`~handoff.Inbound` records.

Takes the responses that hold tickets and articles, one at a time: a ticket
(``GET /api/v1/tickets/{id}``), a list of tickets (``GET /api/v1/tickets``,
``/tickets/search`` with ``expand=true``), the articles of a ticket
(``GET /api/v1/ticket_articles/by_ticket/{id}``) or one article, the ``assets`` of
``GET /api/v1/tickets/{id}?all=true`` and of a search without ``expand``, or a ticket
and its articles put together, ``{"ticket": {...}, "articles": [...], "users": [...]}``;
with or without ``expand=true`` (names such as ``"type": "email"`` and ids such as
``"type_id": 1`` are both read). A ticket that came without its articles is reported in
``Parsed.skipped``, saying how many it has and where to read them; the articles make
the interactions, the earliest of a ticket's complete list opening it (the ticket's
external id), so the responses can come in any order, and twice.

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

from attrs import define, evolve, field

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
    load_document,
    opt_count,
    opt_ident,
    opt_list,
    opt_object,
    opt_text,
)
from handoff.ingest.base import Parsed, Skipped
from handoff.ingest.helpdesk import (
    Author,
    ExportedMessage,
    ExportedTicket,
    Kind,
    assemble,
    closed_ticket,
    natural,
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


def parse(payload: Mapping[str, object] | str | bytes, *, max_bytes: int = EXPORT_MAX_BYTES) -> Parsed:
    """Read one exported Zammad ticket with its articles (decoded JSON, or the raw body)."""
    return guarded(_parse, payload, check_limit(max_bytes, "max_bytes"))


def _parse(payload: object) -> Parsed:
    root = load_document(payload)
    page = _Page()
    if isinstance(root, Mapping):
        _read_object(root, page)
    else:
        for i, raw in enumerate(root):
            path = f"$[{i}]"
            item = as_object(raw, path)
            if _is_article(item):
                page.add_article(item, path, complete=True)
            else:
                page.add_ticket(item, path)
    if not page.tickets and not page.articles:
        if isinstance(root, Mapping):
            raise IngestError("$.ticket", "is missing: the response holds no ticket and no article")
        return Parsed(skipped=[Skipped("$", "an empty page: no tickets or articles in it")])
    parts = []
    errors: list[IngestError] = []
    for ticket_id in dict.fromkeys([*page.tickets, *page.articles]):
        try:
            parts.append(_ticket(ticket_id, page))
        except IngestError as exc:
            errors.append(exc)
    return combine(parts, errors)


@define
class _Page:
    """The tickets, articles (by ticket id) and users one response holds."""

    tickets: dict[str, tuple[JsonObject, str]] = field(factory=dict)
    articles: dict[str, list[tuple[JsonObject, str]]] = field(factory=dict)
    complete: set[str] = field(factory=set)
    users: dict[str, JsonObject] = field(factory=dict)

    def add_ticket(self, ticket: JsonObject, path: str) -> None:
        self.tickets[ident(ticket, "id", path)] = (ticket, path)

    def add_article(self, article: JsonObject, path: str, *, complete: bool) -> None:
        ticket_id = ident(article, "ticket_id", path)
        self.articles.setdefault(ticket_id, []).append((article, path))
        if complete:
            self.complete.add(ticket_id)


def _is_article(item: JsonObject) -> bool:
    return item.get("ticket_id") is not None and "title" not in item


def _read_object(root: JsonObject, page: _Page) -> None:
    """A ticket with its articles, the ``assets`` of ``all=true`` or a search, or one record."""
    for i, raw in enumerate(opt_list(root, "users", "$")):
        user = as_object(raw, f"$.users[{i}]")
        user_id = opt_ident(user, "id", f"$.users[{i}]")
        if user_id:
            page.users[user_id] = user
    assets = opt_object(root, "assets", "$")
    if assets is not None:
        _read_assets(assets, page, complete=root.get("ticket_article_ids") is not None)
    elif root.get("ticket") is not None:
        page.add_ticket(as_object(root.get("ticket"), "$.ticket"), "$.ticket")
        for i, raw in enumerate(opt_list(root, "articles", "$")):
            path = f"$.articles[{i}]"
            page.add_article(as_object(raw, path), path, complete=True)
        ticket_id = next(iter(page.tickets))
        if root.get("articles") is not None:
            page.complete.add(ticket_id)
    elif _is_article(root):
        page.add_article(root, "$", complete=False)
    elif root.get("id") is not None and any(
        key in root for key in ("title", "customer_id", "article_ids", "number")
    ):
        page.add_ticket(root, "$")


def _read_assets(assets: JsonObject, page: _Page, *, complete: bool) -> None:
    for kind, target in (("User", "users"), ("Ticket", "tickets"), ("TicketArticle", "articles")):
        records = opt_object(assets, kind, "$.assets") or {}
        for key, raw in records.items():
            path = f"$.assets.{kind}.{key}"
            record = as_object(raw, path)
            if target == "users":
                page.users[ident(record, "id", path)] = record
            elif target == "tickets":
                page.add_ticket(record, path)
            else:
                page.add_article(record, path, complete=complete)


def _ticket(ticket_id: str, page: _Page) -> Parsed:
    ticket, base = page.tickets.get(ticket_id, ({}, "$"))
    articles = page.articles.get(ticket_id, [])
    if not articles:
        count = opt_count(ticket, "article_count", base)
        listed = f"{count} article{'s' if count != 1 else ''}" if count is not None else "its articles"
        state = _named(ticket, "state", _STATE_IDS, base)
        reason = (
            f"ticket {ticket_id} came without its articles ({listed}); "
            f"read them with GET /api/v1/ticket_articles/by_ticket/{ticket_id}"
        )
        closed = [closed_ticket(f"{base}.state", state)] if state in ("closed", "merged") else []
        return Parsed(skipped=[Skipped(base, reason), *closed])
    first_type = _named(ticket, "create_article_type", _TYPE_IDS, base) or _first_type(articles)
    channel = _CHANNELS.get(first_type or "", "portal")
    customer_id = opt_ident(ticket, "customer_id", base) or _first_customer(articles, "created_by_id")
    customer = page.users.get(customer_id or "", {})
    first_from = _first_customer(articles, "from")
    emails = [opt_text(customer, "email", "$.users[customer]"), _login(ticket), first_from]
    phones = [opt_text(customer, key, "$.users[customer]") for key in ("mobile", "phone")] + [first_from]
    name = " ".join(
        part
        for part in (opt_text(customer, key, "$.users[customer]") for key in ("firstname", "lastname"))
        if part
    )
    state = _named(ticket, "state", _STATE_IDS, base)
    exported = ExportedTicket(
        provider="zammad",
        key=f"ticket:{ticket_id}",
        identity=pick_identity(
            channel,
            emails=emails,
            phones=phones,
            fallback=f"zammad-{customer_id or 'ticket-' + ticket_id}",
            fallback_path=f"{base}.customer_id" if customer_id else f"{base}.id",
        ),
        channel=channel,
        name=name or None,
        metadata=compact(
            helpdesk="zammad",
            ticket_id=ticket_id,
            ticket_number=opt_ident(ticket, "number", base),
            subject=opt_text(ticket, "title", base),
            ticket_status=state,
        ),
    )
    skipped: list[Skipped] = [closed_ticket(f"{base}.state", state)] if state in ("closed", "merged") else []
    errors: list[IngestError] = []
    messages: list[ExportedMessage] = []
    for raw, path in articles:
        try:
            messages.append(_article(raw, path, channel))
        except IngestError as exc:
            errors.append(exc)
    if ticket_id in page.complete and messages:
        first = min(messages, key=lambda m: (m.at, natural(m.key)))
        messages = [evolve(m, opening=True) if m is first else m for m in messages]
    return assemble(exported, messages, skipped=skipped, errors=errors)


def _first_type(articles: list[tuple[JsonObject, str]]) -> str | None:
    """The type of the earliest article, when no ticket says how it was created."""
    dated = [(a.get("created_at"), a) for a, _ in articles if isinstance(a.get("created_at"), str)]
    if not dated:
        return None
    earliest = min(dated, key=lambda pair: str(pair[0]))[1]
    return _named(earliest, "type", _TYPE_IDS, "$")


def _named(obj: JsonObject, key: str, ids: Mapping[int, str], path: str) -> str | None:
    """An expanded name (``"type": "email"``) or a seeded id (``"type_id": 1``), lower-cased."""
    name = opt_text(obj, key, path)
    if name and name.strip():
        return name.strip().lower()
    raw = obj.get(f"{key}_id")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return ids.get(raw)
    return None


def _login(ticket: JsonObject) -> str | None:
    """The expanded ``customer`` field is the customer's login, often their address."""
    login = ticket.get("customer")
    return login if isinstance(login, str) and "@" in login else None


def _first_customer(articles: list[tuple[JsonObject, str]], key: str) -> str | None:
    """``from`` (an email address or phone number) or ``created_by_id`` of the customer's first article."""
    for article, _path in articles:
        if _sender(article) != "customer":
            continue
        value = article.get(key)
        if key == "from" and isinstance(value, str) and value.strip():
            return _split_from(value)[1] or None
        if (
            key != "from"
            and isinstance(value, int | str)
            and not isinstance(value, bool)
            and str(value).strip()
        ):
            return str(value).strip()[:100]
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
