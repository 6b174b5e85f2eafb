"""The write path awaited on an asyncio store, with the sync board's plan and retries.

Each verb's attempt is a generator of asks (:class:`~handoff.flow.run.Flow`'s steps,
chosen by :mod:`handoff.flow.verbs`): the reads it needs, the pure plan, the commit.
:func:`answer` answers each ask with the asyncio store's coroutine of the same name,
inside the store's serialised section for the verb's key, and :func:`retry` retries an
attempt on a conflict with the pauses of :func:`handoff.flow.run.pause`. So the async
board reads, decides and writes exactly what the sync board does, and only the waiting
differs.

Arguments are checked before anything is asked, with the sync board's own checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from handoff.errors import ConcurrencyConflict, HandoffError
from handoff.events import Inbound, JourneyOutcome
from handoff.flow import verbs
from handoff.flow.intake import inbound_identity
from handoff.flow.read import Steps
from handoff.flow.run import Flow, pause
from handoff.flow.run import retry as retry_blocking
from handoff.flow.upkeep import apply_delivery
from handoff.ingest.base import Parsed
from handoff.models import Initiator, Journey, Priority
from handoff.switchboard import Switchboard

if TYPE_CHECKING:
    from handoff.aio._worker import Worker
    from handoff.stores.postgres._async import AsyncPostgresStore

__all__ = ["Native", "answer", "retry"]

T = TypeVar("T")


async def answer(store: object, steps: Steps[T]) -> T:
    """Run ``steps``, answering each ask with ``store``'s coroutine of that name."""
    try:
        asked = next(steps)
        while True:
            name, args, kwargs = asked
            asked = steps.send(await getattr(store, name)(*args, **kwargs))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def retry(attempt: Callable[[], Awaitable[T]], retries: int) -> T:
    """:func:`handoff.flow.run.retry`, awaited: the pauses let the loop run."""
    for tries in range(retries + 1):
        try:
            return await attempt()
        except ConcurrencyConflict:
            if tries == retries:
                raise
            await asyncio.sleep(pause(tries))
    raise AssertionError("unreachable")  # pragma: no cover


class Native:
    """The verbs of one write each that an :class:`~handoff.aio.AsyncSwitchboard` on
    PostgreSQL runs on ``store`` (its asyncio pool) rather than on a worker thread."""

    def __init__(self, board: Switchboard, store: AsyncPostgresStore, worker: Worker) -> None:
        self.board = board
        self.store = store
        self._worker = worker
        self._flow = Flow(board.store, board.policy, board.ids, board.sentiment)

    async def _event(self, key: str, steps: Callable[[], Steps[T]]) -> T:
        """One attempt after another of ``steps()``, each a serialised writer of ``key``."""

        async def once() -> T:
            async with self.store.serialized(key):
                return await answer(self.store, steps())

        return await retry(once, self.board.max_retries)

    async def journey(self, key: str) -> Journey:
        """A journey by id or reference, as ``Switchboard.journey`` finds it."""
        return await answer(self.store, verbs.journey_steps(key))

    # -- customers ---------------------------------------------------------------------
    async def receive(self, inbound: Inbound) -> JourneyOutcome:
        identity = inbound_identity(inbound, self.board.default_region)
        clock = self.board.clock
        return await self._event(
            str(identity), lambda: self._flow.receive_steps(inbound, identity, clock.now(), pooled=True)
        )

    async def ingest(self, parsed: Parsed) -> list[JourneyOutcome]:
        """``Switchboard.ingest``: inbounds received here, delivery reports (rare, and
        touching the outbox by provider id) applied on the board's worker thread."""
        verbs.check_parsed(parsed)
        outcomes: list[JourneyOutcome] = []
        failures: list[str] = []
        for i, inbound in enumerate(parsed.inbounds):
            try:
                outcomes.append(await self.receive(inbound))
            except HandoffError as exc:
                failures.append(f"$.inbounds[{i}]: {exc}")
        board = self.board
        for i, event in enumerate(parsed.events):
            try:
                await self._worker.run(
                    retry_blocking,
                    lambda: apply_delivery(self._flow, event, board.clock.now()),  # noqa: B023
                    board.max_retries,
                )
            except HandoffError as exc:
                failures.append(f"$.events[{i}]: {exc}")
        return verbs.ingested(outcomes, failures)

    # -- agents ------------------------------------------------------------------------
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
        act = verbs.reply(
            self._flow,
            self.board.clock,
            agent=agent,
            body=body,
            channel=channel,
            at=at,
            external_id=external_id,
            bot=bot,
        )
        return await self._agent(journey_id, act)

    async def note(
        self, journey_id: str, *, agent: str, body: str, at: datetime | None = None
    ) -> JourneyOutcome:
        act = verbs.note(self._flow, self.board.clock, agent=agent, body=body, at=at)
        return await self._agent(journey_id, act)

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
        act = verbs.transfer(
            self._flow,
            self.board.clock,
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
        return await self._agent(journey_id, act)

    async def prioritize(
        self, journey_id: str, priority: Priority, *, by: str | None = None, at: datetime | None = None
    ) -> JourneyOutcome:
        act = verbs.prioritize(self._flow, self.board.clock, priority, by=by, at=at)
        return await self._agent(journey_id, act)

    async def resolve(self, journey_id: str, *, by: str, at: datetime | None = None) -> JourneyOutcome:
        return await self._agent(journey_id, verbs.resolve(self._flow, self.board.clock, by=by, at=at))

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
        act = verbs.rate(
            self._flow, self.board.clock, csat=csat, nps=nps, ces=ces, channel=channel, at=at, comment=comment
        )
        return await self._agent(journey_id, act)

    async def _agent(self, journey_id: str, act: verbs.Act) -> JourneyOutcome:
        """An agent verb: find the journey, then one serialised attempt per try, as
        ``Switchboard`` does (the journey is found again on every try)."""
        clock = self.board.clock

        async def once() -> JourneyOutcome:
            journey = await self.journey(journey_id)
            async with self.store.serialized(journey.contact_id):
                return await answer(self.store, act(journey, clock.now()))

        return await retry(once, self.board.max_retries)
