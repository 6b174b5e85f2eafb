"""Email to :class:`~handoff.Inbound`: one message, or every message of an mbox file.

A customer's email becomes one inbound message whose body is what they wrote this
time (the quoted history is kept in ``metadata["quoted"]``, a signature or "Sent from my
iPhone" below a delimiter in ``metadata["signature"]``) and whose thread refs are
its In-Reply-To and References ids, so a reply finds its journey. Attachments are listed
by name, type and size (``metadata["attachment_details"]``, JSON), and in the body of a
message that has nothing else. Mail that no person wrote is not a customer message:
delivery reports (DSN) become ``bounced`` or ``delivered`` events, read receipts (MDN)
``read`` events, and auto-replies are skipped with the reason. Mail a mailing list
carried (``List-Id``) is a person's, even when the list marked it ``Precedence: bulk``;
its list is in ``metadata["list_id"]``.

Every function here takes untrusted input and raises only :class:`handoff.IngestError`.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import mailbox
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import EmailMessage, Message

from attrs import define

from handoff.clock import ensure_aware
from handoff.errors import IngestError, ValidationError
from handoff.events import MAX_BODY_CHARS, Inbound, InboundAuthor
from handoff.identity import parse_identity
from handoff.ingest import _email_mime as mime
from handoff.ingest._email_auto import automatic_reason, list_author, list_id
from handoff.ingest._email_quotes import split_quoted
from handoff.ingest._email_reports import Notice, read_report
from handoff.ingest._email_signoff import split_signoff
from handoff.ingest._email_text import clean
from handoff.ingest._limits import (
    EMAIL_MAX_BYTES,
    MAX_MIME_PARTS,
    check_limit,
    refuse_large_mail,
    refuse_many_parts,
)
from handoff.ingest.base import DeliveryEvent, Parsed, Skipped

__all__ = ["mbox", "parse"]

_MAX_QUOTED = 10_000
_MAX_META = 1_000
_MAX_NAME = 200
_MAX_REFS = 50
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|wg|tr|rv|enc|vl|doorst)\s*:", re.IGNORECASE)


def parse(
    message: bytes | str | Message,
    *,
    received_at: datetime | None = None,
    own_addresses: Iterable[str] = (),
    max_bytes: int = EMAIL_MAX_BYTES,
    max_parts: int = MAX_MIME_PARTS,
) -> Parsed:
    """Read one email: an :class:`Inbound`, a delivery event, or a reasoned skip.

    ``message`` is the raw message (bytes or text) or an already parsed
    :class:`email.message.EmailMessage` (any stdlib ``Message`` is accepted).

    ``received_at`` is used when the Date header is missing or unreadable; with
    neither, the message is refused (``$.headers.Date``). Messages *from* one of
    ``own_addresses`` (the support team's) are agent replies to their first recipient.

    A message larger than ``max_bytes`` (25 MB by default) or with more than
    ``max_parts`` MIME parts is refused before it is parsed.
    """
    fallback = _received_at(received_at)
    own = _own_addresses(own_addresses)
    limits = _Limits(check_limit(max_bytes, "max_bytes"), check_limit(max_parts, "max_parts"))
    return _parse_any(message, fallback, own, "$", limits)


def mbox(
    path: str | os.PathLike[str],
    *,
    received_at: datetime | None = None,
    own_addresses: Iterable[str] = (),
    max_bytes: int = EMAIL_MAX_BYTES,
    max_parts: int = MAX_MIME_PARTS,
) -> Parsed:
    """Read every message of an mbox file, e.g. to backfill a support mailbox's history.

    A broken message becomes an error naming its index (``$[3].headers.From``); the
    others still come through. A message without a usable Date falls back to the date
    on its mbox ``From`` line, then to ``received_at``. ``max_bytes`` and ``max_parts``
    apply to each message, as in :func:`parse`.
    """
    fallback = _received_at(received_at)
    own = _own_addresses(own_addresses)
    limits = _Limits(check_limit(max_bytes, "max_bytes"), check_limit(max_parts, "max_parts"))
    try:
        box = mailbox.mbox(os.fspath(path), create=False)
    except (OSError, mailbox.Error, TypeError, ValueError) as exc:
        raise IngestError("path", f"cannot open mbox {path!r}: {exc}") from None
    combined: list[Parsed] = []
    try:
        for index, key in enumerate(box.keys()):
            where = f"$[{index}]"
            try:
                raw = box.get_bytes(key, from_=True)
                envelope_date, data = _split_from_line(raw)
                combined.append(_parse_any(data, envelope_date or fallback, own, where, limits))
            except IngestError as exc:
                combined.append(Parsed(errors=[exc]))
            except Exception as exc:  # one unreadable message must not hide the others
                combined.append(Parsed(errors=[IngestError(where, f"unreadable message ({exc})")]))
    except (OSError, mailbox.Error) as exc:
        raise IngestError("path", f"cannot read mbox {path!r}: {exc}") from None
    finally:
        box.close()
    return Parsed(
        [i for p in combined for i in p.inbounds],
        [e for p in combined for e in p.events],
        [s for p in combined for s in p.skipped],
        [e for p in combined for e in p.errors],
    )


def _received_at(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        return ensure_aware(value, "received_at").astimezone(UTC)
    except (ValidationError, OverflowError) as exc:
        raise IngestError("received_at", getattr(exc, "problem", str(exc))) from None


def _own_addresses(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        values = (values,)
    own = set()
    try:
        for i, value in enumerate(values):
            try:
                own.add(parse_identity(f"email:{value}").value)
            except ValidationError as exc:
                raise IngestError(f"own_addresses[{i}]", exc.problem) from None
    except TypeError:
        raise IngestError("own_addresses", "expected email addresses") from None
    return frozenset(own)


def _split_from_line(raw: bytes) -> tuple[datetime | None, bytes]:
    """The date on an mbox ``From sender date`` line, and the message after it."""
    first, _, rest = raw.partition(b"\n")
    if not first.startswith(b"From "):
        return None, raw
    fields = first.decode("ascii", "replace").split(None, 2)
    return (mime.parse_date(fields[2]) if len(fields) == 3 else None), rest


def _to_message(message: object) -> Message:
    if isinstance(message, EmailMessage) and isinstance(message.policy, email.policy.EmailPolicy):
        return message
    if isinstance(message, str):
        return email.message_from_string(message, policy=email.policy.default)
    if isinstance(message, Message):
        try:  # a compat32 message: re-read it with the modern policy, which decodes headers
            message = message.as_bytes()
        except Exception as exc:
            raise IngestError("$", f"cannot read this Message object ({exc})") from None
    if isinstance(message, (bytes, bytearray, memoryview)):
        return email.message_from_bytes(bytes(message), policy=email.policy.default)
    kind = type(message).__name__
    raise IngestError("$", f"expected the message as bytes, text or an EmailMessage, got {kind}")


@define(frozen=True)
class _Limits:
    max_bytes: int
    max_parts: int


def _parse_any(
    message: object, fallback: datetime | None, own: frozenset[str], path: str, limits: _Limits
) -> Parsed:
    """The boundary: whatever goes wrong in here leaves as an IngestError naming ``path``."""
    try:
        if isinstance(message, bytes | bytearray | memoryview | str):
            raw = bytes(message) if not isinstance(message, str) else message
            refuse_large_mail(raw, limits.max_bytes, limits.max_parts)
            message = raw
        msg = _to_message(message)
        if not isinstance(message, bytes | str):
            refuse_many_parts(sum(1 for _ in mime.parts(msg, limits.max_parts + 1)), limits.max_parts)
        if not msg.keys() and not mime.part_text(msg).strip():
            raise IngestError(path, "empty message")
        return _parse_message(msg, fallback, own, path)
    except IngestError as exc:
        if exc.field.startswith("$") and path != "$" and not exc.field.startswith(path):
            raise IngestError(path + exc.field[1:], exc.problem) from None
        raise
    except Exception as exc:  # the stdlib parser has corners that raise on hostile input
        raise IngestError(path, f"unreadable message ({type(exc).__name__}: {exc})") from None


def _date(msg: Message, fallback: datetime | None, path: str) -> datetime:
    raw = next(iter(mime.raw_header(msg, "Date")), "")  # the policy's reading drops zones in comments
    when = mime.parse_date(raw) if raw else None
    if when is not None:
        return when
    if fallback is not None:
        return fallback
    problem = f"not a date: {raw[:80]!r}" if raw else "missing"
    raise IngestError(f"{path}.headers.Date", f"{problem}, and no received_at to fall back on")


def _parse_message(msg: Message, fallback: datetime | None, own: frozenset[str], path: str) -> Parsed:
    found = read_report(msg, path)
    if found is not None:
        notices = [n for n in found if isinstance(n, Notice)]
        events = []
        if notices:
            at = _date(msg, fallback, path)
            events = [_event(n, at) for n in notices]
        return Parsed(events=events, skipped=[s for s in found if isinstance(s, Skipped)])
    reason = automatic_reason(msg)
    if reason:
        return Parsed(skipped=[Skipped(path, reason)])
    return Parsed(inbounds=[_inbound(msg, fallback, own, path)])


def _event(notice: Notice, at: datetime) -> DeliveryEvent:
    n = notice
    return DeliveryEvent("email", "email", n.status, n.provider_id, at, n.identity, n.error_code, n.detail)


def _identity(address: str, field: str) -> str:
    try:
        return str(parse_identity(f"email:{address}"))
    except ValidationError as exc:
        raise IngestError(field, exc.problem) from None


def _inbound(msg: Message, fallback: datetime | None, own: frozenset[str], path: str) -> Inbound:
    rewritten = list_author(msg)
    senders = [rewritten] if rewritten else mime.addresses(msg, "From")
    if not senders:
        problem = "no sender address" if mime.raw_header(msg, "From") else "missing"
        raise IngestError(f"{path}.headers.From", problem)
    address, display = senders[0]
    identity = _identity(address, f"{path}.headers.From")
    recipients = mime.addresses(msg, "To")
    author: InboundAuthor = "customer"
    agent = None
    if identity.partition(":")[2] in own:
        customers = [(a, d) for a, d in recipients if a.casefold() not in own]
        if not customers:
            problem = "a message from our own address needs a customer recipient"
            raise IngestError(f"{path}.headers.To", problem)
        author, agent = "agent", identity.partition(":")[2]
        address, display = customers[0]
        identity = _identity(address, f"{path}.headers.To")
    at = _date(msg, fallback, path)
    subject = mime.header(msg, "Subject")
    text, kind = mime.body_text(msg)
    body, quoted = split_quoted(text, forwarded=bool(_FORWARD_SUBJECT.match(subject)))
    body, signoff = split_signoff(body)
    raw_id = " ".join(mime.raw_header(msg, "Message-ID"))
    message_id = mime.message_id(raw_id) if raw_id else None
    metadata = {
        "subject": subject[:_MAX_META],
        "quoted": quoted[:_MAX_QUOTED],
        "to": ", ".join(a for a, _ in recipients)[:_MAX_META],
    }
    if message_id:
        metadata["message_id"] = message_id
    if kind:
        metadata["content_type"] = kind
    if signoff:
        metadata["signature"] = signoff[:_MAX_META]
    mailing_list = list_id(msg)
    if mailing_list:
        metadata["list_id"] = mailing_list[:_MAX_META]
    attachments = _attachments(msg)
    if attachments:
        metadata["attachments"] = ", ".join(a.name for a in attachments)[:_MAX_META]
        metadata["attachment_details"] = _details(attachments)
        if not body.strip():
            body = "[attachments: " + "; ".join(a.label for a in attachments) + "]"
    if len(body) > MAX_BODY_CHARS:
        body, metadata["truncated"] = body[:MAX_BODY_CHARS], "true"
    external_id = message_id or _stable_id(address, " ".join(mime.raw_header(msg, "Date")), subject, text)
    refs = mime.message_ids(mime.raw_header(msg, "In-Reply-To") + mime.raw_header(msg, "References"))
    if len(refs) > _MAX_REFS:  # keep the thread's root and its most recent ids
        refs = refs[:1] + refs[-(_MAX_REFS - 1) :]
    name = display.strip().strip("\"'").strip()
    try:
        return Inbound(
            channel="email",
            identity=identity,
            body=body,
            at=at,
            external_id=external_id,
            name=name[:_MAX_NAME] if name and name.lower() != address.lower() else None,
            thread_ref=tuple(r for r in refs if r != external_id),
            author=author,
            agent=agent,
            metadata=metadata,
        )
    except ValidationError as exc:
        raise IngestError(f"{path}.{exc.field}", exc.problem) from None


def _stable_id(sender: str, date: str, subject: str, body: str) -> str:
    """A Message-ID stand-in that is the same every time the same message is read."""
    digest = hashlib.sha256("\n".join((sender.lower(), date, subject, body)).encode("utf-8", "replace"))
    return f"sha256:{digest.hexdigest()}"


@define(frozen=True)
class _Attachment:
    name: str
    content_type: str
    size: int

    @property
    def label(self) -> str:
        return f"{self.name} ({self.content_type}, {_size(self.size)})"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _attachments(msg: Message) -> list[_Attachment]:
    """Name, type and decoded size of every attachment (nameless ones are named by type)."""
    if not isinstance(msg, EmailMessage):
        return []
    found: list[_Attachment] = []
    try:
        for part in msg.iter_attachments():
            filename = part.get_filename()
            kind = mime.content_type(part)
            name = clean(filename).strip() if isinstance(filename, str) and filename.strip() else ""
            found.append(_Attachment(name[:_MAX_NAME] or f"unnamed {kind}", kind, _decoded_size(part)))
    except Exception:  # a malformed part: the list is a convenience, not the message
        return found
    return found


def _decoded_size(part: Message) -> int:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return 0
    return len(payload) if isinstance(payload, bytes) else 0


def _details(attachments: list[_Attachment]) -> str:
    """The attachments as JSON (name, type, bytes), shortened to fit the metadata."""
    rows = [{"name": a.name, "type": a.content_type, "bytes": a.size} for a in attachments]
    while rows:
        text = json.dumps(rows, ensure_ascii=False)
        if len(text) <= _MAX_META * 4:
            return text
        rows = rows[:-1]
    return "[]"
