"""Facts a customer already gave, and the index that remembers them.

Everything here is pure and accepts any ``str``: it runs once on every customer
message, hostile ones included. As in :mod:`handoff.masking`, the patterns are
precompiled, only start at token boundaries (none can backtrack quadratically over a
long message), start with a lookahead naming the characters a match can start with, and
are skipped when a cheap test shows the text lacks what every match holds (no ``@``,
no email; no month name, no named date; no run of seven digits, no phone).
What makes a message sensitive lives in :mod:`handoff.sensitivity` (re-exported here).

Extraction reads text whose cards are already masked (see :mod:`handoff.masking`), so
no fact ever holds a full card number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from operator import attrgetter

from attrs import fields

from handoff import _validate as v
from handoff.clock import ensure_aware
from handoff.errors import ValidationError
from handoff.identity import parse_identity
from handoff.masking import (
    CARD_MASK_RE,
    EMAIL_RE,
    REF_WORDS,
    check_text,
    mask_cards,
    phone_spans,
    word_start,
)
from handoff.models import Fact
from handoff.sensitivity import SENSITIVE_REASONS, sensitive_reasons

__all__ = [
    "FACT_KINDS",
    "SENSITIVE_REASONS",
    "extract_facts",
    "merge_facts",
    "restated",
    "sensitive_reasons",
]

FACT_KINDS: tuple[str, ...] = ("order", "reference", "email", "phone", "amount", "date", "card")

# -- extraction --------------------------------------------------------------------------------

_DIGITS_RE = re.compile(r"[0-9]+")
_JOURNEY_REF_RE = re.compile(r"(?i)(?=J)(?<![\w-])J-[0-9A-HJKMNP-TV-Z]{5}(?![\w-])")
_TRACKING_RE = re.compile(r"(?=[1A-Z])(?<!\w)(?:1Z[0-9A-Z]{16}|[A-Z]{2}[0-9]{9}[A-Z]{2})(?!\w)")
_HASH_ORDER_RE = re.compile(r"(?<![\w#&])#([A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?![\w-])")
_DASHED_ORDER_RE = re.compile(r"(?<![\w#-])[A-Za-z]{1,6}-[0-9]{3,}(?:-[A-Za-z0-9]+){0,3}(?![\w-])")
_KEYWORD_ORDER_RE = re.compile(
    rf"(?i){word_start(REF_WORDS)}\b(?:{'|'.join(REF_WORDS)})\b"
    r"(?:[ \t]*(?:number|num|no|nr|id)\b)?(?:[ \t]+(?:is|was))?[ \t.:#-]*"
    r"(?<![\w])([A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?![\w-]|\.[0-9])"
)

_CURRENCY_SYMBOLS = {
    "US$": "USD", "CA$": "CAD", "C$": "CAD", "AU$": "AUD", "A$": "AUD", "NZ$": "NZD", "HK$": "HKD",
    "S$": "SGD", "R$": "BRL", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW",
    "₺": "TRY", "₪": "ILS", "₱": "PHP", "₫": "VND", "₴": "UAH", "₦": "NGN",
}  # fmt: skip
_CURRENCY_WORDS = {"euro": "EUR", "euros": "EUR", "dollar": "USD", "dollars": "USD"}
_CODES = (
    r"USD|EUR|GBP|JPY|CNY|CHF|CAD|AUD|NZD|HKD|SGD|SEK|NOK|DKK|PLN|CZK|HUF|RON|MXN|BRL|ARS|CLP|COP"
    r"|PEN|INR|KRW|ZAR|TRY|ILS|AED|SAR|RUB|UAH|PHP|THB|IDR|MYR|VND|EGP|NGN|KES"
)
_SYMBOLS = "|".join(re.escape(s) for s in sorted(_CURRENCY_SYMBOLS, key=len, reverse=True))
_NUMBER = r"[0-9]{1,3}(?:[,.'\u00a0\u202f][0-9]{3})+(?:[.,][0-9]{1,2})?|[0-9]+(?:[.,][0-9]{1,2})?"
_SIGN_STARTS = re.escape("".join(sorted({s[0] for s in _CURRENCY_SYMBOLS if not s[0].isalpha()})))
# Every amount starts with a digit, a currency code or a currency symbol; each branch and
# each currency after a number opens with a lookahead for the characters it can start
# with, so the engine does not try every symbol and code at every digit.
_AMOUNT_RE = re.compile(
    rf"(?=[0-9A-Z{_SIGN_STARTS}])(?:"
    rf"(?=[A-Z{_SIGN_STARTS}])(?:(?P<sym1>{_SYMBOLS})|(?<![A-Za-z])(?P<code1>{_CODES}))[ \u00a0]?"
    rf"(?P<n1>{_NUMBER})(?![0-9]|[.,][0-9])"
    rf"|(?<![\w.,])(?P<n2>{_NUMBER})[ \u00a0]?(?=[A-Z{_SIGN_STARTS}EeDd])"
    rf"(?:(?P<sym2>{_SYMBOLS})|(?P<code2>{_CODES})\b|(?P<word2>(?i:euros?|dollars?))\b))"
)

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_ISO_DATE_RE = re.compile(r"(?=[0-9])(?<![\w.\-/])([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?![0-9\-/]|\.[0-9])")
_NUMERIC_DATE_RE = re.compile(
    r"(?=[0-9])(?<![\w.\-/])([0-9]{1,2})([/.\-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})(?![0-9\-/]|\.[0-9])"
)
_MONTH_DAY_RE = re.compile(
    rf"(?i){word_start(_MONTHS)}(?<!\w)(?P<m>{_MONTH})\.?[ \t]+(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?"
    r"(?:,?[ \t]+(?P<y>[0-9]{4}))?(?![\w:])"
)
_DAY_MONTH_RE = re.compile(
    rf"(?i)(?=[0-9])(?<![\w.\-/])(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?(?:[ \t]+of)?[ \t]+(?P<m>{_MONTH})\.?"
    rf"(?:,?[ \t]+(?P<y>[0-9]{{4}}))?(?!\w)"
)

_Found = tuple[int, int, str, str, str]
"""(start, end, kind, value, text as written) of one fact in the masked text."""


class _Scan:
    """The masked text and what cheap checks found in it, so that extractors skip the
    patterns that cannot match (no ``#``, no hash order; no run of seven digits, no phone).

    Word tests read the text in lower case with the letters that ``(?i)`` patterns
    also read as ASCII ones (İ, ı, ſ, K) folded to them, so they never miss a word a
    pattern would find.
    """

    __slots__ = ("_folded", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._folded: str | None = None

    def says(self, words: tuple[str, ...]) -> bool:
        """Whether the text holds one of these lower-case words, in any case."""
        folded = self._folded
        if folded is None:
            text = self.text
            folded = self._folded = text.lower() if text.isascii() else text.translate(_FOLDS).lower()
        return any(map(folded.__contains__, words))


_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def _shortest(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words holding no other word: text without them holds none of ``words``."""
    return tuple(w for w in dict.fromkeys(words) if not any(o != w and o in w for o in words))


_REF_GATE = _shortest(REF_WORDS)
_DIGIT_RE = re.compile(r"[0-9]")
_NINE_DIGITS_RE = re.compile(r"[0-9]{9}")
# Seven digits with at most a parenthesis, a separator and a parenthesis between two:
# what the body of every phone number holds, "(415) 555-0100" and "+44 (0)20 7946" alike.
_PHONE_DIGITS_RE = re.compile(r"[0-9](?:[() .\-]{0,3}[0-9]){6}")
_DATE_SEPARATOR_RE = re.compile(r"[0-9][/.\-][0-9]")
_LETTER_DASH_DIGIT_RE = re.compile(r"[A-Za-z]-[0-9]")


def _cards(scan: _Scan) -> Iterator[_Found]:
    text = scan.text
    if "••••" not in text:
        return
    for m in CARD_MASK_RE.finditer(text):
        yield m.start(), m.end(), "card", "••••" + m.group(1), m.group()


def _emails(scan: _Scan) -> Iterator[_Found]:
    text = scan.text
    if "@" not in text:
        return
    for m in EMAIL_RE.finditer(text):
        if "*" in m.group():
            continue  # already masked
        try:
            value = parse_identity("email:" + m.group()).value
        except ValidationError:
            continue
        yield m.start(), m.end(), "email", value, m.group()


def _references(scan: _Scan) -> Iterator[_Found]:
    text = scan.text
    if "-" not in text or not scan.says(("j-",)):
        return
    for m in _JOURNEY_REF_RE.finditer(text):
        yield m.start(), m.end(), "reference", m.group().upper(), m.group()


def _orders(scan: _Scan) -> Iterator[_Found]:
    text = scan.text
    if "1Z" in text or _NINE_DIGITS_RE.search(text):  # 1Z and 16 more, or nine digits in letters
        for m in _TRACKING_RE.finditer(text):
            yield m.start(), m.end(), "order", m.group(), m.group()
    if "#" in text:
        for m in _HASH_ORDER_RE.finditer(text):
            if _plausible_order(m.group(1)):
                yield m.start(), m.end(), "order", m.group(1).upper(), m.group()
    if "-" in text and _LETTER_DASH_DIGIT_RE.search(text):
        for m in _DASHED_ORDER_RE.finditer(text):
            yield m.start(), m.end(), "order", m.group().upper(), m.group()
    if scan.says(_REF_GATE):
        for m in _KEYWORD_ORDER_RE.finditer(text):
            if _plausible_order(m.group(1)):
                yield m.start(1), m.end(1), "order", m.group(1).upper(), m.group(1)


def _plausible_order(token: str) -> bool:
    """An order number has a digit; a bare number needs four ("order 3 more" is not one)."""
    if len(token) > 40 or not any(c.isdigit() for c in token):
        return False
    return len(token) >= 4 if token.isdigit() else len(token) >= 3


def _amounts(scan: _Scan) -> Iterator[_Found]:
    for m in _AMOUNT_RE.finditer(scan.text):
        symbol, word = m.group("sym1") or m.group("sym2"), m.group("word2")
        if symbol:
            code = _CURRENCY_SYMBOLS[symbol]
        elif word:
            code = _CURRENCY_WORDS[word.lower()]
        else:
            code = m.group("code1") or m.group("code2")
        amount = _decimal(m.group("n1") or m.group("n2"))
        if amount is not None:
            yield m.start(), m.end(), "amount", f"{code} {amount}", m.group()


def _decimal(number: str) -> str | None:
    """``1,200.00`` -> ``1200``, ``49,99`` -> ``49.99``: a separator before 1-2 digits is decimal."""
    compact = number.translate(_THOUSANDS_SPACES)
    cut = max(compact.rfind("."), compact.rfind(","))
    decimal_separator = cut >= 0 and len(compact) - cut - 1 <= 2
    whole, cents = (compact[:cut], compact[cut + 1 :]) if decimal_separator else (compact, "")
    whole = whole.replace(".", "").replace(",", "")
    if len(whole) > 15:
        return None
    units = int(whole or "0")  # plain digits: integer arithmetic, no Decimal needed
    return f"{units}.{cents.ljust(2, '0')}" if cents.strip("0") else str(units)


_THOUSANDS_SPACES = str.maketrans({"\u00a0": None, "\u202f": None, "'": None})


def _dates(scan: _Scan) -> Iterator[_Found]:
    text = scan.text
    if _DATE_SEPARATOR_RE.search(text):  # 2025-03-12, 12/03/2025, 12.03.25
        if "-" in text:
            yield from _iso_dates(text)
        yield from _numeric_dates(text)
    if scan.says(_MONTHS):
        yield from _named_dates(text)


def _iso_dates(text: str) -> Iterator[_Found]:
    for m in _ISO_DATE_RE.finditer(text):
        value = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if value:
            yield m.start(), m.end(), "date", value, m.group()


def _numeric_dates(text: str) -> Iterator[_Found]:
    for m in _NUMERIC_DATE_RE.finditer(text):
        a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
        year = int(y) + 2000 if len(y) == 2 else int(y)
        if sep != "/" or a > 12:
            value = _iso(year, b, a)  # 12.03.2025 and 12-03-2025 are day first everywhere
        elif b > 12:
            value = _iso(year, a, b)
        else:  # 03/04/2025 is March or April depending on the writer; keep their order
            value = f"{a:02d}/{b:02d}/{year}" if _iso(year, a, b) else None
        if value:
            yield m.start(), m.end(), "date", value, m.group()


def _named_dates(text: str) -> Iterator[_Found]:
    for pattern in (_MONTH_DAY_RE, _DAY_MONTH_RE):
        for m in pattern.finditer(text):
            if m.group("m") == "may":
                continue  # "may 5" is more often the verb than the month
            month = _MONTHS.index(m.group("m")[:3].lower()) + 1
            day, written_year = int(m.group("d")), m.group("y")
            if written_year:
                value = _iso(int(written_year), month, day)
            else:  # ISO 8601's "--MM-DD": a day in a year nobody said
                value = f"--{month:02d}-{day:02d}" if _iso(2000, month, day) else None
            if value:
                yield m.start(), m.end(), "date", value, m.group()


def _iso(year: int, month: int, day: int) -> str | None:
    """``YYYY-MM-DD`` if the day exists (what ``date(...).isoformat()`` gives), else None."""
    if not (1 <= year <= 9999 and 1 <= month <= 12 and day >= 1):
        return None
    if day > _MONTH_DAYS[month - 1]:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        if not (month == 2 and day == 29 and leap):
            return None
    return f"{year:04d}-{month:02d}-{day:02d}"


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _phones(scan: _Scan) -> Iterator[_Found]:
    text = scan.text
    if not _PHONE_DIGITS_RE.search(text):
        return
    for start, end, intl in phone_spans(text):
        raw = text[start:end]
        digits = "".join(_DIGITS_RE.findall(raw))
        if not intl:
            yield start, end, "phone", digits, raw
            continue
        try:
            value = parse_identity("phone:" + raw.replace("(0)", "")).value
        except ValidationError:
            value = "+" + (digits[2:] if raw.startswith("00") else digits)
        yield start, end, "phone", value, raw


_Extractor = Callable[[_Scan], Iterator[_Found]]
_FACT_FIELDS = fields(Fact)
_non_empty = v.text(allow_empty=False)

# Earlier extractors win where two read the same characters. Those after the first three
# only find facts with an ASCII digit in them, and are skipped for text without one.
_EXTRACTORS: tuple[_Extractor, ...] = (_cards, _emails, _references)
_DIGIT_EXTRACTORS: tuple[_Extractor, ...] = (_dates, _amounts, _orders, _phones)


def extract_facts(text: str, *, channel: str, at: datetime, interaction_id: str) -> tuple[Fact, ...]:
    """The facts in a customer's message that an agent would otherwise ask for again.

    In order of appearance, one per distinct ``(kind, value)``. Card numbers come out
    masked (``••••4242``); ``yesterday`` and other relative dates are not facts.
    """
    check_text(text)
    v.slug(None, _FACT_FIELDS.channel, channel)
    _non_empty(None, _FACT_FIELDS.interaction_id, interaction_id)
    ensure_aware(at, "at")
    scan = _Scan(mask_cards(text))
    claimed = bytearray(len(scan.text))
    found: list[_Found] = []
    for extractor in _EXTRACTORS + _DIGIT_EXTRACTORS if _DIGIT_RE.search(scan.text) else _EXTRACTORS:
        for item in extractor(scan):
            start, end = item[0], item[1]
            if claimed.find(1, start, end) == -1:
                claimed[start:end] = b"\x01" * (end - start)
                found.append(item)
    found.sort()
    facts: dict[tuple[str, str], Fact] = {}
    for _start, _end, kind, value, written in found:
        if (kind, value) not in facts:
            facts[kind, value] = Fact(kind, value, written, channel, at, interaction_id)
    return tuple(facts.values())


# -- the fact index ----------------------------------------------------------------------------


def merge_facts(index: tuple[Fact, ...], new: Iterable[Fact], *, cap: int = 50) -> tuple[Fact, ...]:
    """``index`` plus the facts of ``new`` it did not know, at most ``cap`` of them.

    A restated fact keeps the record of when it was first given; past ``cap`` the
    oldest facts are dropped. Linear in the sizes involved: it runs on every inbound.
    """
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        raise ValidationError("cap", f"expected a whole number >= 1, got {cap!r}")
    merged = _facts(index, "index")
    seen = set(map(_KEY, merged))
    for fact in _facts(new, "new"):
        key = (fact.kind, fact.value)
        if key not in seen:
            seen.add(key)
            merged.append(fact)
    return tuple(merged[-cap:])


def restated(index: Iterable[Fact], new: Iterable[Fact]) -> tuple[Fact, ...]:
    """The facts of ``new`` the customer had already given (their key is in ``index``)."""
    known = set(map(_KEY, _facts(index, "index")))
    return tuple(fact for fact in _facts(new, "new") if (fact.kind, fact.value) in known)


def _facts(items: Iterable[Fact], name: str) -> list[Fact]:
    """``items`` as a new list, checked to hold nothing but facts."""
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise ValidationError(name, f"expected facts, got {type(items).__name__}")
    facts = list(items)
    if set(map(type, facts)) <= _ONLY_FACTS:
        return facts  # the common case, checked at C speed
    for i, item in enumerate(facts):
        if not isinstance(item, Fact):
            raise ValidationError(f"{name}[{i}]", f"expected a Fact, got {type(item).__name__}")
    return facts


_KEY = attrgetter("kind", "value")
"""A fact's ``key``, read without a property call: the index holds up to fifty facts."""
_ONLY_FACTS = frozenset({Fact})
