"""The write path awaited on an asyncio store, with the sync board's plan and retries.

Each verb of :class:`~handoff.flow.run.Flow` is a generator of asks (``*_steps``): the
reads it needs, the pure plan, the commit. :func:`answer` answers each ask with the
asyncio store's coroutine of the same name, inside the store's serialised section for
the verb's key, and :func:`retry` retries an attempt on a conflict with the pauses of
:func:`handoff.flow.run.pause`. So the async board reads, decides and writes exactly
what the sync board does, and only the waiting differs.

Arguments are checked before anything is asked, with the sync board's own checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from handoff import channels
from handoff._validate import require_text
from handoff.errors import ConcurrencyConflict, HandoffError, IngestError, NotFound, ValidationError
from handoff.events import Inbound, JourneyOutcome, survey_scores
from handoff.flow.intake import inbound_identity
from handoff.flow.read import Steps
from handoff.flow.run import Flow, pause
from handoff.flow.run import retry as retry_blocking
from handoff.flow.upkeep import apply_delivery
from handoff.ingest.base import Parsed
from handoff.masking import mask_secrets
from handoff.models import Initiator, Journey, Priority
from handoff.policy.situation import check_role
from handoff.switchboard import _AGENT_CAP, Switchboard, _reason, check_priority

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
        if not isinstance(key, str) or not key.strip():
            raise ValidationError("journey_id", f"expected a journey id or reference, got {key!r}")
        if key.upper().startswith("J-"):
            found = await self.store.find_journey_by_reference(key.strip().upper())
            if found is None:
                raise NotFound("journey", key)
            return found
        return await self.store.get_journey(key)

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
        if not isinstance(parsed, Parsed):
            raise ValidationError(
                "parsed", f"expected a Parsed from handoff.ingest, got {type(parsed).__name__}"
            )
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
        if failures:
            error = IngestError(failures[0].split(":", 1)[0], "; ".join(failures))
            error.outcomes = outcomes
            raise error
        return outcomes

    # -- agents ------------------------------------------------------------------------
    async def reply(
        self,
        journey_id: str,
        *,
        agent: str,
        body: str,
        channel: str | None,
        at: datetime | None,
        external_id: str | None,
        bot: bool,
    ) -> JourneyOutcome:
        agent = mask_secrets(require_text(agent, "agent", max_len=_AGENT_CAP))
        require_text(body, "body")
        if external_id is not None:
            require_text(external_id, "external_id", max_len=1000)
        if channel is not None:
            channels.get(channel)
        when = self.board._at(at)
        return await self._agent(
            journey_id,
            lambda journey, now: self._flow.reply_steps(
                journey,
                agent=agent,
                body=body,
                channel=channel,
                at=when,
                external_id=external_id,
                bot=bot,
                now=now,
            ),
        )

    async def note(self, journey_id: str, *, agent: str, body: str, at: datetime | None) -> JourneyOutcome:
        agent = mask_secrets(require_text(agent, "agent", max_len=_AGENT_CAP))
        require_text(body, "body")
        when = self.board._at(at)
        return await self._agent(
            journey_id,
            lambda journey, now: self._flow.note_steps(journey, agent=agent, body=body, at=when, now=now),
        )

    async def transfer(
        self,
        journey_id: str,
        *,
        to_channel: str,
        reason: str,
        by: str,
        to_agent: str | None,
        at: datetime | None,
        warm: bool,
        initiated_by: Initiator,
        to_role: str | None,
        priority: Priority | None = None,
    ) -> JourneyOutcome:
        check_role(to_role, "to_role")
        if priority is not None:
            check_priority(priority)
        channels.get(to_channel, "to_channel")
        _reason(reason)
        by = mask_secrets(require_text(by, "by", max_len=_AGENT_CAP))
        if to_agent is not None:
            to_agent = mask_secrets(require_text(to_agent, "to_agent", max_len=_AGENT_CAP))
        if initiated_by not in ("agent", "bot", "system"):
            raise ValidationError("initiated_by", f"must be agent, bot or system, got {initiated_by!r}")
        if not isinstance(warm, bool):
            raise ValidationError("warm", f"expected true or false, got {warm!r}")
        when = self.board._at(at)
        return await self._agent(
            journey_id,
            lambda journey, now: self._flow.transfer_steps(
                journey,
                to_channel=to_channel,
                reason=reason,
                by=by,
                to_agent=to_agent,
                at=when,
                warm=warm,
                initiated_by=initiated_by,
                to_role=to_role,
                now=now,
                priority=priority,
            ),
        )

    async def prioritize(
        self, journey_id: str, priority: Priority, *, by: str | None, at: datetime | None
    ) -> JourneyOutcome:
        check_priority(priority)
        if by is not None:
            by = mask_secrets(require_text(by, "by", max_len=_AGENT_CAP))
        when = self.board._at(at)
        return await self._agent(
            journey_id,
            lambda journey, now: self._flow.prioritize_steps(
                journey, priority=priority, by=by, at=when, now=now
            ),
        )

    async def resolve(self, journey_id: str, *, by: str, at: datetime | None) -> JourneyOutcome:
        by = mask_secrets(require_text(by, "by", max_len=_AGENT_CAP))
        when = self.board._at(at)
        return await self._agent(
            journey_id, lambda journey, now: self._flow.resolve_steps(journey, by=by, at=when, now=now)
        )

    async def rate(
        self,
        journey_id: str,
        *,
        csat: int | None,
        nps: int | None,
        ces: int | None,
        channel: str | None,
        at: datetime | None,
        comment: str | None,
    ) -> JourneyOutcome:
        scores = survey_scores(csat=csat, nps=nps, ces=ces)
        if comment is not None:
            require_text(comment, "comment", max_len=10_000)
        if channel is not None:
            channels.get(channel)
        when = self.board._at(at)
        return await self._agent(
            journey_id,
            lambda journey, now: self._flow.rate_steps(
                journey, scores=scores, comment=comment, channel=channel, at=when, now=now
            ),
        )

    async def _agent(
        self, journey_id: str, steps: Callable[[Journey, datetime], Steps[JourneyOutcome]]
    ) -> JourneyOutcome:
        """An agent verb: find the journey, then one serialised attempt per try, as
        ``Switchboard`` does (the journey is found again on every try)."""
        clock = self.board.clock

        async def once() -> JourneyOutcome:
            journey = await self.journey(journey_id)
            async with self.store.serialized(journey.contact_id):
                return await answer(self.store, steps(journey, clock.now()))

        return await retry(once, self.board.max_retries)
