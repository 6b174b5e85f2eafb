"""The sign-off at the foot of an email: a ``-- `` signature, a mailing list's footer, a
phone's "Sent from my iPhone". Split off the reply so it reads as what was written now.

Only a block at the very end is taken, only below a delimiter the sender's client or
list put there, and never all of the text. Pure string functions; never raises.
"""

from __future__ import annotations

import re

__all__ = ["split_signoff"]

# "-- " (RFC 3676), "--", a rule of underscores (Outlook, list footers), "-Name".
_DELIMITER = re.compile(r"^(?:--\s*|_{2,}\s*|-[^\W\d_][^\n]{0,38})$")
_SENT_FROM = re.compile(
    r"^\s*(?:sent from (?:my |mail for |yahoo mail|outlook|samsung|my )|sent with |get outlook for |"
    r"envoyé de mon |envoyé depuis mon |von meinem .{1,40} gesendet|gesendet von meinem |"
    r"enviado desde mi |enviado do meu |enviado de meu |inviato da(?:l mio)? |"
    r"verzonden (?:vanaf|met) mijn |verstuurd vanaf mijn |skickat från min |sendt fra min |"
    r"lähetetty .{0,30}(?:iphone|android|puhelim)|wysłane z (?:mojego )?|отправлено с |"
    r"надіслано з |gönderildi|iphoneから送信|从我的|從我的|나의 iphone에서 보냄)",
    re.IGNORECASE,
)
_MAX_SIGNOFF_LINES = 15


def split_signoff(body: str) -> tuple[str, str]:
    """(the body without its sign-off, the sign-off); the sign-off is "" when there is none."""
    lines = body.split("\n")
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    last = lines[end - 1] if end else ""
    if _SENT_FROM.match(last) and len(last) <= 60 and len(last.split()) <= 7 and "," not in last:
        start = end - 1
        kept = _kept(lines[:start])
        if kept:
            return kept, "\n".join(lines[start:end]).strip()
    for start in range(max(1, end - _MAX_SIGNOFF_LINES), end):
        line = lines[start].rstrip()
        if not _DELIMITER.match(line):
            continue
        dashes = line.startswith("--")
        if not dashes and lines[start - 1].strip():
            continue  # "-Name" and rules need a blank line above them
        kept = _kept(lines[:start])
        if kept:
            return kept, "\n".join(lines[start:end]).strip()
    return body, ""


def _kept(lines: list[str]) -> str:
    return "\n".join(lines).strip()
