"""The store as a batch being planned sees it: the batch's own writes over the real store.

Reads check the batch first and fall back to the real store; :meth:`Overlay.commit`
only records the changeset. What the real store answers is remembered for the rest of
the batch, and contacts, journeys and each journey's last interactions for the rest of
the import (a :class:`~handoff.flow.bulk.memo.Memo`). Nothing else is
written to the store meanwhile except by other writers, and their writes are caught
when a batch commits (a journey or contact at another version, an identity or external
id already stored), which forgets the memo and plans the batch again from the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from handoff.clock import micros
from handoff.errors import ConcurrencyConflict, DuplicateInteraction, StoreError
from handoff.flow.bulk.memo import Memo
from handoff.identity import Identity
from handoff.models import Contact, DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.stores.base import Changeset, ContactRecords, Store
from handoff.stores.records import linked_contact

__all__ = ["Overlay"]

_MISSING = object()


class Overlay(Store):
    """The real store as seen through the writes of a batch not yet committed.

    Version checks against the real store happen when the batch is committed; here
    only the batch's own records are checked.
    """

    def __init__(self, base: Store, memo: Memo | None = None) -> None:
        self.base = base
        self.memo = memo if memo is not None else Memo()
        self.changes: list[Changeset] = []
        self._contacts: dict[str, Contact] = {}
        self._owners: dict[Identity, str] = {}
        self._journeys: dict[str, Journey] = {}
        self._new_contacts: set[str] = set()
        self._unlinked: set[Identity] = set()  # identities the batch removed from a stored contact
        self._opened: set[str] = set()  # journeys this batch opened
        self._opened_by: dict[str, list[str]] = {}  # contact id -> journeys this batch opened
        self._references: dict[str, str] = {}
        self._external: dict[tuple[str, str], Interaction] = {}
        self._threads: dict[str, tuple[int, int, str]] = {}
        self._timelines: dict[str, list[Interaction]] = {}
        self._handoffs: dict[str, list[Handoff]] = {}
        self._notifications: dict[str, list[Notification]] = {}
        self._decisions: dict[str, DecisionRecord] = {}
        self._read: dict[tuple[str, object], object] = {}  # what the real store answered

    def _base(self, kind: str, key: object, read: Callable[[], object]) -> object:
        """The real store's answer to one look-up, asked once per batch."""
        found = self._read.get((kind, key), _MISSING)
        if found is _MISSING:
            found = read()
            self._read[(kind, key)] = found
        return found

    def knows_interactions(
        self, keys: Sequence[tuple[str, str]], found: dict[tuple[str, str], Interaction]
    ) -> None:
        """Take in what the store answered for these ``(channel, external_id)`` keys at once."""
        for key in keys:
            self._read[("external", key)] = found.get(key)

    def knows_notifications(self, journey_ids: Sequence[str], found: dict[str, list[Notification]]) -> None:
        """Take in what the store answered for these journeys' notifications at once."""
        for journey_id in journey_ids:
            self._read[("notifications", journey_id)] = found.get(journey_id, [])

    def knows_owners(self, identities: Sequence[Identity], stored: set[Identity]) -> None:
        """Take in which of these identities the store holds: the others have no contact."""
        for identity in identities:
            if identity not in stored:
                self._read[("owner", identity)] = None

    def stored_journeys(self, identity: Identity) -> list[Journey]:
        """The stored journeys of the contact the import remembers for ``identity`` (none
        when it remembers none): those a message from it may continue."""
        contact = self.memo.owner(identity)
        known = None if contact is None else self.memo.journeys_of(contact.id)
        return [journey for journey in known or () if journey.version > 0]

    # -- writes ----------------------------------------------------------------------
    def commit(self, changes: Changeset) -> None:
        """Record a changeset planned from this overlay; the store checks it again at commit."""
        _check_pending(changes.contact, self._contacts, changes.expected_contact_version)
        _check_pending(changes.journey, self._journeys, changes.expected_journey_version)
        if changes.journey is not None and changes.expected_journey_version == 0:
            self._check_reference(changes.journey)
        for interaction in changes.interactions:
            if interaction.external_id is not None and self.find_interaction(
                interaction.channel, interaction.external_id
            ):
                raise DuplicateInteraction(
                    f"an interaction from {interaction.channel} with external id "
                    f"{interaction.external_id!r} is already stored"
                )
        self.changes.append(changes)
        if changes.contact is not None:
            if changes.expected_contact_version == 0:
                self._new_contacts.add(changes.contact.id)
            self._put_contact(changes)
        if changes.journey is not None:
            journey = changes.journey
            if changes.expected_journey_version == 0:
                self._opened.add(journey.id)
                self._opened_by.setdefault(journey.contact_id, []).append(journey.id)
            self._journeys[journey.id] = journey
            self._references[journey.reference] = journey.id
        for interaction in changes.interactions:
            self._timelines.setdefault(interaction.journey_id, []).append(interaction)
            if interaction.external_id is not None:
                self._external[(interaction.channel, interaction.external_id)] = interaction
                key = (micros(interaction.at), len(self.changes), interaction.journey_id)
                self._threads[interaction.external_id] = max(
                    key, self._threads.get(interaction.external_id, key)
                )
        for handoff in changes.handoffs:
            self._handoffs.setdefault(handoff.journey_id, []).append(handoff)
        for notification in changes.notifications:
            self._notifications.setdefault(notification.journey_id, []).append(notification)
        for decision in changes.decisions:
            self._decisions[decision.id] = decision

    def _check_reference(self, journey: Journey) -> None:
        """A new journey's reference is refused here, as the store would refuse it at
        commit: planning that one inbound again draws another, where a refusal at commit
        would plan the whole batch again."""
        reference = journey.reference
        if reference in self._references or self.base.find_journey_by_reference(reference) is not None:
            raise ConcurrencyConflict(f"journey reference {reference!r} is already taken")

    def _put_contact(self, changes: Changeset) -> None:
        """The contact as the batch leaves it; only the links the changeset names change owner."""
        contact = changes.contact
        assert contact is not None
        if changes.expected_contact_version == 0:
            added = contact.identities
            whole = linked_contact(changes, None)
        else:
            added = tuple(link.identity for link in changes.links)
            whole = linked_contact(changes, self._contacts.get(contact.id, contact))
        for identity in changes.unlinks:
            self._owners.pop(identity, None)
            self._unlinked.add(identity)
        for identity in added:
            self._owners[identity] = contact.id
            self._unlinked.discard(identity)
        self._contacts[contact.id] = whole

    def mark_notification(
        self, notification_id: str, status: str, at: datetime, *, provider_id: str | None = None
    ) -> Notification:
        raise StoreError("notifications cannot be marked while a batch is being planned")

    def erase_contact(self, contact_id: str) -> None:
        raise StoreError("contacts cannot be erased while a batch is being planned")

    def contact_records(self, contact_id: str) -> ContactRecords:
        raise StoreError("contacts cannot be exported while a batch is being planned")

    # -- reads: the batch first, then the real store ------------------------------------------
    def get_contact(self, contact_id: str) -> Contact:
        pending = self._contacts.get(contact_id)
        if pending is not None:
            return pending
        found = self.memo.contact(contact_id) or self._base(
            "contact", contact_id, lambda: self.base.get_contact(contact_id)
        )
        assert isinstance(found, Contact)
        return found

    def find_contact(self, identity: Identity) -> Contact | None:
        owner = self._owners.get(identity)
        if owner is not None:
            return self._contacts[owner]
        if identity in self._unlinked:
            return None  # the batch removed the identity from its stored owner
        found = self.memo.owner(identity) or self._base(
            "owner", identity, lambda: self.base.find_contact(identity)
        )
        assert found is None or isinstance(found, Contact)
        return None if found is None else self._contacts.get(found.id, found)

    def get_journey(self, journey_id: str) -> Journey:
        pending = self._journeys.get(journey_id)
        if pending is not None:
            return pending
        found = self.memo.journey(journey_id) or self._base(
            "journey", journey_id, lambda: self.base.get_journey(journey_id)
        )
        assert isinstance(found, Journey)
        return found

    def find_journey_by_reference(self, reference: str) -> Journey | None:
        pending = self._references.get(reference)
        if pending is not None:
            return self._journeys[pending]
        return self._newer(self.base.find_journey_by_reference(reference))

    def journeys_of(self, contact_id: str) -> list[Journey]:
        if contact_id in self._new_contacts:
            stored: list[Journey] = []
        else:
            known = self.memo.journeys_of(contact_id)
            stored = known if known is not None else self._stored_journeys(contact_id)
        merged = [self._journeys.get(journey.id, journey) for journey in stored]
        merged += [self._journeys[journey_id] for journey_id in self._opened_by.get(contact_id, ())]
        return sorted(merged, key=lambda journey: journey.opened_at)

    def _stored_journeys(self, contact_id: str) -> list[Journey]:
        """A contact's journeys as the store holds them, kept in the memo with the contact."""
        read = self._base("journeys", contact_id, lambda: self.base.journeys_of(contact_id))
        assert isinstance(read, list)
        if contact_id not in self._contacts:  # the contact as stored, not as this batch left it
            self.memo.learn(self.get_contact(contact_id), read)
        return read

    def find_journey_by_thread(self, refs: Sequence[str]) -> Journey | None:
        """The journey of the latest interaction carrying one of ``refs``, batch included.

        The batch's messages arrived after every stored one, so they win a tie in time.
        """
        stored = self.base.find_journey_by_thread(refs)
        hits = [self._threads[ref] for ref in refs if ref in self._threads]
        if not hits:
            return self._newer(stored)
        at, _, journey_id = max(hits)
        if stored is not None and stored.id != journey_id:
            wanted = set(refs)
            stored_at = max(
                micros(i.at) for i in self.base.interactions(stored.id) if i.external_id in wanted
            )
            if stored_at > at:
                return self._newer(stored)
        return self._journeys[journey_id]

    def find_interaction(self, channel: str, external_id: str) -> Interaction | None:
        pending = self._external.get((channel, external_id))
        if pending is not None:
            return pending
        key = (channel, external_id)
        found = self._base("external", key, lambda: self.base.find_interaction(channel, external_id))
        assert found is None or isinstance(found, Interaction)
        return found

    def interactions(self, journey_id: str, *, last: int | None = None) -> list[Interaction]:
        pending = self._timelines.get(journey_id, [])
        if journey_id in self._opened:
            return pending if last is None else (pending[-last:] if last else [])
        if last is None:
            return [*self.base.interactions(journey_id), *pending]
        if last <= len(pending):
            return pending[-last:] if last else []
        wanted = last - len(pending)
        stored = self.memo.recent(journey_id, wanted)
        if stored is None:
            stored = self.base.interactions(journey_id, last=wanted)
            self.memo.read_recent(journey_id, wanted, stored)
        return [*stored, *pending]

    def handoffs(self, journey_id: str) -> list[Handoff]:
        return [*self.base.handoffs(journey_id), *self._handoffs.get(journey_id, [])]

    def get_notification(self, notification_id: str) -> Notification:
        for notifications in self._notifications.values():
            for notification in notifications:
                if notification.id == notification_id:
                    return notification
        return self.base.get_notification(notification_id)

    def notifications(self, journey_id: str) -> list[Notification]:
        pending = self._notifications.get(journey_id, [])
        if journey_id in self._opened:
            return list(pending)
        read = self._base("notifications", journey_id, lambda: self.base.notifications(journey_id))
        assert isinstance(read, list)
        return [*read, *pending]

    def find_notification(self, provider_id: str) -> Notification | None:
        return self.base.find_notification(provider_id)  # planned ones have no provider id yet

    def get_decision(self, decision_id: str) -> DecisionRecord:
        pending = self._decisions.get(decision_id)
        return pending if pending is not None else self.base.get_decision(decision_id)

    def decisions(self, journey_id: str) -> list[DecisionRecord]:
        pending = [d for d in self._decisions.values() if d.journey_id == journey_id]
        stored = [] if journey_id in self._opened else self.base.decisions(journey_id)
        return [*stored, *pending]

    def all_journeys(self) -> Iterator[Journey]:
        raise StoreError("journeys are not listed while a batch is being planned")

    def active_journeys(self, *, limit: int | None = None) -> list[Journey]:
        raise StoreError("the tick does not run while a batch is being planned")

    def due_notifications(self, now: datetime, *, limit: int = 100) -> list[Notification]:
        pending = [n for ns in self._notifications.values() for n in ns if n.send_at <= now]
        merged = [*self.base.due_notifications(now, limit=limit), *pending]
        return sorted(merged, key=lambda n: n.send_at)[:limit]

    def _newer(self, journey: Journey | None) -> Journey | None:
        """A stored journey as the batch left it."""
        return None if journey is None else self._journeys.get(journey.id, journey)


def _check_pending(
    record: Contact | Journey | None, pending: dict[str, Contact] | dict[str, Journey], expected: int
) -> None:
    """A record the batch already wrote must be updated from the version the batch left."""
    if record is None:
        return
    held = pending.get(record.id)
    if held is not None and held.version != expected:
        kind = type(record).__name__.lower()
        raise ConcurrencyConflict(
            f"{kind} {record.id!r} is at version {held.version} in this batch, not {expected}"
        )
