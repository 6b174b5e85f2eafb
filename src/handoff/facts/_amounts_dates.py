"""Amounts and dates as customers write them, and the scanned text every fact is read from.

``$49.99``, ``49,99 €``, ``USD 1,200.00``; ``2025-03-12``, ``12.03.2025``, ``March 12``:
each comes out normalized (``USD 49.99``, ``2025-03-12``, ``--03-12`` for a day in a
year nobody said). The patterns follow the rules of :mod:`handoff.facts`: precompiled,
starting at token boundaries with a lookahead for the characters a match can start with,
and skipped when a cheap test shows the text cannot hold one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from handoff.masking import word_start

__all__ = ["Found", "Scan", "amounts", "dates"]

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

Found = tuple[int, int, str, str, str]
"""(start, end, kind, value, text as written) of one fact in the masked text."""


class Scan:
    """The masked text and what cheap checks found in it, so that extractors skip the
    patterns that cannot match (no ``#``, no hash order; no run of seven digits, no phone).

    Word tests read the text in lower case with the letters that ``(?i)`` patterns
    also read as ASCII ones (İ, ı, ſ, K) folded to them, so they never miss a word a
    pattern would find.
    """

    __slots__ = ("_folded", "region", "text")

    def __init__(self, text: str, region: str | None = None) -> None:
        self.text = text
        self.region = region
        self._folded: str | None = None

    def says(self, words: tuple[str, ...]) -> bool:
        """Whether the text holds one of these lower-case words, in any case."""
        folded = self._folded
        if folded is None:
            text = self.text
            folded = self._folded = text.lower() if text.isascii() else text.translate(_FOLDS).lower()
        return any(map(folded.__contains__, words))


_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


# A digit, a separator, one or two digits, a separator, a digit: what every ISO and
# numeric date holds ("5-03-1" in 2025-03-12, "2/03/2" in 12/03/2025), and "$89.90" not.
_DATE_SEPARATOR_RE = re.compile(r"[0-9][/.\-][0-9]{1,2}[/.\-][0-9]")


def amounts(scan: Scan) -> Iterator[Found]:
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


def dates(scan: Scan) -> Iterator[Found]:
    text = scan.text
    if _DATE_SEPARATOR_RE.search(text):  # 2025-03-12, 12/03/2025, 12.03.25
        if "-" in text:
            yield from _iso_dates(text)
        yield from _numeric_dates(text)
    if scan.says(_MONTHS):
        yield from _named_dates(text)


def _iso_dates(text: str) -> Iterator[Found]:
    for m in _ISO_DATE_RE.finditer(text):
        value = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if value:
            yield m.start(), m.end(), "date", value, m.group()


def _numeric_dates(text: str) -> Iterator[Found]:
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


def _named_dates(text: str) -> Iterator[Found]:
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
