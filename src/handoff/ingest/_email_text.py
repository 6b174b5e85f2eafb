"""The text of an email as a person wrote it: flowed lines joined, quoted reply history
split off (HTML bodies are flattened by :mod:`handoff.ingest._html`).

Pure string functions with no knowledge of MIME, so each rule can be tested on its own.
Every function here accepts any text and never raises.
"""

from __future__ import annotations

import re

__all__ = ["clean", "decode_bytes", "split_quoted", "unflow"]

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


# --- quoted reply history ----------------------------------------------------------

# "On <date>, <person> wrote:" in the languages support teams meet most, as written by
# Gmail, Apple Mail, Thunderbird, Outlook.com, Android and Yahoo, also date-first
# ("02.04.2012 14:20 <person> wrote:") and name-last ("Am ... schrieb <person>:") forms.
_WROTE = (
    r"wrote|writes|a écrit|a ecrit|schrieb|escribió|escribio|ha scritto|schreef|geschreven|"
    r"skrev|kirjoitti|napisał|napisal|escreveu|написал|написала|yazdı|έγραψε|写道"
)
_ON = r"on|am|le|el|il|op|em|den|på|dne|dnia|w dniu|в"
_ATTRIBUTION_START = re.compile(rf"^-*\s*(?:(?:{_ON})\b|\d)", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(rf"\b(?:{_WROTE})\b.{{0,80}}[:：]\s*$", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*[-_=*]{2,}\s*(?:original message|original-nachricht|ursprüngliche nachricht|"
    r"message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht|"
    r"ursprungligt meddelande|alkuperäinen viesti|mensagem original|исходное сообщение|"
    r"oryginalna wiadomość|reply message)\s*[-_=*]{2,}\s*$",
    re.IGNORECASE,
)
# Help desks put this marker above the history they quote in their notifications.
_REPLY_ABOVE = re.compile(r"(?:reply|type your (?:reply|response)|respond) above this line", re.IGNORECASE)
_FORWARD = re.compile(
    r"^\s*(?:[-_=*]{2,}\s*(?:forwarded message|forwarded e-?mail|weitergeleitete nachricht|"
    r"message transféré|mensaje reenviado|messaggio inoltrato|doorgestuurd bericht)\s*[-_=*]{2,}|"
    r"begin forwarded message:)\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(?:from|von|de|da|van|från|fra|od|от|kimden)\s*\*?\s*:\*?\s*\S", re.I)
_HEADER_SENT = re.compile(
    r"^\s*\*?(?:sent|date|gesendet|datum|envoyé|envoye|enviado|fecha|inviato|data|verzonden|"
    r"skickat|sendt|wysłano|отправлено|дата|tarih)\s*\*?\s*:",
    re.IGNORECASE,
)
_HEADER_TO = re.compile(
    r"^\s*\*?(?:to|subject|an|betreff|à|a|objet|para|asunto|oggetto|aan|onderwerp|till|ämne|"
    r"emne|do|temat|кому|тема|kime|konu|cc)\s*\*?\s*:",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^\s*[-_=*]{5,}\s*$")
_MAX_ATTRIBUTION = 300


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_span(lines: list[str], i: int) -> int:
    """How many lines an attribution ("On ... wrote:") starting at line ``i`` spans; 0 if none.

    Clients wrap long attributions, so up to three lines are joined. A date is always
    part of one, which keeps a customer's own "my colleague wrote:" in the body.
    """
    joined = ""
    for n, line in enumerate(lines[i : i + 3], start=1):
        if _is_quote(line) or (n > 1 and not line.strip()):
            return 0
        joined = f"{joined} {line.strip()}".strip()
        if len(joined) > _MAX_ATTRIBUTION:
            return 0
        if joined.endswith((":", "：")) and _ATTRIBUTION_END.search(joined):
            return n if _ATTRIBUTION_START.match(joined) and _DIGIT.search(joined) else 0
    return 0


def _header_block_at(lines: list[str], i: int) -> bool:
    """Whether an Outlook-style "From: / Sent: / To: / Subject:" block starts at line ``i``."""
    if not _HEADER_FROM.match(lines[i]):
        return False
    following = [line for line in lines[i + 1 : i + 7] if line.strip()][:4]
    return any(_HEADER_SENT.match(line) for line in following) and any(
        _HEADER_TO.match(line) for line in following
    )


def _splitter_at(lines: list[str], i: int) -> bool:
    line = lines[i]
    if _is_quote(line):
        return False
    return bool(
        _ORIGINAL_MESSAGE.match(line)
        or _REPLY_ABOVE.search(line)
        or _attribution_span(lines, i)
        or _header_block_at(lines, i)
    )


def _back_over_separators(lines: list[str], i: int) -> int:
    """Include the blank lines and ``_____`` rules just above a splitter in the quote."""
    while i > 0 and (not lines[i - 1].strip() or _SEPARATOR.match(lines[i - 1])):
        i -= 1
    return i


def split_quoted(text: str, *, forwarded: bool = False) -> tuple[str, str]:
    """Split a reply into (what the sender wrote now, the quoted history).

    Top-posted replies are cut at the first attribution, "Original Message" marker or
    header block; bottom-posted replies lose their ``>`` quote block. Forwarded
    messages and interleaved (inline) replies are kept whole, because there the quoted
    part is what the message is about. If nothing would be left, nothing is cut.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if forwarded:
        return text.strip(), ""
    lines = text.split("\n")
    seen_text = False
    for i, line in enumerate(lines):
        if _FORWARD.match(line):
            return text.strip(), ""
        if seen_text and _splitter_at(lines, i):
            cut = _back_over_separators(lines, i)
            return _result(lines[:cut], lines[cut:], text)
        if line.strip() and not _is_quote(line) and not _attribution_span(lines, i):
            seen_text = True
    return _strip_quote_blocks(lines, text)


def _quote_follows(lines: list[str], i: int) -> bool:
    while i < len(lines):
        if lines[i].strip():
            return _is_quote(lines[i])
        i += 1
    return False


def _strip_quote_blocks(lines: list[str], text: str) -> tuple[str, str]:
    """Remove ``>`` blocks (with the attribution just above each) unless replies interleave."""
    kept: list[str] = []
    quoted: list[str] = []
    blocks = 0
    in_block = False
    text_after_block = False
    i = 0
    while i < len(lines):
        line = lines[i]
        span = 1 if _is_quote(line) else _attribution_span(lines, i)
        if span and (_is_quote(line) or _quote_follows(lines, i + span)):
            if not in_block:
                if text_after_block:
                    return text.strip(), ""  # inline answers: the quotes give them meaning
                blocks += 1
                in_block = True
            quoted.extend(lines[i : i + span])
            i += span
            continue
        if line.strip():
            text_after_block = text_after_block or blocks > 0
            in_block = False
            kept.append(line)
        else:
            (quoted if in_block else kept).append(line)
        i += 1
    return _result(kept, quoted, text)


def _result(kept: list[str], quoted: list[str], text: str) -> tuple[str, str]:
    body = "\n".join(kept).strip()
    history = "\n".join(quoted).strip()
    if not body:
        return text.strip(), ""
    return body, history


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
