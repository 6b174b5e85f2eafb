"""Mail written by mail systems: delivery reports (DSN, RFC 3464), read receipts (MDN,
RFC 8098) and the older free-text bounces, read as what they say about a message we sent.
"""

from __future__ import annotations

import re
from email.message import Message

from attrs import define

from handoff.errors import ValidationError
from handoff.identity import parse_identity
from handoff.ingest._email_mime import (
    addresses,
    content_type,
    field_blocks,
    header,
    message_id,
    part_text,
    parts,
    raw_header,
)
from handoff.ingest.base import DeliveryStatus, Skipped

__all__ = ["Notice", "read_report"]

_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_MDN_TYPES = frozenset({"message/disposition-notification", "message/global-disposition-notification"})
_HEADER_TYPES = frozenset({"text/rfc822-headers", "message/rfc822-headers", "message/global-headers"})
_EMBEDDED_TYPES = frozenset({"message/rfc822", "message/global"})
_DSN_ACTIONS: dict[str, DeliveryStatus] = {
    "failed": "bounced",
    "delivered": "delivered",
    "relayed": "delivered",
    "expanded": "delivered",
}
_MAIL_SYSTEM = frozenset({"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"})
_MAIL_SYSTEM_NAME = re.compile(r"mailer[- ]?daemon|mail delivery (?:system|subsystem)", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|not (?:be )?delivered|delivery (?:status notification|failure|has failed|failed|problem)|"
    r"returned (?:mail|to sender)|failure notice|mail delivery failed|non remis|unzustellbar|"
    r"no se (?:puede|pudo) entregar|non recapitabile",
    re.IGNORECASE,
)
_MSGID_LINE = re.compile(r"^[ \t>]*message-id:[ \t]*(\S.*)$", re.IGNORECASE | re.MULTILINE)
_MAX_DETAIL = 500


@define(frozen=True)
class Notice:
    """What a report says about one message we sent, before it is given a time."""

    status: DeliveryStatus
    provider_id: str
    identity: str | None
    error_code: str | None
    detail: str


def read_report(msg: Message, path: str) -> list[Notice | Skipped] | None:
    """What a report or bounce says, or None when a person (or an autoresponder) wrote it."""
    if content_type(msg) == "multipart/report":
        children = _children(msg)
        for child in children:
            kind = content_type(child)
            if kind in _DSN_TYPES:
                return _delivery_status(children, child, path)
            if kind in _MDN_TYPES:
                return _disposition(msg, children, child, path)
        return [Skipped(path, "a report of a kind other than delivery status or read receipt")]
    if _from_mail_system(msg):
        return _free_text_bounce(msg, path)
    return None


def _children(msg: Message) -> list[Message]:
    try:
        payload = msg.get_payload()
    except Exception:  # a report whose structure the parser could not follow
        return []
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _recipient(value: str) -> str | None:
    """``rfc822; ana@example.com`` as an identity, or None when it is not an address."""
    address = value.rpartition(";")[2].strip().strip("<>").strip()
    if not address:
        return None
    try:
        return str(parse_identity(f"email:{address}"))
    except ValidationError:
        return None


def _original_id(children: list[Message], own_id: str | None = None) -> str | None:
    """The Message-ID of the message a report is about: from the returned message or
    its headers, else from a ``Message-ID:`` line in the human-readable part."""
    for child in children:
        kind = content_type(child)
        if kind in _EMBEDDED_TYPES:
            for returned in _children(child)[:1]:
                found = message_id(" ".join(raw_header(returned, "Message-ID")))
                if found:
                    return found
        elif kind in _HEADER_TYPES:
            found = _id_in_text(part_text(child), own_id)
            if found:
                return found
    for child in children:
        if content_type(child).startswith("text/"):
            found = _id_in_text(part_text(child), own_id)
            if found:
                return found
    return None


def _id_in_text(text: str, own_id: str | None) -> str | None:
    for match in _MSGID_LINE.finditer(text):
        found = message_id(match.group(1))
        if found and found != own_id:
            return found
    return None


def _delivery_status(children: list[Message], part: Message, path: str) -> list[Notice | Skipped]:
    original = _original_id(children)
    if original is None:
        return [Skipped(path, "delivery report without the original Message-ID")]
    recipients = [b for b in field_blocks(part) if "action" in b or "final-recipient" in b]
    if not recipients:
        return [Skipped(path, "delivery report without recipient fields")]
    out: list[Notice | Skipped] = []
    for i, fields in enumerate(recipients):
        action = (fields.get("action", "").split() or [""])[0].lower()
        recipient = fields.get("final-recipient") or fields.get("original-recipient") or ""
        status = _DSN_ACTIONS.get(action)
        if status is None:
            address = recipient.rpartition(";")[2].strip()[:80] or "a recipient"
            reason = f"delivery {action or 'report'} for {address}, not a final outcome"
            out.append(Skipped(f"{path}.delivery_status[{i}]", reason))
            continue
        out.append(
            Notice(
                status=status,
                provider_id=original,
                identity=_recipient(recipient),
                error_code=fields.get("status", "").split(" ")[0] or None,
                detail=fields.get("diagnostic-code", "")[:_MAX_DETAIL],
            )
        )
    return out


def _disposition(msg: Message, children: list[Message], part: Message, path: str) -> list[Notice | Skipped]:
    fields: dict[str, str] = {}
    for block in field_blocks(part):
        for key, value in block.items():
            fields.setdefault(key, value)
    original = message_id(fields.get("original-message-id", "")) or _original_id(children)
    if original is None:
        return [Skipped(path, "read receipt without the original Message-ID")]
    disposition = fields.get("disposition", "")
    kind = disposition.rpartition(";")[2].split("/")[0].strip().lower()
    if kind != "displayed":
        return [Skipped(path, f"disposition notification '{kind or 'unknown'}', not a read receipt")]
    identity = _recipient(fields.get("final-recipient", ""))
    if identity is None:
        senders = addresses(msg, "From")
        identity = _recipient(senders[0][0]) if senders else None
    return [Notice("read", original, identity, None, disposition[:_MAX_DETAIL])]


def _from_mail_system(msg: Message) -> bool:
    senders = addresses(msg, "From")
    if senders and senders[0][0].partition("@")[0].lower() in _MAIL_SYSTEM:
        return True
    return bool(_MAIL_SYSTEM_NAME.search(header(msg, "From")))


def _free_text_bounce(msg: Message, path: str) -> list[Notice | Skipped]:
    """A bounce written as prose (older MTAs, Gmail's): the returned headers are quoted in it."""
    failed = addresses(msg, "X-Failed-Recipients")
    if not failed and not _BOUNCE_SUBJECT.search(header(msg, "Subject")):
        return [Skipped(path, "a message from the mail system, not from a person")]
    own_id = message_id(" ".join(raw_header(msg, "Message-ID")))
    original = None
    for part in parts(msg):
        if content_type(part).startswith("text/"):
            original = _id_in_text(part_text(part), own_id)
            if original:
                break
    if original is None:
        return [Skipped(path, "bounce without the original Message-ID")]
    identity = _recipient(failed[0][0]) if failed else None
    return [Notice("bounced", original, identity, None, header(msg, "Subject")[:_MAX_DETAIL])]
