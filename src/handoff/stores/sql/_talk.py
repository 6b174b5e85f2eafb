"""A conversation's waits, read from the letters and instants of its steps when first
looked at.

The metrics read hands each journey's conversation over as two texts: its letters
(``c`` a customer's message or call, ``a`` an agent's, in order) and their instants
(UTC microseconds, comma-separated). A wait runs from the first customer message after
an agent reply (or the start) to the next agent reply: what ``c+a`` matches in the
letters. A report folds the talks of many journeys at once
(:func:`~handoff.metrics._vector.wait_pairs`); anyone else reading a tally's waits
gets the pairs parsed from the texts.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator, Sequence
from typing import overload

__all__ = ["NO_WAITS", "Talk"]

NO_WAITS = array("q")
"""The waits of a conversation that has none (shared: never changed)."""
_WAIT = re.compile("c+a")


class Talk(Sequence[int]):
    """The waits of a conversation, flattened (waiting since, reply at) pairs, read from
    its letters (``c`` and ``a`` only) and their instants (comma-separated text) when
    first looked at. A report folds the talks of a group in bulk instead
    (:func:`~handoff.metrics._vector.wait_pairs`), never parsing one at a time."""

    __slots__ = ("_pairs", "instants", "letters")

    def __init__(self, letters: str, instants: str) -> None:
        self.letters = letters
        self.instants = instants
        self._pairs: array[int] | None = None

    def pairs(self) -> array[int]:
        if self._pairs is None:
            self._pairs = _waits(self.letters, array("q", map(int, self.instants.split(","))))
        return self._pairs

    def __len__(self) -> int:
        return len(self.pairs())

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...
    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        return self.pairs()[index]

    def __iter__(self) -> Iterator[int]:
        return iter(self.pairs())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Talk):
            return self.pairs() == other.pairs()
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return list(self.pairs()) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Talk({self.letters!r}, {self.instants!r})"


def _waits(talk: str, at: array[int]) -> array[int]:
    """The (waiting since, reply at) pairs of a conversation, flattened."""
    if "cc" not in talk and "aa" not in talk:
        first = talk.find("c")  # turns alternate: each customer message is answered by the next
        if first < 0:
            return NO_WAITS
        return at[first : first + (len(talk) - first) // 2 * 2]
    waits = array("q")
    for wait in _WAIT.finditer(talk):
        waits.append(at[wait.start()])
        waits.append(at[wait.end() - 1])
    return waits
