"""Where the secrets are in a normalised text: card numbers, security codes, PINs, passwords, IBANs.

Pure and linear on any ``str``: every pattern is precompiled, starts at a position a
lookahead or a character class names, and no repetition can backtrack over another. The
spans are found in the text as :mod:`handoff.masking._normalized` gives it (NFKC, zero-width
characters gone, entities decoded); :mod:`handoff.masking` maps them back.

What is found, and how it is replaced:

* a **card number**: 13-19 digits passing the Luhn check, in groups split by up to six
  spaces, tabs, line breaks, dots, dashes, slashes or bars (table cells): keeps its last
  four, as ``•••• •••• •••• 4242`` whatever its length;
* **sensitive authentication data** after a keyword (CVV, CVC, CVV2, CVC2, CVN, CSC, CID,
  security code, card verification code or value, PIN): the 3-12 digits are replaced
  entirely, as ``[redacted]``;
* a **password** (password, passwd, passcode, passphrase, pwd) given after ``:``, ``=``,
  ``-``, ``is`` or ``was``: the word that follows is replaced entirely;
* an **IBAN** (two letters, two check digits, 11-30 letters or digits, spaces or dashes
  allowed, passing the ISO 13616 mod-97 check): keeps its country code and last four,
  as ``DE•• •••• 3000``.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import NamedTuple

__all__ = ["CARD", "CREDENTIALS", "IBAN", "Span", "card_spans", "luhn", "secret_spans", "worth_a_look"]

CARD = "card number"
CREDENTIALS = "credentials"
IBAN = "bank account"
REDACTED = "[redacted]"


class Span(NamedTuple):
    """``text[start:end]`` is a secret of ``kind``, to be written as ``replacement``."""

    start: int
    end: int
    replacement: str
    kind: str


# -- cards -------------------------------------------------------------------------------------

_SEPARATORS = " \t\n\r\u2028\u2029.\\-/|"
_GROUP_RE = re.compile(rf"[0-9]+(?:[{_SEPARATORS}]{{1,6}}[0-9]+)*")
DIGITS_RE = re.compile(r"[0-9]+")
# Thirteen digits, at most six separators between two: what every card candidate holds.
_CARD_LENGTH_RE = re.compile(rf"[0-9](?:[{_SEPARATORS}]{{0,6}}[0-9]){{12}}")
CARD_MASK_RE = re.compile(r"•••• •••• •••• ([0-9]{4})(?![0-9])")
"""A card number as masking leaves it; the group is its last four."""

_DOUBLED = {str(d): (d * 2 - 9 if d > 4 else d * 2) for d in range(10)}


def luhn(digits: str) -> bool:
    """The Luhn check on ASCII digits: every second digit from the right is doubled."""
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
    for run in _GROUP_RE.finditer(text):
        groups = list(DIGITS_RE.finditer(run.group()))
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


# -- keywords: security codes, PINs, passwords ---------------------------------------------------

_GAP = r"[ \t]*(?:(?:is|was|are|:|=|-|#|no\.?|nr\.?)(?![a-z])[ \t]*){0,2}"
_AUTH_RE = re.compile(
    r"(?i)(?=[cpsk])\b(?:cvv2?|cvc2?|cvn|csc|cid|pins?(?:[ \t]+(?:code|number))?"
    r"|(?:card[ \t]+)?(?:security|verification|validation)[ \t]+(?:code|value|number)s?)\b"
    + _GAP
    + r"(?P<value>[0-9](?:[ \t]?[0-9]){2,11})(?![0-9])"
)
_PASSWORD_RE = re.compile(
    r"(?i)(?=[p])\b(?:password|passwd|passcode|passphrase|pass[ \t]?code|pass[ \t]word|pwd|pw)s?\b"
    r"[ \t]*(?:(?:is|was|:|=|-)(?![a-z])[ \t]*){1,2}(?:\r?\n[ \t]*)?"
    r"(?P<value>[^\s]+)"
)
_KEYWORD_RE = re.compile(
    r"(?i)(?=[cpsv])\b(?:cv[vnc]|cvc|csc|cid|pins?|pass|pwd|pw|security|verification|validation)"
)

# -- IBANs ---------------------------------------------------------------------------------------

_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?:[ \-]?[A-Za-z0-9]){11,30}")
_IBAN_START_RE = re.compile(r"[A-Za-z]{2}[0-9]{2}")


def _iban_valid(compact: str) -> bool:
    """ISO 13616: the first four moved to the end, letters as 10-35, mod 97 is 1."""
    moved = (compact[4:] + compact[:4]).upper()
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _iban_spans(text: str) -> list[Span]:
    found = []
    for match in _IBAN_RE.finditer(text):
        chars = [(match.start() + i, c) for i, c in enumerate(match.group()) if c.isalnum()]
        for length in range(len(chars), 14, -1):
            compact = "".join(c for _, c in chars[:length])
            if _iban_valid(compact):
                end = chars[length - 1][0] + 1
                mask = f"{compact[:2].upper()}•• •••• {compact[length - 4 : length]}"
                found.append(Span(match.start(), end, mask, IBAN))
                break
    return found


# -- all of them ---------------------------------------------------------------------------------


def worth_a_look(text: str) -> bool:
    """Whether ``text`` (normalised) may hold a secret: a cheap test before the real search."""
    return bool(_CARD_LENGTH_RE.search(text) or _KEYWORD_RE.search(text) or _IBAN_START_RE.search(text))


def secret_spans(text: str, *, cards_only: bool = False) -> list[Span]:
    """The secrets of ``text`` (normalised), sorted and not overlapping."""
    spans = [Span(start, end, f"•••• •••• •••• {last4}", CARD) for start, end, last4 in card_spans(text)]
    if not cards_only:
        if _IBAN_START_RE.search(text):
            spans += _iban_spans(text)
        if _KEYWORD_RE.search(text):
            spans += [
                Span(m.start("value"), m.end("value"), REDACTED, CREDENTIALS) for m in _AUTH_RE.finditer(text)
            ]
            spans += [
                Span(m.start("value"), m.end("value"), REDACTED, CREDENTIALS)
                for m in _PASSWORD_RE.finditer(text)
                if m.group("value") != REDACTED
            ]
    spans.sort(key=lambda span: (span.start, -span.end))
    kept: list[Span] = []
    for span in spans:
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
        elif span.end > kept[-1].end:  # overlapping secrets: one mask covers both
            last = kept[-1]
            kept[-1] = Span(last.start, span.end, _covering(last, span), last.kind)
    return kept


def _covering(first: Span, second: Span) -> str:
    """One replacement for two overlapping secrets: nothing of either is kept."""
    return REDACTED if CREDENTIALS in (first.kind, second.kind) else first.replacement
