"""SQLite's side of the metrics read: each journey reduced to one row in SQL.

Four queries run in one read snapshot. They cover the period's journeys, all ordered
by journey id (binary collation): the journeys, whose own fields come from
``journeys_for_metrics`` (schema version 8: one virtual column, kept only in the index,
holds them), and one row per journey of their
histories, grouped from ``interactions_for_metrics`` (schema version 3; version 9 added
each survey's id and answers), which holds every column the grouping reads in the order
it reads them, so that it reads no record. The grouping is a plain
``GROUP BY`` over the index: SQLite's window functions would cost more than the whole
report may (they buffer and sort every row). A history becomes a few aggregate columns
(the letters of its steps, the instants of its conversation, its resolutions and its
surveys), which :mod:`handoff.stores.sql._metrics` reads; see there for the layouts.
For the journeys with handoffs, their handoffs come from ``handoffs_for_metrics``
(schema version 8) with the first reply from each one's key, and the customer's
messages from the earliest key on come as rows of their own.

When the period holds a good share of all journeys the index is scanned once;
otherwise each journey of the period reaches its rows through the index, so a month's
report does not read a year. Records' JSON is read only where no index answers: the
text of customer messages from a journey's earliest handoff on;
earlier messages' text and the fact index are looked up, in the same snapshot, only
when a leg needs them.

A long read (more journeys than a slice, and a second core to run on)
gets its four streams from a thread of its own, a slice of the period at a time
(:mod:`handoff.stores.sqlite._reader`), while the calling thread tallies and makes the
look-ups through a second connection pinned to the read's snapshot
(:func:`~handoff.stores.sqlite._connect.reader_beside`), through which it also reads a
slice itself whenever none is ready.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import datetime
from typing import Any, ClassVar, cast

from handoff.clock import micros
from handoff.models import Journey
from handoff.stores.sql._metrics import RESOLVED, Cursors, Row, SQLMetrics, period
from handoff.stores.sqlite._connect import reader_beside
from handoff.stores.sqlite._reader import SLICE, SliceReader, cores

__all__ = ["SQLiteMetrics"]

_IN_PERIOD = "j.opened_at >= :start AND j.opened_at < :end"
_CONV = "kind IN ('message', 'call')"
_CHOSEN = f"(SELECT j.id FROM journeys j WHERE {_IN_PERIOD})"
_RESOLUTION = f"i.kind = 'event' AND i.event_head = '{RESOLVED}'"
# The figures of each history as a few columns (see handoff.stores.sql._metrics): the
# letters of its steps, the instants of its conversation, its resolutions and surveys.
_GROUPED = f"""SELECT i.journey_id AS jid,
    group_concat(CASE WHEN i.{_CONV} THEN CASE i.author WHEN 'customer' THEN 'c' WHEN 'agent' THEN 'a' END
        WHEN {_RESOLUTION} THEN 'r' END, '') AS letters,
    group_concat(CASE WHEN i.{_CONV} AND i.author IN ('customer', 'agent') THEN i.at END) AS instants,
    group_concat(CASE WHEN {_RESOLUTION} THEN i.at || ' ' || i.channel END, char(31)) AS resolutions,
    group_concat(i.survey_answers, char(30)) AS surveys
FROM {{rows}} GROUP BY i.journey_id"""
_SCAN = f"interactions i INDEXED BY interactions_for_metrics WHERE i.journey_id IN {_CHOSEN}"
_WALK = f"""(SELECT id FROM journeys j WHERE {_IN_PERIOD} ORDER BY +j.id) p
    CROSS JOIN interactions i INDEXED BY interactions_for_metrics ON i.journey_id = p.id"""
_AGENT = f"""(SELECT x.reply_agent FROM interactions x INDEXED BY interactions_for_metrics
    WHERE x.journey_id = g.jid AND x.author = 'agent' AND x.{_CONV} ORDER BY x.at, x.sequence LIMIT 1)"""
_HISTORIES = f"""SELECT g.jid, g.letters, g.instants, g.resolutions, g.surveys, {{agent}}
FROM ({_GROUPED}) g"""
# Handoffs and the customer's messages after them, only for journeys that have handoffs:
# what the repeat rate and the handoffs' response times read (see
# handoff.stores.sql._metrics). Each handoff with its rowid and its key: its anchoring
# interaction's (instant, sequence), else its own instant; where its leg starts is worked
# out in Python.
_KEYED = """SELECT h.journey_id AS jid, h.at, h.from_channel, h.to_channel, h.reason, h.queue,
        h.rowid AS position, coalesce(a.at, h.at) AS key_at, a.sequence AS key_seq
    FROM {moves} LEFT JOIN interactions a ON a.id = h.anchor_id {chosen}"""
_MOVES_SCAN = ("handoffs h INDEXED BY handoffs_for_metrics", f"WHERE h.journey_id IN {_CHOSEN}")
_MOVES_WALK = (
    f"""(SELECT id FROM journeys j WHERE {_IN_PERIOD} ORDER BY +j.id) p
        CROSS JOIN handoffs h INDEXED BY handoffs_for_metrics ON h.journey_id = p.id""",
    "",
)
# The first agent reply on the new channel from the handoff's key on.
_REPLY = f"""(SELECT x.at FROM interactions x INDEXED BY interactions_for_metrics
        WHERE x.journey_id = s.jid AND x.at >= s.key_at
            AND (x.at > s.key_at OR s.key_seq IS NULL OR x.sequence >= s.key_seq)
            AND x.author = 'agent' AND x.{_CONV} AND x.channel = s.to_channel
        ORDER BY x.at, x.sequence LIMIT 1)"""
_HANDOFFS = f"""SELECT s.jid, s.at, s.from_channel, s.to_channel, s.reason, s.queue, s.position,
    s.key_at, s.key_seq, {_REPLY}
FROM ({_KEYED}) s ORDER BY s.jid"""
# The customer's messages from the journey's earliest key on: no earlier one starts a leg.
_SAID = f"""SELECT f.jid, x.at, x.sequence, x.channel, x.id, json_extract(x.data, '$.body')
FROM (SELECT k.jid, min(k.key_at) AS first FROM ({_KEYED}) k GROUP BY k.jid) f
CROSS JOIN interactions x INDEXED BY interactions_for_metrics ON x.journey_id = f.jid AND x.at >= f.first
WHERE x.author = 'customer' AND x.{_CONV}
ORDER BY f.jid"""
# A reply looked up again, for a leg that starts later than its handoff's own key.
_REPLY_FROM = f"""SELECT x.at FROM interactions x INDEXED BY interactions_for_metrics
WHERE x.journey_id = :journey AND x.at >= :at AND (x.at > :at OR :seq IS NULL OR x.sequence >= :seq)
    AND x.author = 'agent' AND x.{_CONV} AND x.channel = :channel
ORDER BY x.at, x.sequence LIMIT 1"""
_FACTS = "SELECT json_extract(data, '$.facts') FROM journeys WHERE id = ?"
_TEXTS = f"""SELECT x.at, x.sequence, x.channel, x.id, json_extract(x.data, '$.body')
FROM interactions x INDEXED BY interactions_for_metrics
WHERE x.journey_id = ? AND x.at < ? AND x.author = 'customer' AND x.{_CONV}"""
_NEXT_CONTACT = """(SELECT n.opened_at FROM journeys n WHERE n.contact_id = j.contact_id
        AND (n.opened_at, n.rowid) > (j.opened_at, j.rowid) ORDER BY n.opened_at, n.rowid LIMIT 1)"""
_FIRST_CHANNEL = """(SELECT x.channel FROM interactions x INDEXED BY interactions_for_metrics
        WHERE x.journey_id = j.id ORDER BY x.at, x.sequence LIMIT 1)"""
# The journey's own fields come from journeys_for_metrics (schema version 8), not its record.
_JOURNEYS = f"""SELECT j.id, j.opened_at, json_extract(j.metric_fields, '$[0]'),
    json_extract(j.metric_fields, '$[1]'), json_extract(j.metric_fields, '$[2]'),
    json_extract(j.metric_fields, '$[3]'), json_extract(j.metric_fields, '$[4]'),
    CASE WHEN json_extract(j.metric_fields, '$[0]') IS NULL THEN {_FIRST_CHANNEL} END,
    {_NEXT_CONTACT}
FROM journeys j INDEXED BY journeys_for_metrics WHERE {_IN_PERIOD} ORDER BY +j.id"""
_READ_CACHE = -4096  # KiB
# How many journeys the period holds, and how many there are.
_COUNTS = f"""SELECT (SELECT count(*) FROM journeys j INDEXED BY journeys_for_metrics WHERE {_IN_PERIOD}),
    (SELECT count(*) FROM journeys)"""
_OPENED = "SELECT data FROM journeys WHERE opened_at >= ? AND opened_at < ? ORDER BY opened_at, rowid"
# Where a slice of a long cold read ends: the opening time of the journey after the first
# :size from :start on, or else the next opening time after :start (those opened at one
# instant stay in one slice, and a slice is never empty).
_CUT = """SELECT max(coalesce((SELECT j.opened_at FROM journeys j INDEXED BY journeys_for_metrics
        WHERE j.opened_at >= :start AND j.opened_at < :end ORDER BY j.opened_at LIMIT 1 OFFSET :size), :end),
    coalesce((SELECT j.opened_at FROM journeys j INDEXED BY journeys_for_metrics
        WHERE j.opened_at > :start AND j.opened_at < :end ORDER BY j.opened_at LIMIT 1), :end))"""
# How many journeys are left from :start on (counted up to :limit): the last slices are cut shorter.
_LEFT = """SELECT count(*) FROM (SELECT 1 FROM journeys j INDEXED BY journeys_for_metrics
    WHERE j.opened_at >= :start AND j.opened_at < :end LIMIT :limit)"""


def _histories(rows: str, agents: bool) -> str:
    agent = _AGENT if agents else "NULL"
    return _HISTORIES.replace("{agent}", agent).replace("{rows}", rows)


_PLANS = {
    (scan, agents): _histories(_SCAN if scan else _WALK, agents)
    for scan in (True, False)
    for agents in (True, False)
}


def _legs(sql: str, scan: bool) -> str:
    moves, chosen = _MOVES_SCAN if scan else _MOVES_WALK
    return sql.replace("{moves}", moves).replace("{chosen}", chosen)


_LEGS = {scan: (_legs(_HANDOFFS, scan), _legs(_SAID, scan)) for scan in (True, False)}


def _one(row: Row | None) -> Any:
    return None if row is None else row[0]


def _texts(conn: sqlite3.Connection, journey_id: str, before: int) -> list[Row]:
    return conn.execute(_TEXTS, (journey_id, before)).fetchall()


def _facts(conn: sqlite3.Connection, journey_id: str) -> Any:
    return _one(conn.execute(_FACTS, (journey_id,)).fetchone())


def _reply(conn: sqlite3.Connection, journey_id: str, channel: str, at: int, seq: int | None) -> int | None:
    found = conn.execute(_REPLY_FROM, {"journey": journey_id, "channel": channel, "at": at, "seq": seq})
    return cast("int | None", _one(found.fetchone()))


class SQLiteMetrics(SQLMetrics):
    """The metrics read of :class:`~handoff.stores.sqlite.SQLiteStore`, in one read snapshot.

    The snapshot holds the store's connection while the rows stream, so the store's
    other calls wait until the report is done (another process's writers do not).
    """

    _metrics_scan_share: ClassVar[float] = 0.125
    """From this share of all journeys in the period on, scan the index rather than walk it."""

    _metrics_slice: ClassVar[int] = SLICE
    """A cold read of more journeys than this is read on a thread, this many at a time."""

    def journeys_opened(self, start: datetime, end: datetime) -> Iterator[Journey]:
        start, end = period(start, end)
        journeys: list[Journey] = cast(Any, self)._all(Journey, _OPENED, (micros(start), micros(end)))
        return iter(journeys)

    @contextmanager
    def _metric_cursors(self, start: datetime, end: datetime, agents: bool) -> Iterator[Cursors]:
        snapshot = cast(AbstractContextManager[sqlite3.Connection], cast(Any, self)._snapshot())
        with snapshot as conn, ExitStack() as stack:
            bounds = {"start": micros(start), "end": micros(end)}
            inside, everything = conn.execute(_COUNTS, bounds).fetchone()
            beside = None
            if self._sliced(inside, everything):
                # Long enough to read on a thread: the look-ups go to a second connection
                # pinned to the snapshot, which is taken again with it.
                beside = stack.enter_context(self._beside(conn))
                inside, everything = conn.execute(_COUNTS, bounds).fetchone()
            scan = inside >= everything * self._metrics_scan_share
            # Every page is read once, in order: a large page cache would only hold a year
            # of history in memory, so the read makes do with a small one.
            (cache,) = conn.execute("PRAGMA cache_size").fetchone()
            conn.execute(f"PRAGMA cache_size = {_READ_CACHE}")
            handoffs, said = _LEGS[scan]
            stack.callback(conn.execute, f"PRAGMA cache_size = {int(cache)}")
            if beside is not None and self._sliced(inside, everything):
                # A long read: its four streams come from a thread, a slice at a time
                # (handoff.stores.sqlite._reader), while this one tallies and looks up.
                beside.execute(f"PRAGMA cache_size = {_READ_CACHE}")
                reader = SliceReader(
                    conn,
                    beside,
                    [(_JOURNEYS, 9), (_PLANS[True, agents], 6), (handoffs, 10), (said, 6)],
                    _CUT,
                    _LEFT,
                    bounds,
                    self._metrics_slice,
                )
                stack.callback(reader.close)
                yield Cursors(
                    reader.stream(0),
                    reader.stream(1),
                    reader.stream(2),
                    reader.stream(3),
                    functools.partial(_texts, beside),
                    functools.partial(_facts, beside),
                    functools.partial(_reply, beside),
                )
                return
            yield Cursors(
                conn.execute(_JOURNEYS, bounds),
                conn.execute(_PLANS[scan, agents], bounds),
                conn.execute(handoffs, bounds),
                conn.execute(said, bounds),
                functools.partial(_texts, conn),
                functools.partial(_facts, conn),
                functools.partial(_reply, conn),
            )

    def _sliced(self, inside: int, everything: int) -> bool:
        """Whether a read of ``inside`` journeys (of ``everything``) scans the index
        in slices on a thread: it is long, and there is a second core to run on."""
        return (
            inside > self._metrics_slice and inside >= everything * self._metrics_scan_share and cores() > 1
        )

    @contextmanager
    def _beside(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection | None]:
        """A second connection reading the snapshot of ``conn``'s transaction, which is
        begun again (None for a database that is not a plain file, inside
        :meth:`~handoff.stores.sqlite.SQLiteStore.serialized`, or beside a writer)."""
        store = cast(Any, self)
        path: str = store._file
        if path == ":memory:" or path.startswith("file:") or store._serializing:
            yield None
            return
        conn.execute("ROLLBACK")
        conn.execute("BEGIN")
        with reader_beside(path, store._busy_timeout, conn) as beside:
            yield beside
