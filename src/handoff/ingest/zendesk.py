"""Zendesk Support API responses to :class:`~handoff.Inbound` records.

``parse`` takes one response body (decoded JSON, or the raw bytes) of the endpoints
that return tickets and their conversations, one page at a time:

* tickets: ``GET /api/v2/tickets`` (and ``/tickets/{id}``, ``/tickets/show_many``,
  ``/tickets/recent``), with side-loaded ``users``; incremental exports
  ``/incremental/tickets`` (time or cursor based); search ``results``;
* a ticket's conversation: ``/tickets/{id}/comments`` (give ``ticket_id``: its comments
  do not name their ticket), ``/tickets/{id}/audits`` and ``/ticket_audits``, and the
  incremental ticket events export with ``include=comment_events``;
* the end-user API: ``/requests`` and ``/requests/{id}/comments``;
* a ticket and its comments or audits put together, ``{"ticket", "comments", "users"}``.

What each page adds:

* A ticket without its comments gives its opening message from its ``description``.
  The opening message is the same record whichever page brings it (the ticket's
  description, the comment of the audit that created the ticket, the first comment of
  the first page of comments): its external id is the ticket's (``zendesk:ticket:123``).
  Pages can therefore be fed in any order, and twice: nothing is stored twice.
* The requester's comments are customer messages; ``public: false`` comments are
  internal notes (``kind="note"``, ``author="agent"``); comments by agents are agent
  replies, named from the side-loaded ``users``. Voice comments are ``kind="call"``.
* The channel comes from ``via.channel`` (email, web, chat, voice, sms, whatsapp,
  twitter, facebook, ...; unknown ones are ``portal``). A customer comment that arrived
  another way than the ticket keeps its own channel.
* A solved or closed ticket and status changes in audits are reported in
  ``Parsed.skipped``. Grouping, ordering and external ids follow
  :mod:`handoff.ingest.helpdesk`.
"""

from __future__ import annotations

from collections.abc import Mapping

from attrs import define, field

from handoff.errors import IngestError
from handoff.ingest._limits import EXPORT_MAX_BYTES, check_limit
from handoff.ingest._payload import (
    JsonObject,
    as_object,
    combine,
    compact,
    guarded,
    ident,
    load,
    opt_ident,
    opt_list,
    opt_object,
    opt_text,
)
from handoff.ingest._zendesk_comments import channel_of, message
from handoff.ingest.base import Parsed, Skipped
from handoff.ingest.helpdesk import ExportedMessage, ExportedTicket, assemble, closed_ticket, pick_identity

__all__ = ["parse"]

_CLOSED = frozenset({"solved", "closed"})
_COMMENT_TYPES = frozenset({"Comment", "VoiceComment"})
_TICKET_LISTS = ("tickets", "requests", "results")


@define
class _Ticket:
    """What one page says about one ticket."""

    id: str
    ticket: JsonObject | None = None
    path: str = "$"
    requester_id: str | None = None
    comments: list[tuple[JsonObject, str, bool]] = field(factory=list)
    skipped: list[Skipped] = field(factory=list)
    errors: list[IngestError] = field(factory=list)


def parse(
    payload: Mapping[str, object] | str | bytes,
    *,
    ticket_id: int | str | None = None,
    max_bytes: int = EXPORT_MAX_BYTES,
) -> Parsed:
    """Read one Zendesk API response (decoded JSON, or the raw body) of the endpoints above.

    ``ticket_id`` names the ticket of a ``/tickets/{id}/comments`` page. A body larger
    than ``max_bytes`` (32 MB by default) is refused before it is parsed.
    """
    wanted = None if ticket_id is None else str(ticket_id).strip()
    if wanted is not None and (not wanted or len(wanted) > 100):
        raise IngestError("ticket_id", f"expected a ticket id, got {ticket_id!r}")
    return guarded(lambda body: _parse(body, wanted), payload, check_limit(max_bytes, "max_bytes"))


def _parse(payload: object, ticket_id: str | None) -> Parsed:
    root = load(payload)
    users = _users(root)
    tickets: dict[str, _Ticket] = {}
    errors: list[IngestError] = []
    for key in ("ticket", "request"):
        if root.get(key) is not None:
            _add_ticket(tickets, root.get(key), f"$.{key}")
    for key in _TICKET_LISTS:
        for i, raw in enumerate(opt_list(root, key, "$")):
            try:
                if key == "results" and isinstance(raw, Mapping) and raw.get("result_type") != "ticket":
                    continue
                _add_ticket(tickets, raw, f"$.{key}[{i}]")
            except IngestError as exc:
                errors.append(exc)
    sole = next(iter(tickets)) if len(tickets) == 1 else None
    audits = [(raw, f"$.audits[{i}]") for i, raw in enumerate(opt_list(root, "audits", "$"))]
    if root.get("audit") is not None:
        audits.append((root.get("audit"), "$.audit"))
    use_audits = root.get("comments") is None
    for raw, path in audits:
        try:
            _add_audit(tickets, raw, path, use_audits)
        except IngestError as exc:
            errors.append(exc)
    for i, raw in enumerate(opt_list(root, "ticket_events", "$")):
        try:
            _add_ticket_event(tickets, raw, f"$.ticket_events[{i}]")
        except IngestError as exc:
            errors.append(exc)
    if root.get("comments") is not None:
        _add_comments(root, tickets, ticket_id or sole, errors)
    if not tickets and not errors:
        if any(root.get(key) is not None for key in (*_TICKET_LISTS, "audits", "ticket_events")):
            return Parsed(skipped=[Skipped("$", "an empty page: no tickets in it")])
        raise IngestError("$.ticket", "is missing: the page holds no ticket, audit or comment of one")
    parts = []
    for found in tickets.values():
        try:
            parts.append(_assemble(found, users))
        except IngestError as exc:
            errors.append(exc)
    return combine(parts, errors)


def _users(root: JsonObject) -> dict[str, JsonObject]:
    users: dict[str, JsonObject] = {}
    for i, raw in enumerate(opt_list(root, "users", "$")):
        user = as_object(raw, f"$.users[{i}]")
        user_id = opt_ident(user, "id", f"$.users[{i}]")
        if user_id:
            users[user_id] = user
    return users


def _entry(tickets: dict[str, _Ticket], ticket_id: str) -> _Ticket:
    return tickets.setdefault(ticket_id, _Ticket(ticket_id))


def _add_ticket(tickets: dict[str, _Ticket], raw: object, path: str) -> None:
    ticket = as_object(raw, path)
    found = _entry(tickets, ident(ticket, "id", path))
    found.ticket, found.path = ticket, path
    found.requester_id = opt_ident(ticket, "requester_id", path) or found.requester_id


def _add_audit(tickets: dict[str, _Ticket], raw: object, path: str, with_comments: bool) -> None:
    audit = as_object(raw, path)
    found = _entry(tickets, ident(audit, "ticket_id", path))
    events = [(as_object(e, f"{path}.events[{j}]"), j) for j, e in enumerate(opt_list(audit, "events", path))]
    creates = any(opt_text(change, "type", path) == "Create" for change, _ in events)
    for change, j in events:
        where = f"{path}.events[{j}]"
        kind = opt_text(change, "type", where)
        if kind == "Create" and change.get("field_name") == "requester_id":
            found.requester_id = opt_ident(change, "value", where) or found.requester_id
        elif with_comments and kind in _COMMENT_TYPES:
            comment = {"created_at": audit.get("created_at"), "via": audit.get("via"), **change}
            found.comments.append((comment, where, creates))
        elif kind == "Change" and change.get("field_name") == "status":
            before = opt_text(change, "previous_value", where) or "?"
            after = opt_text(change, "value", where) or "?"
            when = opt_text(audit, "created_at", path) or "an unknown time"
            found.skipped.append(Skipped(where, f"status changed from {before} to {after} at {when}"))


def _add_ticket_event(tickets: dict[str, _Ticket], raw: object, path: str) -> None:
    """An incremental ticket event; its ``child_events`` hold the comment and the changes."""
    event = as_object(raw, path)
    found = _entry(tickets, ident(event, "ticket_id", path))
    children = [
        (as_object(c, f"{path}.child_events[{j}]"), j)
        for j, c in enumerate(opt_list(event, "child_events", path))
    ]
    creates = opt_text(event, "event_type", path) == "Create" or any(
        opt_text(child, "event_type", path) == "Create" for child, _ in children
    )
    for child, j in children:
        where = f"{path}.child_events[{j}]"
        kind = opt_text(child, "event_type", where)
        if kind in _COMMENT_TYPES or (kind is None and child.get("comment_present") and "body" in child):
            comment = {"created_at": event.get("created_at"), **child, "via": _via(child, event)}
            comment.setdefault("author_id", event.get("updater_id"))
            found.comments.append((comment, where, creates))
        elif isinstance(child.get("requester_id"), int | str) and creates:
            found.requester_id = opt_ident(child, "requester_id", where)
        elif kind == "Change" and "status" in child:
            status = opt_text(child, "status", where) or "?"
            found.skipped.append(Skipped(where, f"status changed to {status}"))


def _via(*items: JsonObject) -> object:
    """The ``via`` of an incremental event: an object, or a name such as ``"Web Widget"``."""
    for item in items:
        via = item.get("via")
        if isinstance(via, str) and via.strip():
            return {"channel": via.strip().lower().replace(" ", "_")[:40]}
        if via is not None:
            return via
    return None


def _add_comments(
    root: JsonObject, tickets: dict[str, _Ticket], ticket_id: str | None, errors: list[IngestError]
) -> None:
    """A page of comments; on the first page (no ``previous_page``) the earliest opens the ticket."""
    first_page = root.get("previous_page") is None and not _has_before(root)
    named = ("ticket_id", "request_id")
    listed = opt_list(root, "comments", "$")
    if ticket_id is None and not any(isinstance(c, Mapping) and any(c.get(k) for k in named) for c in listed):
        raise IngestError(
            "$.ticket", "is missing: a page of ticket comments does not name its ticket; pass ticket_id"
        )
    earliest: dict[str, tuple[str, int]] = {}
    for i, raw in enumerate(opt_list(root, "comments", "$")):
        path = f"$.comments[{i}]"
        try:
            comment = as_object(raw, path)
            owner = (
                opt_ident(comment, "ticket_id", path) or opt_ident(comment, "request_id", path) or ticket_id
            )
            if owner is None:
                raise IngestError(
                    "$.ticket", "is missing: a comments page does not name its ticket; pass ticket_id"
                )
            found = _entry(tickets, owner)
            found.comments.append((comment, path, False))
            when = opt_text(comment, "created_at", path) or ""
            if owner not in earliest or (when, i) < (earliest[owner][0], earliest[owner][1]):
                earliest[owner] = (when, i)
        except IngestError as exc:
            errors.append(exc)
    if not first_page:
        return
    for owner, (_, index) in earliest.items():
        found = tickets[owner]
        found.comments = [
            (comment, path, opening or path == f"$.comments[{index}]")
            for comment, path, opening in found.comments
        ]


def _has_before(root: JsonObject) -> bool:
    meta = root.get("meta")
    return isinstance(meta, Mapping) and meta.get("has_before") is True


def _assemble(found: _Ticket, users: Mapping[str, JsonObject]) -> Parsed:
    ticket = found.ticket or {}
    path = found.path
    comments = sorted(found.comments, key=lambda item: not item[2])  # the opening comment first
    requester_id = found.requester_id or _end_user(comments, users)
    requester = users.get(requester_id or "") or opt_object(ticket, "requester", path) or {}
    channel = channel_of(ticket, path) if ticket else None
    for comment, where, _ in comments:
        channel = channel or channel_of(comment, where)
    channel = channel or "portal"
    status = opt_text(ticket, "status", path)
    subject = opt_text(ticket, "subject", path) or opt_text(ticket, "raw_subject", path)
    exported = ExportedTicket(
        provider="zendesk",
        key=f"ticket:{found.id}",
        identity=pick_identity(
            channel,
            emails=[opt_text(requester, "email", "$.users[requester]")],
            phones=[opt_text(requester, "phone", "$.users[requester]")],
            fallback=f"zendesk-{requester_id or 'ticket-' + found.id}",
            fallback_path=f"{path}.requester_id" if requester_id else f"{path}.id",
        ),
        channel=channel,
        name=opt_text(requester, "name", "$.users[requester]"),
        metadata=compact(helpdesk="zendesk", ticket_id=found.id, subject=subject, ticket_status=status),
    )
    skipped = [closed_ticket(f"{path}.status", status)] if status in _CLOSED else []
    skipped.extend(found.skipped)
    errors = list(found.errors)
    messages: list[ExportedMessage] = []
    for comment, where, opening in comments:
        try:
            messages.append(message(comment, where, channel, requester_id, users, opening=opening))
        except IngestError as exc:
            errors.append(exc)
    if not found.comments and ticket:
        opening_message = _description(ticket, path, found.id, requester_id, channel, users)
        if opening_message is None:
            skipped.append(
                Skipped(path, f"ticket {found.id} has no description and no comments in this page")
            )
        else:
            messages.append(opening_message)
    return assemble(exported, messages, skipped=skipped, errors=errors)


def _end_user(comments: list[tuple[JsonObject, str, bool]], users: Mapping[str, JsonObject]) -> str | None:
    """The author of the first comment written by an end user, when no page names the requester."""
    for comment, _, _ in comments:
        author = comment.get("author_id")
        user = users.get(str(author)) if isinstance(author, int | str) else None
        if user is not None and str(user.get("role", "")).lower() == "end-user":
            return str(author)
    return None


def _description(
    ticket: JsonObject,
    path: str,
    ticket_id: str,
    requester_id: str | None,
    channel: str,
    users: Mapping[str, JsonObject],
) -> ExportedMessage | None:
    """A ticket without its comments still has its description, the opening message."""
    body = opt_text(ticket, "description", path)
    if not body or not body.strip():
        return None
    opening = {
        "id": f"description-{ticket_id}",
        "author_id": requester_id,
        "body": body,
        "created_at": ticket.get("created_at"),
        "via": ticket.get("via"),
    }
    return message(opening, f"{path}.description", channel, requester_id, users, opening=True)
