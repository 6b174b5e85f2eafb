"""Masking that keeps private details private: secrets always, contact details on request.

Everything here is pure and accepts any ``str``: it runs on every text the library
stores or derives, hostile text included. :func:`mask_secrets` is the one masking step
every text passes before it is stored: after Unicode normalisation (NFKC, zero-width
characters removed, HTML entities decoded, for detection only) it masks card numbers
(keeping the last four), security codes, PINs and passwords given after a keyword
(replaced entirely) and IBANs (keeping the country code and the last four); nothing
else of the text changes. :func:`mask_inbound` applies it to every text of an
:class:`~handoff.events.Inbound`. What is found and how is listed in
:mod:`handoff.masking._secrets`.

The patterns are precompiled and only start at token boundaries (none can backtrack
quadratically over a long message). The hot ones start with a lookahead naming the
characters a match can start with, and each pass is skipped when the text lacks a
character every match holds: most messages have no ``@``, no card-length run of
digits, no keyword.

Card numbers are masked as ``•••• •••• •••• 4242`` whatever their length, so the mask
does not even reveal the card type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from attrs import evolve

from handoff.errors import ValidationError
from handoff.events import MAX_BODY_CHARS, Inbound
from handoff.masking._normalized import normalize, quick_normal_form
from handoff.masking._secrets import (
    _CARD_LENGTH_RE,
    CARD,
    card_spans,
    luhn,
    secret_spans,
    worth_a_look,
)
from handoff.masking._secrets import CARD_MASK_RE as CARD_MASK_RE
from handoff.models import Fact

__all__ = [
    "SECRET_KINDS",
    "luhn_valid",
    "mask_cards",
    "mask_contact_details",
    "mask_fact",
    "mask_inbound",
    "mask_secrets",
    "secrets_masked",
]

# Names without a leading underscore but outside ``__all__`` are shared with
# :mod:`handoff.facts`, which reads the same cards, emails and phone numbers.

SECRET_KINDS: tuple[str, ...] = ("card number", "credentials", "bank account")
"""What :func:`secrets_masked` reports it found: cards; security codes, PINs and passwords; IBANs."""

_DIGIT_RE = re.compile(r"[0-9]")
_NAME_CAP = 200
_ROUNDS = 16  # every round masks digits or a password for good, so this is never reached


def luhn_valid(digits: str) -> bool:
    """Whether ``digits`` (spaces and dashes ignored) pass the Luhn check cards carry."""
    check_text(digits, "digits")
    compact = digits.replace(" ", "").replace("-", "")
    if len(compact) < 2 or not compact.isascii() or not compact.isdigit():
        return False
    return luhn(compact)


def holds_card(text: str) -> bool:
    """Whether ``text`` holds a card number, masked or not."""
    if "••••" in text and CARD_MASK_RE.search(text) is not None:
        return True
    if card_spans(quick_normal_form(text)):
        return True
    return "<" in text and bool(card_spans(quick_normal_form(text, tags=False)))


def secrets_in(text: str) -> tuple[set[str], bool]:
    """The secret kinds masking ``text`` would find, and whether it holds a card number,
    masked or not: what :func:`secrets_masked` and :func:`holds_card` tell, in one look
    when the text has nothing worth a closer one (the common case)."""
    if "<" not in text and not worth_a_look(quick_normal_form(text)):
        # no card-length run of digits, no keyword, no IBAN start
        return set(), "••••" in text and CARD_MASK_RE.search(text) is not None
    found = set(_masked(text, cards_only=False)[1])
    return found, CARD in found or holds_card(text)


def secrets_masked(text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` with every secret masked, and the kinds found (see :data:`SECRET_KINDS`)."""
    check_text(text)
    return _masked(text, cards_only=False)


def mask_secrets(text: str) -> str:
    """``text`` with card numbers, security codes, PINs, passwords and IBANs masked.

    ``"card 4242 4242 4242 4242, cvv 123"`` becomes ``"card •••• •••• •••• 4242, cvv
    [redacted]"``. Idempotent; text without a secret comes back as it is.
    """
    check_text(text)
    return _masked(text, cards_only=False)[0]


def mask_cards(text: str) -> str:
    """``text`` with every Luhn-valid 13-19 digit card number as ``•••• •••• •••• 4242``.

    Other digit runs (orders, phones) are untouched. Masking repeats until nothing is
    left to mask, which makes it idempotent even when a card's last four run on into
    more digits. :func:`mask_secrets` masks cards and every other secret.
    """
    check_text(text)
    return _masked(text, cards_only=True)[0]


def _masked(text: str, *, cards_only: bool) -> tuple[str, tuple[str, ...]]:
    kinds: set[str] = set()
    text = _masked_as(text, kinds, cards_only=cards_only, tags=True)
    if "<" in text:  # what reads as a tag may hide a secret: read it as written too
        text = _masked_as(text, kinds, cards_only=cards_only, tags=False)
    return text, tuple(kind for kind in SECRET_KINDS if kind in kinds) if kinds else ()


def _masked_as(text: str, kinds: set[str], *, cards_only: bool, tags: bool) -> str:
    """``text`` masked as detection reads it with tags as one space or as written; the
    kinds found are added to ``kinds``."""
    quick = quick_normal_form(text, tags)
    if not (_CARD_LENGTH_RE.search(quick) if cards_only else worth_a_look(quick)):
        return text  # the common case: nothing that could be a secret
    for _ in range(_ROUNDS):
        normal = normalize(text, tags)
        spans = secret_spans(normal.text, cards_only=cards_only)
        if not spans:
            break
        replaced: list[tuple[int, int, str]] = []
        for span in spans:
            start, end = normal.original(span.start, span.end)
            if replaced and start < replaced[-1][1]:
                start = replaced[-1][1]  # one written character read as two, split between two secrets
            replaced.append((start, end, span.replacement))
            kinds.add(span.kind)
        text = _replace(text, replaced)
        quick = quick_normal_form(text, tags)
        if not (_CARD_LENGTH_RE.search(quick) if cards_only else worth_a_look(quick)):
            break
    return text


def mask_inbound(inbound: Inbound) -> tuple[Inbound, tuple[str, ...]]:
    """``inbound`` with every text masked by :func:`mask_secrets`, and the kinds found.

    Masked are the body, the sender's name, the agent's name, and every key and value of
    the metadata (an email's subject, its quoted history, its attachments' names...).
    Identifiers are not: the identity, the external id, journey and thread references.
    An inbound that held a secret comes back marked ``sensitive``; one without any
    comes back as it is.
    """
    if not isinstance(inbound, Inbound):
        raise ValidationError("inbound", f"expected an Inbound, got {type(inbound).__name__}")
    found: set[str] = set()

    def clean(text: str, cap: int | None = None) -> str:
        masked, kinds = _masked(text, cards_only=False)
        found.update(kinds)
        while cap is not None and len(masked) > cap:
            # A mask can be longer than what it hides, so the text is cut to its limit, and
            # the cut can leave the start of a longer number that is a card on its own:
            # masked again, until it fits (each round masks digits for good).
            masked, kinds = _masked(masked[:cap], cards_only=False)
            found.update(kinds)
        return masked

    body = clean(inbound.body, MAX_BODY_CHARS)
    name = None if inbound.name is None else clean(inbound.name, _NAME_CAP)
    agent = None if inbound.agent is None else clean(inbound.agent, _NAME_CAP)
    metadata: dict[str, str] = {}
    for key, value in inbound.metadata.items():
        masked_key = clean(key)
        masked_value = clean(value)
        if masked_key in metadata:  # two keys masked alike: keep both values
            masked_value = f"{metadata[masked_key]}; {masked_value}"
        metadata[masked_key] = masked_value
    if not found:
        return inbound, ()
    masked = evolve(inbound, body=body, name=name, agent=agent, metadata=metadata, sensitive=True)
    return masked, tuple(kind for kind in SECRET_KINDS if kind in found)


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
    """``text`` with emails, phone numbers, street addresses and every secret masked.

    For public channels and restricted roles: ``a***@example.com``, ``+• (•••) •••-••00``,
    ``[address]`` and ``•••• •••• •••• 4242``. Idempotent.
    """
    check_text(text)
    text = mask_secrets(text)
    if "@" in text:
        text = EMAIL_RE.sub(_mask_email, text)
    digits = len(_DIGIT_RE.findall(text))  # masking below only ever removes digits
    if not digits:
        return text  # phone numbers and addresses all hold one
    if " " in text or "\t" in text:  # every address form has one
        text = _ADDRESS_RE.sub("[address]", text)
    if digits < 7:
        return text  # too few for a phone number
    return _replace(
        text, [(start, end, _mask_digits(text[start:end])) for start, end, _ in phone_spans(text)]
    )


def mask_fact(fact: Fact, *, contact_details: bool = True) -> Fact:
    """``fact`` as a restricted view may show it: secrets always, contact details if asked."""
    if not isinstance(fact, Fact):
        raise ValidationError("fact", f"expected a Fact, got {type(fact).__name__}")
    value, text = mask_secrets(fact.value), mask_secrets(fact.text)
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
