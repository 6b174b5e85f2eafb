"""What makes a customer message sensitive: a card number, credentials, ids, health or legal words.

Pure and safe on any ``str``, hostile text included: the patterns are precompiled and
only start at word boundaries named by a lookahead, so none backtracks over a long message.
"""

from __future__ import annotations

import re

from handoff.masking import CARD_MASK_RE, check_text, secrets_in, word_start

__all__ = ["SENSITIVE_REASONS", "sensitive_reasons"]

SENSITIVE_REASONS: tuple[str, ...] = (
    *("card number", "credentials", "government id", "health", "legal", "bank account"),
)
_IBAN_MASK_RE = re.compile(r"[A-Z]{2}•• •••• [A-Za-z0-9]{4}")


def _phrases(*phrases: str, cased: tuple[str, ...] = ()) -> str:
    """Any of ``phrases`` (or of the ``cased`` ones, written just so) as whole words.

    Each is a pattern starting with a letter or digit, to go in a ``(?i)`` regex.
    """
    pattern = rf"\b(?:{'|'.join(phrases)})\b"
    if cased:
        pattern += rf"|(?-i:\b(?:{'|'.join(cased)})\b)"
    return rf"{word_start((*phrases, *cased))}(?:{pattern})"


_SENSITIVE_PHRASES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "credentials",
        (
            *("passwords?", "passwd", "passcodes?", "pass code", r"pin[ \t]+(?:code|number)"),
            *(r"my[ \t]+pin", r"security[ \t]+(?:code|question|answer)", "cvv2?", "cvc2?", "csc"),
            *(r"one[ \t-]time[ \t]+(?:code|password|passcode|pin)", "otp", r"verification[ \t]+code"),
            *(r"2fa[ \t]+code", r"auth(?:entication)?[ \t]+code", r"login[ \t]+code"),
        ),
        ("PIN",),
    ),
    (
        "government id",
        (
            *(r"social[ \t]+security(?:[ \t]+number)?", "ssn", r"passport[ \t]+(?:number|no)"),
            *(r"driver'?s[ \t]+licen[cs]e", r"national[ \t]+id", r"tax[ \t]+id"),
        ),
        (),
    ),
    (
        "health",
        (
            *("hospital(?:ised|ized)?", "doctors?", "medical", "medications?", "medicines?"),
            *("prescriptions?", "diagnos(?:is|ed)", "surgery", "therapy", "therapist"),
            *("chemotherapy", "pregnan(?:t|cy)", "disabilit(?:y|ies)", "disabled", "illness"),
            *("cancer", "diabetes", "diabetic", "insulin", "hiv", r"mental[ \t]+health"),
            *("depression", "allerg(?:y|ies|ic)"),
        ),
        (),
    ),
    (
        "legal",
        (
            *("lawyers?", "attorneys?", "lawsuits?", "litigation", "solicitors?", "subpoena"),
            *(r"legal[ \t]+action", r"small[ \t]+claims", "court"),
            r"su(?:e|ing|ed)[ \t]+(?:you|your|them|the|this|it|for)",
        ),
        (),
    ),
)
_SENSITIVE_WORDS = tuple(
    (reason, _phrases(*phrases, cased=cased)) for reason, phrases, cased in _SENSITIVE_PHRASES
)

_WORD_RES = tuple((reason, re.compile(f"(?i){words}")) for reason, words in _SENSITIVE_WORDS)
_ANY_WORD_RE = re.compile(
    "(?i)(?<!\\w)"  # each word starts with a letter or digit after no word character
    + word_start(w for _, phrases, cased in _SENSITIVE_PHRASES for w in (*phrases, *cased))
    + "(?:"
    + "|".join(f"(?:{words})" for _, words in _SENSITIVE_WORDS)
    + ")"
)
"""One pass telling whether any of the words is there: it finds a match wherever one of
them would, so text it finds nothing in (most messages) needs none of them. A position
that starts no word of any group is passed over with one test, not one per group."""


def sensitive_reasons(text: str) -> tuple[str, ...]:
    """Why ``text`` is sensitive (see :data:`SENSITIVE_REASONS`); empty when it is not."""
    check_text(text)
    found, card = secrets_in(text)  # a secret not masked yet, however it is written
    if card:
        found.add("card number")
    if "bank account" not in found and "••" in text and _IBAN_MASK_RE.search(text):
        found.add("bank account")
    if _ANY_WORD_RE.search(text):
        found.update(reason for reason, pattern in _WORD_RES if pattern.search(text))
    return _ordered(found)


def reasons_of_masked(text: str) -> tuple[str, ...]:
    """:func:`sensitive_reasons` of a text :func:`~handoff.masking.mask_secrets` gave back.

    Masking is idempotent, so such a text holds no secret left to find: only what masking
    left (a masked card or IBAN) and the words are looked for.
    """
    found: set[str] = set()
    if "••" in text:
        if CARD_MASK_RE.search(text):
            found.add("card number")
        if _IBAN_MASK_RE.search(text):
            found.add("bank account")
    if _ANY_WORD_RE.search(text):
        found.update(reason for reason, pattern in _WORD_RES if pattern.search(text))
    return _ordered(found)


def _ordered(found: set[str]) -> tuple[str, ...]:
    if not found:
        return ()
    return tuple(reason for reason in SENSITIVE_REASONS if reason in found)
