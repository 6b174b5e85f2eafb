"""Fact extraction as it was before its pre-checks: the reference the faster one must equal.

A copy of ``handoff.facts.extract_facts`` and ``handoff.masking.phone_spans`` as they were
before cheap pre-checks (no digit, no ``@``, no currency sign...) were put in front of
their patterns; ``tests/test_facts.py`` checks that both give identical facts. Account
ids and usernames are read with the same pattern as there, without its pre-check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal

from attrs import fields

from handoff import _validate as v
from handoff.clock import ensure_aware
from handoff.errors import ValidationError
from handoff.facts import _ACCOUNT_RE, _DATE_LIKE_RE, _NOT_A_NAME
from handoff.identity import parse_identity
from handoff.masking import (
    _DATE_SHAPE_RE,
    _IP_SHAPE_RE,
    _PHONE_CONTEXT_RE,
    _PHONE_RE,
    _REF_CONTEXT_RE,
    _THOUSANDS_SHAPE_RE,
    CARD_MASK_RE,
    EMAIL_RE,
    REF_WORDS,
    check_text,
    mask_cards,
    word_start,
)
from handoff.masking._secrets import DIGITS_RE as _DIGITS_RE
from handoff.models import Fact

__all__ = ["extract_facts"]


def phone_spans(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, international) of each phone number; shared by masking and extraction."""
    found = []
    for match in _PHONE_RE.finditer(text):
        start, raw, intl = match.start(), match.group(), match.group("intl")
        body = raw[len(intl or "") :]
        digits = "".join(_DIGITS_RE.findall(body))
        if not 7 <= len(digits) <= 15:
            continue
        before = text[max(0, start - 40) : start]
        if _REF_CONTEXT_RE.search(before):
            continue
        if not intl:
            bare = "(" not in body and len(_DIGITS_RE.findall(body)) == 1
            if bare and not _PHONE_CONTEXT_RE.search(before):
                continue
            if any(shape.fullmatch(body) for shape in (_DATE_SHAPE_RE, _IP_SHAPE_RE, _THOUSANDS_SHAPE_RE)):
                continue
        found.append((start, match.end(), bool(intl)))
    return found


_DIGIT_RE = re.compile(r"[0-9]")
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
# Every amount starts with a digit, a currency code or a currency symbol.
_AMOUNT_START = "(?=[0-9A-Z" + re.escape("".join(sorted({s[0] for s in _CURRENCY_SYMBOLS}))) + "])"
_AMOUNT_RE = re.compile(
    rf"{_AMOUNT_START}(?:(?:(?P<sym1>{_SYMBOLS})|(?<![A-Za-z])(?P<code1>{_CODES}))[ \u00a0]?"
    rf"(?P<n1>{_NUMBER})(?![0-9]|[.,][0-9])"
    rf"|(?<![\w.,])(?P<n2>{_NUMBER})[ \u00a0]?"
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


def _cards(text: str) -> Iterator[_Found]:
    for m in CARD_MASK_RE.finditer(text):
        yield m.start(), m.end(), "card", "••••" + m.group(1), m.group()


def _emails(text: str) -> Iterator[_Found]:
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


def _references(text: str) -> Iterator[_Found]:
    if "-" not in text:
        return
    for m in _JOURNEY_REF_RE.finditer(text):
        yield m.start(), m.end(), "reference", m.group().upper(), m.group()


def _orders(text: str) -> Iterator[_Found]:
    for m in _TRACKING_RE.finditer(text):
        yield m.start(), m.end(), "order", m.group(), m.group()
    if "#" in text:
        for m in _HASH_ORDER_RE.finditer(text):
            if _plausible_order(m.group(1)):
                yield m.start(), m.end(), "order", m.group(1).upper(), m.group()
    if "-" in text:
        for m in _DASHED_ORDER_RE.finditer(text):
            yield m.start(), m.end(), "order", m.group().upper(), m.group()
    for m in _KEYWORD_ORDER_RE.finditer(text):
        if _plausible_order(m.group(1)):
            yield m.start(1), m.end(1), "order", m.group(1).upper(), m.group(1)


def _accounts(text: str) -> Iterator[_Found]:
    for m in _ACCOUNT_RE.finditer(text):
        token = m.group("token")
        if m.group("name"):
            if (m.group("said") or m.group("sep").strip()) and token.lower() not in _NOT_A_NAME:
                yield m.start("token"), m.end("token"), "account", token.lower(), token
        elif _plausible_order(token) and not _DATE_LIKE_RE.fullmatch(token):
            yield m.start("token"), m.end("token"), "account", token.upper(), token


def _plausible_order(token: str) -> bool:
    """An order number has a digit; a bare number needs four ("order 3 more" is not one)."""
    if len(token) > 40 or not any(c.isdigit() for c in token):
        return False
    return len(token) >= 4 if token.isdigit() else len(token) >= 3


def _amounts(text: str) -> Iterator[_Found]:
    for m in _AMOUNT_RE.finditer(text):
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
    compact = number.translate({0xA0: None, 0x202F: None, ord("'"): None})
    cut = max(compact.rfind("."), compact.rfind(","))
    decimal_separator = cut >= 0 and len(compact) - cut - 1 <= 2
    whole, cents = (compact[:cut], compact[cut + 1 :]) if decimal_separator else (compact, "")
    whole = whole.replace(".", "").replace(",", "")
    if len(whole) > 15:
        return None
    value = Decimal(f"{whole}.{cents or '0'}")
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"


def _dates(text: str) -> Iterator[_Found]:
    for m in _ISO_DATE_RE.finditer(text):
        value = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if value:
            yield m.start(), m.end(), "date", value, m.group()
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
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _phones(text: str) -> Iterator[_Found]:
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


_Extractor = Callable[[str], Iterator[_Found]]

# Earlier extractors win where two read the same characters. Those after the first three
# only find facts with an ASCII digit in them, and are skipped for text without one.
_EXTRACTORS: tuple[_Extractor, ...] = (_cards, _emails, _references)
_DIGIT_EXTRACTORS: tuple[_Extractor, ...] = (_dates, _amounts, _accounts, _orders, _phones)


def extract_facts(text: str, *, channel: str, at: datetime, interaction_id: str) -> tuple[Fact, ...]:
    """The facts in a customer's message that an agent would otherwise ask for again.

    In order of appearance, one per distinct ``(kind, value)``. Card numbers come out
    masked (``••••4242``); ``yesterday`` and other relative dates are not facts.
    """
    check_text(text)
    attrs_of = fields(Fact)
    v.slug(None, attrs_of.channel, channel)
    v.text(allow_empty=False)(None, attrs_of.interaction_id, interaction_id)
    ensure_aware(at, "at")
    masked = mask_cards(text)
    claimed = bytearray(len(masked))
    found: list[_Found] = []
    extractors = _EXTRACTORS + _DIGIT_EXTRACTORS if _DIGIT_RE.search(masked) else (*_EXTRACTORS, _accounts)
    for extractor in extractors:
        for item in extractor(masked):
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
