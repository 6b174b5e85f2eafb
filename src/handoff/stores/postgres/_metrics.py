"""PostgreSQL's side of the metrics read: the three row streams of :mod:`handoff.stores.sql._metrics`.

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
from handoff.stores.sql._metrics import Cursors, SQLMetrics, TallyCursors, period
from handoff.stores.sql._tallies import INSERT_TALLY, NEWER_TALLY

__all__ = ["PostgresMetrics"]


def _us(column: str) -> str:
    return f"(extract(epoch FROM {column}) * 1000000)::bigint"


_PERIOD = "j.opened_at >= %(start)s AND j.opened_at < %(end)s"
_HANDED = "(SELECT journey_id FROM handoffs)"
_CONVERSATIONAL = "i.kind IN ('message', 'call')"
_CURRENT = (
    "EXISTS (SELECT 1 FROM journey_tallies t WHERE t.journey_id = j.id AND t.version = j.version"
    " AND t.form = %(form)s)"
)
_NEXT_CONTACT = f"""(SELECT {_us("n.opened_at")} FROM journeys n WHERE n.contact_id = j.contact_id
        AND (n.opened_at, n.position) > (j.opened_at, j.position)
        ORDER BY n.opened_at, n.position LIMIT 1)"""
_JOURNEYS = f"""SELECT j.id, {_us("j.opened_at")},
    j.data -> 'path' -> 0 ->> 'channel', j.data ->> 'current_channel', j.data ->> 'resolved_at',
    (j.data ->> 'reopen_count')::integer, j.data ->> 'assignee',
    CASE WHEN j.id IN {_HANDED} THEN (j.data -> 'facts')::text END,
    {_NEXT_CONTACT}, j.version
FROM journeys j WHERE {_PERIOD}{{pick}} ORDER BY j.id"""
_CHOSEN = f"(SELECT j.id FROM journeys j WHERE {_PERIOD}{{pick}})"
_STEPS = f"""SELECT {_us("i.at")}, i.sequence, i.channel, i.author, i.kind,
    {{agent}},
    CASE WHEN i.kind = 'event' THEN left(i.data ->> 'body', 11)
        WHEN i.author = 'customer' AND {_CONVERSATIONAL} AND i.journey_id IN {_HANDED}
        THEN i.data ->> 'body' END,
    i.id,
    CASE WHEN i.kind = 'survey' THEN (i.data -> 'metadata')::text END,
    i.journey_id
FROM interactions i WHERE i.journey_id IN {_CHOSEN} ORDER BY i.journey_id"""
_AGENT = f"CASE WHEN i.author = 'agent' AND {_CONVERSATIONAL} THEN i.data ->> 'agent' END"
_HANDOFFS = f"""SELECT h.journey_id, {_us("h.at")}, {_us("a.at")}, a.sequence,
    h.from_channel, h.to_channel, h.reason
FROM handoffs h LEFT JOIN interactions a ON a.id = h.data ->> 'interaction_id'
WHERE h.journey_id IN {_CHOSEN} ORDER BY h.journey_id, h.at, h.position"""
_KEPT = f"""SELECT j.id, j.version, {_us("j.opened_at")}, t.entry_channel, t.agent, t.first_reply_at,
    t.waits, t.first_resolved_at, t.resolved_at, t.resolved_channel, t.reopens, t.handoffs,
    coalesce(t.csat, ''::bytea), coalesce(t.nps, ''::bytea), coalesce(t.ces, ''::bytea),
    {_NEXT_CONTACT}
FROM journeys j JOIN journey_tallies t ON t.journey_id = j.id AND t.version = j.version
    AND t.form = %(form)s
WHERE {_PERIOD}"""
_KEEP = f"""{INSERT_TALLY}
SELECT j.id, j.contact_id, v.form, v.version, v.entry_channel, v.agent, v.first_reply_at, v.waits,
    v.first_resolved_at, v.resolved_at, v.resolved_channel, v.reopens, v.handoffs, v.csat, v.nps, v.ces
FROM (VALUES (%s::text, %s::integer, %s::integer, %s::text, %s::text, %s::bigint, %s::bytea, %s::bigint,
    %s::bigint, %s::text, %s::integer, %s::text, %s::bytea, %s::bytea, %s::bytea))
    AS v (journey_id, form, version, entry_channel, agent, first_reply_at, waits, first_resolved_at,
        resolved_at, resolved_channel, reopens, handoffs, csat, nps, ces)
JOIN journeys j ON j.id = v.journey_id AND j.version >= v.version
{NEWER_TALLY}"""
_OPENED = (
    "SELECT data::text FROM journeys WHERE opened_at >= %s AND opened_at < %s ORDER BY opened_at, position"
)
_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
_BATCH = 5000
_UNTALLIED = f" AND NOT {_CURRENT}"


class PostgresMetrics(SQLMetrics):
    """The metrics read of :class:`~handoff.stores.postgres.PostgresStore`."""

    def journeys_opened(self, start: datetime, end: datetime) -> Iterator[Journey]:
        start, end = period(start, end)
        journeys: list[Journey] = cast(Any, self)._all(Journey, _OPENED, (start, end))
        return iter(journeys)

    def _metric_cursors(
        self, start: datetime, end: datetime, agents: bool
    ) -> AbstractContextManager[Cursors]:
        return self._rows({"start": start, "end": end}, "", agents)

    def _tally_cursors(
        self, start: datetime, end: datetime, form: int
    ) -> AbstractContextManager[TallyCursors]:
        return self._tally_rows({"start": start, "end": end, "form": form})

    @contextmanager
    def _tally_rows(self, bounds: dict[str, Any]) -> Iterator[TallyCursors]:
        with self._rows(bounds, _UNTALLIED, True, kept=True) as (kept, journeys, steps, handoffs):
            yield kept, None, journeys, steps, handoffs

    def _write_tallies(self, rows: list[tuple[Any, ...]]) -> None:
        connection = cast(AbstractContextManager[Any], cast(Any, self)._connection("keep tallies"))
        with connection as conn, conn.transaction(), conn.cursor() as cursor:
            cursor.executemany(_KEEP, rows)

    @contextmanager
    def _rows(self, bounds: dict[str, Any], pick: str, agents: bool, *, kept: bool = False) -> Iterator[Any]:
        connection = cast(AbstractContextManager[Any], cast(Any, self)._connection("read the metrics"))
        with connection as conn, conn.transaction():
            conn.execute(_SNAPSHOT)
            queries = [("kept", _KEPT)] if kept else []
            queries += [
                ("journeys", _JOURNEYS.format(pick=pick)),
                ("steps", _STEPS.format(pick=pick, agent=_AGENT if agents else "NULL")),
                ("handoffs", _HANDOFFS.format(pick=pick)),
            ]
            cursors = []
            for name, sql in queries:
                cursor = conn.cursor(name=f"handoff_metrics_{name}")
                cursor.itersize = _BATCH
                cursor.execute(sql, bounds)
                cursors.append(cursor)
            try:
                yield tuple(cursors)
            finally:
                for cursor in cursors:
                    cursor.close()
