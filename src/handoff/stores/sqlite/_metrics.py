"""SQLite's side of the metrics read: the three row streams of :mod:`handoff.stores.sql._metrics`.

Two plans give the same rows in the same order (journey ids, binary collation). When
the period holds a good share of all journeys, journeys and handoffs are scanned once
and the period's rows sorted by journey (``+column`` keeps SQLite from walking an
index, which would read the file in random order: rows are stored as they happened).
For a short period, each of the period's journeys reaches its rows through their index
instead, so a month's report does not read a year. Steps always come from
``interactions_for_metrics`` (schema version 3), which holds every column they need,
already in the order the report reads them; the records' JSON is read only where the
index cannot answer: surveys, and customer messages of journeys with handoffs.

Kept tallies (schema version 4) live in ``journey_tallies``; whether one is current is
answered by ``journeys_by_opening``, which holds each journey's opening time, id and
version, so reading a year of tallies never touches the journeys' records. Journeys
without a current tally go through the same two plans: the first report of a period
picks them by the same test as the tallies, a later one by their listed ids.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any, ClassVar, cast

from attrs import define

from handoff.clock import micros
from handoff.models import Journey
from handoff.stores.sql._metrics import Cursors, SQLMetrics, TallyCursors, period
from handoff.stores.sql._tallies import INSERT_TALLY, NEWER_TALLY

__all__ = ["SQLiteMetrics"]

_PERIOD = "j.opened_at >= :start AND j.opened_at < :end"
_HANDED = "(SELECT journey_id FROM handoffs)"
_CONVERSATIONAL = "i.kind IN ('message', 'call')"
_CURRENT = (
    "EXISTS (SELECT 1 FROM journey_tallies t WHERE t.journey_id = j.id AND t.version = j.version"
    " AND t.form = :form)"
)
_NEXT_CONTACT = """(SELECT n.opened_at FROM journeys n WHERE n.contact_id = j.contact_id
        AND (n.opened_at, n.rowid) > (j.opened_at, j.rowid) ORDER BY n.opened_at, n.rowid LIMIT 1)"""
# The journey's JSON fields come out of one json_extract (one parse), as a JSON array.
_JOURNEYS = f"""SELECT j.id, j.opened_at,
    json_extract(j.data, '$.path[0].channel', '$.current_channel', '$.resolved_at',
        '$.reopen_count', '$.assignee'),
    CASE WHEN j.id IN {_HANDED} THEN json_extract(j.data, '$.facts') END,
    {_NEXT_CONTACT}, j.version
FROM journeys j WHERE {_PERIOD}{{pick}} ORDER BY +j.id"""
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
# The tallies kept and current; the journey's columns come from ``journeys_by_opening``.
# The contact's next journey comes from a correlated look-up, or, when the period holds
# much of the store, from one pass over ``journeys_by_contact`` (_FOLLOWING) matched by rowid.
_KEPT = f"""SELECT j.id, j.version, j.opened_at, t.entry_channel, t.agent, t.first_reply_at, t.waits,
    t.first_resolved_at, t.resolved_at, t.resolved_channel, t.reopens, t.handoffs,
    coalesce(t.csat, x''), coalesce(t.nps, x''), coalesce(t.ces, x''), {{next}}
FROM journeys j INDEXED BY journeys_by_opening
JOIN journey_tallies t ON t.journey_id = j.id AND t.version = j.version AND t.form = :form
WHERE {_PERIOD}"""
_KEPT_LOOKED_UP = _KEPT.format(next=_NEXT_CONTACT)
_KEPT_ROWID = _KEPT.format(next="j.rowid")
_FOLLOWING = (
    "SELECT contact_id, opened_at, rowid FROM journeys INDEXED BY journeys_by_contact"
    " ORDER BY contact_id, opened_at, rowid"
)
_KEEP = f"""{INSERT_TALLY}
SELECT j.id, j.contact_id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15
FROM journeys j WHERE j.id = ?1 AND j.version >= ?3
{NEWER_TALLY}"""


@define(frozen=True)
class _Plan:
    journeys: str
    steps: str
    steps_with_agents: str
    handoffs: str

    @classmethod
    def of(cls, pick: str, steps: str, handoffs: str) -> _Plan:
        steps, handoffs = steps.replace("{pick}", pick), handoffs.replace("{pick}", pick)
        return cls(
            _JOURNEYS.format(pick=pick),
            steps.format(agent="NULL"),
            steps.format(agent=_AGENT),
            handoffs,
        )


def _plans(pick: str) -> tuple[_Plan, _Plan]:
    """The scan and the walk (see the module) over the period's journeys that ``pick`` keeps."""
    chosen = f"(SELECT j.id FROM journeys j WHERE {_PERIOD}{{pick}})"
    scan = _Plan.of(
        pick,
        f"SELECT {_STEP_COLUMNS} FROM interactions i INDEXED BY interactions_for_metrics"
        f" WHERE i.journey_id IN {chosen} {_STEPS_ORDER}",
        f"SELECT {_HANDOFF_COLUMNS} FROM handoffs h {_ANCHOR} WHERE +h.journey_id IN {chosen}"
        " ORDER BY +h.journey_id, h.at, h.rowid",
    )
    picked = f"WITH p AS MATERIALIZED {chosen}"
    walk = _Plan.of(
        pick,
        f"{picked} SELECT {_STEP_COLUMNS} FROM p CROSS JOIN interactions i"
        f" INDEXED BY interactions_for_metrics ON i.journey_id = p.id {_STEPS_ORDER}",
        f"{picked} SELECT {_HANDOFF_COLUMNS} FROM p CROSS JOIN handoffs h ON h.journey_id = p.id {_ANCHOR}"
        " ORDER BY +h.journey_id, h.at, h.rowid",
    )
    return scan, walk


_ALL = _plans("")
# Journeys without a current tally: many (the first report) are picked by the same test
# as they are read, few (a later one) by the ids listed when the tallies were read.
_UNTALLIED, _ = _plans(f" AND NOT {_CURRENT}")
_, _LISTED = _plans(" AND j.id IN (SELECT value FROM json_each(:listed))")
_STALE = f"SELECT j.id FROM journeys j INDEXED BY journeys_by_opening WHERE {_PERIOD} AND NOT {_CURRENT}"
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

    @contextmanager
    def _metric_cursors(self, start: datetime, end: datetime, agents: bool) -> Iterator[Cursors]:
        with self._read_snapshot() as conn:
            yield self._history(conn, {"start": micros(start), "end": micros(end)}, agents)

    @contextmanager
    def _tally_cursors(self, start: datetime, end: datetime, form: int) -> Iterator[TallyCursors]:
        with self._read_snapshot() as conn:
            bounds: dict[str, Any] = {"start": micros(start), "end": micros(end), "form": form}
            inside, everything = conn.execute(_COUNTS, bounds).fetchone()
            many = inside >= everything * self._metrics_scan_share
            stale = [row[0] for row in conn.execute(_STALE, bounds)]
            following = _following(conn) if many else None
            kept = conn.execute(_KEPT_ROWID if many else _KEPT_LOOKED_UP, bounds)
            if not stale:
                yield kept, following, (), (), ()
                return
            if len(stale) >= everything * self._metrics_scan_share:
                plan = _UNTALLIED
            else:
                plan = _LISTED
                bounds["listed"] = json.dumps(stale)
            yield (kept, following, *_cursors(conn, plan, bounds, agents=True))

    def _write_tallies(self, rows: list[tuple[Any, ...]]) -> None:
        transaction = cast(
            AbstractContextManager[sqlite3.Connection], cast(Any, self)._transaction("keep tallies")
        )
        with transaction as conn:
            conn.executemany(_KEEP, rows)

    def _read_snapshot(self) -> AbstractContextManager[sqlite3.Connection]:
        return cast(AbstractContextManager[sqlite3.Connection], cast(Any, self)._snapshot())

    def _history(self, conn: sqlite3.Connection, bounds: dict[str, int], agents: bool) -> Cursors:
        """The journey, step and handoff rows of the period, by the plan that suits its size."""
        inside, everything = conn.execute(_COUNTS, bounds).fetchone()
        scan, walk = _ALL
        plan = scan if inside >= everything * self._metrics_scan_share else walk
        return _cursors(conn, plan, bounds, agents=agents)


def _cursors(conn: sqlite3.Connection, plan: _Plan, bounds: dict[str, Any], *, agents: bool) -> Cursors:
    """The journey, step and handoff rows of ``plan``."""
    return (
        (_spread(row) for row in conn.execute(plan.journeys, bounds)),
        conn.execute(plan.steps_with_agents if agents else plan.steps, bounds),
        conn.execute(plan.handoffs, bounds),
    )


def _following(conn: sqlite3.Connection) -> dict[int, int]:
    """When the contact's next journey opened, by journey rowid (absent: none did)."""
    following: dict[int, int] = {}
    contact = row = None
    for next_contact, opened, next_row in conn.execute(_FOLLOWING):
        if next_contact == contact:
            following[cast(int, row)] = opened
        contact, row = next_contact, next_row
    return following


def _spread(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A journey row with its JSON array of fields spread into columns."""
    jid, opened, fields, facts, next_at, version = row
    return (jid, opened, *json.loads(fields), facts, next_at, version)
