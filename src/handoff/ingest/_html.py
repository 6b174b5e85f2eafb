"""Readable text from HTML: the one converter for email bodies and help-desk comments.

Mail clients and help desks both send HTML where a person wrote text. Blocks and line
breaks are kept, ``<blockquote>`` becomes ``> `` quoting (so quoted reply history can be
split off later), ``<pre>`` keeps its lines. Accepts any markup and never raises.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

_SKIPPED_TAGS = frozenset({"head", "script", "style", "title", "template", "noscript", "xml"})
# Tags that start a new line, and those that also leave a blank line around them.
_LINE_TAGS = frozenset(
    {"address", "center", "dd", "div", "dt", "footer", "form", "header", "hr", "li", "nav", "td", "th", "tr"}
)
_PARAGRAPH_TAGS = frozenset(
    {
        "article",
        "aside",
        "dl",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "ul",
    }
)
_WHITESPACE = re.compile(r"[ \t\r\n\f\v\xa0\u200b]+")
_TAG = re.compile(r"<[^>]*>")


class _TextExtractor(HTMLParser):
    """Collects visible text line by line; ``<blockquote>`` becomes ``> `` quoting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._depth = 0
        self._line_depth = 0
        self._skipping: list[str] = []
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping.append(tag)
        elif tag == "br":
            self._newline()
        elif tag == "blockquote":
            self._block(paragraph=True)
            self._depth += 1
        elif tag in _LINE_TAGS or tag in _PARAGRAPH_TAGS:
            self._block(paragraph=tag in _PARAGRAPH_TAGS)
            if tag == "pre":
                self._pre += 1
            elif tag == "li":
                self._line.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._newline()
        elif tag in _LINE_TAGS or tag in _PARAGRAPH_TAGS:
            self._block(paragraph=tag in _PARAGRAPH_TAGS)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            if tag in self._skipping:
                while self._skipping and self._skipping.pop() != tag:
                    pass
        elif tag == "blockquote":
            self._flush()  # the quote's last line, then the gap after it outside the quote
            self._depth = max(0, self._depth - 1)
            self._block(paragraph=True)
        elif tag in _LINE_TAGS or tag in _PARAGRAPH_TAGS:
            self._block(paragraph=tag in _PARAGRAPH_TAGS)
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if not self._line:
            self._line_depth = self._depth
        if self._pre:
            for i, part in enumerate(data.split("\n")):
                if i:
                    self._newline()
                    self._line_depth = self._depth
                self._line.append(part)
            return
        text = _WHITESPACE.sub(" ", data)
        if not "".join(self._line).strip():
            text = text.lstrip()
        if text:
            self._line.append(text)

    def _render(self, text: str, depth: int) -> str:
        return ("> " * depth + text) if text else ">" * depth

    def _flush(self) -> bool:
        """End the current line if it has text; whether it had."""
        text = "".join(self._line).rstrip()
        self._line = []
        if not text.strip() or text.strip() == "-":
            return False
        self.lines.append(self._render(text, self._line_depth))
        return True

    def _newline(self) -> None:
        if not self._flush():
            self.lines.append(self._render("", self._depth))

    def _block(self, *, paragraph: bool) -> None:
        self._flush()
        if paragraph and self.lines and self.lines[-1].strip(" >"):
            self.lines.append(self._render("", self._depth))

    def text(self) -> str:
        self._flush()
        return _tidy(self.lines)


def _tidy(lines: list[str]) -> str:
    """At most one blank line in a row, none at either end (an empty ``>`` line counts as blank)."""
    out: list[str] = []
    for line in lines:
        blank = not line.strip(" >")
        if blank and (not out or not out[-1].strip(" >")):
            continue
        out.append(line)
    while out and not out[-1].strip(" >"):
        out.pop()
    return "\n".join(out).strip()


def html_to_text(markup: str) -> str:
    """Visible text of an HTML body, paragraphs kept, quoted blocks prefixed with ``> ``."""
    extractor = _TextExtractor()
    try:
        extractor.feed(markup)
        extractor.close()
        return extractor.text()
    except Exception:  # the stdlib parser asserts on some malformed markup
        stripped = _TAG.sub(" ", re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>", "\n", markup))
        lines = [_WHITESPACE.sub(" ", html.unescape(line)).strip() for line in stripped.split("\n")]
        return _tidy(lines)
