"""What makes a message sensitive, as it was read before its one-pass pre-checks.

The reference :func:`handoff.sensitivity.sensitive_reasons` must equal: the secrets a
masking pass finds, a card masked or not, a masked IBAN, then each group of words
searched on its own. ``tests/test_facts.py`` compares both on generated text.
"""

from __future__ import annotations

import re

from handoff.masking import check_text, holds_card, secrets_masked
from handoff.sensitivity import _SENSITIVE_WORDS, SENSITIVE_REASONS

__all__ = ["sensitive_reasons"]

_IBAN_MASK_RE = re.compile(r"[A-Z]{2}•• •••• [A-Za-z0-9]{4}")
_WORDS = tuple((reason, re.compile(f"(?i){words}")) for reason, words in _SENSITIVE_WORDS)


def _holds_card(text: str) -> bool:
    return holds_card(text)


def sensitive_reasons(text: str) -> tuple[str, ...]:
    check_text(text)
    found = set(secrets_masked(text)[1])
    if "card number" not in found and _holds_card(text):
        found.add("card number")
    if "bank account" not in found and _IBAN_MASK_RE.search(text):
        found.add("bank account")
    found.update(reason for reason, pattern in _WORDS if pattern.search(text))
    return tuple(reason for reason in SENSITIVE_REASONS if reason in found)
