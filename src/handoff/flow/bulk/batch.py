"""Backfilling history: many inbounds, planned exactly as ``receive`` plans one, in batches.

The same :class:`~handoff.flow.run.Flow` plans every inbound, so ``receive`` and
``receive_many`` cannot drift apart. What differs is where the plans go: into an
:class:`~handoff.flow.bulk.overlay.Overlay`, a store that reads through to the real one
but keeps the batch's own writes, so the planner sees them (a customer's second
message joins the journey the first one opened; a redelivery inside the batch is a
duplicate). A full batch is merged to one changeset per journey
(:func:`~handoff.flow.bulk.coalesce.coalesce`), its appended rows kept in the order
they were planned, and committed with one
:meth:`~handoff.stores.base.BulkImport.commit_many`; a conflict with another writer
plans the whole batch again. Only one batch is ever held in memory. Without
notifications (``notify=False``, the default) the plan skips what only a live event
needs (the policy outside channel switches, the decision log), and says so in each
outcome's trace.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from handoff.clock import IdFactory
from handoff.errors import ConcurrencyConflict, HandoffError, StoreError, ValidationError
from handoff.events import Inbound, JourneyOutcome
from handoff.flow.bulk.coalesce import coalesce
from handoff.flow.bulk.memo import Memo
from handoff.flow.bulk.overlay import Overlay
from handoff.flow.intake import inbound_identity
from handoff.flow.plan import Sentiment
from handoff.flow.run import Flow, retry
from handoff.identity import Identity
from handoff.policy.engine import Policy
from handoff.stores.base import BulkImport, Store

__all__ = ["BulkIntake"]

ErrorHandler = Callable[[Inbound, HandoffError], None]


def _check_callable(value: object, field: str) -> None:
    """Refuse a callback that cannot be called now: it is first called once a batch is
    committed, too late to refuse the import."""
    if value is not None and not callable(value):
        raise ValidationError(field, f"expected a function or None, got {type(value).__name__}")


class BulkIntake:
    """Receive many inbounds in batched transactions; see :meth:`Switchboard.receive_many`.

    ``on_error``, when given, is told about an inbound that is refused (a bad identity,
    an unknown journey reference) and the import goes on without it; otherwise the
    error propagates and the batch it belongs to is not written. It may be called after
    later inbounds of the same batch were read: it gets the refused object itself.
    """

    def __init__(
        self,
        store: Store,
        policy: Policy,
        ids: IdFactory,
        now: Callable[[], datetime],
        *,
        sentiment: Sentiment | None = None,
        default_region: str | None = None,
        max_retries: int = 8,
        batch_size: int = 500,
        notify: bool = False,
        progress: Callable[[int], None] | None = None,
        on_error: ErrorHandler | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValidationError("batch_size", f"expected a whole number >= 1, got {batch_size!r}")
        if not isinstance(notify, bool):
            raise ValidationError("notify", f"expected true or false, got {notify!r}")
        _check_callable(progress, "progress")
        _check_callable(on_error, "on_error")
        self._store = store
        self._policy = policy
        self._ids = ids
        self._now = now
        self._sentiment = sentiment
        self._region = default_region
        self._retries = max_retries
        self._batch_size = batch_size
        self._notify = notify
        self._progress = progress
        self._on_error = on_error
        self._done = 0
        self._memo = Memo()

    def receive(self, inbounds: Iterable[Inbound]) -> Iterator[JourneyOutcome]:
        """Outcomes in input order, yielded batch by batch once each batch is committed."""
        if isinstance(inbounds, (str, bytes, Inbound)) or not isinstance(inbounds, Iterable):
            raise ValidationError(
                "inbounds", f"expected an iterable of Inbound, got {type(inbounds).__name__}"
            )
        store = self._store
        if not isinstance(store, BulkImport):
            yield from self._one_by_one(inbounds)
            return
        # Read a batch ahead: its redeliveries are looked up at once. ``on_error`` hears of a
        # refused inbound by the object itself, so a caller tracks where each one came from.
        source = iter(inbounds)
        while chunk := list(itertools.islice(source, self._batch_size)):
            yield from self._ahead(store, chunk)

    # -- the batched path ----------------------------------------------------------------
    def _ahead(self, store: BulkImport, chunk: list[Inbound]) -> list[JourneyOutcome]:
        """Plan a batch read ahead, its redeliveries and the notifications of the journeys
        it continues looked up in one query each, and commit it."""
        overlay, flow = self._fresh()
        keys = [
            (inbound.channel, inbound.external_id)
            for inbound in chunk
            if isinstance(inbound, Inbound) and inbound.external_id is not None
        ]
        overlay.knows_interactions(keys, store.find_interactions(keys))
        identities = [self._identity(inbound) for inbound in chunk]
        # The customers the import does not remember are looked up at once: a new one
        # (most of them, in a backfill) is not looked up again.
        unknown = [
            identity
            for identity in dict.fromkeys(identities)
            if isinstance(identity, Identity) and overlay.memo.owner(identity) is None
        ]
        if unknown:
            overlay.knows_owners(unknown, store.stored_identities(unknown))
        # A channel switch (and, with notifications, every event) reads the journey's
        # notifications: those of every journey the import remembers for the batch's
        # customers are read at once. A journey found otherwise (by reference or thread,
        # or a contact no longer remembered) is read when planned.
        continued = list(
            dict.fromkeys(
                journey.id
                for identity in identities
                if isinstance(identity, Identity)
                for journey in overlay.stored_journeys(identity)
            )
        )
        if continued:
            overlay.knows_notifications(continued, store.notifications_of(continued))
        batch: list[tuple[Inbound, Identity]] = []
        outcomes: list[JourneyOutcome] = []
        now = self._now()
        for inbound, identity in zip(chunk, identities, strict=True):
            self._plan(flow, inbound, identity, now, batch, outcomes)
        return self._flush(store, overlay, batch, outcomes) if batch else []

    def _identity(self, inbound: Inbound) -> Identity | HandoffError:
        """The inbound's identity, or why it is refused (reported when its turn comes)."""
        try:
            return inbound_identity(inbound, self._region)
        except HandoffError as exc:
            return exc

    def _plan(
        self,
        flow: Flow,
        inbound: Inbound,
        identity: Identity | HandoffError,
        now: datetime,
        batch: list[tuple[Inbound, Identity]],
        outcomes: list[JourneyOutcome],
    ) -> None:
        """Plan one inbound into the batch, or report it refused."""
        try:
            if isinstance(identity, HandoffError):
                raise identity
            outcome = self._receive(flow, inbound, identity, now)
        except HandoffError as exc:
            self._refused(inbound, exc)
            return
        batch.append((inbound, identity))
        outcomes.append(outcome)

    def _receive(self, flow: Flow, inbound: Inbound, identity: Identity, now: datetime) -> JourneyOutcome:
        """One inbound planned into the batch; planned again (bounded) when the overlay
        refuses it, as a store refuses a new journey whose reference is taken."""
        return retry(lambda: flow.receive(inbound, identity, now), self._retries)

    def _fresh(self) -> tuple[Overlay, Flow]:
        """An empty overlay over the store, and a flow that plans into it."""
        overlay = Overlay(self._store, self._memo)
        return overlay, self._flow(overlay)

    def _flow(self, store: Store) -> Flow:
        return Flow(store, self._policy, self._ids, self._sentiment, notify=self._notify)

    def _refused(self, inbound: Inbound, error: HandoffError) -> None:
        """Report a refused inbound to ``on_error``; without one, or on a storage failure, raise."""
        if self._on_error is None or isinstance(error, (ConcurrencyConflict, StoreError)):
            raise error
        self._on_error(inbound, error)

    def _flush(
        self,
        store: BulkImport,
        overlay: Overlay,
        batch: list[tuple[Inbound, Identity]],
        outcomes: list[JourneyOutcome],
    ) -> list[JourneyOutcome]:
        """Commit the batch, planning it again (bounded) when another writer got there first."""
        retries = self._retries
        for tries in range(retries + 1):
            merged = coalesce(overlay.changes)
            try:
                store.commit_many(merged)
                self._memo.committed(merged)
                break
            except ConcurrencyConflict:  # DuplicateInteraction too: a rival stored one first
                self._memo.clear()
                if tries == retries:
                    raise
                time.sleep(random.uniform(0, 0.002 * (tries + 1)))
                overlay, flow = self._fresh()
                now = self._now()
                outcomes = [self._receive(flow, inbound, identity, now) for inbound, identity in batch]
        self._done += len(batch)
        if self._progress is not None:
            self._progress(self._done)
        return outcomes

    # -- one commit per inbound (a store without BulkImport) --------------------------------
    def _one_by_one(self, inbounds: Iterable[Inbound]) -> Iterator[JourneyOutcome]:
        flow = self._flow(self._store)
        for inbound in inbounds:
            try:
                identity = inbound_identity(inbound, self._region)
                now = self._now()
                outcome = retry(lambda: flow.receive(inbound, identity, now), self._retries)  # noqa: B023
            except HandoffError as exc:
                self._refused(inbound, exc)
                continue
            self._done += 1
            if self._progress is not None and self._done % self._batch_size == 0:
                self._progress(self._done)
            yield outcome
        if self._progress is not None and self._done % self._batch_size:
            self._progress(self._done)
