"""What the sender wrote this time, split from the reply history their client quoted.

Mail clients mark quoted history in one of a few ways, each in the sender's language:

* an **attribution** line above it: ``On <date>, <person> wrote:`` (Gmail, Apple Mail,
  Thunderbird, Yahoo, Outlook.com), ``Am ... schrieb <person>:``, date first
  (``2014-10-17 11:28 GMT+03:00 <person>:``), Android's ``---- <person> wrote ----``,
  sometimes on the same line as the end of the reply;
* a **marker**: ``-----Original Message-----`` and its translations;
* a **header block**: ``From: / Sent: / To: / Subject:`` (Outlook desktop and web), in
  the client's language;
* ``>`` quoting, with or without any of the above.

History that is ``>``-quoted ends where the quoting ends: text below it or between
quotes is the sender's too. History that is not quoted (Outlook's header block) runs to
the end. Forwarded messages are kept whole. Pure string functions: any text in, never
an exception out.
"""

from __future__ import annotations

import re

from attrs import define

__all__ = ["split_quoted"]

# -- vocabulary ----------------------------------------------------------------------------

# The verb of an attribution, in the languages of the major clients' localisations.
_WROTE_WORDS = (
    r"wrote|writes|sent|a écrit|a ecrit|schrieb|schreef|geschreven|verzond|escribió|escribio|"
    r"ha scritto|scrisse|escreveu|skrev|skriver|kirjoitti|napisał|napisała|napisal|napisala|"
    r"napsal|napsala|napisao|pisze|написал|написала|написав|пише|yazdı|έγραψε|a scris|írta|"
    r"đã viết|menulis|rašė|rakstīja|kirjutas|wrote the following"
)
_WROTE_SCRIPTS = r"写道|寫道|書きました|書き込みました|のメール|님이 작성|작성|כתב|كتب|เขียน"
_WROTE = rf"(?:(?<!\w)(?:{_WROTE_WORDS})(?:\s*\([^()]{{0,6}}\))?(?!\w)|{_WROTE_SCRIPTS})"
# The words that open an attribution ("On <date>"), for one that shares a line with the reply.
_ON_WORDS = r"On|Le|Am|El|Il|Op|Em|Den|På|Pe|W dniu|Dne|Vào|Pada|Στις|В|У"

_ORIGINAL_PHRASES = (
    r"original message|original e-?mail|reply message|ursprüngliche nachricht|original-nachricht|"
    r"originalnachricht|antwort nachricht|message d'origine|message original|mensaje original|"
    r"messaggio originale|oorspronkelijk bericht|origineel bericht|originalmeddelande|"
    r"ursprungligt meddelande|oprindelig meddelelse|opprinnelig melding|original melding|"
    r"alkuperäinen viesti|mensagem original|исходное сообщение|оригинальное сообщение|"
    r"oryginalna wiadomość|wiadomość oryginalna|původní zpráva|pôvodná správa|eredeti üzenet|"
    r"orijinal mesaj|özgün ileti|αρχικό μήνυμα|原始邮件|原始郵件|元のメッセージ|원본 메시지|"
    r"tin nhắn gốc|thư gốc|pesan asli|mesaj original|mesajul original|izvorna poruka|"
    r"originalna poruka|оригінальне повідомлення|вихідне повідомлення"
)
_FORWARD_PHRASES = (
    r"forward|weitergeleitet|transféré|transfere|reenviado|inoltrat|doorgestuurd|"
    r"vidarebefordra|videresend|edelleenlähetetty|välitetty|encaminhad|reencaminhad|"
    r"пересылаем|пересланн|przekazan|přeposlan|preposlan|továbbított|iletilen|yönlendirilen|"
    r"προωθημένο|转发|轉寄|転送|전달|chuyển tiếp|diteruskan|terusan|redirecționat|"
    r"пересланий|переслане|proslijeđen"
)
_FORWARD_BEGIN = re.compile(
    r"^\s*(?:begin forwarded message|anfang der weitergeleiteten nachricht|"
    r"début du message (?:réexpédié|transféré)|inicio del mensaje reenviado|"
    r"inizio messaggio inoltrato|begin doorgestuurd bericht|início da mensagem reencaminhada|"
    r"начало пересылаемого сообщения|začátek přeposílané zprávy|vidarebefordrat brev|"
    r"videresendt besked|välitetty viesti alkaa)\s*[:：]\s*$",
    re.IGNORECASE,
)
# A rule of dashes (or underscores, equals signs) around a few words: "----- Original Message -----".
_RULED = re.compile(r"^\s*[-_=*]{2,}\s*(?P<words>[^-_=*\n]{2,80}?)\s*[-_=*]{2,}\s*$")
_ORIGINAL = re.compile(rf"^(?:{_ORIGINAL_PHRASES})$", re.IGNORECASE)
_FORWARD = re.compile(rf"(?:{_FORWARD_PHRASES})", re.IGNORECASE)
_RULED_WROTE = re.compile(rf"{_WROTE}\s*$", re.IGNORECASE)
# Help desks put this above the history they quote in their notifications.
_REPLY_ABOVE = re.compile(
    r"(?:reply|type your (?:reply|response)|respond|write) above this line|"
    r"antworten sie oberhalb dieser zeile|répondez au-dessus de cette ligne|"
    r"responda por encima de esta línea",
    re.IGNORECASE,
)

_FROM_NAMES = (
    r"from|von|de|da|van|från|fra|frå|od|от|kimden|gönderen|lähettäjä|feladó|від|αποστολέας|"
    r"发件人|寄件者|差出人|보낸 사람|từ|dari|expéditeur|remitente|mittente|afzender|avsändare|"
    r"avsender|nadawca|odesílatel|отправитель|de la|από"
)
_DATE_NAMES = (
    r"sent|date|gesendet|datum|envoyé|envoye|enviado|enviada|enviado el|enviado em|enviada em|fecha|"
    r"inviato|data|verzonden|"
    r"skickat|sendt|wysłano|wysłane|odesláno|отправлено|дата|tarih|gönderildi|lähetetty|"
    r"päivämäärä|elküldve|dátum|надіслано|στάλθηκε|ημερομηνία|发送时间|發送時間|日期|送信日時|"
    r"日付|보낸 날짜|날짜|đã gửi|ngày|dikirim|tanggal|trimis"
)
_TO_NAMES = (
    r"to|an|à|a|para|aan|till|til|do|komu|кому|kime|alıcı|vastaanottaja|címzett|προς|收件人|"
    r"宛先|받는 사람|đến|kepada|destinataire|destinatario|către|cc|bcc|kopie|copie|kopia|копия|"
    r"bilgi|抄送|副本|참조|reply-to"
)
_SUBJECT_NAMES = (
    r"subject|betreff|objet|asunto|assunto|oggetto|onderwerp|ämne|emne|temat|předmět|тема|konu|"
    r"aihe|tárgy|θέμα|主题|主旨|件名|제목|chủ đề|perihal|subjek|subiect|subjekt"
)
_HEADER = re.compile(
    r"^\s*[*_]{0,2}(?:(?P<from>"
    + _FROM_NAMES
    + r")|(?P<date>"
    + _DATE_NAMES
    + r")|(?P<to>"
    + _TO_NAMES
    + r")|(?P<subject>"
    + _SUBJECT_NAMES
    + r"))\s*[*_]{0,2}\s*[:：]\s*[*_]{0,2}\s*(?P<value>.*)$",
    re.IGNORECASE,
)

_EMAIL = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+\.\w")
_DIGIT = re.compile(r"\d")
_DATE_FIRST = re.compile(r"^\s*(?:\d{4}[-/.年]\s?\d{1,2}[-/.月]\s?\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})")
_ENDS_WITH_COLON = re.compile(r"[:：]\s*$")
_WROTE_ENDING = re.compile(rf"{_WROTE}.{{0,120}}(?:[:：]|-{{2,}})\s*$", re.IGNORECASE)
_SHARED_LINE = re.compile(rf"^(?P<reply>.*?\S)\s*(?P<att>(?:-{{2,}}\s*)?(?:{_ON_WORDS})\s.*)$")
_OPENING = re.compile(rf"^\s*(?:-{{2,}}\s*)?(?:(?:{_ON_WORDS})\s|\d)", re.IGNORECASE)
_VERB_LINE = re.compile(rf"^\s*>?\s*{_WROTE}\s*[:：]\s*$", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*[-_=*]{5,}\s*$")
_LINK_PIECE = re.compile(r"https?://|^[\w.%=&?/+-]*[=&%?][\w.%=&?/+-]*\)?\s*>?$")
_MAX_ATTRIBUTION = 400
_MAX_LINES = 4


@define(frozen=True)
class _Splitter:
    """Where quoted history starts: ``span`` lines from its first; ``reply`` is text of the
    reply that shares the first line with an attribution."""

    span: int
    forward: bool = False
    reply: str = ""


# -- line tests ----------------------------------------------------------------------------


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _next_text(lines: list[str], i: int) -> int:
    """The index of the first non-blank line at or after ``i`` (``len(lines)`` if none)."""
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _quote_follows(lines: list[str], i: int) -> bool:
    j = _next_text(lines, i)
    return j < len(lines) and _is_quote(lines[j])


def _attribution(text: str) -> bool:
    """Whether ``text`` (one attribution, joined) says who wrote what follows."""
    if len(text) > _MAX_ATTRIBUTION:
        return False
    evidence = bool(_DIGIT.search(text) or _EMAIL.search(text))
    if _WROTE_ENDING.search(text):
        return evidence or text.lstrip().startswith("--")
    return False


def _attribution_at(lines: list[str], i: int) -> _Splitter | None:
    """An attribution of one to four lines starting at line ``i``."""
    joined = ""
    for n, line in enumerate(lines[i : i + _MAX_LINES], start=1):
        if _is_quote(line) or (n > 1 and not line.strip()):
            break
        if n == 2 and not (_OPENING.match(joined) or _EMAIL.search(joined) or _DIGIT.search(joined)):
            return None  # a line of the reply, not the start of a wrapped attribution
        joined = f"{joined} {line.strip()}".strip()
        if len(joined) > _MAX_ATTRIBUTION:
            return None
        if _attribution(joined):
            shared = _SHARED_LINE.match(joined) if n == 1 else None
            if shared and _attribution(shared.group("att")) and not _OPENING.match(shared.group("reply")):
                return _Splitter(1, reply=shared.group("reply").rstrip("-").rstrip())
            return _Splitter(n)
        # Gmail writes some locales date first and without a verb:
        # "2014-10-17 11:28 GMT+03:00 Name <name@example.com>:", "2011/4/7 Name <name@example.com>".
        dated = _DATE_FIRST.match(joined) or _ENDS_WITH_COLON.search(joined)
        if dated and _EMAIL.search(joined) and _DIGIT.search(joined) and _quote_follows(lines, i + n):
            return _Splitter(n)
    return _scattered_attribution(lines, i)


def _scattered_attribution(lines: list[str], i: int) -> _Splitter | None:
    """An attribution some clients (Polymail) spread over lines, the verb alone at the end:
    ``On <date> <person>`` ... ``<mailto:...>`` ... ``> wrote:``."""
    if not (_OPENING.match(lines[i]) and _DIGIT.search(lines[i])) or len(lines[i]) > _MAX_ATTRIBUTION:
        return None
    for k in range(i + 1, min(i + 6, len(lines))):
        if _VERB_LINE.match(lines[k]):
            return _Splitter(k - i + 1)
    return None


def _header_block_at(lines: list[str], i: int) -> bool:
    """Whether a "From: / Sent: / To: / Subject:" block (in any language) starts at line ``i``."""
    first = _HEADER.match(lines[i])
    if not first or not (first.group("from") or first.group("date")):
        return False
    kinds: set[str] = set()
    evidence = False
    j, seen = i, 0
    while j < len(lines) and seen < 8:
        line = lines[j]
        j += 1
        if not line.strip():
            continue
        seen += 1
        match = _HEADER.match(line)
        if match is None:
            if line[:1] in " \t" or seen <= 2:
                continue  # a wrapped header value
            break
        kind = next(name for name in ("from", "date", "to", "subject") if match.group(name))
        kinds.add(kind)
        value = match.group("value")
        evidence = evidence or bool(_EMAIL.search(value) or _DIGIT.search(value))
    return len(kinds) >= 2 and (len(kinds) >= 3 or evidence)


def _splitter_at(lines: list[str], i: int) -> _Splitter | None:
    line = lines[i]
    if _is_quote(line) or not line.strip():
        return None
    if _FORWARD_BEGIN.match(line):
        return _Splitter(1, forward=True)
    ruled = _RULED.match(line)
    if ruled:
        words = ruled.group("words").strip()
        if _ORIGINAL.match(words):
            return _Splitter(1)
        if _FORWARD.search(words):
            return _Splitter(1, forward=True)
        if _RULED_WROTE.search(words):  # Android: "---- John Smith wrote ----"
            return _Splitter(1)
        following = _next_text(lines, i + 1)
        if following < len(lines) and _header_block_at(lines, following):
            return _Splitter(1)
    if _REPLY_ABOVE.search(line):
        return _Splitter(1)
    if _header_block_at(lines, i):
        return _Splitter(1)
    return _attribution_at(lines, i)


# -- splitting -----------------------------------------------------------------------------


def _quote_block_end(lines: list[str], i: int) -> int:
    """The index just past the ``>`` block starting at ``i`` (blank lines inside included).

    A long link wrapped by the client breaks a quoted line in two; the unquoted piece
    between two quoted lines stays in the block.
    """
    end = i
    j = i
    while j < len(lines):
        line = lines[j]
        if _is_quote(line):
            end = j = j + 1
        elif not line.strip():
            j += 1
        elif end == j and _quote_follows(lines, j + 1) and _LINK_PIECE.search(line.strip()):
            end = j = j + 1
        else:
            break
    return end


def _back_over_separators(kept: list[str], quoted: list[str]) -> None:
    """Move the blank lines and ``_____`` rules just above a splitter into the history."""
    moved: list[str] = []
    while kept and (not kept[-1].strip() or _SEPARATOR.match(kept[-1])):
        moved.append(kept.pop())
    quoted.extend(reversed(moved))


def split_quoted(text: str, *, forwarded: bool = False) -> tuple[str, str]:
    """Split a reply into (what the sender wrote now, the quoted history).

    Forwarded messages and replies written between the quoted lines are kept whole,
    because there the quoted part is what the message is about. If nothing would be
    left, nothing is cut.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if forwarded:
        return text.strip(), ""
    lines = text.split("\n")
    kept: list[str] = []
    quoted: list[str] = []
    blocks: list[tuple[bool, bool]] = []  # per quote block: (text before it, led by an attribution)
    text_since_block = False
    i = 0
    while i < len(lines):
        line = lines[i]
        splitter = _splitter_at(lines, i)
        if splitter is not None and splitter.forward:
            if not quoted:
                return text.strip(), ""
            splitter = _Splitter(1)
        if splitter is not None:
            if splitter.reply:
                kept.append(splitter.reply)
            _back_over_separators(kept, quoted)
            quoted.extend(lines[i : i + splitter.span])
            i += splitter.span
            start = _next_text(lines, i)
            if start < len(lines) and _is_quote(lines[start]):
                end = _quote_block_end(lines, start)
                blocks.append((any(k.strip() for k in kept), True))
                quoted.extend(lines[i:end])
                i, text_since_block = end, False
                continue
            quoted.extend(lines[i:])  # history that is not quoted runs to the end
            break
        if _is_quote(line):
            end = _quote_block_end(lines, i)
            if blocks and text_since_block:
                return text.strip(), ""  # answers between quotes: the quotes give them meaning
            blocks.append((any(k.strip() for k in kept), False))
            quoted.extend(lines[i:end])
            i, text_since_block = end, False
            continue
        if line.strip():
            if blocks and not blocks[-1][1] and blocks[-1][0]:
                return text.strip(), ""  # text, a bare quote, text: an inline answer
            text_since_block = text_since_block or bool(blocks)
        kept.append(line)
        i += 1
    body = _tidy("\n".join(kept))
    if not body:
        return text.strip(), ""
    return body, "\n".join(quoted).strip()


def _tidy(text: str) -> str:
    """At most one blank line in a row (removing history can leave several), none at the ends."""
    return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text).strip()
