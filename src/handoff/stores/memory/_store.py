"""``memory://``: a store in plain dicts, for tests, demos and single-process tools.

Everything sits behind one lock. :meth:`MemoryStore.commit` checks the whole changeset
against the current data first (:mod:`handoff.stores.memory._checks`) and only then
mutates, so a refused commit leaves no trace; :meth:`MemoryStore.commit_many` copies
the indexes first and puts them back if any changeset of the batch is refused.
Per-journey lists are kept in order as records arrive, so reads never sort.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from copy import copy
from datetime import datetime
from operator import attrgetter
from typing import cast

from attrs import evolve

from handoff._records import replace
from handoff.clock import ensure_aware, micros
from handoff.errors import NotFound, ValidationError
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
from handoff.stores.base import Store
from handoff.stores.capabilities import BulkImport, ErasureScrub, RecordPages, SerializedWrites
from handoff.stores.memory._callbacks import MemoryCallbacks
from handoff.stores.memory._checks import ChangesetChecks
from handoff.stores.memory._intake import MemoryIntake
from handoff.stores.memory._leases import MemoryLeases
from handoff.stores.memory._metrics import MemoryJourneyIndex
from handoff.stores.records import BRIEF_LINKS, Changeset, ContactRecords, Erasure
from handoff.stores.rules import (
    ACTIVE_STATUSES,
    check_active_limit,
    check_batch,
    check_changeset,
    check_identity,
    check_last,
    check_limit,
    check_lock_key,
    check_mark,
    check_page,
    check_provider_id,
    check_refs,
    check_text,
    marked,
)

__all__ = ["MemoryStore"]

# (UTC microseconds, arrival number, record id): sorts by time, then by arrival.
_Key = tuple[int, int, str]
_by_sequence = attrgetter("sequence")


class MemoryStore(
    ChangesetChecks,
    Store,
    MemoryIntake,
    BulkImport,
    SerializedWrites,
    MemoryJourneyIndex,
    MemoryLeases,
    ErasureScrub,
    RecordPages,
    MemoryCallbacks,
):
    """Keeps everything in this process's memory; gone when the object is."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._arrivals = itertools.count()
        self._contacts: dict[str, Contact] = {}  # without their links: those are below
        self._owners: dict[Identity, str] = {}
        # contact id -> {identity: (position, link)}, in link order; a replaced link keeps its place
        self._links: dict[str, dict[Identity, tuple[int, IdentityLink]]] = {}
        # (contact id, kind) -> that kind's identities in link order, and each contact's
        # kinds: what a brief reads. Flat, so that a batch's one-level copy restores them.
        self._kinds: dict[tuple[str, str], dict[Identity, None]] = {}
        self._contact_kinds: dict[str, dict[str, None]] = {}
        # contact id -> its briefs by the identity asked about (None: none), as read last;
        # dropped whenever the contact or its links change.
        self._briefs: dict[str, dict[Identity | None, Contact]] = {}
        self._positions = itertools.count()
        self._journeys: dict[str, Journey] = {}
        self._by_reference: dict[str, str] = {}
        self._journey_keys: dict[str, _Key] = {}
        self._journeys_of: dict[str, list[_Key]] = {}
        self._interactions: dict[str, Interaction] = {}
        self._by_external: dict[tuple[str, str], Interaction] = {}
        # external id -> {interaction id: (UTC microseconds, arrival, journey id)}
        self._threads: dict[str, dict[str, _Key]] = {}
        self._timelines: dict[str, list[Interaction]] = {}
        self._handoffs: dict[str, Handoff] = {}
        self._handoffs_of: dict[str, list[_Key]] = {}
        self._notifications: dict[str, Notification] = {}
        self._notifications_of: dict[str, list[_Key]] = {}
        self._pending: list[_Key] = []
        self._pending_keys: dict[str, _Key] = {}
        self._by_provider: dict[str, str] = {}  # provider id -> notification id
        self._active: list[tuple[int, str]] = []  # (updated_at, id) of open and pending journeys
        self._decisions: dict[str, DecisionRecord] = {}
        self._decisions_of: dict[str, list[_Key]] = {}
        self._leases: dict[str, int] = {}  # notification id -> lease end (see MemoryLeases)
        self._callbacks: dict[str, Callback] = {}  # see MemoryCallbacks
        self._callbacks_of: dict[str, list[tuple[int, str]]] = {}
        self._scheduled: list[tuple[int, str]] = []

    @classmethod
    def from_url(cls, url: str) -> MemoryStore:
        """``memory://`` and nothing more: each call gives a new, empty store."""
        if url != "memory://":
            raise ValidationError(
                "url", f"expected exactly 'memory://' (it takes no path or options), got {url!r}"
            )
        return cls()

    def __repr__(self) -> str:
        return "MemoryStore()"

    # -- writes ----------------------------------------------------------------------
    def serialized(self, key: str) -> AbstractContextManager[None]:
        """Hold the store's lock around this thread's reads and commit (every key at once:
        one process, one lock). A commit is applied whole or not at all, so a block whose
        last step is its commit, as the write path's is, keeps nothing when it raises.

        The section is the store's reentrant lock itself, taken and released in C."""
        check_lock_key(key)
        return cast(AbstractContextManager[None], self._lock)

    def commit(self, changes: Changeset) -> None:
        changes = check_changeset(changes)
        with self._lock:
            self._check_contact(changes)
            self._check_journey(changes)
            self._check_records(changes)
            if changes.callbacks:
                self._check_callbacks(changes)
            self._apply(changes)

    def commit_many(self, changes: Sequence[Changeset]) -> None:
        checked = check_batch(changes)
        with self._lock:
            saved = self._save()
            try:
                for change in checked:
                    self._check_contact(change)
                    self._check_journey(change)
                    self._check_records(change)
                    self._check_callbacks(change)
                    self._apply(change)
            except BaseException:
                self._restore(saved)
                raise

    def mark_notification(
        self, notification_id: str, status: str, at: datetime, *, provider_id: str | None = None
    ) -> Notification:
        notification_id, status, at, provider_id = check_mark(notification_id, status, at, provider_id)
        with self._lock:
            current = self._notifications.get(notification_id)
            if current is None:
                raise NotFound("notification", notification_id)
            self._put_marked(current, marked(current, status, at, provider_id))
            return self._notifications[notification_id]

    def _put_marked(self, current: Notification, updated: Notification) -> None:
        notification_id = current.id
        if updated.provider_id is not None and updated.provider_id != current.provider_id:
            self._check_provider_free(updated)
            if current.provider_id is not None:
                del self._by_provider[current.provider_id]
            self._by_provider[updated.provider_id] = notification_id
        self._notifications[notification_id] = updated
        if current.status == "pending" and updated.status != "pending":
            key = self._pending_keys.pop(notification_id)
            del self._pending[bisect.bisect_left(self._pending, key)]

    def _cancel_pending(self, notification_id: str) -> None:
        """Cancel a notification a changeset names if it is still pending (see Changeset)."""
        current = self._notifications.get(notification_id)
        if current is not None and current.status == "pending":
            self._put_marked(current, evolve(current, status="cancelled"))

    # -- contacts --------------------------------------------------------------------
    def get_contact(self, contact_id: str) -> Contact:
        check_text(contact_id, "contact_id")
        with self._lock:
            found = self._contacts.get(contact_id)
            if found is None:
                raise NotFound("contact", contact_id)
            return self._with_links(found, [link for _, link in self._links[contact_id].values()])

    def find_contact(self, identity: Identity) -> Contact | None:
        check_identity(identity)
        with self._lock:
            owner = self._owners.get(identity)
            return None if owner is None else self.get_contact(owner)

    def get_contact_brief(self, contact_id: str) -> Contact:
        check_text(contact_id, "contact_id")
        with self._lock:
            found = self._contacts.get(contact_id)
            if found is None:
                raise NotFound("contact", contact_id)
            return self._brief(found, None)

    def find_contact_brief(self, identity: Identity) -> Contact | None:
        check_identity(identity)
        with self._lock:
            owner = self._owners.get(identity)
            return None if owner is None else self._brief(self._contacts[owner], identity)

    def _brief(self, head: Contact, identity: Identity | None) -> Contact:
        """The first links of each kind, and ``identity``'s: a few dict look-ups each, once
        for each state of the contact (the write path reads it on every event)."""
        kept = self._briefs.get(head.id)
        if kept is not None:
            found = kept.get(identity)
            if found is not None:
                return found
        brief = self._briefed(head, identity)
        self._briefs.setdefault(head.id, {})[identity] = brief
        return brief

    def _briefed(self, head: Contact, identity: Identity | None) -> Contact:
        held = self._links[head.id]
        wanted: set[Identity] = set()
        for kind in self._contact_kinds.get(head.id, ()):
            wanted.update(itertools.islice(self._kinds.get((head.id, kind), ()), BRIEF_LINKS))
        if identity is not None and identity in held:
            wanted.add(identity)
        return self._with_links(head, [link for _, link in sorted(held[i] for i in wanted)])

    @staticmethod
    def _with_links(head: Contact, links: list[IdentityLink]) -> Contact:
        return replace(head, links=tuple(links))  # a stored head and stored links: both checked

    # -- journeys --------------------------------------------------------------------
    def get_journey(self, journey_id: str) -> Journey:
        check_text(journey_id, "journey_id")
        with self._lock:
            found = self._journeys.get(journey_id)
        if found is None:
            raise NotFound("journey", journey_id)
        return found

    def find_journey_by_reference(self, reference: str) -> Journey | None:
        check_text(reference, "reference")
        with self._lock:
            journey_id = self._by_reference.get(reference)
            return None if journey_id is None else self._journeys[journey_id]

    def active_journeys(self, *, limit: int | None = None) -> list[Journey]:
        limit = check_active_limit(limit)
        with self._lock:
            return [self._journeys[key[1]] for key in itertools.islice(self._active, limit)]

    def all_journeys(self) -> Iterator[Journey]:
        with self._lock:
            keys = sorted(self._journey_keys.values())  # (opened_at, arrival, id)
            journeys = [self._journeys[key[2]] for key in keys]
        return iter(journeys)

    def journeys_of(self, contact_id: str) -> list[Journey]:
        check_text(contact_id, "contact_id")
        with self._lock:
            return [self._journeys[key[2]] for key in self._journeys_of.get(contact_id, ())]

    def find_journey_by_thread(self, refs: Sequence[str]) -> Journey | None:
        wanted = check_refs(refs)
        with self._lock:
            hits = [max(self._threads[ref].values()) for ref in wanted if ref in self._threads]
            return self._journeys[max(hits)[2]] if hits else None

    # -- interactions and handoffs ---------------------------------------------------------
    def find_interaction(self, channel: str, external_id: str) -> Interaction | None:
        key = (check_text(channel, "channel"), check_text(external_id, "external_id"))
        with self._lock:
            return self._by_external.get(key)

    def interactions(self, journey_id: str, *, last: int | None = None) -> list[Interaction]:
        check_text(journey_id, "journey_id")
        last = check_last(last)
        with self._lock:
            timeline = self._timelines.get(journey_id, [])
            if last is None:
                return list(timeline)
            return timeline[-last:] if last else []

    def handoffs(self, journey_id: str) -> list[Handoff]:
        check_text(journey_id, "journey_id")
        with self._lock:
            return [self._handoffs[key[2]] for key in self._handoffs_of.get(journey_id, ())]

    # -- outbox ----------------------------------------------------------------------
    def get_notification(self, notification_id: str) -> Notification:
        check_text(notification_id, "notification_id")
        with self._lock:
            found = self._notifications.get(notification_id)
        if found is None:
            raise NotFound("notification", notification_id)
        return found

    def find_notification(self, provider_id: str) -> Notification | None:
        provider_id = check_provider_id(provider_id)
        with self._lock:
            holder = self._by_provider.get(provider_id)
            return None if holder is None else self._notifications[holder]

    def notifications(self, journey_id: str) -> list[Notification]:
        check_text(journey_id, "journey_id")
        with self._lock:
            return [self._notifications[key[2]] for key in self._notifications_of.get(journey_id, ())]

    def due_notifications(self, now: datetime, *, limit: int = 100) -> list[Notification]:
        cutoff = micros(ensure_aware(now, "now"))
        limit = check_limit(limit)
        with self._lock:
            due = itertools.takewhile(lambda key: key[0] <= cutoff, self._pending)
            return [self._notifications[key[2]] for key in itertools.islice(due, limit)]

    # -- decision log ------------------------------------------------------------------
    def get_decision(self, decision_id: str) -> DecisionRecord:
        check_text(decision_id, "decision_id")
        with self._lock:
            found = self._decisions.get(decision_id)
        if found is None:
            raise NotFound("decision", decision_id)
        return found

    def decisions(self, journey_id: str) -> list[DecisionRecord]:
        check_text(journey_id, "journey_id")
        with self._lock:
            return [self._decisions[key[2]] for key in self._decisions_of.get(journey_id, ())]

    # -- privacy ---------------------------------------------------------------------
    def contact_records(self, contact_id: str) -> ContactRecords:
        check_text(contact_id, "contact_id")
        with self._lock:
            if contact_id not in self._contacts:
                raise NotFound("contact", contact_id)
            contact = self.get_contact(contact_id)
            journeys = self.journeys_of(contact_id)
            return ContactRecords(
                contact=contact,
                journeys=journeys,
                interactions=[i for j in journeys for i in self._timelines.get(j.id, ())],
                handoffs=[h for j in journeys for h in self.handoffs(j.id)],
                notifications=[n for j in journeys for n in self.notifications(j.id)],
                decisions=[
                    self._decisions[key[2]] for j in journeys for key in self._decisions_of.get(j.id, ())
                ],
            )

    def erase_contact(self, contact_id: str) -> None:
        check_text(contact_id, "contact_id")
        with self._lock:
            contact = self._contacts.pop(contact_id, None)
            if contact is None:
                raise NotFound("contact", contact_id)
            self._briefs.pop(contact_id, None)
            for identity in self._links.pop(contact_id):
                del self._owners[identity]
            for kind in self._contact_kinds.pop(contact_id, ()):
                del self._kinds[(contact_id, kind)]
            for key in self._journeys_of.pop(contact_id, ()):
                self._forget_journey(key[2])

    def interactions_page(self, journey_id: str, *, after: int = 0, limit: int = 100) -> list[Interaction]:
        journey_id, after, limit = check_page(journey_id, after, limit)
        with self._lock:
            timeline = self._timelines.get(journey_id, [])
            start = bisect.bisect_right(timeline, after, key=_by_sequence)
            return timeline[start : start + limit]

    def erase_contact_scrubbed(self, contact_id: str, *, vacuum: bool = True) -> Erasure:
        self.erase_contact(contact_id)
        return Erasure(contact_id, old_copies_may_remain=False)

    def _forget_journey(self, journey_id: str) -> None:
        """Drop a journey and every record of it from every index (erasure only)."""
        journey = self._journeys.pop(journey_id)
        del self._by_reference[journey.reference]
        del self._journey_keys[journey_id]
        self._deactivate(journey)
        for interaction in self._timelines.pop(journey_id, ()):
            del self._interactions[interaction.id]
            if interaction.external_id is not None:
                del self._by_external[(interaction.channel, interaction.external_id)]
                holders = self._threads[interaction.external_id]
                del holders[interaction.id]
                if not holders:
                    del self._threads[interaction.external_id]
        for key in self._handoffs_of.pop(journey_id, ()):
            del self._handoffs[key[2]]
        for key in self._notifications_of.pop(journey_id, ()):
            notification = self._notifications.pop(key[2])
            if notification.provider_id is not None:
                del self._by_provider[notification.provider_id]
            pending = self._pending_keys.pop(key[2], None)
            if pending is not None:
                del self._pending[bisect.bisect_left(self._pending, pending)]
        for key in self._decisions_of.pop(journey_id, ()):
            del self._decisions[key[2]]
        self._forget_callbacks(journey_id)

    # -- batches: copy the indexes, put them back on failure -------------------------------
    def _save(self) -> dict[str, object]:
        """A copy of every index deep enough that applying changesets cannot touch it."""
        saved: dict[str, object] = {}
        for name, value in vars(self).items():
            if isinstance(value, dict):
                saved[name] = {
                    key: copy(inner) if isinstance(inner, (list, dict)) else inner
                    for key, inner in value.items()
                }
            elif isinstance(value, list):
                saved[name] = list(value)
        return saved

    def _restore(self, saved: dict[str, object]) -> None:
        for name, value in saved.items():
            setattr(self, name, value)

    # -- commit: apply what ChangesetChecks let through ------------------------------------
    def _apply(self, changes: Changeset) -> None:
        """Mutate; only called once :meth:`commit` has checked everything."""
        if changes.contact is not None:
            self._put_contact(changes)
        if changes.journey is not None:
            self._put_journey(changes.journey)
        for interaction in changes.interactions:
            self._put_interaction(interaction)
        for handoff in changes.handoffs:
            self._handoffs[handoff.id] = handoff
            bisect.insort(
                self._handoffs_of.setdefault(handoff.journey_id, []), self._key(handoff.at, handoff.id)
            )
        for notification in changes.notifications:
            self._put_notification(notification)
        for decision in changes.decisions:
            self._decisions[decision.id] = decision
            key = self._key(decision.at, decision.id)
            bisect.insort(self._decisions_of.setdefault(decision.journey_id, []), key)
        if changes.callbacks or changes.cancelled_notifications:
            self._apply_callbacks(changes)

    def _key(self, when: datetime, record_id: str) -> _Key:
        return (micros(when), next(self._arrivals), record_id)

    def _put_contact(self, changes: Changeset) -> None:
        """The contact's profile, then its links one by one: O(1) in the links it holds."""
        contact = changes.contact
        assert contact is not None
        self._briefs.pop(contact.id, None)
        if changes.expected_contact_version == 0:
            self._links[contact.id] = {}
            for link in contact.links:
                self._put_link(contact.id, link)
        for link in changes.links:
            self._put_link(contact.id, link)
        for identity in changes.unlinks:
            self._drop_link(contact.id, identity)
        self._contacts[contact.id] = contact if not contact.links else replace(contact, links=())

    def _put_link(self, contact_id: str, link: IdentityLink) -> None:
        held = self._links[contact_id]
        identity = link.identity
        previous = held.get(identity)
        held[identity] = (next(self._positions) if previous is None else previous[0], link)
        self._owners[identity] = contact_id
        self._contact_kinds.setdefault(contact_id, {})[identity.kind] = None
        self._kinds.setdefault((contact_id, identity.kind), {})[identity] = None

    def _drop_link(self, contact_id: str, identity: Identity) -> None:
        if self._links[contact_id].pop(identity, None) is None:
            return
        del self._owners[identity]
        of_kind = self._kinds[(contact_id, identity.kind)]
        del of_kind[identity]
        if not of_kind:
            del self._kinds[(contact_id, identity.kind)]
            del self._contact_kinds[contact_id][identity.kind]

    def _put_journey(self, journey: Journey) -> None:
        previous = self._journeys.get(journey.id)
        if previous is not None:
            self._deactivate(previous)
            del self._by_reference[previous.reference]
            if (previous.contact_id, previous.opened_at) == (journey.contact_id, journey.opened_at):
                key = self._journey_keys[journey.id]
            else:
                old_key = self._journey_keys[journey.id]
                siblings = self._journeys_of[previous.contact_id]
                del siblings[bisect.bisect_left(siblings, old_key)]
                key = self._key(journey.opened_at, journey.id)
                bisect.insort(self._journeys_of.setdefault(journey.contact_id, []), key)
        else:
            key = self._key(journey.opened_at, journey.id)
            bisect.insort(self._journeys_of.setdefault(journey.contact_id, []), key)
        self._journey_keys[journey.id] = key
        self._by_reference[journey.reference] = journey.id
        self._journeys[journey.id] = journey
        if journey.status in ACTIVE_STATUSES:
            bisect.insort(self._active, (micros(journey.updated_at), journey.id))

    def _deactivate(self, journey: Journey) -> None:
        """Take a journey's previous version out of the active index."""
        if journey.status in ACTIVE_STATUSES:
            del self._active[bisect.bisect_left(self._active, (micros(journey.updated_at), journey.id))]

    def _put_interaction(self, interaction: Interaction) -> None:
        self._interactions[interaction.id] = interaction
        timeline = self._timelines.setdefault(interaction.journey_id, [])
        if not timeline or timeline[-1].sequence < interaction.sequence:
            timeline.append(interaction)  # the usual case: appended at the end
        else:
            bisect.insort(timeline, interaction, key=_by_sequence)
        if interaction.external_id is not None:
            self._by_external[(interaction.channel, interaction.external_id)] = interaction
            key = self._key(interaction.at, interaction.journey_id)
            self._threads.setdefault(interaction.external_id, {})[interaction.id] = key

    def _put_notification(self, notification: Notification) -> None:
        self._notifications[notification.id] = notification
        if notification.provider_id is not None:
            self._by_provider[notification.provider_id] = notification.id
        by_creation = self._key(notification.created_at, notification.id)
        bisect.insort(self._notifications_of.setdefault(notification.journey_id, []), by_creation)
        if notification.status == "pending":
            key = self._key(notification.send_at, notification.id)
            bisect.insort(self._pending, key)
            self._pending_keys[notification.id] = key
