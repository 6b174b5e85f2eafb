"""The one exception tree of ``handoff``.

Every error the public API raises is a :class:`HandoffError`, so a host application
can catch one class; the subclasses say what went wrong without parsing messages::

    HandoffError
    ├── ValidationError          (also a ValueError) bad input; .field, .problem
    │   ├── IngestError          a channel payload; .field is its path, .outcomes
    │   └── PolicyError          a policy document; .problems lists every one
    ├── NotFound                 (also a LookupError) no such record; .kind, .key
    ├── ConcurrencyConflict      another writer was first; nothing was written
    │   └── DuplicateInteraction the same (channel, external id) is stored
    └── StoreError               the storage backend failed
        └── StoreUnavailable     unknown store URL scheme, or its driver missing
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConcurrencyConflict",
    "DuplicateInteraction",
    "HandoffError",
    "IngestError",
    "NotFound",
    "PolicyError",
    "StoreError",
    "StoreUnavailable",
    "ValidationError",
]


class HandoffError(Exception):
    """Base class of every error raised by ``handoff``."""


class ValidationError(HandoffError, ValueError):
    """Input was rejected; ``field`` names where and ``problem`` says why.

    Raised before anything is written, so nothing already stored changes.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}" if field else problem)

    def __reduce__(self) -> tuple[type[ValidationError], tuple[Any, ...]]:
        return (type(self), (self.field, self.problem))


class NotFound(HandoffError, LookupError):
    """A contact, journey, notification or other record does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")

    def __reduce__(self) -> tuple[type[NotFound], tuple[str, str]]:
        return (type(self), (self.kind, self.key))


class ConcurrencyConflict(HandoffError):
    """Another writer changed the same record first (a stale version or a race).

    The write was not applied. Re-read and try again; the Switchboard does this
    itself a bounded number of times before letting the error through.
    """


class StoreError(HandoffError):
    """The storage backend failed (I/O, corruption, a driver error)."""


class StoreUnavailable(StoreError):
    """A store URL names a scheme that is unknown or whose driver is not installed."""


class DuplicateInteraction(ConcurrencyConflict):
    """An interaction with the same (channel, external id) is already stored."""


class IngestError(ValidationError):
    """A channel payload (or a part of one) could not be read or applied.

    ``field`` is the path of the problem inside the payload, e.g.
    ``$.entry[0].changes[0].value.messages[1].timestamp``. When raised by
    ``Switchboard.ingest``, ``outcomes`` holds what was recorded before it gave up.
    """

    outcomes: list[Any]

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(field, problem)
        self.outcomes = []


class PolicyError(ValidationError):
    """A policy could not be loaded; ``problems`` lists every ``(path, message)`` found.

    Paths point into the policy document, e.g. ``rules[3].when.any[1].op``, so one
    load reports everything that needs fixing rather than the first mistake only.
    """

    def __init__(self, problems: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> None:
        self.problems: tuple[tuple[str, str], ...] = tuple(problems) or (("", "invalid policy"),)
        first_path, first = self.problems[0]
        super().__init__(first_path, first)
        lines = [f"{len(self.problems)} problem(s) in the policy:"]
        lines += [f"  {path or '<policy>'}: {message}" for path, message in self.problems]
        self.args = ("\n".join(lines),)

    def __reduce__(self) -> tuple[type[PolicyError], tuple[Any, ...]]:
        return (type(self), (self.problems,))
