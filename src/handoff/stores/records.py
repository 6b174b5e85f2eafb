"""What a store is handed and gives back whole: :class:`Changeset` and :class:`ContactRecords`.

Plain frozen records, kept apart from :class:`~handoff.stores.base.Store` so that
:mod:`handoff.stores.rules` can check them without importing the contract that uses
the rules. Both are re-exported by :mod:`handoff.stores.base` and :mod:`handoff.stores`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from attrs import define, field

from handoff.errors import ValidationError
from handoff.models import Callback, Contact, DecisionRecord, Handoff, Interaction, Journey, Notification

__all__ = ["Changeset", "ContactRecords", "Erasure"]

_T = TypeVar("_T")


def _records(items: Iterable[_T], field: str) -> tuple[_T, ...]:
    """Any iterable of records as a tuple. Anything else is refused by the field's name
    rather than with ``tuple()``'s bare TypeError: records may come from untrusted data."""
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise ValidationError(field, f"expected a sequence of records, got {type(items).__name__}")
    return tuple(items)


# Typed converters: with a bare ``converter=tuple`` mypy cannot type the arguments. The
# records themselves are checked by the store (``check_changeset``), naming the item.
def _interactions(items: Iterable[Interaction]) -> tuple[Interaction, ...]:
    return _records(items, "interactions")


def _handoffs(items: Iterable[Handoff]) -> tuple[Handoff, ...]:
    return _records(items, "handoffs")


def _notifications(items: Iterable[Notification]) -> tuple[Notification, ...]:
    return _records(items, "notifications")


def _decisions(items: Iterable[DecisionRecord]) -> tuple[DecisionRecord, ...]:
    return _records(items, "decisions")


def _callbacks(items: Iterable[Callback]) -> tuple[Callback, ...]:
    return _records(items, "callbacks")


def _ids(items: Iterable[str]) -> tuple[str, ...]:
    return _records(items, "cancelled_notifications")


@define(frozen=True)
class Changeset:
    """Everything one event writes; a store commits all of it or none of it.

    ``expected_contact_version`` and ``expected_journey_version`` are the versions the
    writer read (0 for a record it is creating). A store that holds another version
    raises :class:`~handoff.errors.ConcurrencyConflict` and writes nothing.
    ``decisions`` go to the decision log in the same transaction, so a decision is
    kept exactly when the records it produced are; their ``data`` must be JSON (text
    keys; text, finite numbers, booleans, None, lists and dicts), which every store
    gives back unchanged.

    ``callbacks`` and ``cancelled_notifications`` are written by a store with the
    :class:`~handoff.stores.capabilities.CallbackBook` capability: a callback is new, or
    the closing of one stored as ``scheduled`` (any other stored state is a
    :class:`~handoff.errors.ConcurrencyConflict`); each notification id in
    ``cancelled_notifications`` that is still ``pending`` becomes ``cancelled``.
    """

    contact: Contact | None = None
    expected_contact_version: int = 0
    journey: Journey | None = None
    expected_journey_version: int = 0
    interactions: tuple[Interaction, ...] = field(default=(), converter=_interactions)
    handoffs: tuple[Handoff, ...] = field(default=(), converter=_handoffs)
    notifications: tuple[Notification, ...] = field(default=(), converter=_notifications)
    decisions: tuple[DecisionRecord, ...] = field(default=(), converter=_decisions)
    callbacks: tuple[Callback, ...] = field(default=(), converter=_callbacks)
    cancelled_notifications: tuple[str, ...] = field(default=(), converter=_ids)


def _journeys(items: Iterable[Journey]) -> tuple[Journey, ...]:
    return _records(items, "journeys")


@define(frozen=True)
class ContactRecords:
    """Everything stored about one contact (for export, and to check an erasure)."""

    contact: Contact
    journeys: tuple[Journey, ...] = field(converter=_journeys)  # oldest first
    interactions: tuple[Interaction, ...] = field(converter=_interactions)  # by journey, then sequence
    handoffs: tuple[Handoff, ...] = field(converter=_handoffs)
    notifications: tuple[Notification, ...] = field(converter=_notifications)
    decisions: tuple[DecisionRecord, ...] = field(default=(), converter=_decisions)  # by journey, then time
    callbacks: tuple[Callback, ...] = field(default=(), converter=_callbacks)  # by journey, then time


@define(frozen=True)
class Erasure:
    """What an erasure did (see :class:`~handoff.stores.capabilities.ErasureScrub`).

    ``old_copies_may_remain``: copies of erased values may remain outside the live rows
    (SQLite: write-ahead log frames a reader still pins, removed by a later checkpoint;
    PostgreSQL: its WAL, until recycled). ``vacuumed``: ``VACUUM`` ran on the tables
    the erasure touched (PostgreSQL).
    """

    contact_id: str
    old_copies_may_remain: bool
    vacuumed: bool = False
