"""The outbox's verbs as steps, for the blocking and the asyncio outbox alike.

:class:`~handoff.outbox.Outbox` answers these asks (see :mod:`handoff.flow.read`) from
its store, the asyncio outbox on PostgreSQL from its asyncio store: both check the same
arguments, refuse them with the same messages, and read and write the same way.
"""

from __future__ import annotations

from datetime import datetime

from handoff.clock import Clock, ensure_aware
from handoff.errors import ValidationError
from handoff.flow.read import Steps
from handoff.models import Notification
from handoff.stores.rules import check_audience

__all__ = ["due_steps", "mark_steps"]


def due_steps(
    now: datetime | None, limit: int, audience: str | None, clock: Clock
) -> Steps[list[Notification]]:
    """Pending notifications of ``audience`` (``None``: every one) whose ``send_at`` has
    passed at ``now`` (default: the clock's now), earliest first, at most ``limit``."""
    when = clock.now() if now is None else ensure_aware(now, "now")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError("limit", f"expected a whole number >= 1, got {limit!r}")
    audience = check_audience(audience)
    if audience is None:
        due: list[Notification] = yield ("due_notifications", (when,), {"limit": limit})
        return due
    wanted = limit
    while True:  # the store lists every audience: read on until enough are this one's
        due = yield ("due_notifications", (when,), {"limit": wanted})
        mine = [n for n in due if n.audience == audience]
        if len(mine) >= limit or len(due) < wanted:
            return mine[:limit]
        wanted *= 4


def mark_steps(
    notification_id: str, status: str, at: datetime | None, provider_id: str | None, clock: Clock
) -> Steps[Notification]:
    """Mark a notification ``status`` at ``at`` (default: the clock's now); marking it
    again as it already stands changes nothing. ``provider_id``, the provider's id of
    the message sent, comes with ``sent``."""
    if provider_id is not None and (not isinstance(provider_id, str) or not provider_id.strip()):
        raise ValidationError("provider_id", f"expected the provider's message id, got {provider_id!r}")
    if not isinstance(notification_id, str) or not notification_id:
        raise ValidationError("notification_id", "expected a notification id")
    when = clock.now() if at is None else ensure_aware(at, "at")
    current: Notification = yield ("get_notification", (notification_id,), {})
    if current.status == status and provider_id in (None, current.provider_id):
        return current
    marked: Notification = yield (
        "mark_notification",
        (notification_id, status, when),
        {"provider_id": provider_id},
    )
    return marked
