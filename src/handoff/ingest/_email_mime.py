"""Reading a parsed email without tripping over it: headers, addresses, ids, dates, parts.

The stdlib parser registers defects instead of failing, but reading a malformed header
through the modern policy can still raise; every accessor here falls back to the raw
header text, so one bad header never makes the rest of a message unreadable.
"""

from __future__ import annotations

import email.header
import email.utils
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.message import EmailMessage, Message

from dateutil import parser as date_parser

from handoff.ingest._email_text import clean, decode_bytes, unflow
from handoff.ingest._html import html_to_text

__all__ = [
    "addresses",
    "body_text",
    "content_type",
    "field_blocks",
    "header",
    "message_id",
    "message_ids",
    "parse_date",
    "part_text",
    "parts",
    "raw_header",
]

_MSGID = re.compile(r"<([^<>\s]{1,998})>")
_BARE_MSGID = re.compile(r"[^\s<>,;\"()\[\]]{1,998}@[^\s<>,;\"()\[\]]{1,998}")
_COMMENT = re.compile(r"\([^()]*\)")
_WS = re.compile(r"\s+")
_FIELD = re.compile(r"^([!-9;-~]+)\s*:\s?(.*)$")
_MAX_PARTS = 500

# RFC 5322 obsolete zone names; anything else without a numeric offset is read as UTC.
_ZONES = {
    "UT": 0,
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
}
# Two defaults that differ in every date field: a date that parses differently with
# each was missing its day, month or year, and dateutil silently filled them in.
_DEFAULTS = (datetime(2001, 1, 1), datetime(2002, 2, 2))


def _decode_words(raw: str) -> str:
    """RFC 2047 encoded words to text, for headers the modern policy could not read."""
    try:
        return str(email.header.make_header(email.header.decode_header(raw)))
    except Exception:  # malformed encoded words: keep the raw text
        return raw


def raw_header(msg: Message, name: str) -> list[str]:
    """Every value of header ``name`` as it was written, unfolded; never raises."""
    wanted = name.lower()
    values: list[str] = []
    try:
        for key, value in msg.raw_items():
            if isinstance(key, str) and key.lower() == wanted:
                values.append(_WS.sub(" ", clean(str(value))).strip())
    except Exception:  # a message built by hand may hold anything
        return values
    return values


def header(msg: Message, name: str) -> str:
    """The decoded text of the first ``name`` header, or "" when there is none."""
    try:
        value = msg.get(name)
        return "" if value is None else _WS.sub(" ", clean(str(value))).strip()
    except Exception:  # the policy's header parser failed on malformed input
        values = raw_header(msg, name)
        return _WS.sub(" ", clean(_decode_words(values[0]))).strip() if values else ""


def addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(address, display name) pairs of an address header, in order."""
    try:
        value = msg.get(name)
        found = getattr(value, "addresses", None)
        if found:
            return [(clean(a.addr_spec), _WS.sub(" ", clean(a.display_name)).strip()) for a in found]
    except Exception:  # fall back to the lenient stdlib address parser below
        pass
    raws = [_decode_words(v) for v in raw_header(msg, name)]
    try:
        pairs = email.utils.getaddresses(raws)
    except Exception:
        return []
    return [(clean(addr), _WS.sub(" ", clean(display)).strip()) for display, addr in pairs if addr]


def message_id(raw: str) -> str | None:
    """The id inside ``<...>`` (or a bare ``local@domain``), without angle brackets."""
    match = _MSGID.search(raw)
    if match:
        return match.group(1)
    bare = _BARE_MSGID.search(raw)
    return bare.group() if bare else None


def message_ids(values: list[str]) -> list[str]:
    """Every id in In-Reply-To/References style headers; duplicates dropped, order kept.

    Tolerates what real clients send: folded lines, several ids in one header, commas
    between them, repeated headers, and ids without brackets.
    """
    seen: dict[str, None] = {}
    for value in values:
        found = _MSGID.findall(value) or _BARE_MSGID.findall(value)
        for ref in found:
            seen.setdefault(ref, None)
    return list(seen)


def _zone(name: str | None, offset: int | None) -> tzinfo | None:
    if offset is not None:
        return timezone(timedelta(seconds=offset))
    hours = _ZONES.get((name or "").upper())
    return None if hours is None else timezone(timedelta(hours=hours))


def parse_date(raw: str) -> datetime | None:
    """An RFC 5322 date (or a looser one) as an aware UTC datetime; None if unreadable.

    The strict stdlib reader goes first; python-dateutil catches what real clients
    write instead. A date without a zone is read as UTC, as RFC 5322 says of ``-0000``.
    """
    text = _WS.sub(" ", _COMMENT.sub(" ", raw)).strip()
    if not text or len(text) > 200:
        return None
    when: datetime | None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        when = _loose_date(text)
    if when is None:
        return None
    try:
        if when.tzinfo is None or when.utcoffset() is None:
            return when.replace(tzinfo=UTC)
        return when.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _loose_date(text: str) -> datetime | None:
    try:
        first, second = (date_parser.parse(text, default=d, tzinfos=_zone, fuzzy=True) for d in _DEFAULTS)
    except (ValueError, OverflowError, TypeError, IndexError):
        return None
    return first if first == second else None


def parts(msg: Message, limit: int = _MAX_PARTS) -> Iterator[Message]:
    """The message and its parts, depth first, at most ``limit`` of them."""
    try:
        for count, part in enumerate(msg.walk()):
            if count >= limit:
                return
            yield part
    except Exception:  # a part whose structure the parser could not follow
        return


def content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "text/plain"


def part_text(part: Message) -> str:
    """The decoded text of a leaf part in its own charset; "" if it has none."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        try:
            raw = part.get_payload()
        except Exception:
            return ""
        return clean(raw) if isinstance(raw, str) else ""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return clean(decode_bytes(payload, charset))


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
    except Exception:
        return ""
    return value.lower() if isinstance(value, str) else ""


def body_text(msg: Message) -> tuple[str, str]:
    """(text, content type) of the part a person reads: text/plain first, else HTML as text."""
    chosen: Message | None = None
    if isinstance(msg, EmailMessage):
        try:
            chosen = msg.get_body(preferencelist=("plain", "html"))
        except Exception:
            chosen = None
    if chosen is None:
        candidates = [p for p in parts(msg) if content_type(p) in ("text/plain", "text/html")]
        plain = [p for p in candidates if content_type(p) == "text/plain"]
        if not candidates:
            return "", ""
        chosen = (plain or candidates)[0]
    kind = content_type(chosen)
    text = part_text(chosen).replace("\r\n", "\n").replace("\r", "\n")
    if kind == "text/html":
        return html_to_text(text), kind
    if _param(chosen, "format") == "flowed":
        text = unflow(text, delsp=_param(chosen, "delsp") == "yes")
    return text, kind


def field_blocks(part: Message) -> list[dict[str, str]]:
    """The field groups of a delivery-status or disposition-notification part.

    The stdlib parses them into sub-messages; when it could not (a malformed or
    encoded report) the text is split into blank-line separated groups here.
    """
    try:
        payload = part.get_payload()
    except Exception:
        payload = None
    if isinstance(payload, list):
        blocks = []
        for sub in payload[:_MAX_PARTS]:
            if isinstance(sub, Message):
                block = {}
                for key in _keys(sub):
                    values = raw_header(sub, key)
                    if values:
                        block[key.lower()] = values[0]
                blocks.append(block)
        return [b for b in blocks if b]
    return _text_blocks(part_text(part))


def _keys(msg: Message) -> list[str]:
    try:
        return [k for k, _ in msg.raw_items() if isinstance(k, str)]
    except Exception:
        return []


def _text_blocks(text: str) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    block: dict[str, str] = {}
    last = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if block:
                blocks.append(block)
            block, last = {}, ""
            continue
        if line[:1] in " \t" and last:
            block[last] = f"{block[last]} {line.strip()}"
            continue
        match = _FIELD.match(line)
        if match:
            last = match.group(1).lower()
            block.setdefault(last, match.group(2).strip())
    if block:
        blocks.append(block)
    return blocks[:_MAX_PARTS]
