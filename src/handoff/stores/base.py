"""The storage contract: what every backend must do, and nothing more.

A backend is a subclass of :class:`Store`. The domain hands it finished records; the
store keeps them, answers look-ups, and enforces the few invariants that only storage
can: one transaction per event, optimistic versions, unique external ids.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Self, TypeVar

from attrs import define, field

from handoff.errors import StoreUnavailable, ValidationError
from handoff.identity import Identity
from handoff.models import Contact, DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.stores.metric_rows import MetricHandoff, MetricJourney, MetricStep, MetricTally, TallyHandoff

__all__ = [
    "BulkImport",
    "Changeset",
    "ContactRecords",
    "IntakeReads",
    "IntakeRecords",
    "JourneyIndex",
    "MetricHandoff",
    "MetricJourney",
    "MetricStep",
    "MetricTally",
    "MetricsSource",
    "Store",
    "TallyHandoff",
]

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
    """

    contact: Contact | None = None
    expected_contact_version: int = 0
    journey: Journey | None = None
    expected_journey_version: int = 0
    interactions: tuple[Interaction, ...] = field(default=(), converter=_interactions)
    handoffs: tuple[Handoff, ...] = field(default=(), converter=_handoffs)
    notifications: tuple[Notification, ...] = field(default=(), converter=_notifications)
    decisions: tuple[DecisionRecord, ...] = field(default=(), converter=_decisions)


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

    and in every error case leave the store exactly as it was.
    """

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
        """

    # -- contacts --------------------------------------------------------------------
    @abc.abstractmethod
    def get_contact(self, contact_id: str) -> Contact:
        """The contact with this id; NotFound if there is none."""

    @abc.abstractmethod
    def find_contact(self, identity: Identity) -> Contact | None:
        """The contact that owns this normalized identity, if any."""

    # -- journeys --------------------------------------------------------------------
    @abc.abstractmethod
    def get_journey(self, journey_id: str) -> Journey:
        """The journey with this id; NotFound if there is none."""

    @abc.abstractmethod
    def find_journey_by_reference(self, reference: str) -> Journey | None:
        """The journey a customer-facing reference (``J-7F3K9``) names, if any."""

    @abc.abstractmethod
    def active_journeys(self, *, limit: int | None = None) -> list[Journey]:
        """Journeys that are ``open`` or ``pending``, least recently updated first
        (``updated_at``, then id); at most ``limit`` of them. The periodic tick reads
        this, so it is served by an index, never by reading every journey."""

    @abc.abstractmethod
    def journeys_of(self, contact_id: str) -> list[Journey]:
        """A contact's journeys, oldest first."""

    @abc.abstractmethod
    def find_journey_by_thread(self, refs: Sequence[str]) -> Journey | None:
        """The journey holding the latest interaction whose external id is in ``refs``."""

    # -- interactions and handoffs ---------------------------------------------------------
    @abc.abstractmethod
    def find_interaction(self, channel: str, external_id: str) -> Interaction | None:
        """The interaction stored for this (channel, external id), if any."""

    @abc.abstractmethod
    def interactions(self, journey_id: str, *, last: int | None = None) -> list[Interaction]:
        """A journey's interactions in order (by sequence); only the final ``last`` if given."""

    @abc.abstractmethod
    def handoffs(self, journey_id: str) -> list[Handoff]:
        """A journey's handoffs in the order they happened."""

    # -- outbox ----------------------------------------------------------------------
    @abc.abstractmethod
    def get_notification(self, notification_id: str) -> Notification:
        """The notification with this id; NotFound if there is none."""

    @abc.abstractmethod
    def find_notification(self, provider_id: str) -> Notification | None:
        """The notification the provider knows by this id (see :meth:`mark_notification`)."""

    @abc.abstractmethod
    def notifications(self, journey_id: str) -> list[Notification]:
        """Every notification of a journey, by creation order."""

    @abc.abstractmethod
    def due_notifications(self, now: datetime, *, limit: int = 100) -> list[Notification]:
        """Pending notifications with ``send_at <= now``, earliest first."""

    # -- decision log ------------------------------------------------------------------
    @abc.abstractmethod
    def get_decision(self, decision_id: str) -> DecisionRecord:
        """The decision record with this id; NotFound if there is none."""

    # -- privacy ---------------------------------------------------------------------
    @abc.abstractmethod
    def contact_records(self, contact_id: str) -> ContactRecords:
        """Every record of the contact and of its journeys; NotFound if unknown."""

    @abc.abstractmethod
    def erase_contact(self, contact_id: str) -> None:
        """Remove the contact, its identities, journeys, interactions, handoffs,
        notifications and decisions, in one transaction; NotFound if unknown. Afterwards no look-up
        finds anything of it (its identities are free again)."""

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


class BulkImport(abc.ABC):
    """Optional capability: many changesets in one transaction (backfills)."""

    @abc.abstractmethod
    def commit_many(self, changes: Sequence[Changeset]) -> None:
        """Commit changesets in order, all or nothing: each is checked as `commit`
        would, against the store AND the changesets before it in the same call
        (so a batch may create a journey and append to it three times)."""

    def find_interactions(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Interaction]:
        """The stored interactions among these ``(channel, external_id)`` keys, by key.

        A backfill asks once per batch which of its messages are redeliveries. This
        default asks :meth:`Store.find_interaction` key by key; a store with a query
        language overrides it with one query.
        """
        from handoff.stores._common import check_keys  # it imports this module

        find = self.find_interaction  # type: ignore[attr-defined]  # a BulkImport is a Store
        found = {key: find(*key) for key in check_keys(keys)}
        return {key: interaction for key, interaction in found.items() if interaction is not None}


def _contacts(items: Mapping[str, Contact]) -> dict[str, Contact]:
    return dict(items)


def _journey_lists(items: Mapping[str, Iterable[Journey]]) -> dict[str, tuple[Journey, ...]]:
    return {key: tuple(journeys) for key, journeys in items.items()}


def _notification_lists(items: Mapping[str, Iterable[Notification]]) -> dict[str, tuple[Notification, ...]]:
    return {key: tuple(notifications) for key, notifications in items.items()}


def _references(items: Mapping[str, Journey]) -> dict[str, Journey]:
    return dict(items)


@define(frozen=True)
class IntakeRecords:
    """What ``receive`` reads about one inbound, as :meth:`IntakeReads.load_intake` returns it.

    Each field is what the plain look-up would answer: ``seen`` is ``find_interaction``,
    ``contact`` is ``find_contact``, ``by_reference`` maps each reference asked about that
    ``find_journey_by_reference`` finds to its journey, ``by_thread`` is
    ``find_journey_by_thread``. ``contacts`` holds, by id, ``contact`` and the contacts of
    the journeys of ``seen``, ``by_reference`` and ``by_thread`` (``receive`` falls back on the
    plain look-ups when one is missing, losing the round trip saved); ``journeys`` each of their
    ``journeys_of`` (one without journeys may be left out); ``notifications`` each of those
    journeys' notifications created at or after ``since``, in ``notifications`` order (a
    journey without any may be left out).
    """

    seen: Interaction | None = None
    contact: Contact | None = None
    by_reference: dict[str, Journey] = field(factory=dict, converter=_references)
    by_thread: Journey | None = None
    contacts: dict[str, Contact] = field(factory=dict, converter=_contacts)
    journeys: dict[str, tuple[Journey, ...]] = field(factory=dict, converter=_journey_lists)
    notifications: dict[str, tuple[Notification, ...]] = field(factory=dict, converter=_notification_lists)

    def journey(self, journey_id: str) -> Journey | None:
        """The journey with this id among ``journeys``, if it is there."""
        for journeys in self.journeys.values():
            for journey in journeys:
                if journey.id == journey_id:
                    return journey
        return None


class IntakeReads(abc.ABC):
    """Optional capability: every look-up ``receive`` makes, in one round trip.

    A networked store spends most of an event waiting on reads made one after the
    other; :class:`~handoff.Switchboard` uses this when a store offers it.
    """

    @abc.abstractmethod
    def load_intake(
        self,
        identity: Identity,
        channel: str,
        external_id: str | None,
        references: Sequence[str],
        thread_refs: Sequence[str],
        since: datetime,
    ) -> IntakeRecords:
        """The records of :class:`IntakeRecords`, read from one snapshot; ``external_id``
        None means no interaction is looked up, empty ``thread_refs`` no thread. Bad
        arguments raise ValidationError as the plain look-ups do."""


# -- optional capabilities for the metrics ------------------------------------------------------


class JourneyIndex(abc.ABC):
    """Optional capability: list the journeys opened in a period (what a KPI report covers)."""

    @abc.abstractmethod
    def journeys_opened(self, start: datetime, end: datetime) -> Iterator[Journey]:
        """Journeys with ``start <= opened_at < end``, oldest first (then in storage order)."""


class MetricsSource(JourneyIndex):
    """Optional capability: reduce each journey of a period to its :class:`MetricTally`.

    For backends that can do the reduction where the data lives (SQL), so that a year
    of history never travels as interactions; :func:`handoff.metrics.kpis` uses it when
    a store offers it, and gets the same figures as from the models. A backend without
    it is read journey by journey through :class:`JourneyIndex` and the plain look-ups.
    """

    @abc.abstractmethod
    def metric_tallies(self, start: datetime, end: datetime, *, agents: bool = True) -> Iterator[MetricTally]:
        """One tally per journey with ``start <= opened_at < end``, in any order, all from
        one consistent snapshot. ``agents=False`` may leave ``agent`` out (None): only a
        report sliced by agent reads it. A tally may leave ``handoffs`` empty and give
        ``legs`` instead, for the KPIs to read the handoffs from."""
