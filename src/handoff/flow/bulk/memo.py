"""What an import remembers between its batches: contacts, their journeys, recent messages.

A customer's next message usually comes a few batches later; reading and decoding
their journey (or, for a channel switch, its recent messages) again would cost more
than planning the message. Only what the store held or now holds is kept, so what
is remembered is what a read would answer, until another writer changes the store;
that is caught when a batch commits, and the memo is then forgotten
(see :mod:`handoff.flow.bulk.overlay`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from handoff.identity import Identity
from handoff.models import Contact, Interaction, Journey
from handoff.stores.base import Changeset
from handoff.stores.records import linked_contact

__all__ = ["MEMO_CONTACTS", "MEMO_RECENT", "MEMO_RECENT_ROWS", "Memo"]

MEMO_CONTACTS = 20_000
"""Contacts (with their journeys) an import keeps in memory: tens of megabytes at most."""
MEMO_RECENT = 20
"""Interactions kept per remembered journey: what a handoff summary reads back (the
built-in policy asks for up to 20 messages); a longer look-back reads the store."""
MEMO_RECENT_ROWS = 100_000
"""Interactions kept in all (about 75 MB of messages a few hundred characters long): the
journeys least recently written or read lose theirs first."""


class Memo:
    """Contacts and their complete journey lists as an import last read or wrote them.

    Only what the store held (a read) or now holds (a committed batch) is kept, and a
    contact's journeys only when all of them are known. The least recently used
    contacts are forgotten beyond ``limit``. A remembered journey may also keep its
    last interactions (at most ``recent`` of them, ``rows`` in all), in sequence order
    and ending at the journey's version. Limits not given are the module's, as they
    stand when the memo is made.
    """

    def __init__(
        self, limit: int | None = None, *, recent: int | None = None, rows: int | None = None
    ) -> None:
        self._limit = MEMO_CONTACTS if limit is None else limit
        self._recent_limit = MEMO_RECENT if recent is None else recent
        self._rows_limit = MEMO_RECENT_ROWS if rows is None else rows
        self._contacts: OrderedDict[str, Contact] = OrderedDict()
        self._owners: dict[Identity, str] = {}
        self._journeys_of: dict[str, list[Journey]] = {}
        self._journeys: dict[str, Journey] = {}
        self._recent: OrderedDict[str, list[Interaction]] = OrderedDict()
        self._rows = 0

    def clear(self) -> None:
        """Forget everything: another writer changed what this import knew."""
        self._contacts.clear()
        self._owners.clear()
        self._journeys_of.clear()
        self._journeys.clear()
        self._recent.clear()
        self._rows = 0

    def owner(self, identity: Identity) -> Contact | None:
        contact_id = self._owners.get(identity)
        return None if contact_id is None else self._contacts[contact_id]

    def contact(self, contact_id: str) -> Contact | None:
        return self._contacts.get(contact_id)

    def journey(self, journey_id: str) -> Journey | None:
        return self._journeys.get(journey_id)

    def journeys_of(self, contact_id: str) -> list[Journey] | None:
        return self._journeys_of.get(contact_id)

    def recent(self, journey_id: str, last: int) -> list[Interaction] | None:
        """The journey's last ``last`` stored interactions, or ``None`` when not all are kept."""
        tail, journey = self._recent.get(journey_id), self._journeys.get(journey_id)
        if tail is None or journey is None or tail[-1].sequence != journey.version:
            return None
        if last > len(tail) and tail[0].sequence != 1:
            return None
        self._recent.move_to_end(journey_id)
        return tail[-last:] if last else []

    def read_recent(self, journey_id: str, last: int, read: list[Interaction]) -> None:
        """Keep what the store answered for the journey's last ``last`` interactions."""
        journey = self._journeys.get(journey_id)
        if journey is None or journey_id in self._recent:
            return
        if read and read[-1].sequence == journey.version and (len(read) == last or read[0].sequence == 1):
            self._keep_recent(journey_id, list(read))

    def learn(self, contact: Contact, journeys: list[Journey] | None = None) -> None:
        """Keep a contact (and, given, every one of its journeys) as the store holds it."""
        previous = self._contacts.get(contact.id)
        if previous is not None:
            for identity in previous.identities:
                self._owners.pop(identity, None)
        self._contacts[contact.id] = contact
        self._contacts.move_to_end(contact.id)
        for identity in contact.identities:
            self._owners[identity] = contact.id
        if journeys is not None:
            for journey in journeys:  # a journey at another version keeps no interactions
                held = self._journeys.get(journey.id)
                if held is None or held.version != journey.version:
                    self._drop_recent(journey.id)
            self._journeys_of[contact.id] = list(journeys)
            self._journeys.update((journey.id, journey) for journey in journeys)
        while len(self._contacts) > self._limit:
            self._forget(next(iter(self._contacts)))

    def committed(self, changes: Sequence[Changeset]) -> None:
        """Take in what a batch wrote (the store accepted all of it).

        A journey's interactions may ride in a later changeset of the batch (merged
        batches keep the order rows were planned in), so they are gathered first."""
        written: dict[str, list[Interaction]] = {}
        for change in changes:
            for interaction in change.interactions:
                written.setdefault(interaction.journey_id, []).append(interaction)
        for change in changes:
            contact, journey = change.contact, change.journey
            if contact is not None:
                known = contact.id in self._journeys_of
                before = self._contacts.get(contact.id, contact) if change.expected_contact_version else None
                self.learn(
                    linked_contact(change, before), None if known or change.expected_contact_version else []
                )
            if journey is None or journey.contact_id not in self._journeys_of:
                continue
            siblings = self._journeys_of[journey.contact_id]
            if journey.id in self._journeys:
                siblings[:] = [journey if j.id == journey.id else j for j in siblings]
            else:
                siblings.append(journey)
            self._journeys[journey.id] = journey
            self._wrote_recent(journey, change.expected_journey_version, written.get(journey.id, ()))

    def _wrote_recent(self, journey: Journey, expected: int, written: Sequence[Interaction]) -> None:
        """Extend a journey's kept interactions by a committed batch's, if they follow on."""
        kept = self._drop_recent(journey.id)
        tail = [] if expected == 0 else kept
        if tail is None:
            return
        following = tail[-1].sequence + 1 if tail else 1
        for interaction in written:
            if interaction.journey_id != journey.id or interaction.sequence != following:
                return
            tail.append(interaction)
            following += 1
        if tail and tail[-1].sequence == journey.version:
            self._keep_recent(journey.id, tail)

    def _keep_recent(self, journey_id: str, tail: list[Interaction]) -> None:
        if self._recent_limit < 1:
            return
        del tail[: -self._recent_limit]
        self._drop_recent(journey_id)
        self._recent[journey_id] = tail
        self._rows += len(tail)
        while self._rows > self._rows_limit:
            self._drop_recent(next(iter(self._recent)))

    def _drop_recent(self, journey_id: str) -> list[Interaction] | None:
        tail = self._recent.pop(journey_id, None)
        if tail is not None:
            self._rows -= len(tail)
        return tail

    def _forget(self, contact_id: str) -> None:
        contact = self._contacts.pop(contact_id)
        for identity in contact.identities:
            self._owners.pop(identity, None)
        for journey in self._journeys_of.pop(contact_id, ()):
            self._journeys.pop(journey.id, None)
            self._drop_recent(journey.id)
