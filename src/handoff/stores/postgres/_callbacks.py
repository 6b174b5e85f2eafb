"""Scheduled callbacks in PostgreSQL: the ``callbacks`` table's writes and reads.

The table is keyed ``(contact_id, id)`` like every per-customer table, so it can be
distributed by contact. Writes run inside the changeset's transaction; a callback being
closed is locked first, so two writers closing it at once take turns and the second is
refused (:func:`~handoff.stores.rules.check_callback_write`).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from attrs import evolve

from handoff.clock import ensure_aware
from handoff.errors import NotFound
from handoff.models import Callback, Notification
from handoff.stores.capabilities import CallbackBook
from handoff.stores.postgres import _writes as writes
from handoff.stores.records import Changeset
from handoff.stores.rules import check_active_limit, check_callback_write, check_text

__all__ = ["PostgresCallbacks", "write_callbacks"]

_LOCK = "SELECT data::text FROM callbacks WHERE contact_id = %s AND id = %s FOR UPDATE"
_GET = "SELECT data::text FROM callbacks WHERE id = %s"
_INSERT = (
    "INSERT INTO callbacks (contact_id, id, journey_id, status, at, data) VALUES (%s, %s, %s, %s, %s, %s)"
)
_UPDATE = "UPDATE callbacks SET status = %s, data = %s WHERE contact_id = %s AND id = %s"
_OF_JOURNEY = "SELECT data::text FROM callbacks WHERE journey_id = %s ORDER BY at, id"
_SCHEDULED = (
    "SELECT data::text FROM callbacks WHERE status = 'scheduled' AND at <= %s ORDER BY at, id LIMIT %s"
)
_BETWEEN = "SELECT data::text FROM callbacks WHERE at >= %s AND at < %s ORDER BY at, id"
_PENDING = "SELECT data::text FROM notifications WHERE id = %s AND status = 'pending' FOR UPDATE"
_CANCEL = "UPDATE notifications SET status = 'cancelled', data = %s WHERE id = %s"
_JOURNEY_EXISTS = "SELECT 1 FROM journeys WHERE id = %s"


def write_callbacks(conn: Any, batch: Sequence[Changeset]) -> None:
    """The callbacks and cancelled reminders of ``batch``, inside the caller's transaction."""
    for changes in batch:
        for callback in changes.callbacks:
            row = conn.execute(_LOCK, (callback.contact_id, callback.id)).fetchone()
            stored = None if row is None else writes.decode(Callback, row[0])
            check_callback_write(stored, callback)
            data = writes.stored_json(callback)
            if stored is None:
                if conn.execute(_JOURNEY_EXISTS, (callback.journey_id,)).fetchone() is None:
                    raise NotFound("journey", callback.journey_id)
                params = (
                    callback.contact_id,
                    callback.id,
                    callback.journey_id,
                    callback.status,
                    callback.at,
                    data,
                )
                conn.execute(_INSERT, params)
            else:
                conn.execute(_UPDATE, (callback.status, data, callback.contact_id, callback.id))
        for notification_id in changes.cancelled_notifications:
            row = conn.execute(_PENDING, (notification_id,)).fetchone()
            if row is not None:
                cancelled = evolve(writes.decode(Notification, row[0]), status="cancelled")
                conn.execute(_CANCEL, (writes.stored_json(cancelled), notification_id))


class PostgresCallbacks(CallbackBook):
    """The reads of :class:`CallbackBook` for :class:`~handoff.stores.postgres.PostgresStore`."""

    def _connection(self, doing: str, *, lock_pipelined: bool = True) -> AbstractContextManager[Any]:
        raise NotImplementedError  # provided by the store

    def _callbacks(self, sql: str, params: tuple[object, ...]) -> list[Callback]:
        if writes.has_nul(params):
            return []
        with self._connection("read") as conn:
            rows = conn.execute(sql, params).fetchall()
        return [writes.decode(Callback, row[0]) for row in rows]

    def callbacks(self, journey_id: str) -> list[Callback]:
        return self._callbacks(_OF_JOURNEY, (check_text(journey_id, "journey_id"),))

    def get_callback(self, callback_id: str) -> Callback:
        found = self._callbacks(_GET, (check_text(callback_id, "callback_id"),))
        if not found:
            raise NotFound("callback", callback_id)
        return found[0]

    def scheduled_callbacks(self, before: datetime, *, limit: int | None = None) -> list[Callback]:
        cutoff = ensure_aware(before, "before")
        return self._callbacks(_SCHEDULED, (cutoff, check_active_limit(limit)))

    def callbacks_between(self, start: datetime, end: datetime) -> list[Callback]:
        return self._callbacks(_BETWEEN, (ensure_aware(start, "start"), ensure_aware(end, "end")))
