"""How a batch is written: its changesets merged to one per journey.

A journey that gained five messages in a batch is written once, at its final version,
not five times; a new contact is written before anything that points at it. The rows a
batch appends (interactions, handoffs, notifications, decisions) keep the order they were
planned in across journeys, so a store breaks ties on time by arrival as it would have,
had the changesets been committed one by one.
"""

from __future__ import annotations

from collections.abc import Sequence

from handoff.identity import Identity
from handoff.models import Callback, Contact, DecisionRecord, Handoff, IdentityLink, Interaction, Notification
from handoff.stores._planned import vouch, vouched
from handoff.stores.base import Changeset
from handoff.stores.records import linked_contact

__all__ = ["coalesce"]


def coalesce(changes: Sequence[Changeset]) -> list[Changeset]:
    """One changeset per journey, in order of first appearance, with the journey's final state.

    A contact goes with the first changeset it appeared in, at its final state and the
    version first read, with the links its changesets add and remove, merged (a new
    contact with all of them); its journeys' changesets all come at or after that one,
    so a new contact is written before anything that points at it. Changesets without
    a journey are kept as they are.

    The appended rows keep the order they were planned in, across journeys: each
    changeset's rows go with the latest journey's changeset opened so far (its own, or
    one after it), so committing the merged changesets in order appends every table's
    rows in plan order. A store that breaks ties on time by arrival (which thread an
    email answers, which notification is due first) then answers as it would have after
    the changesets one by one.
    """
    if _nothing_to_merge(changes):
        return list(changes)  # what merging would build anew, field for field (planned still)
    parts: list[_Merged] = []
    by_journey: dict[str, _Merged] = {}
    by_contact: dict[str, _Merged] = {}
    latest: _Merged | None = None  # the last journey's part opened: where appended rows go
    for change in changes:
        journey = change.journey
        if journey is None:
            parts.append(_Merged(change))
            continue
        part = by_journey.get(journey.id)
        if part is None:
            part = latest = by_journey[journey.id] = _Merged(change)
            parts.append(part)
        else:
            part.journey = journey
        (latest or part).append(change)
        if change.contact is not None:
            by_contact.setdefault(change.contact.id, part).take_contact(change)
    return [part.changeset() for part in parts]


def _planned(merged: Changeset, sources: Sequence[Changeset]) -> Changeset:
    """``merged``, vouched for as planned when every changeset it merges was: ids, versions
    and links come from them, each once, so the store's checks of what is planned hold."""
    return vouch(merged) if all(vouched(change) for change in sources) else merged


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
    """The changesets of one journey, gathered in order, and the appended rows it carries."""

    def __init__(self, first: Changeset) -> None:
        self.first = first
        self.sources: list[Changeset] = []  # every changeset merged here, its rows or its contact
        self.contact: Contact | None = None
        self.expected_contact_version = 0
        self.journey = first.journey
        self.interactions: list[Interaction] = []
        self.handoffs: list[Handoff] = []
        self.notifications: list[Notification] = []
        self.decisions: list[DecisionRecord] = []
        self.callbacks: list[Callback] = []
        self.cancelled_notifications: list[str] = []
        self.links: dict[Identity, IdentityLink] = {}
        self.unlinks: dict[Identity, None] = {}
        if first.journey is None:  # kept as it is
            self.append(first)
            self.contact, self.expected_contact_version = first.contact, first.expected_contact_version
            self.links = {link.identity: link for link in first.links}
            self.unlinks = dict.fromkeys(first.unlinks)

    def take_contact(self, change: Changeset) -> None:
        """The contact as ``change`` leaves it, after what this part holds."""
        self.sources.append(change)
        if self.contact is None:
            self.expected_contact_version = change.expected_contact_version
        if self.expected_contact_version == 0:  # a new contact: written whole, its links in it
            self.contact = linked_contact(change, self.contact)
            return
        self.contact = change.contact
        for link in change.links:
            self.links[link.identity] = link
            self.unlinks.pop(link.identity, None)
        for identity in change.unlinks:
            self.links.pop(identity, None)
            self.unlinks[identity] = None

    def append(self, change: Changeset) -> None:
        """Carry the rows ``change`` appends (to its journey, or to one written before this one)."""
        self.sources.append(change)
        self.interactions += change.interactions
        self.handoffs += change.handoffs
        self.notifications += change.notifications
        self.decisions += change.decisions
        self.callbacks += change.callbacks
        self.cancelled_notifications += change.cancelled_notifications

    def changeset(self) -> Changeset:
        return _planned(self._merged(), [self.first, *self.sources])

    def _merged(self) -> Changeset:
        return Changeset(
            contact=self.contact,
            expected_contact_version=self.expected_contact_version,
            journey=self.journey,
            expected_journey_version=self.first.expected_journey_version,
            interactions=self.interactions,
            handoffs=self.handoffs,
            notifications=self.notifications,
            decisions=self.decisions,
            links=tuple(self.links.values()),
            unlinks=tuple(self.unlinks),
            callbacks=self.callbacks,
            cancelled_notifications=self.cancelled_notifications,
        )
