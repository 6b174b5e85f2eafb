"""Optional capabilities: abstract base classes a backend may add beside :class:`~handoff.stores.base.Store`.

Each is a separate ABC; the library checks ``isinstance(store, Capability)`` and uses
the faster path when a store offers it, the plain look-ups otherwise:

* :class:`BulkImport`: many changesets in one transaction (backfills, ``handoff import``);
* :class:`IntakeReads`: every look-up ``receive`` makes, in one round trip;
* :class:`SerializedWrites`: one event's reads and commit as one serialised transaction,
  so writers of one journey wait their turn instead of failing on a version conflict;
* :class:`JourneyIndex`, :class:`MetricsSource`: the metrics' push-downs, from listing
  journeys by period to reducing each journey to its figures in the database;
* :class:`OutboxLeases`: lease due notifications to one of several senders;
* :class:`ErasureScrub`: erase, then say what may remain of the data outside the tables;
* :class:`RecordPages`: a journey's interactions a page at a time (paged histories,
  streamed exports);
* :class:`CallbackBook`: scheduled callbacks, written with the event that books or
  closes them.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from attrs import define, field

from handoff.identity import Identity
from handoff.models import Callback, Contact, Interaction, Journey, Notification
from handoff.stores.metric_rows import MetricTally
from handoff.stores.records import Changeset, Erasure
from handoff.stores.rules import check_identities, check_journey_ids, check_keys

__all__ = [
    "BulkImport",
    "CallbackBook",
    "ErasureScrub",
    "IntakeReads",
    "IntakeRecords",
    "JourneyIndex",
    "MetricsSource",
    "OutboxLeases",
    "RecordPages",
    "SerializedWrites",
]


class BulkImport(abc.ABC):
    """Optional capability: many changesets in one transaction (backfills)."""

    @abc.abstractmethod
    def commit_many(self, changes: Sequence[Changeset]) -> None:
        """Commit changesets in order, all or nothing: each is checked as `commit`
        would, against the store AND the changesets before it in the same call
        (so a batch may create a journey and append to it three times). The rows a
        batch appends arrive in its order, whichever journey they belong to, so ties on
        time break by arrival as they would after the changesets one by one."""

    def find_interactions(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Interaction]:
        """The stored interactions among these ``(channel, external_id)`` keys, by key.

        A backfill asks once per batch which of its messages are redeliveries. This
        default asks :meth:`Store.find_interaction` key by key; a store with a query
        language overrides it with one query.
        """
        find = self.find_interaction  # type: ignore[attr-defined]  # a BulkImport is a Store
        found = {key: find(*key) for key in check_keys(keys)}
        return {key: interaction for key, interaction in found.items() if interaction is not None}

    def stored_identities(self, identities: Sequence[Identity]) -> set[Identity]:
        """The identities among these that a stored contact holds.

        A backfill asks once per batch which of its customers the store knows: a new
        one is not looked up again. This default asks :meth:`Store.find_contact`
        identity by identity; a store with a query language overrides it with one query.
        """
        find = self.find_contact  # type: ignore[attr-defined]  # a BulkImport is a Store
        return {identity for identity in check_identities(identities) if find(identity) is not None}

    def notifications_of(self, journey_ids: Sequence[str]) -> dict[str, list[Notification]]:
        """The stored notifications of these journeys, by journey id, each journey's in the
        order :meth:`Store.notifications` gives them; a journey without any is left out.

        A backfill reads those of the journeys its batch may switch channels in at once
        (the policy reads them for the summary of a switch). This default asks
        :meth:`Store.notifications` journey by journey; a store with a query language
        overrides it with one query.
        """
        read = self.notifications  # type: ignore[attr-defined]  # a BulkImport is a Store
        found = {journey_id: read(journey_id) for journey_id in check_journey_ids(journey_ids)}
        return {journey_id: stored for journey_id, stored in found.items() if stored}


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
    ``contact`` is ``find_contact_brief`` (a contact's brief, as the write path reads it),
    ``by_reference`` maps each reference asked about that ``find_journey_by_reference``
    finds to its journey, ``by_thread`` is ``find_journey_by_thread``. ``contacts`` holds,
    by id, ``contact`` and the ``get_contact_brief`` of the contacts of the journeys of
    ``seen``, ``by_reference`` and ``by_thread`` (``receive`` falls back on the
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


class SerializedWrites(abc.ABC):
    """Optional capability: writers of one key run one after the other.

    ``with store.serialized(key):`` holds a lock for ``key`` (a contact id, or the
    identity of an inbound whose contact is not known yet) around this thread's reads
    and its :meth:`~handoff.stores.base.Store.commit`, the block's last step. Another
    writer of the same key waits until the block ends, then reads what this one
    committed, so a burst of webhooks from one customer is written in turn instead of
    failing on version conflicts. Versions are still checked: a caller's stale write is
    still refused. A nested ``serialized`` on the same thread joins the block already open.

    The built-in stores: SQLite holds its one write transaction (``BEGIN IMMEDIATE``)
    for the block, so reads and commit are one transaction and every key is serialised;
    PostgreSQL holds an advisory lock on the key, taken with the first read and given
    back with the commit, at no extra round trip; memory holds its lock.
    """

    @abc.abstractmethod
    def serialized(self, key: str) -> AbstractContextManager[None]:
        """Serialise this thread's reads and commit with other writers of ``key``."""


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


# -- privacy and delivery ---------------------------------------------------------------------


class OutboxLeases(abc.ABC):
    """Optional capability: claim due notifications for one worker under a lease.

    Two workers draining :meth:`~handoff.stores.base.Store.due_notifications` at once both
    see the same pending notifications and send them twice. A claimed notification is
    leased to its worker until ``now + lease``, and no other claim returns it before the
    lease expires. Marking it ``sent``, ``failed`` or ``cancelled`` ends the lease for
    good; a worker that dies without doing so loses the lease when it expires, and the
    notification is claimed again (at least once delivery).
    """

    @abc.abstractmethod
    def claim_notifications(
        self, worker: str, now: datetime, *, limit: int, lease: timedelta, audience: str | None = None
    ) -> list[Notification]:
        """Pending notifications with ``send_at <= now`` that no worker holds a lease on
        at ``now``, earliest first, at most ``limit``; each is leased to ``worker`` until
        ``now + lease``, in the same transaction that chose it, so two concurrent claims
        never return the same notification (arguments as
        :func:`~handoff.stores.rules.check_claim` checks them). With ``audience``
        (``customer`` or ``team``) only notifications for that audience are claimed."""


class ErasureScrub(abc.ABC):
    """Optional capability: erase a contact, then scrub the copies a database keeps of it.

    Deleting rows is not the end of them. SQLite keeps images of the pages as they were
    in its write-ahead log until a checkpoint copies the log back and truncates it, which
    a reader holding an old snapshot can delay; PostgreSQL keeps dead row versions in the
    table files until ``VACUUM`` frees them, and the erased values in its WAL until the
    segments are recycled (and in any backup or WAL archive for as long as those are kept).
    """

    @abc.abstractmethod
    def erase_contact_scrubbed(self, contact_id: str, *, vacuum: bool = True) -> Erasure:
        """Like :meth:`~handoff.stores.base.Store.erase_contact`, then remove old copies
        where it can without waiting on other connections. Once the rows are deleted it
        never raises: what it could not remove is reported in the result.
        ``vacuum=False`` skips a ``VACUUM`` (PostgreSQL), which reads the touched tables whole."""


class RecordPages(abc.ABC):
    """Optional capability: a journey's interactions page by page.

    A journey of a hundred thousand interactions does not fit in memory as models at
    once; paged histories and the streamed export of :mod:`handoff.privacy` read it
    page by page from a store with this capability.
    """

    @abc.abstractmethod
    def interactions_page(self, journey_id: str, *, after: int = 0, limit: int = 100) -> list[Interaction]:
        """The journey's interactions with ``sequence > after``, by sequence, at most ``limit``;
        the next page starts after the last one's sequence. An unknown journey has none."""


# -- callbacks ----------------------------------------------------------------------------------


class CallbackBook(abc.ABC):
    """Optional capability: keep scheduled callbacks (``Switchboard.schedule_callback``).

    A store with it writes ``Changeset.callbacks`` and ``Changeset.cancelled_notifications``
    in the same transaction as the rest of the changeset, enforcing
    :func:`~handoff.stores.rules.check_callback_write` on each callback, and erases a
    contact's callbacks with the contact. The switchboard's callback verbs refuse a store
    without it (:class:`~handoff.errors.StoreUnavailable`); everything else works as before.
    """

    @abc.abstractmethod
    def callbacks(self, journey_id: str) -> list[Callback]:
        """A journey's callbacks by time (``at``, then id); an unknown journey has none."""

    @abc.abstractmethod
    def get_callback(self, callback_id: str) -> Callback:
        """The callback with this id; NotFound if there is none."""

    @abc.abstractmethod
    def scheduled_callbacks(self, before: datetime, *, limit: int | None = None) -> list[Callback]:
        """Callbacks still ``scheduled`` whose ``at`` is at or before ``before``, earliest
        first (``at``, then id); at most ``limit``. The periodic tick reads this."""

    @abc.abstractmethod
    def callbacks_between(self, start: datetime, end: datetime) -> list[Callback]:
        """Every callback with ``start <= at < end``, by ``at`` then id (what reports read)."""
