"""Facts a customer already gave, and the index that remembers them.

Everything here is pure and accepts any ``str``: it runs once on every customer
message, hostile ones included. As in :mod:`handoff.masking`, the patterns are
precompiled, only start at token boundaries (none can backtrack quadratically over a
long message), start with a lookahead naming the characters a match can start with, and
are skipped when a cheap test shows the text lacks what every match holds (no ``@``,
no email; no month name, no named date; no run of seven digits, no phone).
What makes a message sensitive lives in :mod:`handoff.sensitivity` (re-exported here).

Extraction reads text whose cards are already masked (see :mod:`handoff.masking`), so
no fact ever holds a full card number. A reply that is only a value ("7916676427") is a
fact of the kind the agent's question asked for (see :func:`asked_for`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from operator import attrgetter

from attrs import fields

from handoff import _validate as v
from handoff._records import build
from handoff.clock import ensure_aware
from handoff.errors import ValidationError
from handoff.facts._amounts_dates import Found, Scan, amounts, dates
from handoff.facts._answers import ASKABLE, asked_for, bare_answer
from handoff.identity import Identity, parse_identity
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
    "ASKABLE",
    "FACT_KINDS",
    "SENSITIVE_REASONS",
    "asked_for",
    "extract_facts",
    "merge_facts",
    "phone_region",
    "restated",
    "sensitive_reasons",
]

FACT_KINDS: tuple[str, ...] = ("order", "reference", "account", "email", "phone", "amount", "date", "card")
"""``account`` is an account id or a username; ``phone`` is E.164 where the number parses."""

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
_ACCOUNT_WORDS = ("account", "acct", "customer", "member", "client", "user", "login")
_ACCOUNT_GATE = ("acc", "customer", "member", "client", "user", "login")
_NAME_GATE = ("user", "login")
# An account id after "account", "customer number"...; a username after "username", "login".
_ACCOUNT_RE = re.compile(
    rf"(?i){word_start(_ACCOUNT_WORDS)}\b(?:(?P<name>user[ \t-]?name|login|user[ \t-]?id)"
    r"|account|acct|customer|membership|member|client)\b"
    r"(?:[ \t]*(?:number|num|no|nr|id|name)\b)?(?P<said>[ \t]+(?:is|was)\b)?"
    r"(?P<sep>[ \t]*[:#=][ \t]*|[ \t.-]+)"
    r"@?(?P<token>[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])(?![\w@-]|\.[A-Za-z0-9])"
)
_DATE_LIKE_RE = re.compile(r"[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4}")
_NOT_A_NAME = frozenset(
    (
        *("is", "was", "not", "wrong", "locked", "blocked", "invalid", "incorrect", "the", "my", "a"),
        *("an", "and", "but", "or", "it", "that", "this", "correct", "same", "different", "missing"),
        *("gone", "disabled", "suspended", "deleted", "hacked", "changed", "right", "fine", "ok"),
        *("okay", "working", "still", "also", "now", "already", "please", "on", "in", "for", "to"),
        *("with", "which", "what", "yes", "no", "sure", "yeah", "here", "there", "page", "settings"),
        *("service", "support", "details", "info", "access", "password", "email", "since", "and"),
    )
)


def _shortest(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words holding no other word: text without them holds none of ``words``."""
    return tuple(w for w in dict.fromkeys(words) if not any(o != w and o in w for o in words))


_REF_GATE = _shortest(REF_WORDS)
_DIGIT_RE = re.compile(r"[0-9]")
_NINE_DIGITS_RE = re.compile(r"[0-9]{9}")
# Seven digits with at most a parenthesis, a separator and a parenthesis between two:
# what the body of every phone number holds, "(415) 555-0100" and "+44 (0)20 7946" alike.
_PHONE_DIGITS_RE = re.compile(r"[0-9](?:[() .\-]{0,3}[0-9]){6}")
_LETTER_DASH_DIGIT_RE = re.compile(r"[A-Za-z]-[0-9]")


def _cards(scan: Scan) -> Iterator[Found]:
    text = scan.text
    if "••••" not in text:
        return
    for m in CARD_MASK_RE.finditer(text):
        yield m.start(), m.end(), "card", "••••" + m.group(1), m.group()


def _emails(scan: Scan) -> Iterator[Found]:
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


def _references(scan: Scan) -> Iterator[Found]:
    text = scan.text
    if "-" not in text or not scan.says(("j-",)):
        return
    for m in _JOURNEY_REF_RE.finditer(text):
        yield m.start(), m.end(), "reference", m.group().upper(), m.group()


def _accounts(scan: Scan) -> Iterator[Found]:
    """An account id after "account", "customer number"... (it has a digit, like an order
    number); a username after "username", "login"... (letters will do, once clearly given)."""
    if scan.says(_ACCOUNT_GATE):
        yield from _account_matches(scan.text)


def _usernames(scan: Scan) -> Iterator[Found]:
    """In text without a digit only a username can be an account fact."""
    if scan.says(_NAME_GATE):
        yield from _account_matches(scan.text)


def _account_matches(text: str) -> Iterator[Found]:
    for m in _ACCOUNT_RE.finditer(text):
        token = m.group("token")
        if m.group("name"):
            if (m.group("said") or m.group("sep").strip()) and token.lower() not in _NOT_A_NAME:
                yield m.start("token"), m.end("token"), "account", token.lower(), token
        elif _plausible_order(token) and not _DATE_LIKE_RE.fullmatch(token):
            yield m.start("token"), m.end("token"), "account", token.upper(), token


def _answer(scan: Scan, kind: str) -> Found | None:
    """The fact of kind ``kind`` a bare reply holds, if it is one."""
    span = bare_answer(scan.text)
    if span is None:
        return None
    start, end = span
    token = scan.text[start:end]
    if kind == "phone":
        found = _phone(scan, start, end, token.startswith(("+", "00")))
        return found if 7 <= sum(c.isdigit() for c in token) <= 15 else None
    if " " in token or "(" in token:
        return None
    if kind == "account" and not any(c.isdigit() for c in token):
        ok = len(token) >= 3 and token.lower() not in _NOT_A_NAME
        return (start, end, "account", token.lower(), token) if ok else None
    if not _plausible_order(token) or _DATE_LIKE_RE.fullmatch(token):
        return None
    return start, end, kind, token.upper(), token


def _orders(scan: Scan) -> Iterator[Found]:
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


def _phones(scan: Scan) -> Iterator[Found]:
    text = scan.text
    if not _PHONE_DIGITS_RE.search(text):
        return
    region = scan.region
    for start, end, intl in phone_spans(text):
        if intl or region is not None:
            yield _phone(scan, start, end, intl)
        else:
            raw = text[start:end]
            yield start, end, "phone", "".join(_DIGITS_RE.findall(raw)), raw


def _phone(scan: Scan, start: int, end: int, intl: bool) -> Found:
    """A phone number in E.164 where it parses: international ones, and national ones that
    are valid numbers of the region they are dialled in; otherwise its digits."""
    raw = scan.text[start:end]
    digits = "".join(_DIGITS_RE.findall(raw))
    if not intl:
        value = _national(raw, scan.region) if scan.region is not None else None
        return start, end, "phone", value or digits, raw
    try:
        value = parse_identity("phone:" + raw.replace("(0)", "")).value
    except ValidationError:
        value = "+" + (digits[2:] if raw.startswith("00") else digits)
    return start, end, "phone", value, raw


@lru_cache(maxsize=4096)
def _national(raw: str, region: str) -> str | None:
    """``raw`` dialled in ``region`` as E.164, if ``phonenumbers`` says it is a valid number
    there (a seven-digit local number is not: its area code is missing)."""
    try:
        import phonenumbers
    except ImportError:  # pragma: no cover - the phone extra is part of dev
        return None
    try:
        number = phonenumbers.parse(raw, region.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def phone_region(identity: Identity | None) -> str | None:
    """The region a customer writing from ``identity`` dials national numbers in: that of
    their own phone number (``phone:+44...`` -> ``GB``), if ``phonenumbers`` is installed."""
    if identity is None or identity.kind != "phone":
        return None
    return _region_of(identity.value)


@lru_cache(maxsize=4096)
def _region_of(e164: str) -> str | None:
    try:
        import phonenumbers
    except ImportError:  # pragma: no cover - the phone extra is part of dev
        return None
    try:
        code = phonenumbers.parse(e164, None).country_code
        region = phonenumbers.region_code_for_country_code(code) if code else None
    except phonenumbers.NumberParseException:
        return None
    return region if region and region != "001" else None


_REGION_RE = re.compile(r"^[A-Za-z]{2}$")
_Extractor = Callable[[Scan], Iterator[Found]]
_FACT_FIELDS = fields(Fact)
_non_empty = v.text(allow_empty=False)

# Earlier extractors win where two read the same characters. Text without an ASCII digit
# holds no card, date, amount, order, phone or account id: only the first ones read it.
_DIGIT_EXTRACTORS: tuple[_Extractor, ...] = (dates, amounts, _accounts, _orders, _phones)
_LETTER_EXTRACTORS: tuple[_Extractor, ...] = (_usernames,)


def _extractors(text: str, digit: bool) -> tuple[_Extractor, ...]:
    """The extractors that may find something in ``text``, in order: those needing a
    character the text lacks (a mask's bullets, ``@``, a dash) are not even started."""
    rest = _DIGIT_EXTRACTORS if digit else _LETTER_EXTRACTORS
    if "••••" not in text and "@" not in text and "-" not in text:
        return rest  # the common case
    first = (
        *((_cards,) if "••••" in text else ()),
        *((_emails,) if "@" in text else ()),
        *((_references,) if "-" in text else ()),
    )
    return (*first, *rest)


def extract_facts(
    text: str,
    *,
    channel: str,
    at: datetime,
    interaction_id: str,
    answering: str | None = None,
    region: str | None = None,
) -> tuple[Fact, ...]:
    """The facts in a customer's message that an agent would otherwise ask for again.

    In order of appearance, one per distinct ``(kind, value)``. Card numbers come out
    masked (``••••4242``); ``yesterday`` and other relative dates are not facts.
    ``answering`` is the kind of fact the agent's last question asked for (see
    :func:`asked_for`): a reply that is only a value is then a fact of that kind.
    ``region`` (``"US"``) is where national phone numbers are dialled, so that they
    come out in E.164 too (with ``phonenumbers`` installed).
    """
    check_text(text)
    v.slug(None, _FACT_FIELDS.channel, channel)
    _non_empty(None, _FACT_FIELDS.interaction_id, interaction_id)
    ensure_aware(at, "at")
    if answering is not None and answering not in ASKABLE:
        raise ValidationError("answering", f"expected one of {list(ASKABLE)} or None, got {answering!r}")
    if region is not None and (not isinstance(region, str) or not _REGION_RE.match(region)):
        raise ValidationError("region", f"expected a region code like 'US', got {region!r}")
    digit = _DIGIT_RE.search(text) is not None  # masking keeps a card's last four digits
    return _extract(
        mask_cards(text) if digit else text, digit, channel, at, interaction_id, answering, region
    )


def facts_of_masked(
    text: str,
    *,
    channel: str,
    at: datetime,
    interaction_id: str,
    answering: str | None = None,
    region: str | None = None,
) -> tuple[Fact, ...]:
    """:func:`extract_facts` of a text that went through :func:`~handoff.masking.mask_secrets`,
    with arguments the caller has checked: the write path's interaction body and fields.

    It neither checks its arguments nor masks cards again (the text holds none).
    """
    return _extract(text, _DIGIT_RE.search(text) is not None, channel, at, interaction_id, answering, region)


def _extract(
    text: str,
    digit: bool,
    channel: str,
    at: datetime,
    interaction_id: str,
    answering: str | None,
    region: str | None,
) -> tuple[Fact, ...]:
    """The facts of ``text`` (its cards masked; ``digit``: it holds an ASCII digit)."""
    scan = Scan(text, region)
    claimed: bytearray | None = None  # made on the first fact: most messages hold none
    found: list[Found] = []
    answer = _answer(scan, answering) if answering is not None else None
    if answer is not None:
        found.append(answer)
        claimed = bytearray(len(text))
        claimed[answer[0] : answer[1]] = b"\x01" * (answer[1] - answer[0])
    for extractor in _extractors(text, digit):
        for item in extractor(scan):
            start, end = item[0], item[1]
            if claimed is None:
                claimed = bytearray(len(text))
            elif claimed.find(1, start, end) != -1:
                continue
            claimed[start:end] = b"\x01" * (end - start)
            found.append(item)
    if not found:
        return ()
    found.sort()
    facts: dict[tuple[str, str], Fact] = {}
    for _start, _end, kind, value, written in found:
        if (kind, value) not in facts:  # every part was checked or made here: no validators
            facts[kind, value] = build(
                Fact,
                kind=kind,
                value=value,
                text=written,
                channel=channel,
                at=at,
                interaction_id=interaction_id,
            )
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
    known = len(merged)
    seen = set(map(_KEY, merged))
    for fact in _facts(new, "new"):
        key = (fact.kind, fact.value)
        if key not in seen:
            seen.add(key)
            merged.append(fact)
    if len(merged) == known and known <= cap and isinstance(index, tuple):
        return index  # nothing new (a customer restating what they said): the index as it was
    return tuple(merged[-cap:])


def restated(index: Iterable[Fact], new: Iterable[Fact]) -> tuple[Fact, ...]:
    """The facts of ``new`` the customer had already given (their key is in ``index``)."""
    known = set(map(_KEY, _facts(index, "index")))
    return tuple(fact for fact in _facts(new, "new") if (fact.kind, fact.value) in known)


def _facts(items: Iterable[Fact], name: str) -> list[Fact]:
    """``items`` as a new list, checked to hold nothing but facts."""
    if type(items) not in (tuple, list) and (
        isinstance(items, (str, bytes)) or not isinstance(items, Iterable)
    ):
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
