"""PostgreSQL's side of the metrics read: each journey reduced to one row in SQL.

The four queries of :mod:`handoff.stores.sql._metrics` (the period's journeys, one row
per journey of their histories, aggregated in order of time then sequence, their
handoffs and the customer's messages after them, all ordered by journey id) run in one
read-only, repeatable-read transaction on one pooled connection, each through a
server-side cursor fetched in batches; the text of earlier customer messages and a
journey's fact index are looked up on the same connection, in the same snapshot, only
when a leg needs them. Timestamps come out as UTC microseconds (``extract(epoch ...)``
is exact numeric arithmetic).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from handoff.models import Journey
from handoff.stores.sql._metrics import RESOLVED, Cursors, Row, SQLMetrics, period

__all__ = ["PostgresMetrics"]


def _us(column: str) -> str:
    return f"(extract(epoch FROM {column}) * 1000000)::bigint"


_IN_PERIOD = "j.opened_at >= %(start)s AND j.opened_at < %(end)s"
_CHOSEN = f"(SELECT j.id FROM journeys j WHERE {_IN_PERIOD})"
_CONV = "kind IN ('message', 'call')"
_ORDER = "ORDER BY i.at, i.sequence"
# A survey's answers as the JSON array [csat, nps, ces].
_ANSWERS = """jsonb_build_array(i.data -> 'metadata' -> 'csat', i.data -> 'metadata' -> 'nps',
    i.data -> 'metadata' -> 'ces')::text"""
_RESOLUTION = f"i.kind = 'event' AND left(i.data ->> 'body', 11) = '{RESOLVED}'"
_TALK = f"i.{_CONV} AND i.author IN ('customer', 'agent')"
# The figures of each history as a few columns (see handoff.stores.sql._metrics): the
# letters of its steps, the instants of its conversation, its resolutions and surveys.
_GROUPED = f"""SELECT i.journey_id AS jid,
    string_agg(CASE WHEN {_TALK} THEN left(i.author, 1) WHEN {_RESOLUTION} THEN 'r' END, '' {_ORDER})
        AS letters,
    string_agg({_us("i.at")}::text, ',' {_ORDER}) FILTER (WHERE {_TALK}) AS instants,
    string_agg({_us("i.at")} || ' ' || i.channel, chr(31) {_ORDER}) FILTER (WHERE {_RESOLUTION})
        AS resolutions,
    string_agg(i.id || ' ' || {_ANSWERS}, chr(30) {_ORDER}) FILTER (WHERE i.kind = 'survey') AS surveys
FROM interactions i WHERE i.journey_id IN {_CHOSEN} GROUP BY i.journey_id"""
_AGENT = f"""(SELECT x.data ->> 'agent' FROM interactions x
    WHERE x.journey_id = g.jid AND x.author = 'agent' AND x.{_CONV} ORDER BY x.at, x.sequence LIMIT 1)"""
_HISTORIES = f"""SELECT g.jid, g.letters, g.instants, g.resolutions, g.surveys, {{agent}}
FROM ({_GROUPED}) g ORDER BY g.jid"""
# Handoffs and the customer's messages after them, only for journeys that have handoffs:
# what the repeat rate and the handoffs' response times read (see
# handoff.stores.sql._metrics). Each handoff with its storage position and its key: its
# anchoring interaction's (instant, sequence), else its own instant (as in SQLite's);
# where its leg starts is worked out in Python.
_KEYED = f"""SELECT h.journey_id AS jid, h.at, h.from_channel, h.to_channel, h.reason,
        h.data ->> 'queue' AS queue, h.position, coalesce(a.at, h.at) AS key_at, a.sequence AS key_seq
    FROM handoffs h LEFT JOIN interactions a ON a.id = h.data ->> 'interaction_id'
    WHERE h.journey_id IN {_CHOSEN}"""
# The first agent reply on the new channel from the handoff's key on.
_REPLY = f"""(SELECT {_us("x.at")} FROM interactions x
        WHERE x.journey_id = s.jid AND x.at >= s.key_at
            AND (x.at > s.key_at OR s.key_seq IS NULL OR x.sequence >= s.key_seq)
            AND x.author = 'agent' AND x.{_CONV} AND x.channel = s.to_channel
        ORDER BY x.at, x.sequence LIMIT 1)"""
_HANDOFFS = f"""SELECT s.jid, {_us("s.at")}, s.from_channel, s.to_channel, s.reason, s.queue, s.position,
    {_us("s.key_at")}, s.key_seq, {_REPLY}
FROM ({_KEYED}) s ORDER BY s.jid"""
# The customer's messages from the journey's earliest key on: no earlier one starts a leg.
_SAID = f"""SELECT f.jid, {_us("x.at")}, x.sequence, x.channel, x.id, x.data ->> 'body'
FROM (SELECT k.jid, min(k.key_at) AS first FROM ({_KEYED}) k GROUP BY k.jid) f
JOIN interactions x ON x.journey_id = f.jid AND x.at >= f.first
WHERE x.author = 'customer' AND x.{_CONV}
ORDER BY f.jid"""
# A reply looked up again, for a leg that starts later than its handoff's own key.
_AT = "(timestamptz 'epoch' + %(at)s::bigint * interval '1 microsecond')"
_REPLY_FROM = f"""SELECT {_us("x.at")} FROM interactions x
WHERE x.journey_id = %(journey)s AND x.at >= {_AT}
    AND (x.at > {_AT} OR %(seq)s::integer IS NULL OR x.sequence >= %(seq)s::integer)
    AND x.author = 'agent' AND x.{_CONV} AND x.channel = %(channel)s
ORDER BY x.at, x.sequence LIMIT 1"""
_TEXTS = f"""SELECT {_us("x.at")}, x.sequence, x.channel, x.id, x.data ->> 'body' FROM interactions x
WHERE x.journey_id = %(journey)s AND x.at < {_AT} AND x.author = 'customer' AND x.{_CONV}"""
_FACTS = "SELECT data -> 'facts' FROM journeys WHERE id = %s"
_NEXT_CONTACT = f"""(SELECT {_us("n.opened_at")} FROM journeys n WHERE n.contact_id = j.contact_id
        AND (n.opened_at, n.position) > (j.opened_at, j.position)
        ORDER BY n.opened_at, n.position LIMIT 1)"""
_FIRST_CHANNEL = """(SELECT x.channel FROM interactions x WHERE x.journey_id = j.id
        ORDER BY x.at, x.sequence LIMIT 1)"""
_JOURNEYS = f"""SELECT j.id, {_us("j.opened_at")}, j.data -> 'path' -> 0 ->> 'channel',
    j.data ->> 'current_channel', j.data ->> 'resolved_at', (j.data ->> 'reopen_count')::integer,
    j.data ->> 'assignee',
    CASE WHEN j.data -> 'path' -> 0 ->> 'channel' IS NULL THEN {_FIRST_CHANNEL} END,
    {_NEXT_CONTACT}
FROM journeys j WHERE {_IN_PERIOD} ORDER BY j.id"""
_OPENED = (
    "SELECT data::text FROM journeys WHERE opened_at >= %s AND opened_at < %s ORDER BY opened_at, position"
)
_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
_BATCH = 5000


def _one(row: Row | None) -> Any:
    return None if row is None else row[0]


def _texts(conn: Any, journey_id: str, before: int) -> list[Row]:
    return list(conn.execute(_TEXTS, {"journey": journey_id, "at": before}).fetchall())


def _reply(conn: Any, journey_id: str, channel: str, at: int, sequence: int | None) -> int | None:
    found = conn.execute(_REPLY_FROM, {"journey": journey_id, "channel": channel, "at": at, "seq": sequence})
    return cast("int | None", _one(found.fetchone()))


class PostgresMetrics(SQLMetrics):
    """The metrics read of :class:`~handoff.stores.postgres.PostgresStore`."""

    def journeys_opened(self, start: datetime, end: datetime) -> Iterator[Journey]:
        start, end = period(start, end)
        journeys: list[Journey] = cast(Any, self)._all(Journey, _OPENED, (start, end))
        return iter(journeys)

    @contextmanager
    def _metric_cursors(self, start: datetime, end: datetime, agents: bool) -> Iterator[Cursors]:
        connection = cast(Any, self)._connection("read the metrics")
        with connection as conn, conn.transaction():
            conn.execute(_SNAPSHOT)
            bounds = {"start": start, "end": end}
            queries = {
                "journeys": _JOURNEYS,
                "histories": _HISTORIES.replace("{agent}", _AGENT if agents else "NULL"),
                "handoffs": _HANDOFFS,
                "said": _SAID,
            }
            cursors = []
            for name, sql in queries.items():
                cursor = conn.cursor(name=f"handoff_metrics_{name}")
                cursor.itersize = _BATCH
                cursor.execute(sql, bounds)
                cursors.append(cursor)
            try:
                journeys, histories, handoffs, said = cursors
                yield Cursors(
                    journeys,
                    histories,
                    handoffs,
                    said,
                    lambda journey_id, before: _texts(conn, journey_id, before),
                    lambda journey_id: _one(conn.execute(_FACTS, (journey_id,)).fetchone()),
                    lambda journey_id, channel, at, seq: _reply(conn, journey_id, channel, at, seq),
                )
            finally:
                for cursor in cursors:
                    cursor.close()
