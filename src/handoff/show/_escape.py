"""Customer text made inert for each format: HTML, Markdown and ``rich`` console markup.

Customer messages are untrusted: they may carry markup, terminal escapes or bidi
overrides that make text read backwards. Every drawing passes what it shows through
one of these functions.
"""

from __future__ import annotations

import html
import re

__all__ = ["UNSAFE", "clean", "esc", "md", "one_line", "rx"]

# Control characters (terminal escapes) and bidi overrides (text that reads backwards).
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$])")
_BRACKET = re.compile(r"(\\*)\[")


def clean(text: str) -> str:
    """One line without terminal escapes or bidi overrides."""
    return " ".join(UNSAFE.sub("", text).split())


def one_line(text: str, limit: int | None = None) -> str:
    """:func:`clean`, cut to ``limit`` characters with an ellipsis."""
    flat = clean(text)
    return flat if limit is None or len(flat) <= limit else flat[: limit - 1] + "…"


def esc(text: str) -> str:
    """Text for HTML: escaped, quotes included, unsafe characters dropped."""
    return html.escape(UNSAFE.sub("", text), quote=True)


def md(text: str) -> str:
    """Text for Markdown: every character with a meaning there escaped with a backslash."""
    return _MARKDOWN.sub(r"\\\1", text)


def rx(text: str, *, tag_follows: bool = False) -> str:
    """Text made inert for ``rich`` markup: every ``[`` escaped, terminal escapes dropped.

    Backslashes just before a ``[`` are doubled, as ``rich.markup.escape`` does, so they
    cannot un-escape it; with ``tag_follows`` so are those at the end, before a closing tag.
    """
    escaped = _BRACKET.sub(lambda m: m.group(1) * 2 + "\\[", UNSAFE.sub("", text))
    trailing = len(escaped) - len(escaped.rstrip("\\"))
    return escaped + "\\" * trailing if tag_follows else escaped
