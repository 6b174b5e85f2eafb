"""Facts a customer already gave, and the masking that keeps private details private.

Everything here is pure and accepts any ``str``: it runs on every inbound message,
hostile ones included, so the patterns are precompiled and only start at token
boundaries (none can backtrack quadratically over a long message).

Card numbers are masked as ``•••• •••• •••• 4242`` whatever their length, so the mask
does not even reveal the card type. Extraction reads text whose cards are already
masked, so no fact ever holds a full card number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from itertools import accumulate

from attrs import evolve, fields

from handoff import _validate as v
from handoff.clock import ensure_aware
from handoff.errors import ValidationError
from handoff.identity import parse_identity
from handoff.models import Fact

__all__ = [
    "FACT_KINDS",
    "SENSITIVE_REASONS",
    "extract_facts",
    "luhn_valid",
    "mask_cards",
    "mask_contact_details",
    "mask_fact",
    "merge_facts",
    "restated",
    "sensitive_reasons",
]

FACT_KINDS: tuple[str, ...] = ("order", "reference", "email", "phone", "amount", "date", "card")
SENSITIVE_REASONS: tuple[str, ...] = ("card number", "credentials", "government id", "health", "legal")

# -- cards -------------------------------------------------------------------------------------

# Digits separated by single spaces or dashes: "4242 4242 4242 4242", "4242-4242-...".
_DIGIT_GROUPS_RE = re.compile(r"[0-9]+(?:[ -][0-9]+)*")
_DIGITS_RE = re.compile(r"[0-9]+")
_CARD_MASK_RE = re.compile(r"•••• •••• •••• ([0-9]{4})(?![0-9])")


def luhn_valid(digits: str) -> bool:
    """Whether ``digits`` (spaces and dashes ignored) pass the Luhn check cards carry."""
    _check_text(digits, "digits")
    compact = digits.replace(" ", "").replace("-", "")
    if len(compact) < 2 or not compact.isascii() or not compact.isdigit():
        return False
    return _luhn(compact)


_DOUBLED = {str(d): (d * 2 - 9 if d > 4 else d * 2) for d in range(10)}


def _luhn(digits: str) -> bool:
    """The check itself, on ASCII digits: every second digit from the right is doubled."""
    kept = sum(map(int, digits[-1::-2]))
    return (kept + sum(map(_DOUBLED.__getitem__, digits[-2::-2]))) % 10 == 0


def _card_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, last four) of each Luhn-valid run of 13-19 digits.

    A run is whole digit groups; from each group the longest valid run starting there
    wins, so a card typed right after an order number is still found. Prefix sums make
    each candidate an O(1) check, so a hostile wall of digits stays linear.
    """
    found: list[tuple[int, int, str]] = []
    for run in _DIGIT_GROUPS_RE.finditer(text):
        groups = list(_DIGITS_RE.finditer(run.group()))
        digits = "".join(m.group() for m in groups)
        if len(digits) < 13:
            continue
        # even[k] / odd[k]: Luhn sum of digits[:k] if the digits at even / odd offsets are doubled.
        even, odd = [0], [0]
        for offset, char in enumerate(digits):
            plain, doubled = int(char), _DOUBLED[char]
            even.append(even[-1] + (doubled if offset % 2 == 0 else plain))
            odd.append(odd[-1] + (plain if offset % 2 == 0 else doubled))
        ends = list(accumulate(len(m.group()) for m in groups))
        i = 0
        while i < len(groups):
            first, best = ends[i] - len(groups[i].group()), -1
            for j in range(i, len(groups)):
                last = ends[j]
                if last - first > 19:
                    break
                # The rightmost digit is never doubled, so its offset's parity picks the sums.
                sums = even if (last - 1) % 2 else odd
                if last - first >= 13 and (sums[last] - sums[first]) % 10 == 0:
                    best = j
            if best < 0:
                i += 1
                continue
            base = run.start()
            found.append(
                (base + groups[i].start(), base + groups[best].end(), digits[ends[best] - 4 : ends[best]])
            )
            i = best + 1
    return found


def mask_cards(text: str) -> str:
    """``text`` with every Luhn-valid 13-19 digit card number as ``•••• •••• •••• 4242``.

    Other digit runs (orders, phones) are untouched. Masking repeats until nothing is
    left to mask, which makes it idempotent even when a card's last four run on into
    more digits.
    """
    _check_text(text)
    while spans := _card_spans(text):
        text = _replace(text, [(start, end, f"•••• •••• •••• {last4}") for start, end, last4 in spans])
    return text


# -- contact details ---------------------------------------------------------------------------

_EMAIL_RE = re.compile(r"(?<![\w.+*'%-])([\w.+*'%-]+)@([\w-]+(?:\.[\w-]+)+)")

# A phone number: an optional "+" or "00", then up to seven groups of digits split by one
# space, dot or dash, or wrapped in parentheses: "+44 (0)20 7946 0958", "(415) 555-0100".
_PHONE_RE = re.compile(
    r"(?<![\w#@/.,:•*+\-])(?<!•[ \-])"
    r"(?P<intl>\+|00(?=[1-9]))?"
    r"(?:\([0-9]{1,5}\)|[0-9]{1,15})"
    r"(?:(?:[ .\-]|(?<=\)))(?:\([0-9]{1,5}\)|[0-9]{1,15})){0,6}"
    r"(?![\w•@]|[.\-/:,][0-9])"
)
_REF_WORDS = (
    r"order|ord|invoice|inv|ticket|case|ref|reference|booking|confirmation|tracking|shipment"
    r"|parcel|package|reservation|return|rma|claim"
)
_REF_CONTEXT_RE = re.compile(
    rf"(?i)\b(?:{_REF_WORDS}|account|acct)\b(?:[ \t]*(?:number|num|no|nr|id)\b)?[ \t.:#-]*$"
)
_PHONE_CONTEXT_RE = re.compile(
    r"(?i)\b(?:phone|tel|telephone|mobile|cell|cellphone|call|ring|whatsapp|sms|text|number|reach)\b"
    r"[^0-9\n]{0,20}$"
)
_DATE_SHAPE_RE = re.compile(
    r"[0-9]{1,2}([.\-])[0-9]{1,2}\1(?:[0-9]{2}|[0-9]{4})|[0-9]{4}([.\-])[0-9]{1,2}\2[0-9]{1,2}"
)
_IP_SHAPE_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_THOUSANDS_SHAPE_RE = re.compile(r"[1-9][0-9]{0,2}(?:[ .][0-9]{3})+")

_STREET_TYPES = (
    r"street|st|avenue|ave|road|rd|lane|ln|boulevard|blvd|drive|dr|court|ct|way|place|pl|terrace"
    r"|close|crescent|highway|hwy|parkway|pkwy|square|sq|circle|cir|trail|alley"
)
_ADDRESS_RE = re.compile(
    # 221B Baker Street, 10 Downing St.
    r"(?<![\w#•-])(?<!•[ \-])[0-9]{1,5}[A-Za-z]?(?:[ \t]+[A-Z0-9][\w'’.-]*){1,4}?"
    rf"[ \t]+(?i:{_STREET_TYPES})\b\.?"
    # 12 rue de la Paix
    r"|(?<![\w#•-])(?<!•[ \-])[0-9]{1,4}(?:[ \t]?(?i:bis|ter))?,?[ \t]+"
    r"(?i:rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai|cours)[ \t]+"
    r"(?:(?i:de|du|des|la|le|l'|l’|d'|d’)[ \t]*){0,2}[A-ZÀ-Ý][\w'’-]*(?:[ \t]+[A-ZÀ-Ý][\w'’-]*){0,3}"
    # Hauptstraße 5, Schillerstr. 12
    r"|(?<![\w-])[A-ZÄÖÜ][\w-]*?(?i:straße|strasse|str\.|weg|gasse|platz|allee)[ \t]+[0-9]{1,4}[a-z]?\b"
    # Calle Mayor 5, Calle de Alcalá, 42
    r"|(?<!\w)(?i:calle|c/|avenida|avda\.|paseo|plaza|carrer|rua)[ \t]+"
    r"(?:[\w'’.]+[ \t]+){0,4}?[\w'’.]+,?[ \t]+"
    r"(?:n[º°o]\.?[ \t]*)?[0-9]{1,4}\b"
)


def _mask_email(match: re.Match[str]) -> str:
    return f"{_mask_local(match.group(1))}@{match.group(2)}"


def _mask_local(local: str) -> str:
    """The first character and ``***``; already masked stays as it is."""
    return local[:1].replace("*", "") + "***"


def _mask_digits(text: str, keep: int = 2) -> str:
    """Every ASCII digit but the last ``keep`` as a bullet, keeping the layout."""
    total = sum(char.isascii() and char.isdigit() for char in text)
    out, seen = [], 0
    for char in text:
        if char.isascii() and char.isdigit():
            seen += 1
            out.append(char if seen > total - keep else "•")
        else:
            out.append(char)
    return "".join(out)


def _phone_spans(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, international) of each phone number; shared by masking and extraction."""
    found = []
    for match in _PHONE_RE.finditer(text):
        start, raw, intl = match.start(), match.group(), match.group("intl")
        body = raw[len(intl or "") :]
        digits = "".join(_DIGITS_RE.findall(body))
        before = text[max(0, start - 40) : start]
        if not 7 <= len(digits) <= 15 or _REF_CONTEXT_RE.search(before):
            continue
        if not intl:
            bare = "(" not in body and len(_DIGITS_RE.findall(body)) == 1
            if bare and not _PHONE_CONTEXT_RE.search(before):
                continue
            if any(shape.fullmatch(body) for shape in (_DATE_SHAPE_RE, _IP_SHAPE_RE, _THOUSANDS_SHAPE_RE)):
                continue
        found.append((start, match.end(), bool(intl)))
    return found


def mask_contact_details(text: str) -> str:
    """``text`` with emails, phone numbers, street addresses and cards masked.

    For public channels and restricted roles: ``a***@example.com``, ``+• (•••) •••-••00``,
    ``[address]`` and ``•••• •••• •••• 4242``. Idempotent.
    """
    _check_text(text)
    text = mask_cards(_EMAIL_RE.sub(_mask_email, text))
    text = _ADDRESS_RE.sub("[address]", text)
    return _replace(
        text, [(start, end, _mask_digits(text[start:end])) for start, end, _ in _phone_spans(text)]
    )


def mask_fact(fact: Fact, *, contact_details: bool = True) -> Fact:
    """``fact`` as a restricted view may show it: cards always, contact details if asked."""
    if not isinstance(fact, Fact):
        raise ValidationError("fact", f"expected a Fact, got {type(fact).__name__}")
    value, text = mask_cards(fact.value), mask_cards(fact.text)
    if contact_details:
        if fact.kind == "email":
            value, text = _mask_address(value), _mask_address(text)
        elif fact.kind == "phone":
            value, text = _mask_digits(value), _mask_digits(text)
        else:
            value, text = mask_contact_details(value), mask_contact_details(text)
    if (value, text) == (fact.value, fact.text):
        return fact
    return evolve(fact, value=value, text=text)


def _mask_address(email: str) -> str:
    local, at, domain = email.rpartition("@")
    return f"{_mask_local(local)}@{domain}" if at else _mask_local(email)


# -- extraction --------------------------------------------------------------------------------

_JOURNEY_REF_RE = re.compile(r"(?i)(?<![\w-])J-[0-9A-HJKMNP-TV-Z]{5}(?![\w-])")
_TRACKING_RE = re.compile(r"(?<!\w)(?:1Z[0-9A-Z]{16}|[A-Z]{2}[0-9]{9}[A-Z]{2})(?!\w)")
_HASH_ORDER_RE = re.compile(r"(?<![\w#&])#([A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?![\w-])")
_DASHED_ORDER_RE = re.compile(r"(?<![\w#-])[A-Za-z]{1,6}-[0-9]{3,}(?:-[A-Za-z0-9]+){0,3}(?![\w-])")
_KEYWORD_ORDER_RE = re.compile(
    rf"(?i)\b(?:{_REF_WORDS})\b(?:[ \t]*(?:number|num|no|nr|id)\b)?(?:[ \t]+(?:is|was))?[ \t.:#-]*"
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
_AMOUNT_RE = re.compile(
    rf"(?:(?P<sym1>{_SYMBOLS})|(?<![A-Za-z])(?P<code1>{_CODES}))[ \u00a0]?"
    rf"(?P<n1>{_NUMBER})(?![0-9]|[.,][0-9])"
    rf"|(?<![\w.,])(?P<n2>{_NUMBER})[ \u00a0]?"
    rf"(?:(?P<sym2>{_SYMBOLS})|(?P<code2>{_CODES})\b|(?P<word2>(?i:euros?|dollars?))\b)"
)

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_ISO_DATE_RE = re.compile(r"(?<![\w.\-/])([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?![0-9\-/]|\.[0-9])")
_NUMERIC_DATE_RE = re.compile(
    r"(?<![\w.\-/])([0-9]{1,2})([/.\-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})(?![0-9\-/]|\.[0-9])"
)
_MONTH_DAY_RE = re.compile(
    rf"(?i)(?<!\w)(?P<m>{_MONTH})\.?[ \t]+(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?"
    r"(?:,?[ \t]+(?P<y>[0-9]{4}))?(?![\w:])"
)
_DAY_MONTH_RE = re.compile(
    rf"(?i)(?<![\w.\-/])(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?(?:[ \t]+of)?[ \t]+(?P<m>{_MONTH})\.?"
    rf"(?:,?[ \t]+(?P<y>[0-9]{{4}}))?(?!\w)"
)

_Found = tuple[int, int, str, str, str]
"""(start, end, kind, value, text as written) of one fact in the masked text."""


def _cards(text: str) -> Iterator[_Found]:
    for m in _CARD_MASK_RE.finditer(text):
        yield m.start(), m.end(), "card", "••••" + m.group(1), m.group()


def _emails(text: str) -> Iterator[_Found]:
    for m in _EMAIL_RE.finditer(text):
        if "*" in m.group():
            continue  # already masked
        try:
            value = parse_identity("email:" + m.group()).value
        except ValidationError:
            continue
        yield m.start(), m.end(), "email", value, m.group()


def _references(text: str) -> Iterator[_Found]:
    for m in _JOURNEY_REF_RE.finditer(text):
        yield m.start(), m.end(), "reference", m.group().upper(), m.group()


def _orders(text: str) -> Iterator[_Found]:
    for m in _TRACKING_RE.finditer(text):
        yield m.start(), m.end(), "order", m.group(), m.group()
    for m in _HASH_ORDER_RE.finditer(text):
        if _plausible_order(m.group(1)):
            yield m.start(), m.end(), "order", m.group(1).upper(), m.group()
    for m in _DASHED_ORDER_RE.finditer(text):
        yield m.start(), m.end(), "order", m.group().upper(), m.group()
    for m in _KEYWORD_ORDER_RE.finditer(text):
        if _plausible_order(m.group(1)):
            yield m.start(1), m.end(1), "order", m.group(1).upper(), m.group(1)


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
    for start, end, intl in _phone_spans(text):
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


# Earlier extractors win where two read the same characters.
_EXTRACTORS = (_cards, _emails, _references, _dates, _amounts, _orders, _phones)


def extract_facts(text: str, *, channel: str, at: datetime, interaction_id: str) -> tuple[Fact, ...]:
    """The facts in a customer's message that an agent would otherwise ask for again.

    In order of appearance, one per distinct ``(kind, value)``. Card numbers come out
    masked (``••••4242``); ``yesterday`` and other relative dates are not facts.
    """
    _check_text(text)
    attrs_of = fields(Fact)
    v.slug(None, attrs_of.channel, channel)
    v.text(allow_empty=False)(None, attrs_of.interaction_id, interaction_id)
    ensure_aware(at, "at")
    masked = mask_cards(text)
    claimed = bytearray(len(masked))
    found: list[_Found] = []
    for extractor in _EXTRACTORS:
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


# -- the fact index ----------------------------------------------------------------------------


def merge_facts(index: tuple[Fact, ...], new: Iterable[Fact], *, cap: int = 50) -> tuple[Fact, ...]:
    """``index`` plus the facts of ``new`` it did not know, at most ``cap`` of them.

    A restated fact keeps the record of when it was first given; past ``cap`` the
    oldest facts are dropped. Linear in the sizes involved: it runs on every inbound.
    """
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        raise ValidationError("cap", f"expected a whole number >= 1, got {cap!r}")
    merged = list(_facts(index, "index"))
    seen = {fact.key for fact in merged}
    for fact in _facts(new, "new"):
        if fact.key not in seen:
            seen.add(fact.key)
            merged.append(fact)
    return tuple(merged[-cap:])


def restated(index: Iterable[Fact], new: Iterable[Fact]) -> tuple[Fact, ...]:
    """The facts of ``new`` the customer had already given (their key is in ``index``)."""
    known = {fact.key for fact in _facts(index, "index")}
    return tuple(fact for fact in _facts(new, "new") if fact.key in known)


def _facts(items: Iterable[Fact], name: str) -> Iterator[Fact]:
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise ValidationError(name, f"expected facts, got {type(items).__name__}")
    for i, item in enumerate(items):
        if not isinstance(item, Fact):
            raise ValidationError(f"{name}[{i}]", f"expected a Fact, got {type(item).__name__}")
        yield item


# -- sensitivity -------------------------------------------------------------------------------

_SENSITIVE_WORDS = (
    (
        "credentials",
        re.compile(
            r"(?i)\b(?:passwords?|passwd|passcodes?|pass code|pin[ \t]+(?:code|number)|my[ \t]+pin"
            r"|security[ \t]+(?:code|question|answer)|cvv2?|cvc2?|csc"
            r"|one[ \t-]time[ \t]+(?:code|password|passcode|pin)|otp|verification[ \t]+code"
            r"|2fa[ \t]+code|auth(?:entication)?[ \t]+code|login[ \t]+code)\b|(?-i:\bPIN\b)"
        ),
    ),
    (
        "government id",
        re.compile(
            r"(?i)\b(?:social[ \t]+security(?:[ \t]+number)?|ssn|passport[ \t]+(?:number|no)"
            r"|driver'?s[ \t]+licen[cs]e|national[ \t]+id|tax[ \t]+id)\b"
        ),
    ),
    (
        "health",
        re.compile(
            r"(?i)\b(?:hospital(?:ised|ized)?|doctors?|medical|medications?|medicines?|prescriptions?"
            r"|diagnos(?:is|ed)|surgery|therapy|therapist|chemotherapy|pregnan(?:t|cy)|disabilit(?:y|ies)"
            r"|disabled|illness|cancer|diabetes|diabetic|insulin|hiv|mental[ \t]+health|depression"
            r"|allerg(?:y|ies|ic))\b"
        ),
    ),
    (
        "legal",
        re.compile(
            r"(?i)\b(?:lawyers?|attorneys?|lawsuits?|litigation|solicitors?|subpoena|legal[ \t]+action"
            r"|small[ \t]+claims|court|su(?:e|ing|ed)[ \t]+(?:you|your|them|the|this|it|for))\b"
        ),
    ),
)


def sensitive_reasons(text: str) -> tuple[str, ...]:
    """Why ``text`` is sensitive (see :data:`SENSITIVE_REASONS`); empty when it is not."""
    _check_text(text)
    reasons = ["card number"] if _CARD_MASK_RE.search(text) or _card_spans(text) else []
    reasons.extend(reason for reason, pattern in _SENSITIVE_WORDS if pattern.search(text))
    return tuple(reasons)


# -- helpers -----------------------------------------------------------------------------------


def _check_text(text: object, name: str = "text") -> None:
    if not isinstance(text, str):
        raise ValidationError(name, f"expected text, got {type(text).__name__}")


def _replace(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """``text`` with sorted, non-overlapping ``(start, end, replacement)`` spans replaced."""
    out, last = [], 0
    for start, end, replacement in spans:
        out.append(text[last:start])
        out.append(replacement)
        last = end
    out.append(text[last:])
    return "".join(out)
