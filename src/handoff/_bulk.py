"""Backfilling history: many inbounds, planned exactly as ``receive`` plans one, in batches.

The same :class:`~handoff._intake.Intake` and :class:`~handoff._events.Writer` plan
every inbound, so ``receive`` and ``receive_many`` cannot drift apart. What differs is
where the plans go: into an :class:`_Overlay`, a store that reads through to the real
one but keeps the batch's own writes, so the planner sees them (a customer's second
message joins the journey the first one opened; a redelivery inside the batch is a
duplicate). A full batch is committed with one
:meth:`~handoff.stores.base.BulkImport.commit_many`; a conflict with another writer
plans the whole batch again. Only one batch is ever held in memory.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from attrs import evolve

from handoff._events import Writer
from handoff._intake import Intake
from handoff.errors import (
    ConcurrencyConflict,
    DuplicateInteraction,
    HandoffError,
    StoreError,
    ValidationError,
)
from handoff.events import Inbound, Outcome, Verdict
from handoff.identity import Identity
from handoff.models import Contact, DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.stores._common import check_changeset, micros
from handoff.stores.base import BulkImport, Changeset, ContactRecords, Store

if TYPE_CHECKING:
    from handoff.switchboard import Switchboard

__all__ = ["BulkIntake"]

ErrorHandler = Callable[[Inbound, HandoffError], None]

_NOT_NOTIFIED = Verdict(
    "backfill",
    False,
    "notifications off: a backfill of past messages schedules no surveys, moves or updates",
)


class BulkIntake:
    """Receive many inbounds in batched transactions; see :meth:`Switchboard.receive_many`.

    ``on_error``, when given, is told about an inbound that is refused (a bad identity,
    an unknown journey reference) and the import goes on without it; otherwise the
    error propagates and the batch it belongs to is not written.
    """

    def __init__(
        self,
        board: Switchboard,
        *,
        batch_size: int = 500,
        notify: bool = False,
        progress: Callable[[int], None] | None = None,
        on_error: ErrorHandler | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValidationError("batch_size", f"expected a whole number >= 1, got {batch_size!r}")
        if not isinstance(notify, bool):
            raise ValidationError("notify", f"expected true or false, got {notify!r}")
        self._board = board
        self._batch_size = batch_size
        self._notify = notify
        self._progress = progress
        self._on_error = on_error
        self._done = 0

    def receive(self, inbounds: Iterable[Inbound]) -> Iterator[Outcome]:
        """Outcomes in input order, yielded batch by batch once each batch is committed."""
        if isinstance(inbounds, (str, bytes, Inbound)) or not isinstance(inbounds, Iterable):
            raise ValidationError(
                "inbounds", f"expected an iterable of Inbound, got {type(inbounds).__name__}"
            )
        store = self._board.store
        if not isinstance(store, BulkImport):
            yield from self._one_by_one(inbounds)
            return
        batch: list[tuple[Inbound, Identity]] = []
        outcomes: list[Outcome] = []
        overlay, intake = self._fresh()
        for inbound in inbounds:
            try:
                identity = self._board._identity_of(inbound)
                outcome = intake.receive(inbound, identity)
            except HandoffError as exc:
                self._refused(inbound, exc)
                continue
            batch.append((inbound, identity))
            outcomes.append(self._noted(outcome))
            if len(batch) >= self._batch_size:
                yield from self._flush(store, overlay, batch, outcomes)
                batch, outcomes = [], []
                overlay, intake = self._fresh()
        if batch:
            yield from self._flush(store, overlay, batch, outcomes)

    # -- the batched path ----------------------------------------------------------------
    def _fresh(self) -> tuple[_Overlay, Intake]:
        """An empty overlay over the store, and an intake that plans into it."""
        overlay = _Overlay(self._board.store)
        return overlay, self._intake(overlay)

    def _intake(self, store: Store) -> Intake:
        board = self._board
        sentiment = board._writer.sentiment
        return Intake(Writer(store, board.policy, board.clock, board.ids, sentiment, notify=self._notify))

    def _refused(self, inbound: Inbound, error: HandoffError) -> None:
        """Report a refused inbound to ``on_error``; without one, or on a storage failure, raise."""
        if self._on_error is None or isinstance(error, (ConcurrencyConflict, StoreError)):
            raise error
        self._on_error(inbound, error)

    def _flush(
        self,
        store: BulkImport,
        overlay: _Overlay,
        batch: list[tuple[Inbound, Identity]],
        outcomes: list[Outcome],
    ) -> list[Outcome]:
        """Commit the batch, planning it again (bounded) when another writer got there first."""
        retries = self._board.max_retries
        for tries in range(retries + 1):
            try:
                store.commit_many(overlay.changes)
                break
            except ConcurrencyConflict:  # DuplicateInteraction too: a rival stored one first
                if tries == retries:
                    raise
                time.sleep(random.uniform(0, 0.002 * (tries + 1)))
                overlay, intake = self._fresh()
                outcomes = [self._noted(intake.receive(inbound, identity)) for inbound, identity in batch]
        self._done += len(batch)
        if self._progress is not None:
            self._progress(self._done)
        return outcomes

    # -- one commit per inbound (a store without BulkImport) --------------------------------
    def _one_by_one(self, inbounds: Iterable[Inbound]) -> Iterator[Outcome]:
        board = self._board
        intake = self._intake(board.store)
        for inbound in inbounds:
            try:
                identity = board._identity_of(inbound)
                outcome = board._retry(lambda: intake.receive(inbound, identity))  # noqa: B023
            except HandoffError as exc:
                self._refused(inbound, exc)
                continue
            self._done += 1
            if self._progress is not None and self._done % self._batch_size == 0:
                self._progress(self._done)
            yield self._noted(outcome)
        if self._progress is not None and self._done % self._batch_size:
            self._progress(self._done)

    def _noted(self, outcome: Outcome) -> Outcome:
        """Say in the trace that notifications were off, so nobody wonders why none came."""
        if self._notify or outcome.duplicate:
            return outcome
        return evolve(outcome, trace=(*outcome.trace, _NOT_NOTIFIED))


class _Overlay(Store):
    """The real store as seen through the writes of a batch not yet committed.

    Reads check the batch first and fall back to the real store; :meth:`commit`
    only records the changeset. Version checks against the real store happen when
    the batch is committed; here only the batch's own records are checked.
    """

    def __init__(self, base: Store) -> None:
        self.base = base
        self.changes: list[Changeset] = []
        self._contacts: dict[str, Contact] = {}
        self._owners: dict[Identity, str] = {}
        self._journeys: dict[str, Journey] = {}
        self._new_contacts: set[str] = set()
        self._opened: set[str] = set()  # journeys this batch opened
        self._opened_by: dict[str, list[str]] = {}  # contact id -> journeys this batch opened
        self._references: dict[str, str] = {}
        self._external: dict[tuple[str, str], Interaction] = {}
        self._threads: dict[str, tuple[int, int, str]] = {}
        self._timelines: dict[str, list[Interaction]] = {}
        self._handoffs: dict[str, list[Handoff]] = {}
        self._notifications: dict[str, list[Notification]] = {}
        self._decisions: dict[str, DecisionRecord] = {}

    # -- writes ----------------------------------------------------------------------
    def commit(self, changes: Changeset) -> None:
        changes = check_changeset(changes)
        _check_pending(changes.contact, self._contacts, changes.expected_contact_version)
        _check_pending(changes.journey, self._journeys, changes.expected_journey_version)
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
            self._put_contact(changes.contact)
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

    def _put_contact(self, contact: Contact) -> None:
        previous = self._contacts.get(contact.id)
        if previous is not None:
            for identity in previous.identities:
                self._owners.pop(identity, None)
        for identity in contact.identities:
            self._owners[identity] = contact.id
        self._contacts[contact.id] = contact

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
        return self._contacts.get(contact_id) or self.base.get_contact(contact_id)

    def find_contact(self, identity: Identity) -> Contact | None:
        owner = self._owners.get(identity)
        if owner is not None:
            return self._contacts[owner]
        found = self.base.find_contact(identity)
        if found is None or found.id not in self._contacts:
            return found
        return None  # the batch moved the identity away from its stored owner

    def get_journey(self, journey_id: str) -> Journey:
        return self._journeys.get(journey_id) or self.base.get_journey(journey_id)

    def find_journey_by_reference(self, reference: str) -> Journey | None:
        pending = self._references.get(reference)
        if pending is not None:
            return self._journeys[pending]
        return self._newer(self.base.find_journey_by_reference(reference))

    def journeys_of(self, contact_id: str) -> list[Journey]:
        stored = [] if contact_id in self._new_contacts else self.base.journeys_of(contact_id)
        merged = [self._journeys.get(journey.id, journey) for journey in stored]
        merged += [self._journeys[journey_id] for journey_id in self._opened_by.get(contact_id, ())]
        return sorted(merged, key=lambda journey: journey.opened_at)

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
        return pending if pending is not None else self.base.find_interaction(channel, external_id)

    def interactions(self, journey_id: str, *, last: int | None = None) -> list[Interaction]:
        pending = self._timelines.get(journey_id, [])
        if journey_id in self._opened:
            return pending if last is None else (pending[-last:] if last else [])
        if last is None:
            return [*self.base.interactions(journey_id), *pending]
        if last <= len(pending):
            return pending[-last:] if last else []
        return [*self.base.interactions(journey_id, last=last - len(pending)), *pending]

    def handoffs(self, journey_id: str) -> list[Handoff]:
        return [*self.base.handoffs(journey_id), *self._handoffs.get(journey_id, [])]

    def get_notification(self, notification_id: str) -> Notification:
        for notifications in self._notifications.values():
            for notification in notifications:
                if notification.id == notification_id:
                    return notification
        return self.base.get_notification(notification_id)

    def notifications(self, journey_id: str) -> list[Notification]:
        return [*self.base.notifications(journey_id), *self._notifications.get(journey_id, [])]

    def find_notification(self, provider_id: str) -> Notification | None:
        return self.base.find_notification(provider_id)  # planned ones have no provider id yet

    def get_decision(self, decision_id: str) -> DecisionRecord:
        pending = self._decisions.get(decision_id)
        return pending if pending is not None else self.base.get_decision(decision_id)

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
