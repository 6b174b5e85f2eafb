"""The facts a customer can say again, and which of them one message says, remembered.

A repeat is a fact the customer gives again after a handoff although the journey already
held it: an order number, an email address, a phone number, an amount. The repeat rate
reads the facts of every customer message after a handoff; many say the same thing, so
the restatable facts of a text are remembered by its text and channel (which alone
decide them).
"""

from __future__ import annotations

from handoff.clock import from_micros
from handoff.facts import extract_facts

__all__ = ["RESTATABLE_KINDS", "restatable"]

RESTATABLE_KINDS: tuple[str, ...] = ("order", "email", "phone", "amount")
"""Facts whose restatement after a handoff means the customer had to repeat themselves.
(Quoting the journey reference is how customers are *meant* to continue, so it is not one.)"""

_SAID: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
_SAID_KEPT = 1 << 15
"""A year of reports reads about 12,000 distinct texts after handoffs: a smaller memory
is emptied several times over in one report, and reads the same texts again."""


def restatable(text: str, channel: str, at: int, interaction_id: str) -> tuple[tuple[str, str], ...]:
    """The (kind, value) of the facts of a customer message (said ``at``, in UTC
    microseconds) a customer can restate (:data:`RESTATABLE_KINDS`), in order of
    appearance."""
    key = (text, channel)
    found = _SAID.get(key)
    if found is None:
        if len(_SAID) >= _SAID_KEPT:
            _SAID.clear()
        facts = extract_facts(text, channel=channel, at=from_micros(at), interaction_id=interaction_id)
        found = _SAID[key] = tuple(f.key for f in facts if f.kind in RESTATABLE_KINDS)
    return found
