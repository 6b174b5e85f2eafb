"""SQLite's side of the metrics read: the three row streams of :mod:`._sql_metrics`.

Two plans give the same rows in the same order (journey ids, binary collation). When
the period holds a good share of all journeys, journeys and handoffs are scanned once
and the period's rows sorted by journey (``+column`` keeps SQLite from walking an
index, which would read the file in random order: rows are stored as they happened).
For a short period, each of the period's journeys reaches its rows through their index
instead, so a month's report does not read a year. Steps always come from
``interactions_for_metrics`` (schema version 3), which holds every column they need,
already in the order the report reads them; the records' JSON is read only where the
index cannot answer: surveys, and customer messages of journeys with handoffs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any, ClassVar, cast

from attrs import define

from handoff.models import Journey
from handoff.stores._common import micros
from handoff.stores._sql_metrics import Cursors, SQLMetrics, period

__all__ = ["SQLiteMetrics"]

_PERIOD = "j.opened_at >= :start AND j.opened_at < :end"
_IN_PERIOD = "(SELECT id FROM journeys WHERE opened_at >= :start AND opened_at < :end)"
_HANDED = "(SELECT journey_id FROM handoffs)"
_CONVERSATIONAL = "i.kind IN ('message', 'call')"
# The journey's JSON fields come out of one json_extract (one parse), as a JSON array.
_JOURNEYS = f"""SELECT j.id, j.opened_at,
    json_extract(j.data, '$.path[0].channel', '$.current_channel', '$.resolved_at',
        '$.reopen_count', '$.assignee'),
    CASE WHEN j.id IN {_HANDED} THEN json_extract(j.data, '$.facts') END,
    (SELECT n.opened_at FROM journeys n WHERE n.contact_id = j.contact_id
        AND (n.opened_at > j.opened_at OR (n.opened_at = j.opened_at AND n.rowid > j.rowid))
        ORDER BY n.opened_at, n.rowid LIMIT 1)
FROM journeys j WHERE {_PERIOD} ORDER BY {{order}}"""
# Every column but the CASE branches that read ``data`` is in ``interactions_for_metrics``,
# so SQLite reads the index alone and seeks a row only for those branches (surveys, and
# customer messages of journeys with handoffs).
_STEP_COLUMNS = f"""i.at, i.sequence, i.channel, i.author, i.kind,
    {{agent}},
    CASE WHEN i.kind = 'event' THEN i.event_head
        WHEN i.author = 'customer' AND {_CONVERSATIONAL} AND i.journey_id IN {_HANDED}
        THEN json_extract(i.data, '$.body') END,
    CASE WHEN i.kind = 'survey' OR (i.author = 'customer' AND {_CONVERSATIONAL}
        AND i.journey_id IN {_HANDED}) THEN i.id END,
    CASE WHEN i.kind = 'survey' THEN json_extract(i.data, '$.metadata') END,
    i.journey_id"""
_AGENT = "i.reply_agent"
_STEPS_ORDER = "ORDER BY i.journey_id, i.at, i.sequence"
# A handoff's anchor is the interaction that made it, looked up by its key.
_HANDOFF_COLUMNS = """h.journey_id, h.at, a.at, a.sequence, h.from_channel, h.to_channel, h.reason"""
_ANCHOR = "LEFT JOIN interactions a ON a.id = json_extract(h.data, '$.interaction_id')"


@define(frozen=True)
class _Plan:
    journeys: str
    steps: str
    steps_with_agents: str
    handoffs: str

    @classmethod
    def of(cls, journey_order: str, steps: str, handoffs: str) -> _Plan:
        return cls(
            _JOURNEYS.format(order=journey_order),
            steps.format(agent="NULL"),
            steps.format(agent=_AGENT),
            handoffs,
        )


_SCAN = _Plan.of(
    "+j.id",
    f"SELECT {_STEP_COLUMNS} FROM interactions i INDEXED BY interactions_for_metrics"
    f" WHERE i.journey_id IN {_IN_PERIOD} {_STEPS_ORDER}",
    f"SELECT {_HANDOFF_COLUMNS} FROM handoffs h {_ANCHOR} WHERE +h.journey_id IN {_IN_PERIOD}"
    " ORDER BY +h.journey_id, h.at, h.rowid",
)
_PICKED = "WITH p AS MATERIALIZED (SELECT id FROM journeys WHERE opened_at >= :start AND opened_at < :end)"
_WALK = _Plan.of(
    "+j.id",
    f"{_PICKED} SELECT {_STEP_COLUMNS} FROM p CROSS JOIN interactions i INDEXED BY interactions_for_metrics"
    f" ON i.journey_id = p.id {_STEPS_ORDER}",
    f"{_PICKED} SELECT {_HANDOFF_COLUMNS} FROM p CROSS JOIN handoffs h ON h.journey_id = p.id {_ANCHOR}"
    " ORDER BY +h.journey_id, h.at, h.rowid",
)
_COUNTS = f"SELECT (SELECT count(*) FROM journeys j WHERE {_PERIOD}), (SELECT count(*) FROM journeys)"
_OPENED = "SELECT data FROM journeys WHERE opened_at >= ? AND opened_at < ? ORDER BY opened_at, rowid"


class SQLiteMetrics(SQLMetrics):
    """The metrics read of :class:`~handoff.stores.sqlite.SQLiteStore`, in one read snapshot.

    The snapshot holds the store's connection while the rows stream, so the store's
    other calls wait until the report is done (another process's writers do not).
    """

    _metrics_scan_share: ClassVar[float] = 0.125
    """From this share of all journeys in the period on, scan and sort rather than walk."""

    def journeys_opened(self, start: datetime, end: datetime) -> Iterator[Journey]:
        start, end = period(start, end)
        journeys: list[Journey] = cast(Any, self)._all(Journey, _OPENED, (micros(start), micros(end)))
        return iter(journeys)

    def _metric_cursors(
        self, start: datetime, end: datetime, agents: bool
    ) -> AbstractContextManager[Cursors]:
        return self._rows(micros(start), micros(end), agents)

    @contextmanager
    def _rows(self, start: int, end: int, agents: bool) -> Iterator[Cursors]:
        snapshot = cast(AbstractContextManager[sqlite3.Connection], cast(Any, self)._snapshot())
        with snapshot as conn:
            bounds = {"start": start, "end": end}
            inside, everything = conn.execute(_COUNTS, bounds).fetchone()
            plan = _SCAN if inside >= everything * self._metrics_scan_share else _WALK
            yield (
                (_spread(row) for row in conn.execute(plan.journeys, bounds)),
                conn.execute(plan.steps_with_agents if agents else plan.steps, bounds),
                conn.execute(plan.handoffs, bounds),
            )


def _spread(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A journey row with its JSON array of fields spread into columns."""
    jid, opened, fields, facts, next_at = row
    return (jid, opened, *json.loads(fields), facts, next_at)
