"""The outbox of an :class:`~handoff.aio.AsyncSwitchboard`: the same verbs, awaited."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from handoff.aio._native import answer
from handoff.aio._worker import Worker
from handoff.clock import Clock
from handoff.flow.drain import due_steps, mark_steps
from handoff.models import Notification
from handoff.outbox import Outbox
from handoff.stores.rules import check_audience, check_claim

if TYPE_CHECKING:
    from handoff.stores.postgres._async import AsyncPostgresStore

__all__ = ["AsyncOutbox"]


class AsyncOutbox:
    """Drain it from a task: ``for n in await outbox.due(): await send(n); await outbox.ack(n.id)``.

    Each verb is :class:`~handoff.outbox.Outbox`'s own, run on the board's worker; on
    PostgreSQL, on the asyncio connection pool instead, with the same checks.
    """

    def __init__(self, outbox: Outbox, worker: Worker) -> None:
        self._outbox = outbox
        self._worker = worker

    async def due(
        self, now: datetime | None = None, *, limit: int = 100, audience: str | None = "customer"
    ) -> list[Notification]:
        """Pending notifications whose ``send_at`` has passed, earliest first (see
        :meth:`handoff.outbox.Outbox.due` for ``audience``)."""
        return await self._worker.run(self._outbox.due, now, limit=limit, audience=audience)

    async def claim(
        self,
        worker: str,
        *,
        limit: int = 100,
        lease: timedelta = timedelta(minutes=5),
        now: datetime | None = None,
        audience: str | None = "customer",
    ) -> list[Notification]:
        """Due notifications leased to ``worker`` (see :meth:`handoff.outbox.Outbox.claim`)."""
        return await self._worker.run(
            self._outbox.claim, worker, limit=limit, lease=lease, now=now, audience=audience
        )

    async def get(self, notification_id: str) -> Notification:
        return await self._worker.run(self._outbox.get, notification_id)

    async def ack(
        self, notification_id: str, at: datetime | None = None, *, provider_id: str | None = None
    ) -> Notification:
        """Mark a notification as sent, with the provider's message id when there is one."""
        return await self._worker.run(self._outbox.ack, notification_id, at, provider_id=provider_id)

    async def fail(self, notification_id: str, at: datetime | None = None) -> Notification:
        """Mark a notification as failed (the provider refused it); it is not retried."""
        return await self._worker.run(self._outbox.fail, notification_id, at)

    async def cancel(self, notification_id: str, at: datetime | None = None) -> Notification:
        return await self._worker.run(self._outbox.cancel, notification_id, at)


class NativeOutbox(AsyncOutbox):
    """:class:`AsyncOutbox` on an asyncio PostgreSQL store: no thread between the loop
    and the server. Arguments are checked as :class:`~handoff.outbox.Outbox` checks them."""

    def __init__(self, outbox: Outbox, worker: Worker, store: AsyncPostgresStore, clock: Clock) -> None:
        super().__init__(outbox, worker)
        self._store = store
        self._clock = clock

    async def due(
        self, now: datetime | None = None, *, limit: int = 100, audience: str | None = "customer"
    ) -> list[Notification]:
        return await answer(self._store, due_steps(now, limit, audience, self._clock))

    async def claim(
        self,
        worker: str,
        *,
        limit: int = 100,
        lease: timedelta = timedelta(minutes=5),
        now: datetime | None = None,
        audience: str | None = "customer",
    ) -> list[Notification]:
        when = self._clock.now() if now is None else now
        worker, when, limit, lease = check_claim(worker, when, limit, lease)
        audience = check_audience(audience)
        return await self._store.claim_notifications(
            worker, when, limit=limit, lease=lease, audience=audience
        )

    async def get(self, notification_id: str) -> Notification:
        return await self._store.get_notification(notification_id)

    async def ack(
        self, notification_id: str, at: datetime | None = None, *, provider_id: str | None = None
    ) -> Notification:
        return await self._mark(notification_id, "sent", at, provider_id)

    async def fail(self, notification_id: str, at: datetime | None = None) -> Notification:
        return await self._mark(notification_id, "failed", at)

    async def cancel(self, notification_id: str, at: datetime | None = None) -> Notification:
        return await self._mark(notification_id, "cancelled", at)

    async def _mark(
        self, notification_id: str, status: str, at: datetime | None, provider_id: str | None = None
    ) -> Notification:
        return await answer(self._store, mark_steps(notification_id, status, at, provider_id, self._clock))
