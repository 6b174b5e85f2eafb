"""The switchboard for asyncio hosts (FastAPI, Starlette, aiohttp...).

A blocking ``Switchboard.receive`` inside an ``async def`` stalls the event loop: every
other request waits for the store. :class:`AsyncSwitchboard` has the same verbs as
coroutines.

Opened on PostgreSQL, the verbs that write one event (``receive``, ``ingest``,
``reply``, ``note``, ``transfer``, ``resolve``, ``rate``) and the outbox run on
psycopg's asyncio connection pool: the same reads, the same pure plan and the same
retries as the sync board (:mod:`handoff.aio._native`), with no thread in between.
Writers of one customer are serialised by the database (an advisory lock per contact
or identity). Every other verb runs the sync :class:`~handoff.Switchboard`'s own on a
worker thread and awaits it.

Memory and SQLite run every verb that way, on one worker thread: one writer, calls in
the order they were made.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import IO, Any, Concatenate, ParamSpec, TypeVar

from handoff import privacy
from handoff.aio._native import Native
from handoff.aio._outbox import AsyncOutbox, NativeOutbox
from handoff.aio._worker import Worker
from handoff.clock import Clock
from handoff.errors import StoreError, ValidationError
from handoff.events import Inbound, JourneyOutcome, TickOutcome
from handoff.flow import verbs
from handoff.flow.contacts import UNSET
from handoff.identity import Identity
from handoff.ingest.base import Parsed
from handoff.models import (
    Callback,
    Contact,
    ContextSummary,
    Handoff,
    Initiator,
    Interaction,
    Journey,
    Priority,
)
from handoff.policy.decision import Decision
from handoff.policy.engine import Policy
from handoff.stores.base import Store
from handoff.summary import SummarySpec
from handoff.switchboard import Switchboard

__all__ = ["AsyncSwitchboard"]

T = TypeVar("T")
P = ParamSpec("P")
_POSTGRES_URLS = ("postgresql://", "postgres://")

# PostgresStore's default pool: one worker thread per connection it may hold.
_POSTGRES_WORKERS = 8


def _workers_for(store: Store) -> int:
    """One writer, unless the store serialises its writers itself across threads."""
    postgres = sys.modules.get("handoff.stores.postgres")  # loaded by any PostgresStore
    if postgres is not None and isinstance(store, postgres.PostgresStore):
        return _POSTGRES_WORKERS
    return 1


class AsyncSwitchboard:
    """A :class:`~handoff.Switchboard` whose verbs are awaited.

    >>> board = await AsyncSwitchboard.open("sqlite:///support.db")
    >>> outcome = await board.receive(inbound)
    >>> await board.aclose()

    or ``async with await AsyncSwitchboard.open(url) as board: ...``. Every verb checks
    its arguments and raises exactly as the sync board's does.

    Opened on a ``postgresql://`` URL, the board holds two pools on the same schema:
    psycopg's ``AsyncConnectionPool`` for ``receive``, ``ingest`` (its messages), the
    agent verbs (``reply``, ``note``, ``transfer``, ``resolve``, ``rate``) and the
    outbox (``due``, ``claim``, ``get``, ``ack``, ``fail``, ``cancel``); and the sync
    store's pool, on worker threads, for the rest: look-ups and history, ``tick``,
    ``explain``, ``link``/``unlink``/``update_contact``, ``receive_many``, exports and
    erasure, delivery reports.

    Wrapping a board built by hand works too,
    ``AsyncSwitchboard(Switchboard(store, policy, clock=...))``, and runs every verb on
    worker threads. ``workers`` is the number of threads (one for memory and SQLite,
    eight for PostgreSQL unless told otherwise).
    """

    def __init__(self, board: Switchboard, *, workers: int | None = None) -> None:
        if not isinstance(board, Switchboard):
            raise ValidationError(
                "board", f"expected a Switchboard (or use AsyncSwitchboard.open), got {type(board).__name__}"
            )
        self._board = board
        self._worker = Worker(_workers_for(board.store) if workers is None else workers)
        self.outbox: AsyncOutbox = AsyncOutbox(board.outbox, self._worker)
        self._native: Native | None = None
        self._calls: set[asyncio.Future[Any]] = set()  # native calls under way
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False

    @classmethod
    async def open(
        cls, url: str, policy: Policy | None = None, *, workers: int | None = None, **kwargs: Any
    ) -> AsyncSwitchboard:
        """Open a store by URL on a worker thread (migrations, a connection pool) and wrap it;
        on PostgreSQL, open the asyncio pool as well.

        ``kwargs`` are :class:`~handoff.Switchboard`'s (``clock``, ``ids``, ``sentiment``...).
        """
        opening = Worker(1)
        try:
            board = await opening.run(Switchboard.open, url, policy, **kwargs)
        finally:
            await opening.close(lambda: None)
        opened = cls(board, workers=workers)
        if url.startswith(_POSTGRES_URLS):
            try:
                from handoff.stores.postgres._async import AsyncPostgresStore

                store = await AsyncPostgresStore.from_url(url)
            except BaseException:
                await opened.aclose()
                raise
            opened._native = Native(board, store, opened._worker)
            opened.outbox = NativeOutbox(board.outbox, opened._worker, store, board.clock)
        return opened

    # -- what the sync board holds ---------------------------------------------------
    @property
    def store(self) -> Store:
        """The store the board writes to (blocking: call it from a worker, not the loop)."""
        return self._board.store

    @property
    def policy(self) -> Policy:
        return self._board.policy

    @property
    def clock(self) -> Clock:
        return self._board.clock

    @property
    def sync(self) -> Switchboard:
        """The sync board behind this one (for code that runs on a thread of its own)."""
        return self._board

    # -- lifetime --------------------------------------------------------------------
    async def aclose(self) -> None:
        """Wait for the calls already made, then close the store; closing twice is harmless."""
        self._closed = True
        await self._idle.wait()
        try:
            await self._worker.close(self._board.close)
        finally:
            if self._native is not None:
                await self._native.store.close()

    async def __aenter__(self) -> AsyncSwitchboard:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _call(self, call: Callable[[Native], Awaitable[T]]) -> T:
        """``call`` on the native path, as a task of its own that :meth:`aclose` waits for.

        Cancelling the awaiting task does not stop a call already started, as on a
        worker thread: a write either commits whole or not at all, whoever still waits."""
        assert self._native is not None
        if self._closed:
            raise StoreError("the asyncio switchboard is closed")
        task = asyncio.ensure_future(call(self._native))
        self._calls.add(task)
        self._idle.clear()
        task.add_done_callback(self._done)
        return await asyncio.shield(task)

    async def _either(
        self,
        native: Callable[Concatenate[Native, P], Awaitable[T]],
        blocking: Callable[Concatenate[Switchboard, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``native`` on the asyncio pool when the board has one (see :meth:`_call`), else
        the sync board's ``blocking`` on a worker thread; the same arguments either way."""
        if self._native is not None:
            return await self._call(lambda on: native(on, *args, **kwargs))
        return await self._worker.run(blocking, self._board, *args, **kwargs)

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._calls.discard(task)
        if not self._calls:
            self._idle.set()
        if not task.cancelled():
            task.exception()  # retrieved: its caller may have stopped waiting

    # -- customers write in ------------------------------------------------------------
    async def receive(self, inbound: Inbound, *, priority: Priority | None = None) -> JourneyOutcome:
        """Record what arrived on a channel (see :meth:`handoff.Switchboard.receive`)."""
        inbound = verbs.with_priority(inbound, priority)
        return await self._either(Native.receive, Switchboard.receive, inbound)

    async def receive_many(
        self,
        inbounds: Iterable[Inbound],
        *,
        batch_size: int = 500,
        notify: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> list[JourneyOutcome]:
        """Backfill history (see :meth:`handoff.Switchboard.receive_many`).

        ``inbounds`` is read, and ``progress`` called, on the worker thread.
        """
        return await self._worker.run(
            self._board.receive_many, inbounds, batch_size=batch_size, notify=notify, progress=progress
        )

    async def ingest(self, parsed: Parsed) -> list[JourneyOutcome]:
        """Apply what a channel adapter parsed (see :meth:`handoff.Switchboard.ingest`)."""
        return await self._either(Native.ingest, Switchboard.ingest, parsed)

    async def tick(self, now: datetime | None = None, *, limit: int | None = None) -> TickOutcome:
        """Evaluate the time-based rules (see :meth:`handoff.Switchboard.tick`)."""
        return await self._worker.run(self._board.tick, now, limit=limit)

    async def explain(self, notification_id: str) -> Decision:
        """The policy decision behind a notification."""
        return await self._worker.run(self._board.explain, notification_id)

    # -- agents act ------------------------------------------------------------------------
    async def reply(
        self,
        journey_id: str,
        *,
        agent: str,
        body: str,
        channel: str | None = None,
        at: datetime | None = None,
        external_id: str | None = None,
        bot: bool = False,
    ) -> JourneyOutcome:
        """Record an agent's (or a bot's) reply (see :meth:`handoff.Switchboard.reply`)."""
        return await self._either(
            Native.reply,
            Switchboard.reply,
            journey_id,
            agent=agent,
            body=body,
            channel=channel,
            at=at,
            external_id=external_id,
            bot=bot,
        )

    async def note(
        self, journey_id: str, *, agent: str, body: str, at: datetime | None = None
    ) -> JourneyOutcome:
        """Add an internal note, shown to the next agent, never sent."""
        return await self._either(Native.note, Switchboard.note, journey_id, agent=agent, body=body, at=at)

    async def transfer(
        self,
        journey_id: str,
        *,
        to_channel: str,
        reason: str,
        by: str,
        to_agent: str | None = None,
        at: datetime | None = None,
        warm: bool = True,
        initiated_by: Initiator = "agent",
        to_role: str | None = None,
        priority: Priority | None = None,
    ) -> JourneyOutcome:
        """Hand the journey to another channel and/or agent (see :meth:`handoff.Switchboard.transfer`)."""
        return await self._either(
            Native.transfer,
            Switchboard.transfer,
            journey_id,
            to_channel=to_channel,
            reason=reason,
            by=by,
            to_agent=to_agent,
            at=at,
            warm=warm,
            initiated_by=initiated_by,
            to_role=to_role,
            priority=priority,
        )

    async def prioritize(
        self, journey_id: str, priority: Priority, *, by: str | None = None, at: datetime | None = None
    ) -> JourneyOutcome:
        """Set the journey's priority (see :meth:`handoff.Switchboard.prioritize`)."""
        return await self._either(
            Native.prioritize, Switchboard.prioritize, journey_id, priority, by=by, at=at
        )

    async def resolve(self, journey_id: str, *, by: str, at: datetime | None = None) -> JourneyOutcome:
        """Mark the journey resolved; the policy may schedule a survey."""
        return await self._either(Native.resolve, Switchboard.resolve, journey_id, by=by, at=at)

    async def rate(
        self,
        journey_id: str,
        *,
        csat: int | None = None,
        nps: int | None = None,
        ces: int | None = None,
        channel: str | None = None,
        at: datetime | None = None,
        comment: str | None = None,
    ) -> JourneyOutcome:
        """Record the customer's survey answers: CSAT 1-5, NPS 0-10, CES 1-7."""
        return await self._either(
            Native.rate,
            Switchboard.rate,
            journey_id,
            csat=csat,
            nps=nps,
            ces=ces,
            channel=channel,
            at=at,
            comment=comment,
        )

    # -- callbacks ---------------------------------------------------------------------------
    async def schedule_callback(
        self,
        journey_id: str,
        at: datetime,
        *,
        channel: str = "phone",
        agent: str | None = None,
        now: datetime | None = None,
    ) -> JourneyOutcome:
        """Book a call to the customer at ``at``; the outcome's ``callback``."""
        return await self._worker.run(
            self._board.schedule_callback, journey_id, at, channel=channel, agent=agent, now=now
        )

    async def callback_slots(
        self, journey_id: str, count: int = 3, now: datetime | None = None
    ) -> list[datetime]:
        """The next ``count`` slots :meth:`schedule_callback` accepts for this journey."""
        return await self._worker.run(self._board.callback_slots, journey_id, count, now)

    async def record_callback(
        self, callback_id: str, *, reached: bool, at: datetime | None = None
    ) -> JourneyOutcome:
        """Record how a callback went: reached closes it, not reached lets the policy offer another slot."""
        return await self._worker.run(self._board.record_callback, callback_id, reached=reached, at=at)

    async def cancel_callback(self, callback_id: str, *, at: datetime | None = None) -> JourneyOutcome:
        """Cancel a scheduled callback and its pending reminder."""
        return await self._worker.run(self._board.cancel_callback, callback_id, at=at)

    async def callbacks(self, journey_id: str) -> list[Callback]:
        """A journey's callbacks, by time."""
        return await self._worker.run(self._board.callbacks, journey_id)

    # -- contacts ----------------------------------------------------------------------------
    async def link(self, contact_id: str, identity: str | Identity, *, at: datetime | None = None) -> Contact:
        """Confirm that ``identity`` belongs to the contact (an agent checked it)."""
        return await self._worker.run(self._board.link, contact_id, identity, at=at)

    async def unlink(self, contact_id: str, identity: str | Identity) -> Contact:
        """Undo a wrong link; the contact's journeys and every other identity stay."""
        return await self._worker.run(self._board.unlink, contact_id, identity)

    async def update_contact(
        self,
        contact_id: str,
        *,
        name: str | None = UNSET,
        timezone: str = UNSET,
        language: str | None = UNSET,
        preferred_channels: Sequence[str] = UNSET,
        consent: Mapping[str, bool] = UNSET,
        quiet_hours: tuple[str, str] | None = UNSET,
    ) -> Contact:
        """Change a contact's profile (see :meth:`handoff.Switchboard.update_contact`)."""
        return await self._worker.run(
            self._board.update_contact,
            contact_id,
            name=name,
            timezone=timezone,
            language=language,
            preferred_channels=preferred_channels,
            consent=consent,
            quiet_hours=quiet_hours,
        )

    # -- privacy -----------------------------------------------------------------------------
    async def export_contact(self, contact_id: str) -> dict[str, Any]:
        """Everything held about a person, as JSON-ready data (a data-access request)."""
        return await self._worker.run(self._board.export_contact, contact_id)

    async def write_export(self, contact_id: str, out: IO[str]) -> int:
        """Write everything held about a person to ``out`` as JSON Lines, a page at a time;
        the number of lines. ``out`` is written on the worker thread."""
        return await self._worker.run(self._board.write_export, contact_id, out)

    async def erase_contact(self, contact_id: str, *, vacuum: bool = True) -> privacy.Erasure:
        """Remove a person and all their journeys from the store (a right-to-erasure request;
        see :meth:`handoff.Switchboard.erase_contact`)."""
        try:
            return await self._worker.run(self._board.erase_contact, contact_id, vacuum=vacuum)
        finally:
            if self._native is not None:
                self._native.store.forget()  # not even this process keeps a decoded copy

    # -- reading back ----------------------------------------------------------------------
    async def journey(self, journey_id: str) -> Journey:
        """A journey by id or by its customer-facing reference (``J-7F3K9``)."""
        return await self._worker.run(self._board.journey, journey_id)

    async def contact(self, contact_id: str) -> Contact:
        return await self._worker.run(self._board.contact, contact_id)

    async def find_contact(self, identity: str | Identity) -> Contact | None:
        return await self._worker.run(self._board.find_contact, identity)

    async def journeys(self, contact_id: str) -> list[Journey]:
        """A contact's journeys, oldest first."""
        return await self._worker.run(self._board.journeys, contact_id)

    async def history(
        self, journey_id: str, *, after: int | None = None, limit: int | None = None
    ) -> list[Interaction]:
        """A journey's interactions, on every channel, in time order (see
        :meth:`handoff.Switchboard.history` for ``after`` and ``limit``)."""
        return await self._worker.run(self._board.history, journey_id, after=after, limit=limit)

    async def handoffs(self, journey_id: str) -> list[Handoff]:
        return await self._worker.run(self._board.handoffs, journey_id)

    async def summary(
        self,
        journey_id: str,
        *,
        for_channel: str,
        spec: SummarySpec | None = None,
        now: datetime | None = None,
        role: str | None = None,
    ) -> ContextSummary:
        """The context summary a receiving agent on ``for_channel`` would get now."""
        return await self._worker.run(
            self._board.summary, journey_id, for_channel=for_channel, spec=spec, now=now, role=role
        )
