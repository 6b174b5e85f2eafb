"""Outbox leases kept in memory, under the store's lock."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta

from handoff.clock import micros
from handoff.models import Notification
from handoff.stores.capabilities import OutboxLeases
from handoff.stores.rules import check_audience, check_claim

__all__ = ["MemoryLeases"]

_Key = tuple[int, int, str]


class MemoryLeases(OutboxLeases):
    """For :class:`~handoff.stores.memory.MemoryStore`: leases by notification id."""

    _lock: threading.RLock
    _pending: list[_Key]
    _pending_keys: dict[str, _Key]
    _notifications: dict[str, Notification]
    _leases: dict[str, int]  # notification id -> lease end, UTC microseconds

    def claim_notifications(
        self, worker: str, now: datetime, *, limit: int, lease: timedelta, audience: str | None = None
    ) -> list[Notification]:
        worker, now, limit, lease = check_claim(worker, now, limit, lease)
        audience = check_audience(audience)
        stored = self._notifications
        cutoff, until = micros(now), micros(now + lease)
        with self._lock:
            leases = self._leases
            for ended in [key for key in leases if key not in self._pending_keys]:
                del leases[ended]  # sent, failed, cancelled or erased since
            due = itertools.takewhile(lambda key: key[0] <= cutoff, self._pending)
            free = (
                key[2]
                for key in due
                if leases.get(key[2], cutoff) <= cutoff
                and (audience is None or stored[key[2]].audience == audience)
            )
            claimed = list(itertools.islice(free, limit))
            for notification_id in claimed:
                leases[notification_id] = until
            return [self._notifications[notification_id] for notification_id in claimed]
