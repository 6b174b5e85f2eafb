"""Outbox leases in PostgreSQL: one statement, rows chosen ``FOR UPDATE SKIP LOCKED``.

The lease is two columns of ``notifications`` (``lease_worker``, ``lease_until``), added
by schema migration 5. Concurrent claims skip the rows another claim has locked; a row
whose lease was committed while this statement waited for it is checked again against
the lease (PostgreSQL re-evaluates the condition on the newest row version), so no two
claims return one notification.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from psycopg import Connection

from handoff.stores.postgres import _trips as trips

__all__ = ["claim", "claim_steps"]

_CLAIM = """UPDATE notifications AS n SET lease_worker = %(worker)s, lease_until = %(until)s
FROM (
    SELECT id, contact_id FROM notifications
    WHERE status = 'pending' AND send_at <= %(now)s AND (lease_until IS NULL OR lease_until <= %(now)s)
    AND (%(audience)s::text IS NULL OR coalesce(data->>'audience', 'customer') = %(audience)s::text)
    ORDER BY send_at, position LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
) AS free
WHERE n.id = free.id AND n.contact_id = free.contact_id
RETURNING n.data::text, n.send_at, n.position"""


def claim(
    conn: Connection[tuple[object, ...]],
    worker: str,
    now: datetime,
    limit: int,
    lease: timedelta,
    audience: str | None = None,
) -> list[str]:
    """The stored JSON of the notifications leased to ``worker``, earliest first (only those
    for ``audience``, when given; records from before audiences existed are the customer's)."""
    return trips.run(conn, claim_steps(worker, now, limit, lease, audience))


def claim_steps(
    worker: str, now: datetime, limit: int, lease: timedelta, audience: str | None = None
) -> trips.Steps[list[str]]:
    """:func:`claim` as a conversation any connection can carry."""
    params = {"worker": worker, "until": now + lease, "now": now, "limit": limit, "audience": audience}
    (rows,) = yield [(_CLAIM, params)]
    rows.sort(key=lambda row: (row[1], row[2]))
    return [str(row[0]) for row in rows]
