"""The metrics read shared by the SQL backends: three row streams merged per journey.

A backend runs three queries in one read snapshot, each ordered by journey id the same
way: the journeys opened in the period, their interactions and their handoffs. Rows hold
only plain columns and the few JSON fields the KPIs read, so a year of history streams
through without building one model; this module turns them into
:class:`~handoff.stores.metric_rows.MetricJourney` values, one journey at a time. Sorting the
rows by journey costs less than reaching each journey's rows through an index: those
are scattered over the file in the order they happened.

Row layouts (times in UTC microseconds, JSON as text):

* journey: id, opened_at, first path channel, current channel, resolved_at (ISO text),
  reopen count, assignee, facts (JSON, only for journeys with handoffs), the opening
  time of the contact's next journey, version;
* step: the fields of :class:`~handoff.stores.metric_rows.MetricStep`, then the journey id;
  in a journey with handoffs customer messages carry their whole body and their id;
* handoff: journey id, at, the at and sequence of the interaction that made it (None
  if it is not stored), from, to, reason.

With :class:`~handoff.stores.capabilities.MetricTallies`, a fourth stream comes first: the kept
tallies that are current (see :mod:`handoff.stores.sql._tallies`), and the other three hold only the
journeys without one.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any, cast

from handoff.clock import ensure_aware, micros
from handoff.errors import StoreError, ValidationError
from handoff.stores.capabilities import MetricTallies
from handoff.stores.metric_rows import MetricHandoff, MetricJourney, MetricStep, MetricTally
from handoff.stores.sql._tallies import check_form, read_tally, tally_row

__all__ = ["Cursors", "SQLMetrics", "TallyCursors", "period"]

Row = tuple[Any, ...]
Cursors = tuple[Iterable[Row], Iterable[Row], Iterable[Row]]
# Kept tally rows, then (if given) the next contact by the key in their last column,
# then the journey, step and handoff rows of the journeys without a current tally.
TallyCursors = tuple[Iterable[Row], Mapping[Any, int] | None, Iterable[Row], Iterable[Row], Iterable[Row]]

_JOURNEY_ID = itemgetter(9)


def _iso_micros(text: str, what: str) -> int:
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise StoreError(f"a stored journey has an unreadable {what}: {text!r}") from None
    return micros(ensure_aware(when, what))


def _facts(text: str | None) -> tuple[tuple[str, str, int], ...]:
    if not text:
        return ()
    return tuple((f["kind"], f["value"], _iso_micros(f["at"], "fact time")) for f in json.loads(text))


class SQLMetrics(MetricTallies):
    """:class:`~handoff.stores.capabilities.MetricTallies` over a backend's row streams."""

    @abc.abstractmethod
    def _metric_cursors(
        self, start: datetime, end: datetime, agents: bool
    ) -> AbstractContextManager[Cursors]:
        """Journey, step and handoff rows (see the module) in one consistent snapshot."""

    @abc.abstractmethod
    def _tally_cursors(
        self, start: datetime, end: datetime, form: int
    ) -> AbstractContextManager[TallyCursors]:
        """Current kept tallies, then the rows of the other journeys, in one snapshot."""

    @abc.abstractmethod
    def _write_tallies(self, rows: list[Row]) -> None:
        """Upsert rows in the layout of :func:`handoff.stores.sql._tallies.tally_row`, in one transaction."""

    def metric_tallies(
        self, start: datetime, end: datetime, *, form: int
    ) -> Iterator[MetricTally | MetricJourney]:
        start, end = period(start, end)
        form = check_form(form)
        with self._tally_cursors(start, end, form) as (kept, following, journeys, steps, handoffs):
            for row in kept:
                yield read_tally(row, following)
            yield from _merge(iter(journeys), steps, iter(handoffs))

    def keep_tallies(self, tallies: Sequence[MetricTally], *, form: int) -> None:
        form = check_form(form)
        if isinstance(tallies, (str, bytes)) or not isinstance(tallies, Sequence):
            raise ValidationError(
                "tallies", f"expected a sequence of MetricTally, got {type(tallies).__name__}"
            )
        rows = [tally_row(item, form, f"tallies[{i}]") for i, item in enumerate(tallies)]
        if rows:
            self._write_tallies(rows)

    def metric_journeys(
        self, start: datetime, end: datetime, *, agents: bool = True
    ) -> Iterator[MetricJourney]:
        start, end = period(start, end)
        with self._metric_cursors(start, end, agents) as (journeys, steps, handoffs):
            yield from _merge(iter(journeys), steps, iter(handoffs))


def period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The checked bounds of a period: aware, and ``end`` after ``start``."""
    start = ensure_aware(start, "start")
    end = ensure_aware(end, "end")
    if end <= start:
        raise ValidationError("end", f"must be after start ({start.isoformat()})")
    return start, end


class _Pending:
    """The rows of one stream that belong to the journey being assembled."""

    def __init__(self, rows: Iterator[Row]) -> None:
        self.rows = rows
        self.head: Row | None = next(rows, None)

    def take(self, journey_id: str) -> list[Row]:
        taken: list[Row] = []
        while self.head is not None and self.head[0] == journey_id:
            taken.append(self.head)
            self.head = next(self.rows, None)
        return taken


def _merge(journeys: Iterator[Row], steps: Iterable[Row], handoffs: Iterator[Row]) -> Iterator[MetricJourney]:
    """Zip the streams: each is ordered by journey the same way, so equality suffices.

    Steps are by far the most rows, so they are grouped by ``groupby`` (no Python code
    runs per step) and stay the tuples the driver made (journey id last, after the
    fields of a MetricStep).
    """
    moved = _Pending(handoffs)
    current = next(journeys, None)
    for jid, mine in groupby(steps, _JOURNEY_ID):
        while current is not None and current[0] != jid:
            yield _journey(current, [], moved)
            current = next(journeys, None)
        if current is None:
            break
        yield _journey(current, list(mine), moved)
        current = next(journeys, None)
    while current is not None:
        yield _journey(current, [], moved)
        current = next(journeys, None)


def _journey(row: Row, steps: list[Row], moved: _Pending) -> MetricJourney:
    jid, opened, entry, current, resolved, reopens, assignee, facts, next_at, version = row
    handoffs: list[MetricHandoff] = []
    for _, at, anchor_at, anchor_sequence, before, after, reason in moved.take(jid):
        handoffs.append(MetricHandoff(at, anchor_at, anchor_sequence, before, after, reason))
    return MetricJourney(
        id=jid,
        opened_at=opened,
        entry_channel=entry,
        current_channel=current,
        resolved_at=None if resolved is None else _iso_micros(resolved, "resolved_at"),
        reopen_count=int(reopens or 0),
        assignee=assignee,
        facts=_facts(facts) if handoffs else (),
        next_contact_at=next_at,
        steps=cast(list[MetricStep], steps),
        handoffs=handoffs,
        version=version,
    )
