"""Outbox leases in SQLite: chosen and leased in one ``BEGIN IMMEDIATE`` transaction.

The lease is two columns of ``notifications`` (``lease_worker``, ``lease_until`` in UTC
microseconds), added by schema migration 5; the stored record does not change. The
caller takes the write lock before the due rows are read, so two processes never choose
the same row: the second reads only after the first committed its leases.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from handoff.clock import micros

__all__ = ["claim"]

_FREE = (
    "SELECT id, data FROM notifications WHERE status = 'pending' AND send_at <= ?"
    " AND (lease_until IS NULL OR lease_until <= ?)"
    " AND (? IS NULL OR coalesce(json_extract(data, '$.audience'), 'customer') = ?)"
    " ORDER BY send_at, rowid LIMIT ?"
)
_LEASE = "UPDATE notifications SET lease_worker = ?, lease_until = ? WHERE id = ?"


def claim(
    conn: sqlite3.Connection,
    worker: str,
    now: datetime,
    limit: int,
    lease: timedelta,
    audience: str | None = None,
) -> list[str]:
    """The stored JSON of the notifications leased to ``worker``, inside the caller's write
    transaction (only those for ``audience``, when given; records from before audiences
    existed are the customer's)."""
    cutoff, until = micros(now), micros(now + lease)
    rows = conn.execute(_FREE, (cutoff, cutoff, audience, audience, limit)).fetchall()
    conn.executemany(_LEASE, [(worker, until, notification_id) for notification_id, _ in rows])
    return [data for _, data in rows]
