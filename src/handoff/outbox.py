"""The outbox: notifications waiting for the host application to send them."""

from __future__ import annotations

from datetime import datetime, timedelta

from handoff.clock import Clock
from handoff.errors import StoreError
from handoff.flow.drain import due_steps, mark_steps
from handoff.flow.read import ask
from handoff.models import Notification
from handoff.stores.base import Store
from handoff.stores.capabilities import OutboxLeases
from handoff.stores.rules import check_audience, check_claim

__all__ = ["Outbox"]


class Outbox:
    """Drain it from a worker: ``for n in outbox.claim("worker-1"): send(n); outbox.ack(n.id)``.

    ``handoff`` never sends anything itself, so delivery stays in the host's hands
    (its providers, its retries); a notification is acknowledged only once it was sent.
    With one sender, :meth:`due` lists what is due; with several, :meth:`claim` leases
    each due notification to one of them.
    """

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def due(
        self, now: datetime | None = None, *, limit: int = 100, audience: str | None = "customer"
    ) -> list[Notification]:
        """Pending notifications whose ``send_at`` has passed, earliest first.

        ``audience`` picks whose: ``customer`` (the default, so a sender that delivers to
        customers never sees a team alert), ``team`` (SLA alerts, for the host's own
        people) or ``None`` for both, each notification saying its ``audience``.
        """
        return ask(self._store, due_steps(now, limit, audience, self._clock))

    def claim(
        self,
        worker: str,
        *,
        limit: int = 100,
        lease: timedelta = timedelta(minutes=5),
        now: datetime | None = None,
        audience: str | None = "customer",
    ) -> list[Notification]:
        """Due notifications leased to ``worker``, earliest first: send each, then :meth:`ack`
        (or :meth:`fail`) it. ``audience`` is as for :meth:`due`: customers' by default,
        so a team alert is only ever claimed by a worker that asked for ``team``.

        Until the lease expires no other worker's claim returns them; one not acknowledged
        by then is claimed again (so a crash between sending and ``ack`` sends it twice:
        delivery is at least once, see the webhooks guide). The store must offer
        :class:`~handoff.stores.capabilities.OutboxLeases` (memory, SQLite and PostgreSQL do).
        """
        when = self._clock.now() if now is None else now
        worker, when, limit, lease = check_claim(worker, when, limit, lease)
        if not isinstance(self._store, OutboxLeases):
            raise StoreError(f"{type(self._store).__name__} cannot lease notifications; drain it with due()")
        audience = check_audience(audience)
        return self._store.claim_notifications(worker, when, limit=limit, lease=lease, audience=audience)

    def get(self, notification_id: str) -> Notification:
        return self._store.get_notification(notification_id)

    def ack(
        self, notification_id: str, at: datetime | None = None, *, provider_id: str | None = None
    ) -> Notification:
        """Mark a notification as sent; acknowledging twice is harmless.

        ``provider_id`` is the provider's id of the message sent (a Twilio MessageSid, a
        WhatsApp ``wamid``, an email Message-ID): with it, delivery reports that come back
        through ``Switchboard.ingest`` update this notification (delivered, read, failed).
        """
        return self._mark(notification_id, "sent", at, provider_id)

    def fail(self, notification_id: str, at: datetime | None = None) -> Notification:
        """Mark a notification as failed (the provider refused it); it is not retried."""
        return self._mark(notification_id, "failed", at)

    def cancel(self, notification_id: str, at: datetime | None = None) -> Notification:
        return self._mark(notification_id, "cancelled", at)

    def _mark(
        self, notification_id: str, status: str, at: datetime | None, provider_id: str | None = None
    ) -> Notification:
        return ask(self._store, mark_steps(notification_id, status, at, provider_id, self._clock))
