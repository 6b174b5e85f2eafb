"""How a batch is written: its changesets merged to one per journey.

A journey that gained five messages in a batch is written once, at its final version,
not five times; a new contact is written before anything that points at it.
"""

from __future__ import annotations

from collections.abc import Sequence

from handoff.models import Contact
from handoff.stores.base import Changeset

__all__ = ["coalesce"]


def coalesce(changes: Sequence[Changeset]) -> list[Changeset]:
    """One changeset per journey, in order of first appearance, with the journey's final state.

    A contact goes with the first changeset it appeared in, at its final state and the
    version first read; its journeys' changesets all come at or after that one, so a new
    contact is written before anything that points at it. Changesets without a journey
    are kept as they are.
    """
    if _nothing_to_merge(changes):
        return list(changes)  # what merging would build anew, field for field
    parts: list[_Merged] = []
    by_journey: dict[str, _Merged] = {}
    by_contact: dict[str, _Merged] = {}
    for change in changes:
        journey = change.journey
        if journey is None:
            parts.append(_Merged(change))
            continue
        part = by_journey.get(journey.id)
        if part is None:
            part = by_journey[journey.id] = _Merged(change)
            parts.append(part)
        else:
            part.add(change)
        contact = change.contact
        if contact is not None:
            holder = by_contact.setdefault(contact.id, part)
            if holder.contact is None:
                holder.expected_contact_version = change.expected_contact_version
            holder.contact = contact
    return [part.changeset() for part in parts]


def _nothing_to_merge(changes: Sequence[Changeset]) -> bool:
    """No journey, and no contact of a journey's changeset, comes twice: the usual batch of
    a backfill in time order, where a customer's next message is a few batches away."""
    journeys: set[str] = set()
    contacts: set[str] = set()
    for change in changes:
        journey, contact = change.journey, change.contact
        if journey is None:
            continue
        if journey.id in journeys:
            return False
        journeys.add(journey.id)
        if contact is None:
            if change.expected_contact_version:  # merging would drop it
                return False
        elif contact.id in contacts:
            return False
        else:
            contacts.add(contact.id)
    return True


class _Merged:
    """The changesets of one journey, gathered in order."""

    def __init__(self, first: Changeset) -> None:
        self.first = first
        self.contact: Contact | None = None
        self.expected_contact_version = 0
        self.journey = first.journey
        self.interactions = list(first.interactions)
        self.handoffs = list(first.handoffs)
        self.notifications = list(first.notifications)
        self.decisions = list(first.decisions)
        if first.journey is None:  # kept as it is
            self.contact, self.expected_contact_version = first.contact, first.expected_contact_version

    def add(self, change: Changeset) -> None:
        self.journey = change.journey
        self.interactions += change.interactions
        self.handoffs += change.handoffs
        self.notifications += change.notifications
        self.decisions += change.decisions

    def changeset(self) -> Changeset:
        return Changeset(
            contact=self.contact,
            expected_contact_version=self.expected_contact_version,
            journey=self.journey,
            expected_journey_version=self.first.expected_journey_version,
            interactions=self.interactions,
            handoffs=self.handoffs,
            notifications=self.notifications,
            decisions=self.decisions,
        )
