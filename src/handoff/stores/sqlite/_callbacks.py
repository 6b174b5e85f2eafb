"""Scheduled callbacks in SQLite: the ``callbacks`` table's writes and reads.

A callback row holds its contact, journey, status and slot (integer UTC microseconds)
beside the record as JSON. Writes run inside the changeset's transaction
(:meth:`~handoff.stores.sqlite._writes.Rows.write`).
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from datetime import datetime

from attrs import evolve

from handoff.clock import ensure_aware, micros
from handoff.errors import NotFound
from handoff.models import Callback, Notification
from handoff.serde import from_json, to_json
from handoff.stores.capabilities import CallbackBook
from handoff.stores.records import Changeset
from handoff.stores.rules import check_active_limit, check_callback_write, check_text

__all__ = ["SQLiteCallbacks", "write_callbacks"]

_GET = "SELECT data FROM callbacks WHERE id = ?"
_INSERT = "INSERT INTO callbacks (id, contact_id, journey_id, status, at, data) VALUES (?, ?, ?, ?, ?, ?)"
_UPDATE = "UPDATE callbacks SET status = ?, data = ? WHERE id = ? AND status = 'scheduled'"
_OF_JOURNEY = "SELECT data FROM callbacks WHERE journey_id = ? ORDER BY at, id"
_SCHEDULED = "SELECT data FROM callbacks WHERE status = 'scheduled' AND at <= ? ORDER BY at, id LIMIT ?"
_BETWEEN = "SELECT data FROM callbacks WHERE at >= ? AND at < ? ORDER BY at, id"
_PENDING = "SELECT data FROM notifications WHERE id = ? AND status = 'pending'"
_CANCEL = "UPDATE notifications SET status = 'cancelled', data = ? WHERE id = ? AND status = 'pending'"
_JOURNEY_EXISTS = "SELECT 1 FROM journeys WHERE id = ?"


def write_callbacks(conn: sqlite3.Connection, changes: Changeset) -> None:
    """The changeset's callbacks and cancelled reminders, inside its transaction."""
    for callback in changes.callbacks:
        row = conn.execute(_GET, (callback.id,)).fetchone()
        stored = None if row is None else from_json(Callback, row[0])
        check_callback_write(stored, callback)
        if stored is None:
            if conn.execute(_JOURNEY_EXISTS, (callback.journey_id,)).fetchone() is None:
                raise NotFound("journey", callback.journey_id)
            conn.execute(
                _INSERT,
                (
                    callback.id,
                    callback.contact_id,
                    callback.journey_id,
                    callback.status,
                    micros(callback.at),
                    to_json(callback),
                ),
            )
        else:
            conn.execute(_UPDATE, (callback.status, to_json(callback), callback.id))
    for notification_id in changes.cancelled_notifications:
        row = conn.execute(_PENDING, (notification_id,)).fetchone()
        if row is not None:
            cancelled = evolve(from_json(Notification, row[0]), status="cancelled")
            conn.execute(_CANCEL, (to_json(cancelled), notification_id))


class SQLiteCallbacks(CallbackBook):
    """The reads of :class:`CallbackBook` for :class:`~handoff.stores.sqlite.SQLiteStore`."""

    def _reading(self) -> AbstractContextManager[sqlite3.Connection]:  # provided by the store
        raise NotImplementedError

    def _callbacks(self, sql: str, params: tuple[object, ...]) -> list[Callback]:
        with self._reading() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [from_json(Callback, row[0]) for row in rows]

    def callbacks(self, journey_id: str) -> list[Callback]:
        return self._callbacks(_OF_JOURNEY, (check_text(journey_id, "journey_id"),))

    def get_callback(self, callback_id: str) -> Callback:
        found = self._callbacks(_GET, (check_text(callback_id, "callback_id"),))
        if not found:
            raise NotFound("callback", callback_id)
        return found[0]

    def scheduled_callbacks(self, before: datetime, *, limit: int | None = None) -> list[Callback]:
        cutoff = micros(ensure_aware(before, "before"))
        limit = check_active_limit(limit)
        return self._callbacks(_SCHEDULED, (cutoff, -1 if limit is None else limit))

    def callbacks_between(self, start: datetime, end: datetime) -> list[Callback]:
        low, high = micros(ensure_aware(start, "start")), micros(ensure_aware(end, "end"))
        return self._callbacks(_BETWEEN, (low, high))
