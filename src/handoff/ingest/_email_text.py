"""The text of an email as a person wrote it: charsets decoded, flowed lines joined (quoted
history is split off by :mod:`handoff.ingest._email_quotes`, HTML flattened by
:mod:`handoff.ingest._html`).

Pure string functions with no knowledge of MIME, so each rule can be tested on its own.
Every function here accepts any text and never raises.
"""

from __future__ import annotations

import re

__all__ = ["clean", "decode_bytes", "unflow"]

_SURROGATES = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """Text safe to store anywhere: raw 8-bit header bytes decoded, no NULs or stray surrogates.

    The stdlib parser keeps undecodable header bytes as surrogate escapes; most of the
    time they are UTF-8, which is what RFC 6532 allows, so decode them as such.
    """
    if _SURROGATES.search(text):
        try:
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeError:
            text = _SURROGATES.sub("\ufffd", text)
    return _CONTROL.sub("", text)


# --- format=flowed (RFC 3676) ------------------------------------------------------

_QUOTE_PREFIX = re.compile(r"^>+")


def unflow(text: str, *, delsp: bool = False) -> str:
    """Join the soft line breaks of a ``format=flowed`` body (RFC 3676).

    A line ending in a space continues on the next line of the same quote depth; the
    signature separator ``-- `` never flows.
    """
    out: list[str] = []
    pending = ""
    pending_depth = -1
    for raw in text.split("\n"):
        match = _QUOTE_PREFIX.match(raw)
        depth = len(match.group()) if match else 0
        line = raw[depth:]
        if line.startswith(" "):  # space-stuffing
            line = line[1:]
        if pending and depth != pending_depth:
            out.append(_quoted(pending_depth, pending))
            pending = ""
        flowed = line.endswith(" ") and line != "-- "
        if flowed:
            pending += line[:-1] if delsp else line
            pending_depth = depth
            continue
        out.append(_quoted(depth, pending + line))
        pending = ""
    if pending:
        out.append(_quoted(pending_depth, pending))
    return "\n".join(out)


def _quoted(depth: int, line: str) -> str:
    return ("> " * depth + line) if depth and line else (">" * depth + line)


# --- charsets ----------------------------------------------------------------------

# Mail that says ISO-8859-1 is very often Windows-1252 (curly quotes in 0x80-0x9F).
_LATIN1_ALIASES = frozenset({"latin-1", "latin_1", "iso8859-1", "iso-8859-1", "iso8859_1", "l1", "latin1"})


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode a body part in its declared charset, falling back to UTF-8 then Windows-1252.

    Declared charsets are often wrong or unknown (``unknown-8bit``, ``x-user-defined``);
    a wrong one must never make a message unreadable, so the last resort replaces.
    """
    declared = (charset or "").strip().strip('"').lower() or "utf-8"
    if declared in _LATIN1_ALIASES:
        declared = "cp1252"
    for candidate, errors in ((declared, "strict"), ("utf-8", "strict"), (declared, "replace")):
        try:
            return data.decode(candidate, errors)
        except Exception:  # unknown codec, not a text codec, or undecodable bytes
            continue
    return data.decode("cp1252", "replace")
