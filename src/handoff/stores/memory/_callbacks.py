"""Scheduled callbacks kept in memory, under the store's lock."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from datetime import datetime

from handoff.clock import ensure_aware, micros
from handoff.errors import NotFound
from handoff.models import Callback, Journey, Notification
from handoff.stores.capabilities import CallbackBook
from handoff.stores.records import Changeset
from handoff.stores.rules import check_active_limit, check_callback_write, check_text

__all__ = ["MemoryCallbacks"]

_Key = tuple[int, str]  # (UTC microseconds of ``at``, callback id)


def _key(callback: Callback) -> _Key:
    return (micros(callback.at), callback.id)


class MemoryCallbacks(CallbackBook):
    """For :class:`~handoff.stores.memory.MemoryStore`: callbacks by id, by journey and
    the scheduled ones by time (what the tick reads)."""

    _lock: threading.RLock
    _journeys: dict[str, Journey]
    _notifications: dict[str, Notification]
    _callbacks: dict[str, Callback]
    _callbacks_of: dict[str, list[_Key]]
    _scheduled: list[_Key]
    _cancel_pending: Callable[[str], None]

    def callbacks(self, journey_id: str) -> list[Callback]:
        check_text(journey_id, "journey_id")
        with self._lock:
            return [self._callbacks[key[1]] for key in self._callbacks_of.get(journey_id, ())]

    def get_callback(self, callback_id: str) -> Callback:
        check_text(callback_id, "callback_id")
        with self._lock:
            found = self._callbacks.get(callback_id)
        if found is None:
            raise NotFound("callback", callback_id)
        return found

    def scheduled_callbacks(self, before: datetime, *, limit: int | None = None) -> list[Callback]:
        cutoff = micros(ensure_aware(before, "before"))
        limit = check_active_limit(limit)
        with self._lock:
            end = bisect.bisect_right(self._scheduled, (cutoff, "\U0010ffff"))
            keys = self._scheduled[:end] if limit is None else self._scheduled[: min(end, limit)]
            return [self._callbacks[key[1]] for key in keys]

    def callbacks_between(self, start: datetime, end: datetime) -> list[Callback]:
        low, high = micros(ensure_aware(start, "start")), micros(ensure_aware(end, "end"))
        with self._lock:
            found = [c for c in self._callbacks.values() if low <= micros(c.at) < high]
        return sorted(found, key=_key)

    # -- commit ------------------------------------------------------------------------------
    def _check_callbacks(self, changes: Changeset) -> None:
        new_journey = changes.journey.id if changes.journey is not None else None
        for callback in changes.callbacks:
            check_callback_write(self._callbacks.get(callback.id), callback)
            if callback.journey_id != new_journey and callback.journey_id not in self._journeys:
                raise NotFound("journey", callback.journey_id)

    def _apply_callbacks(self, changes: Changeset) -> None:
        for callback in changes.callbacks:
            key = _key(callback)
            if callback.id in self._callbacks:
                del self._scheduled[bisect.bisect_left(self._scheduled, key)]
            else:
                bisect.insort(self._callbacks_of.setdefault(callback.journey_id, []), key)
            if callback.status == "scheduled":
                bisect.insort(self._scheduled, key)
            self._callbacks[callback.id] = callback
        for notification_id in changes.cancelled_notifications:
            self._cancel_pending(notification_id)

    def _forget_callbacks(self, journey_id: str) -> None:
        for key in self._callbacks_of.pop(journey_id, ()):
            callback = self._callbacks.pop(key[1])
            if callback.status == "scheduled":
                del self._scheduled[bisect.bisect_left(self._scheduled, key)]
