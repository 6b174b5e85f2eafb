"""PostgreSQL's side of the metrics read: the three row streams of :mod:`._sql_metrics`.

The three queries run in one read-only, repeatable-read transaction on one pooled
connection, each through a server-side cursor fetched in batches, so a year of rows
streams without ever sitting in memory at once. Timestamps come out as UTC
microseconds (``extract(epoch ...)`` is exact numeric arithmetic).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any, cast

from handoff.models import Journey
from handoff.stores._sql_metrics import Cursors, SQLMetrics, period

__all__ = ["PostgresMetrics"]


def _us(column: str) -> str:
    return f"(extract(epoch FROM {column}) * 1000000)::bigint"


_IN_PERIOD = "(SELECT id FROM journeys WHERE opened_at >= %(start)s AND opened_at < %(end)s)"
_HANDED = "(SELECT journey_id FROM handoffs)"
_CONVERSATIONAL = "i.kind IN ('message', 'call')"
_JOURNEYS = f"""SELECT j.id, {_us("j.opened_at")},
    j.data -> 'path' -> 0 ->> 'channel', j.data ->> 'current_channel', j.data ->> 'resolved_at',
    (j.data ->> 'reopen_count')::integer, j.data ->> 'assignee',
    CASE WHEN j.id IN {_HANDED} THEN (j.data -> 'facts')::text END,
    (SELECT {_us("n.opened_at")} FROM journeys n WHERE n.contact_id = j.contact_id
        AND (n.opened_at, n.position) > (j.opened_at, j.position)
        ORDER BY n.opened_at, n.position LIMIT 1)
FROM journeys j WHERE j.opened_at >= %(start)s AND j.opened_at < %(end)s ORDER BY j.id"""
_STEPS = f"""SELECT {_us("i.at")}, i.sequence, i.channel, i.author, i.kind,
    {{agent}},
    CASE WHEN i.kind = 'event' THEN left(i.data ->> 'body', 11)
        WHEN i.author = 'customer' AND {_CONVERSATIONAL} AND i.journey_id IN {_HANDED}
        THEN i.data ->> 'body' END,
    i.id,
    CASE WHEN i.kind = 'survey' THEN (i.data -> 'metadata')::text END,
    i.journey_id
FROM interactions i WHERE i.journey_id IN {_IN_PERIOD} ORDER BY i.journey_id"""
_AGENT = f"CASE WHEN i.author = 'agent' AND {_CONVERSATIONAL} THEN i.data ->> 'agent' END"
_STEPS_WITH_AGENTS = _STEPS.format(agent=_AGENT)
_STEPS_ALONE = _STEPS.format(agent="NULL")
_HANDOFFS = f"""SELECT h.journey_id, {_us("h.at")}, {_us("a.at")}, a.sequence,
    h.from_channel, h.to_channel, h.reason
FROM handoffs h LEFT JOIN interactions a ON a.id = h.data ->> 'interaction_id'
WHERE h.journey_id IN {_IN_PERIOD} ORDER BY h.journey_id, h.at, h.position"""
_OPENED = (
    "SELECT data::text FROM journeys WHERE opened_at >= %s AND opened_at < %s ORDER BY opened_at, position"
)
_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
_BATCH = 5000


class PostgresMetrics(SQLMetrics):
    """The metrics read of :class:`~handoff.stores.postgres.PostgresStore`."""

    def journeys_opened(self, start: datetime, end: datetime) -> Iterator[Journey]:
        start, end = period(start, end)
        journeys: list[Journey] = cast(Any, self)._all(Journey, _OPENED, (start, end))
        return iter(journeys)

    def _metric_cursors(
        self, start: datetime, end: datetime, agents: bool
    ) -> AbstractContextManager[Cursors]:
        return self._rows(start, end, _STEPS_WITH_AGENTS if agents else _STEPS_ALONE)

    @contextmanager
    def _rows(self, start: datetime, end: datetime, steps: str) -> Iterator[Cursors]:
        connection = cast(AbstractContextManager[Any], cast(Any, self)._connection("read the metrics"))
        with connection as conn, conn.transaction():
            conn.execute(_SNAPSHOT)
            bounds = {"start": start, "end": end}
            cursors = []
            for name, sql in (("journeys", _JOURNEYS), ("steps", steps), ("handoffs", _HANDOFFS)):
                cursor = conn.cursor(name=f"handoff_metrics_{name}")
                cursor.itersize = _BATCH
                cursor.execute(sql, bounds)
                cursors.append(cursor)
            try:
                yield (cursors[0], cursors[1], cursors[2])
            finally:
                for cursor in cursors:
                    cursor.close()
