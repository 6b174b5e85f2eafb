"""Masking that keeps private details private: card numbers always, contact details on request.

Everything here is pure and accepts any ``str``: it runs on every inbound message and
on every line of every summary, hostile text included. The patterns are precompiled and
only start at token boundaries (none can backtrack quadratically over a long message).
The hot ones start with a lookahead naming the characters a match can start with, so
the engine rejects any other position with one test, and each pass is skipped when the
text lacks a character every match holds: most messages have no ``@``, no card-length
run of digits, often no digit at all.

Card numbers are masked as ``•••• •••• •••• 4242`` whatever their length, so the mask
does not even reveal the card type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import accumulate

from attrs import evolve

from handoff.errors import ValidationError
from handoff.models import Fact

__all__ = ["luhn_valid", "mask_cards", "mask_contact_details", "mask_fact"]

# Names without a leading underscore but outside ``__all__`` are shared with
# :mod:`handoff.facts`, which reads the same cards, emails and phone numbers.

# -- cards -------------------------------------------------------------------------------------

# Digits separated by single spaces or dashes: "4242 4242 4242 4242", "4242-4242-...".
_DIGIT_GROUPS_RE = re.compile(r"[0-9]+(?:[ -][0-9]+)*")
_DIGITS_RE = re.compile(r"[0-9]+")
# Thirteen digits with at most one space or dash between two: what every card candidate holds.
_CARD_LENGTH_RE = re.compile(r"[0-9](?:[ -]?[0-9]){12}")
_DIGIT_RE = re.compile(r"[0-9]")
CARD_MASK_RE = re.compile(r"•••• •••• •••• ([0-9]{4})(?![0-9])")
"""A card number as :func:`mask_cards` leaves it; the group is its last four."""


def luhn_valid(digits: str) -> bool:
    """Whether ``digits`` (spaces and dashes ignored) pass the Luhn check cards carry."""
    check_text(digits, "digits")
    compact = digits.replace(" ", "").replace("-", "")
    if len(compact) < 2 or not compact.isascii() or not compact.isdigit():
        return False
    return _luhn(compact)


_DOUBLED = {str(d): (d * 2 - 9 if d > 4 else d * 2) for d in range(10)}


def _luhn(digits: str) -> bool:
    """The check itself, on ASCII digits: every second digit from the right is doubled."""
    kept = sum(map(int, digits[-1::-2]))
    return (kept + sum(map(_DOUBLED.__getitem__, digits[-2::-2]))) % 10 == 0


def card_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, last four) of each Luhn-valid run of 13-19 digits.

    A run is whole digit groups; from each group the longest valid run starting there
    wins, so a card typed right after an order number is still found. Prefix sums make
    each candidate an O(1) check, so a hostile wall of digits stays linear.
    """
    if len(text) < 13 or not _CARD_LENGTH_RE.search(text):
        return []  # the common case: no run of digits long enough to be a card
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


def holds_card(text: str) -> bool:
    """Whether ``text`` holds a card number, masked or not."""
    return CARD_MASK_RE.search(text) is not None or bool(card_spans(text))


def mask_cards(text: str) -> str:
    """``text`` with every Luhn-valid 13-19 digit card number as ``•••• •••• •••• 4242``.

    Other digit runs (orders, phones) are untouched. Masking repeats until nothing is
    left to mask, which makes it idempotent even when a card's last four run on into
    more digits.
    """
    check_text(text)
    while spans := card_spans(text):
        text = _replace(text, [(start, end, f"•••• •••• •••• {last4}") for start, end, last4 in spans])
    return text


# -- contact details ---------------------------------------------------------------------------

EMAIL_RE = re.compile(r"(?<![\w.+*'%-])([\w.+*'%-]+)@([\w-]+(?:\.[\w-]+)+)")
"""An email address; group 1 is the local part, group 2 the domain."""

# A phone number: an optional "+" or "00", then up to seven groups of digits split by one
# space, dot or dash, or wrapped in parentheses: "+44 (0)20 7946 0958", "(415) 555-0100".
_PHONE_RE = re.compile(
    r"(?=[+(0-9])(?<![\w#@/.,:•*+\-])(?<!•[ \-])"
    r"(?P<intl>\+|00(?=[1-9]))?"
    r"(?:\([0-9]{1,5}\)|[0-9]{1,15})"
    r"(?:(?:[ .\-]|(?<=\)))(?:\([0-9]{1,5}\)|[0-9]{1,15})){0,6}"
    r"(?![\w•@]|[.\-/:,][0-9])"
)
_PHONE_MARKS = " .-()"
REF_WORDS: tuple[str, ...] = (
    *("order", "ord", "invoice", "inv", "ticket", "case", "ref", "reference", "booking"),
    *("confirmation", "tracking", "shipment", "parcel", "package", "reservation", "return"),
    *("rma", "claim"),
)
"""Words that announce an order or reference number (so the number after them is no phone)."""


def word_start(words: Iterable[str]) -> str:
    """A lookahead for the first characters of ``words``, to put before ``\\b(?:word|...)``.

    The engine then rejects a position no word can start at with one test instead of
    trying every word there. Each word may be a pattern, but starts with a letter or digit.
    """
    firsts = {word[:1] for word in words}
    if not all(first.isalnum() for first in firsts):
        raise ValueError(f"every word must start with a letter or digit: {sorted(firsts)}")
    return "(?=[" + "".join(sorted(firsts)) + "])"


_REF_CONTEXT_WORDS = (*REF_WORDS, "account", "acct")
_REF_CONTEXT_RE = re.compile(
    rf"(?i){word_start(_REF_CONTEXT_WORDS)}\b(?:{'|'.join(_REF_CONTEXT_WORDS)})\b"
    r"(?:[ \t]*(?:number|num|no|nr|id)\b)?[ \t.:#-]*$"
)
_PHONE_WORDS = (
    *("phone", "tel", "telephone", "mobile", "cell", "cellphone", "call", "ring", "whatsapp"),
    *("sms", "text", "number", "reach"),
)
_PHONE_CONTEXT_RE = re.compile(
    rf"(?i){word_start(_PHONE_WORDS)}\b(?:{'|'.join(_PHONE_WORDS)})\b[^0-9\n]{{0,20}}$"
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
# Every form holds an ASCII digit, so text without one is never scanned.
_ADDRESS_RE = re.compile(
    r"(?=[0-9A-ZÄÖÜ]|(?i:[acpr]))(?:"
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
    r"(?:n[º°o]\.?[ \t]*)?[0-9]{1,4}\b)"
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


def phone_spans(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, international) of each phone number; shared by masking and extraction."""
    found = []
    for match in _PHONE_RE.finditer(text):
        start, raw, intl = match.start(), match.group(), match.group("intl")
        body = raw[len(intl) :] if intl else raw
        # The body is digits, parentheses and single separators: count what is not a digit.
        if not 7 <= len(body) - sum(map(body.count, _PHONE_MARKS)) <= 15:
            continue
        before = text[max(0, start - 40) : start]
        if not intl:
            if body.isdigit() and not _PHONE_CONTEXT_RE.search(before):
                continue  # a bare run of digits is a phone number only after "call", "tel"...
            if any(shape.fullmatch(body) for shape in (_DATE_SHAPE_RE, _IP_SHAPE_RE, _THOUSANDS_SHAPE_RE)):
                continue
        if _REF_CONTEXT_RE.search(before):
            continue
        found.append((start, match.end(), bool(intl)))
    return found


def mask_contact_details(text: str) -> str:
    """``text`` with emails, phone numbers, street addresses and cards masked.

    For public channels and restricted roles: ``a***@example.com``, ``+• (•••) •••-••00``,
    ``[address]`` and ``•••• •••• •••• 4242``. Idempotent.
    """
    check_text(text)
    if "@" in text:
        text = EMAIL_RE.sub(_mask_email, text)
    digits = len(_DIGIT_RE.findall(text))  # masking below only ever removes digits
    if not digits:
        return text  # cards, phone numbers and addresses all hold one
    text = mask_cards(text)
    if " " in text or "\t" in text:  # every address form has one
        text = _ADDRESS_RE.sub("[address]", text)
    if digits < 7:
        return text  # too few for a phone number
    return _replace(
        text, [(start, end, _mask_digits(text[start:end])) for start, end, _ in phone_spans(text)]
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
    if value == fact.value and text == fact.text:
        return fact
    return evolve(fact, value=value, text=text)


def _mask_address(email: str) -> str:
    local, at, domain = email.rpartition("@")
    return f"{_mask_local(local)}@{domain}" if at else _mask_local(email)


# -- helpers -----------------------------------------------------------------------------------


def check_text(text: object, name: str = "text") -> None:
    """Reject anything but ``str``, naming the argument: these functions see untrusted input."""
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
