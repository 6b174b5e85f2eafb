"""The records a :class:`~handoff_jsonl_store.JsonlStore` holds, and the checks before a write.

Plain dicts and lists. :meth:`State.check` refuses a changeset that conflicts with what
is stored, reading only; :meth:`State.put` then writes records without checking, which
is also how a log is replayed (its lines were checked when they were written).
"""

from __future__ import annotations

import bisect
from copy import copy

from handoff.errors import ConcurrencyConflict, DuplicateInteraction, NotFound
from handoff.identity import Identity
from handoff.models import Contact, DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.stores import Changeset, linked_contact

Record = Contact | Journey | Interaction | Handoff | Notification | DecisionRecord


class State:
    """Every record, with the few indexes the checks need."""

    def __init__(self) -> None:
        self.contacts: dict[str, Contact] = {}
        self.owners: dict[Identity, str] = {}  # identity -> contact id
        self.journeys: dict[str, Journey] = {}  # in the order first stored
        self.references: dict[str, str] = {}  # reference -> journey id
        # A journey's records, each list in the order the contract reads them.
        self.interactions: dict[str, list[Interaction]] = {}
        self.handoffs: dict[str, list[Handoff]] = {}
        self.notifications: dict[str, list[Notification]] = {}
        self.decisions: dict[str, list[DecisionRecord]] = {}
        self.ids: dict[type, set[str]] = {Interaction: set(), Handoff: set(), DecisionRecord: set()}
        self.external: set[tuple[str, str]] = set()  # (channel, external id)
        self.notices: dict[str, Notification] = {}  # notification id -> notification
        self.providers: dict[str, str] = {}  # provider id -> notification id

    def clone(self) -> State:
        """A copy that writes to it cannot change (records are frozen, containers are not)."""
        other = State()
        for name, value in vars(self).items():
            if isinstance(value, dict):
                value = {k: copy(v) if isinstance(v, (list, set)) else v for k, v in value.items()}
            setattr(other, name, copy(value))
        return other

    # -- checks: read only ---------------------------------------------------------------
    def check(self, changes: Changeset) -> None:
        """Refuse a changeset that the stored records contradict, as :meth:`Store.commit` says."""
        contact, journey = changes.contact, changes.journey
        if contact is not None:
            _version("contact", contact.id, self.contacts.get(contact.id), changes.expected_contact_version)
            # A new contact brings its links; a stored one gains only the changeset's.
            added = list(contact.identities)
            if changes.expected_contact_version:
                added = [link.identity for link in changes.links]
            for identity in added:
                owner = self.owners.get(identity)
                if owner is not None and owner != contact.id:
                    raise ConcurrencyConflict(f"identity {identity} already belongs to contact {owner!r}")
        if journey is not None:
            _version("journey", journey.id, self.journeys.get(journey.id), changes.expected_journey_version)
            holder = self.references.get(journey.reference)
            if holder is not None and holder != journey.id:
                raise ConcurrencyConflict(f"journey reference {journey.reference!r} is already taken")
            if journey.contact_id not in self.contacts and (
                contact is None or contact.id != journey.contact_id
            ):
                raise NotFound("contact", journey.contact_id)
        new_journey = None if journey is None else journey.id
        for i in changes.interactions:
            if i.id in self.ids[Interaction]:
                raise DuplicateInteraction(f"interaction {i.id!r} is already stored")
            if i.external_id is not None and (i.channel, i.external_id) in self.external:
                raise DuplicateInteraction(f"{i.channel} message {i.external_id!r} is already stored")
            self._journey_exists(i.journey_id, new_journey)
            if any(stored.sequence == i.sequence for stored in self.interactions.get(i.journey_id, ())):
                raise ConcurrencyConflict(f"journey {i.journey_id!r} already has interaction {i.sequence}")
        others: tuple[Handoff | DecisionRecord, ...] = (*changes.handoffs, *changes.decisions)
        for record in others:
            if record.id in self.ids[type(record)]:
                raise ConcurrencyConflict(f"{type(record).__name__} {record.id!r} already exists")
            self._journey_exists(record.journey_id, new_journey)
        for n in changes.notifications:
            if n.id in self.notices:
                raise ConcurrencyConflict(f"notification {n.id!r} already exists")
            self.check_provider(n)
            self._journey_exists(n.journey_id, new_journey)

    def check_provider(self, notification: Notification) -> None:
        """A provider id belongs to one notification at most."""
        holder = None if notification.provider_id is None else self.providers.get(notification.provider_id)
        if holder is not None and holder != notification.id:
            raise ConcurrencyConflict(f"provider id {notification.provider_id!r} belongs to {holder!r}")

    def _journey_exists(self, journey_id: str, new_journey: str | None) -> None:
        if journey_id != new_journey and journey_id not in self.journeys:
            raise NotFound("journey", journey_id)

    # -- writes: no checks ---------------------------------------------------------------
    def put(self, record: Record) -> None:
        """Store one record, replacing an earlier version of a contact, journey or notification."""
        if isinstance(record, Contact):
            previous = self.contacts.get(record.id)
            for identity in () if previous is None else previous.identities:
                del self.owners[identity]
            self.owners.update(dict.fromkeys(record.identities, record.id))
            self.contacts[record.id] = record
        elif isinstance(record, Journey):
            previous_journey = self.journeys.get(record.id)
            if previous_journey is not None:
                del self.references[previous_journey.reference]
            self.references[record.reference] = record.id
            self.journeys[record.id] = record
        elif isinstance(record, Interaction):
            timeline = self.interactions.setdefault(record.journey_id, [])
            bisect.insort(timeline, record, key=lambda i: i.sequence)
            self.ids[type(record)].add(record.id)
            if record.external_id is not None:
                self.external.add((record.channel, record.external_id))
        elif isinstance(record, Notification):
            self._put_notification(record)
        elif isinstance(record, Handoff):
            bisect.insort(self.handoffs.setdefault(record.journey_id, []), record, key=lambda h: h.at)
            self.ids[type(record)].add(record.id)
        else:
            bisect.insort(self.decisions.setdefault(record.journey_id, []), record, key=lambda d: d.at)
            self.ids[type(record)].add(record.id)

    def _put_notification(self, notification: Notification) -> None:
        previous = self.notices.get(notification.id)
        listed = self.notifications.setdefault(notification.journey_id, [])
        if previous is None:
            bisect.insort(listed, notification, key=lambda n: n.created_at)
        else:
            listed[listed.index(previous)] = notification
            if previous.provider_id is not None:
                del self.providers[previous.provider_id]
        if notification.provider_id is not None:
            self.providers[notification.provider_id] = notification.id
        self.notices[notification.id] = notification

    def erase(self, contact_id: str) -> None:
        """Forget a contact and everything of its journeys."""
        contact = self.contacts.pop(contact_id)
        for identity in contact.identities:
            del self.owners[identity]
        for journey in [j for j in self.journeys.values() if j.contact_id == contact_id]:
            del self.journeys[journey.id], self.references[journey.reference]
            for i in self.interactions.pop(journey.id, ()):
                self.ids[Interaction].discard(i.id)
                self.external.discard((i.channel, i.external_id or ""))
            for n in self.notifications.pop(journey.id, ()):
                del self.notices[n.id]
                if n.provider_id is not None:
                    del self.providers[n.provider_id]
            for record in (*self.handoffs.pop(journey.id, ()), *self.decisions.pop(journey.id, ())):
                self.ids[type(record)].discard(record.id)

    def records(self) -> list[Record]:
        """Everything stored, in an order that :meth:`put` rebuilds the same state from."""
        out: list[Record] = [*self.contacts.values(), *self.journeys.values()]
        for lists in (self.interactions, self.handoffs, self.notifications, self.decisions):
            out += [record for listed in lists.values() for record in listed]
        return out


def changed_records(changes: Changeset, state: State) -> list[Record]:
    """A changeset's records in the order they are put; the contact whole, with the
    links the changeset adds and removes applied to those ``state`` holds."""
    contact = None
    if changes.contact is not None:
        stored = state.contacts.get(changes.contact.id) if changes.expected_contact_version else None
        contact = linked_contact(changes, stored)
    head = [record for record in (contact, changes.journey) if record is not None]
    return [*head, *changes.interactions, *changes.handoffs, *changes.notifications, *changes.decisions]


def _version(kind: str, key: str, stored: Contact | Journey | None, expected: int) -> None:
    if expected == 0 and stored is not None:
        raise ConcurrencyConflict(f"{kind} {key!r} already exists")
    if expected != 0 and (stored is None or stored.version != expected):
        actual = "missing" if stored is None else f"at version {stored.version}"
        raise ConcurrencyConflict(f"{kind} {key!r} is {actual}, not at version {expected}")
