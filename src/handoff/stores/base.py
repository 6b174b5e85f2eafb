"""The storage contract: ten primitives a backend must write, and look-ups derived from them.

A backend is a subclass of :class:`Store`. The domain hands it finished records; the
store keeps them, answers look-ups, and enforces the few invariants that only storage
can: one transaction per event, optimistic versions, unique external ids. The checks
every backend makes the same way are public in :mod:`handoff.stores.rules`.

Ten methods are abstract (the *primitives*):

* writes: :meth:`Store.commit`, :meth:`Store.mark_notification`, :meth:`Store.erase_contact`;
* contacts: :meth:`Store.get_contact`, :meth:`Store.find_contact`;
* journeys: :meth:`Store.all_journeys`;
* a journey's records: :meth:`Store.interactions`, :meth:`Store.handoffs`,
  :meth:`Store.notifications`, :meth:`Store.decisions`.

Every other look-up is a concrete method built on them (the *derived* look-ups): correct
for any backend, but scanning every journey where an index would answer at once. A
backend overrides the ones it can answer faster; the built-in backends override all.
Optional capabilities (bulk import, one-round-trip intake reads, the metrics' push-downs)
are separate ABCs in :mod:`handoff.stores.capabilities`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Self

from handoff.clock import ensure_aware
from handoff.errors import NotFound, StoreUnavailable
from handoff.identity import Identity
from handoff.models import Contact, DecisionRecord, Handoff, Interaction, Journey, Notification

# Re-exported: the optional capabilities and the metric rows were once defined here, and
# code importing them from this module keeps working.
from handoff.stores.capabilities import BulkImport as BulkImport
from handoff.stores.capabilities import IntakeReads as IntakeReads
from handoff.stores.capabilities import IntakeRecords as IntakeRecords
from handoff.stores.capabilities import JourneyIndex as JourneyIndex
from handoff.stores.capabilities import MetricsSource as MetricsSource
from handoff.stores.metric_rows import MetricHandoff as MetricHandoff
from handoff.stores.metric_rows import MetricJourney as MetricJourney
from handoff.stores.metric_rows import MetricStep as MetricStep
from handoff.stores.metric_rows import MetricTally as MetricTally
from handoff.stores.metric_rows import TallyHandoff as TallyHandoff
from handoff.stores.records import Changeset, ContactRecords, brief_contact
from handoff.stores.rules import (
    ACTIVE_STATUSES,
    check_active_limit,
    check_limit,
    check_provider_id,
    check_refs,
    check_text,
)

__all__ = ["PRIMITIVES", "Changeset", "ContactRecords", "Store"]

PRIMITIVES = (
    "commit",
    "mark_notification",
    "erase_contact",
    "get_contact",
    "find_contact",
    "all_journeys",
    "interactions",
    "handoffs",
    "notifications",
    "decisions",
)
"""The names of :class:`Store`'s abstract methods: what a backend must write itself."""


class Store(abc.ABC):
    """A storage backend. Every method is safe to call from several threads.

    Reads return frozen models. Writes go through :meth:`commit`, which must be atomic
    and must raise:

    * :class:`~handoff.errors.ConcurrencyConflict` when a contact or journey is not at
      the expected version, a new journey's reference or id is taken, or an identity in
      ``changeset.contact`` belongs to another contact;
    * :class:`~handoff.errors.DuplicateInteraction` when an interaction's
      ``(channel, external_id)`` or id is already stored;
    * :class:`~handoff.errors.ConcurrencyConflict` when a handoff, notification or
      decision id is already stored;

    and in every error case leave the store exactly as it was. Before anything else it
    passes the changeset through :func:`handoff.stores.rules.check_changeset`.

    The primitives are abstract; the derived look-ups below them work on any backend
    and may be overridden for speed, keeping their answers exactly.
    """

    # == primitives ====================================================================

    # -- writes ----------------------------------------------------------------------
    @abc.abstractmethod
    def commit(self, changes: Changeset) -> None:
        """Write one event's records in one transaction."""

    @abc.abstractmethod
    def mark_notification(
        self, notification_id: str, status: str, at: datetime, *, provider_id: str | None = None
    ) -> Notification:
        """Record a delivery status (``sent``, ``delivered``, ``read``, ``failed``, ``cancelled``).

        Delivery moves ``pending -> sent -> delivered -> read``; ``failed`` and
        ``cancelled`` may come at any point. ``sent`` records ``at`` as ``sent_at``,
        later statuses keep it. Callbacks arrive out of order, so a ``sent`` or
        ``delivered`` for a notification already ``read`` is ignored (it comes back
        unchanged). ``provider_id`` is the provider's id of the sent message; given,
        it is recorded so that :meth:`find_notification` finds it. It is unique: one
        another notification holds raises ConcurrencyConflict. Raises NotFound for an
        unknown id; returns the notification as stored.

        :func:`handoff.stores.rules.check_mark` checks the arguments and
        :func:`handoff.stores.rules.marked` is the state machine: a backend reads the
        notification, applies ``marked`` and writes the result, atomically.
        """

    @abc.abstractmethod
    def erase_contact(self, contact_id: str) -> None:
        """Remove the contact, its identities, journeys, interactions, handoffs,
        notifications and decisions, in one transaction; NotFound if unknown. Afterwards no look-up
        finds anything of it (its identities are free again)."""

    # -- contacts --------------------------------------------------------------------
    @abc.abstractmethod
    def get_contact(self, contact_id: str) -> Contact:
        """The contact with this id; NotFound if there is none."""

    @abc.abstractmethod
    def find_contact(self, identity: Identity) -> Contact | None:
        """The contact that owns this normalized identity, if any."""

    # -- journeys --------------------------------------------------------------------
    @abc.abstractmethod
    def all_journeys(self) -> Iterator[Journey]:
        """Every stored journey, oldest first (by ``opened_at``, then in the order they
        were first stored). The derived look-ups scan it."""

    # -- a journey's records -----------------------------------------------------------
    @abc.abstractmethod
    def interactions(self, journey_id: str, *, last: int | None = None) -> list[Interaction]:
        """A journey's interactions in order (by sequence); only the final ``last`` if given.
        An unknown journey has none."""

    @abc.abstractmethod
    def handoffs(self, journey_id: str) -> list[Handoff]:
        """A journey's handoffs in the order they happened (``at``, then as stored)."""

    @abc.abstractmethod
    def notifications(self, journey_id: str) -> list[Notification]:
        """Every notification of a journey, by creation order (``created_at``, then as stored)."""

    @abc.abstractmethod
    def decisions(self, journey_id: str) -> list[DecisionRecord]:
        """A journey's decision records in the order they were made (``at``, then as stored)."""

    # == derived look-ups: correct everywhere, overridden for speed =======================

    # -- contacts --------------------------------------------------------------------
    def get_contact_brief(self, contact_id: str) -> Contact:
        """The contact with a bounded share of its links: the first
        :data:`~handoff.stores.records.BRIEF_LINKS` of each identity kind, in link order
        (see :func:`~handoff.stores.records.brief_contact`). NotFound if there is none.

        What the write path reads: its cost must not grow with the contact's identities,
        so a backend that keeps links as rows of their own reads only those."""
        return brief_contact(self.get_contact(contact_id))

    def find_contact_brief(self, identity: Identity) -> Contact | None:
        """The brief contact (as :meth:`get_contact_brief`) that owns this normalized
        identity, with that identity's own link among its links; None if no one owns it."""
        found = self.find_contact(identity)
        return None if found is None else brief_contact(found, identity)

    # -- journeys --------------------------------------------------------------------
    def get_journey(self, journey_id: str) -> Journey:
        """The journey with this id; NotFound if there is none."""
        check_text(journey_id, "journey_id")
        found = next((j for j in self.all_journeys() if j.id == journey_id), None)
        if found is None:
            raise NotFound("journey", journey_id)
        return found

    def find_journey_by_reference(self, reference: str) -> Journey | None:
        """The journey a customer-facing reference (``J-7F3K9``) names, if any."""
        check_text(reference, "reference")
        return next((j for j in self.all_journeys() if j.reference == reference), None)

    def active_journeys(self, *, limit: int | None = None) -> list[Journey]:
        """Journeys that are ``open`` or ``pending``, least recently updated first
        (``updated_at``, then id); at most ``limit`` of them. The periodic tick reads
        this, so a backend serves it from an index, never by reading every journey."""
        limit = check_active_limit(limit)
        active = [j for j in self.all_journeys() if j.status in ACTIVE_STATUSES]
        active.sort(key=lambda j: (j.updated_at, j.id))
        return active if limit is None else active[:limit]

    def journeys_of(self, contact_id: str) -> list[Journey]:
        """A contact's journeys, oldest first."""
        check_text(contact_id, "contact_id")
        return [j for j in self.all_journeys() if j.contact_id == contact_id]

    def find_journey_by_thread(self, refs: Sequence[str]) -> Journey | None:
        """The journey holding the latest interaction whose external id is in ``refs``."""
        wanted = set(check_refs(refs))
        best: tuple[datetime, Journey] | None = None
        if not wanted:
            return None
        for journey in self.all_journeys():
            for interaction in self.interactions(journey.id):
                if interaction.external_id in wanted and (best is None or interaction.at >= best[0]):
                    best = (interaction.at, journey)
        return None if best is None else best[1]

    # -- interactions ----------------------------------------------------------------
    def find_interaction(self, channel: str, external_id: str) -> Interaction | None:
        """The interaction stored for this (channel, external id), if any."""
        key = (check_text(channel, "channel"), check_text(external_id, "external_id"))
        for journey in self.all_journeys():
            for interaction in self.interactions(journey.id):
                if (interaction.channel, interaction.external_id) == key:
                    return interaction
        return None

    # -- outbox ----------------------------------------------------------------------
    def get_notification(self, notification_id: str) -> Notification:
        """The notification with this id; NotFound if there is none."""
        check_text(notification_id, "notification_id")
        found = next((n for n in self._every_notification() if n.id == notification_id), None)
        if found is None:
            raise NotFound("notification", notification_id)
        return found

    def find_notification(self, provider_id: str) -> Notification | None:
        """The notification the provider knows by this id (see :meth:`mark_notification`)."""
        provider_id = check_provider_id(provider_id)
        return next((n for n in self._every_notification() if n.provider_id == provider_id), None)

    def due_notifications(self, now: datetime, *, limit: int = 100) -> list[Notification]:
        """Pending notifications with ``send_at <= now``, earliest first."""
        cutoff = ensure_aware(now, "now")
        limit = check_limit(limit)
        due = [n for n in self._every_notification() if n.status == "pending" and n.send_at <= cutoff]
        due.sort(key=lambda n: (n.send_at, n.created_at))
        return due[:limit]

    def _every_notification(self) -> Iterator[Notification]:
        for journey in self.all_journeys():
            yield from self.notifications(journey.id)

    # -- decision log ------------------------------------------------------------------
    def get_decision(self, decision_id: str) -> DecisionRecord:
        """The decision record with this id; NotFound if there is none."""
        check_text(decision_id, "decision_id")
        for journey in self.all_journeys():
            for decision in self.decisions(journey.id):
                if decision.id == decision_id:
                    return decision
        raise NotFound("decision", decision_id)

    # -- privacy ---------------------------------------------------------------------
    def contact_records(self, contact_id: str) -> ContactRecords:
        """Every record of the contact and of its journeys; NotFound if unknown.

        Derived, this reads look-up by look-up; a backend whose writers may run meanwhile
        overrides it to read one consistent snapshot."""
        contact = self.get_contact(contact_id)
        journeys = self.journeys_of(contact_id)
        return ContactRecords(
            contact=contact,
            journeys=journeys,
            interactions=[i for j in journeys for i in self.interactions(j.id)],
            handoffs=[h for j in journeys for h in self.handoffs(j.id)],
            notifications=[n for j in journeys for n in self.notifications(j.id)],
            decisions=[d for j in journeys for d in self.decisions(j.id)],
        )

    # -- lifecycle -------------------------------------------------------------------
    @classmethod
    def from_url(cls, url: str) -> Store:
        """Open the store a URL names; :func:`handoff.stores.open_store` calls this.

        Not abstract, so a backend that is only ever built in code need not care; one
        that registers a URL scheme overrides it.
        """
        raise StoreUnavailable(f"{cls.__name__} cannot be opened from a URL ({url!r}); construct it directly")

    def close(self) -> None:  # noqa: B027 - optional: only stores holding resources override it
        """Release connections and files. Closing twice is harmless."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
