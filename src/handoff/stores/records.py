"""What a store is handed and gives back whole: :class:`Changeset` and :class:`ContactRecords`.

Plain frozen records, kept apart from :class:`~handoff.stores.base.Store` so that
:mod:`handoff.stores.rules` can check them without importing the contract that uses
the rules. Both are re-exported by :mod:`handoff.stores.base` and :mod:`handoff.stores`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from attrs import define, evolve, field

from handoff.errors import ValidationError
from handoff.identity import Identity
from handoff.models import (
    Callback,
    Contact,
    DecisionRecord,
    Handoff,
    IdentityLink,
    Interaction,
    Journey,
    Notification,
)

__all__ = ["BRIEF_LINKS", "Changeset", "ContactRecords", "Erasure", "brief_contact", "linked_contact"]

BRIEF_LINKS = 5
"""How many links of each identity kind a brief contact keeps (see :func:`brief_contact`)."""

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


def _links(items: Iterable[IdentityLink]) -> tuple[IdentityLink, ...]:
    return _records(items, "links")


def _unlinks(items: Iterable[Identity]) -> tuple[Identity, ...]:
    return _records(items, "unlinks")


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

    A contact's identities are rows of their own, so that adding one to a contact with
    thousands writes one row. A new contact (``expected_contact_version`` 0) is stored
    with ``contact.links``. For a contact already stored, ``contact.links`` is not
    written: the store keeps the links it holds, adds each of ``links`` (replacing the
    link it holds for the same identity, in its place) and removes each of ``unlinks``.
    ``links`` and ``unlinks`` need ``contact``, whose version the change bumps;
    :func:`linked_contact` is the whole contact a changeset leaves.

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
    links: tuple[IdentityLink, ...] = field(default=(), converter=_links)
    unlinks: tuple[Identity, ...] = field(default=(), converter=_unlinks)
    callbacks: tuple[Callback, ...] = field(default=(), converter=_callbacks)
    cancelled_notifications: tuple[str, ...] = field(default=(), converter=_ids)


def linked_contact(changes: Changeset, stored: Contact | None) -> Contact:
    """The whole contact ``changes`` leaves, given the contact as ``stored`` before it.

    For a backend that keeps each contact whole: ``changes.contact``'s profile and
    version, with ``stored``'s links (none for a new contact: ``changes.contact``'s own)
    changed by ``changes.links`` and ``changes.unlinks``. ``changes.contact`` must be set.
    """
    contact = changes.contact
    if contact is None:
        raise ValidationError("contact", "a changeset without a contact leaves no contact")
    held = {link.identity: link for link in (contact.links if stored is None else stored.links)}
    for link in changes.links:
        held[link.identity] = link
    for identity in changes.unlinks:
        held.pop(identity, None)
    return evolve(contact, links=tuple(held.values()))


def brief_contact(contact: Contact, identity: Identity | None = None) -> Contact:
    """The contact with its first :data:`BRIEF_LINKS` links of each identity kind, in
    link order, and ``identity``'s link if the contact holds it.

    What the hot paths read (see :meth:`handoff.stores.Store.find_brief_contact`): enough
    to address the contact on every channel and to show who they are, however many
    identities they have.
    """
    seen: dict[str, int] = {}
    kept: list[IdentityLink] = []
    for link in contact.links:
        kind = link.identity.kind
        if seen.get(kind, 0) < BRIEF_LINKS or link.identity == identity:
            seen[kind] = seen.get(kind, 0) + 1
            kept.append(link)
    return contact if len(kept) == len(contact.links) else evolve(contact, links=tuple(kept))


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
