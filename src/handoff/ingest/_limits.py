"""How much an adapter reads: payloads past a size, or mail past a number of MIME parts,
are refused with an :class:`~handoff.IngestError` before any parsing starts.

A webhook endpoint is open to the internet; the limits keep one request from costing
more memory and time than a real one ever needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from handoff.errors import IngestError

__all__ = [
    "EMAIL_MAX_BYTES",
    "EXPORT_MAX_BYTES",
    "MAX_MIME_PARTS",
    "WEBHOOK_MAX_BYTES",
    "check_limit",
    "refuse_large_form",
    "refuse_large_json",
    "refuse_large_mail",
    "refuse_many_parts",
]

EMAIL_MAX_BYTES = 25 * 1024 * 1024
"""An email as big as the large providers accept (25 MB)."""
WEBHOOK_MAX_BYTES = 1024 * 1024
"""A JSON or form webhook (1 MB): providers send kilobytes."""
EXPORT_MAX_BYTES = 32 * 1024 * 1024
"""One page of a help-desk API response (32 MB): a hundred tickets with their side-loads."""
MAX_MIME_PARTS = 200
"""MIME parts of one email: real mail has a handful, a long thread with attachments dozens."""

_BOUNDARY = re.compile(rb"""boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))""", re.IGNORECASE)
_MAX_DEPTH = 200


def check_limit(value: object, name: str) -> int:
    """A limit given by the caller: a whole number of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise IngestError(name, f"expected a whole number of at least 1, got {value!r}")
    return value


def _too_big(size: int, max_bytes: int, what: str) -> IngestError:
    return IngestError("$", f"{what} of {size} bytes or more is larger than max_bytes={max_bytes}")


def _text_size(text: str, max_bytes: int) -> int:
    """The UTF-8 size of ``text``, counted exactly only when it might matter."""
    if len(text) > max_bytes or len(text) * 4 <= max_bytes:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def refuse_large_json(payload: object, max_bytes: int) -> None:
    """Refuse a JSON payload (raw bytes or text, or already decoded) larger than ``max_bytes``.

    A decoded payload is measured as at least the size of its compact JSON in UTF-8, and
    the walk stops as soon as the limit is passed or the nesting is deeper than JSON needs.
    """
    if isinstance(payload, bytes | bytearray | memoryview):
        size = len(payload)
    elif isinstance(payload, str):
        size = _text_size(payload, max_bytes)
    else:
        size = _decoded_size(payload, max_bytes)
    if size > max_bytes:
        raise _too_big(size, max_bytes, "a payload")


def _decoded_size(payload: object, max_bytes: int) -> int:
    size = 0
    stack: list[tuple[object, int]] = [(payload, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise IngestError("$", f"nested more than {_MAX_DEPTH} levels deep")
        if isinstance(value, str):
            size += _utf8_size(value) + 3
        elif isinstance(value, Mapping):
            size += 2
            for key, item in value.items():
                size += (_utf8_size(key) if isinstance(key, str) else 8) + 4
                stack.append((item, depth + 1))
        elif isinstance(value, list | tuple):
            size += 2
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            size += len(repr(value)) + 1
        else:
            size += 8
        if size > max_bytes:
            return size
    return size


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def refuse_large_form(fields: Mapping[object, object], max_bytes: int) -> None:
    """Refuse form fields whose names and values together are larger than ``max_bytes``."""
    size = 0
    for key, value in fields.items():
        size += (len(key) if isinstance(key, str) else 0) + (len(value) if isinstance(value, str) else 0) + 2
        if size > max_bytes:
            raise _too_big(size, max_bytes, "a form")


def refuse_large_mail(raw: bytes | str, max_bytes: int, max_parts: int) -> None:
    """Refuse a raw message larger than ``max_bytes`` or with more than ``max_parts`` parts.

    Parts are counted before parsing, from the boundary lines of the multipart bodies.
    """
    size = len(raw) if isinstance(raw, bytes) else _text_size(raw, max_bytes)
    if size > max_bytes:
        raise _too_big(size, max_bytes, "a message")
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    boundaries: set[bytes] = set()
    for match in _BOUNDARY.finditer(data):
        boundaries.add(match.group(1) or match.group(2))
        if len(boundaries) > max_parts:
            raise IngestError("$", f"more than max_parts={max_parts} MIME parts")
    if not boundaries:
        return
    alternatives = b"|".join(re.escape(b) for b in boundaries)
    delimiters = re.compile(b"^--(?:" + alternatives + b")(?!--)", re.MULTILINE)
    parts = 1
    for _ in delimiters.finditer(data):
        parts += 1
        if parts > max_parts:
            raise IngestError("$", f"more than max_parts={max_parts} MIME parts")


def refuse_many_parts(count: int, max_parts: int) -> None:
    """Refuse an already parsed message with more than ``max_parts`` parts."""
    if count > max_parts:
        raise IngestError("$", f"more than max_parts={max_parts} MIME parts")
