"""The outbox: notifications waiting for the host application to send them."""

from __future__ import annotations

from datetime import datetime

from handoff.clock import Clock, ensure_aware
from handoff.errors import ValidationError
from handoff.models import Notification
from handoff.stores.base import Store

__all__ = ["Outbox"]


class Outbox:
    """Drain it from a worker: ``for n in outbox.due(now): send(n); outbox.ack(n.id)``.

    ``handoff`` never sends anything itself, so delivery stays in the host's hands
    (its providers, its retries); a notification is acknowledged only once it was sent.
    """

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def due(self, now: datetime | None = None, *, limit: int = 100) -> list[Notification]:
        """Pending notifications whose ``send_at`` has passed, earliest first."""
        when = self._clock.now() if now is None else ensure_aware(now, "now")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValidationError("limit", f"expected a whole number >= 1, got {limit!r}")
        return self._store.due_notifications(when, limit=limit)

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
        if provider_id is not None and (not isinstance(provider_id, str) or not provider_id.strip()):
            raise ValidationError("provider_id", f"expected the provider's message id, got {provider_id!r}")
        return self._mark(notification_id, "sent", at, provider_id)

    def fail(self, notification_id: str, at: datetime | None = None) -> Notification:
        """Mark a notification as failed (the provider refused it); it is not retried."""
        return self._mark(notification_id, "failed", at)

    def cancel(self, notification_id: str, at: datetime | None = None) -> Notification:
        return self._mark(notification_id, "cancelled", at)

    def _mark(
        self, notification_id: str, status: str, at: datetime | None, provider_id: str | None = None
    ) -> Notification:
        if not isinstance(notification_id, str) or not notification_id:
            raise ValidationError("notification_id", "expected a notification id")
        when = self._clock.now() if at is None else ensure_aware(at, "at")
        current = self._store.get_notification(notification_id)
        if current.status == status and provider_id in (None, current.provider_id):
            return current
        return self._store.mark_notification(notification_id, status, when, provider_id=provider_id)
