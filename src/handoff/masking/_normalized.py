"""Text as secret detection reads it, with a map back to the text as written.

Detection must not be fooled by how a number is typed: full-width digits (``４２４２``),
digits of other scripts (``٤٢٤٢``), a non-breaking or thin space between groups, a
zero-width space inside a group, an HTML entity (``&nbsp;``, ``&#52;``) or a tag
(``<br>``, ``</td><td>``) between them. :func:`normalize` gives the text NFKC-normalised,
with zero-width characters removed, other decimal digits as ASCII, entities decoded and
tags read as one space; each character of it knows the span of the original it came
from, so a secret found in the normalised text is replaced in the text as written and
nothing else of the customer's text changes.

ASCII text without ``&`` or ``<`` is its own normal form: no map is built for it.
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = ["Normalized", "normalize", "quick_normal_form"]

ZERO_WIDTH = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
    "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
)
"""Characters that show nothing (or nothing but a break opportunity): removed for detection."""
_DROP = dict.fromkeys(map(ord, ZERO_WIDTH))
_ANY_DIGIT_RE = re.compile(r"\d")  # a decimal digit of any script
_ENTITY = r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?"
_MARKUP_RE = re.compile(rf"{_ENTITY}|<[^<>]{{0,200}}>")
_ENTITY_RE = re.compile(_ENTITY)
"""With ``tags=False`` a tag is read as written: what looks like one may hide a secret
("<4111 1111 1111 1111>"), so masking reads the text both ways."""


def _plain(text: str, tags: bool = True) -> bool:
    return text.isascii() and "&" not in text and (not tags or "<" not in text)


def _marks(text: str, tags: bool) -> re.Pattern[str] | None:
    """The pattern of the markup to decode in ``text``, if it may hold any."""
    if "&" in text or (tags and "<" in text):
        return _MARKUP_RE if tags else _ENTITY_RE
    return None


def _char(char: str) -> str:
    """One character of the original as detection reads it."""
    if char.isascii():
        return char
    if char in ZERO_WIDTH or unicodedata.combining(char):
        return ""
    if char.isdecimal():
        return str(unicodedata.decimal(char))
    normal = unicodedata.normalize("NFKC", char)
    if normal.isdecimal() and not normal.isascii():
        return "".join(str(unicodedata.decimal(c)) for c in normal)
    return normal


def _markup(match: re.Match[str]) -> str:
    """An entity decoded (and normalised), a tag as one space."""
    found = match.group()
    if found.startswith("<"):
        return " "
    decoded = html.unescape(found)
    return "".join(map(_char, decoded)) if decoded != found else found


def quick_normal_form(text: str, tags: bool = True) -> str:
    """The normalised text without its map: cheap, to decide whether to look closer.

    ``tags=False`` reads what looks like a tag as written (entities are still decoded)."""
    if _plain(text, tags):
        return text
    marks = _marks(text, tags)
    if marks is not None:
        text = marks.sub(_markup, text)
    if text.isascii():
        return text
    normal = unicodedata.normalize("NFKC", text).translate(_DROP)
    if normal.isascii() or not _ANY_DIGIT_RE.search(normal):
        return normal  # no digit of any script: nothing a combining mark could split
    return "".join(map(_char, normal))


class Normalized:
    """``text`` normalised; :meth:`original` maps a span of it back to the text as written."""

    __slots__ = ("_ends", "_starts", "text")

    def __init__(self, text: str, starts: list[int] | None, ends: list[int] | None) -> None:
        self.text = text
        self._starts = starts
        self._ends = ends

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that ``text[start:end]`` (not empty) came from."""
        if self._starts is None or self._ends is None:
            return start, end
        return self._starts[start], self._ends[end - 1]


def normalize(text: str, tags: bool = True) -> Normalized:
    """``text`` as detection reads it, each character mapped to where it was written
    (``tags=False``: what looks like a tag as written)."""
    if _plain(text, tags):
        return Normalized(text, None, None)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []

    pos = 0
    pattern = _marks(text, tags)
    for mark in pattern.finditer(text) if pattern is not None else ():
        _plain_part(text, pos, mark.start(), out, starts, ends)
        piece = _markup(mark)
        out.append(piece)
        starts.extend([mark.start()] * len(piece))
        ends.extend([mark.end()] * len(piece))
        pos = mark.end()
    _plain_part(text, pos, len(text), out, starts, ends)
    return Normalized("".join(out), starts, ends)


def _plain_part(text: str, start: int, end: int, out: list[str], starts: list[int], ends: list[int]) -> None:
    part = text[start:end]
    if part.isascii():
        out.append(part)
        starts.extend(range(start, end))
        ends.extend(range(start + 1, end + 1))
        return
    for offset, char in enumerate(part, start):
        piece = _char(char)
        out.append(piece)
        starts.extend([offset] * len(piece))
        ends.extend([offset + 1] * len(piece))
