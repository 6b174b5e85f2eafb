"""The metrics read shared by the SQL backends: one row per journey, made into its tally.

A backend runs three queries in one read snapshot, and the database reduces every
journey's history to one row: Python never sees an interaction. The first two cover
the period's journeys without a current kept tally, both ordered by journey id the same
way; this module pairs the two rows of each journey and turns them into a
:class:`~handoff.stores.metric_rows.MetricTally` with the journey's version, for the
report to hand back to :meth:`SQLMetrics.keep_tallies`. The third gives the kept
tallies that are still current (see :mod:`handoff.stores.sql._tallies`).

Row layouts (times in UTC microseconds, JSON as text):

* journey: id, opened_at, first path channel, current channel, resolved_at (ISO text),
  reopen count, assignee (the last five from the record's JSON), the channel of its
  first step (only when the path is empty), the opening time of the contact's next
  journey, its version;
* history (absent for a journey without interactions): journey id; the conversation,
  one letter per customer (``c``) or agent (``a``) message or call in order of time
  then sequence; the instants of those steps (comma-separated); each resolution's
  instant and channel, in order (all space-separated); the reopen count (the database
  counts it); the surveys (None without any; else per survey in order, separated by
  ``\\x1e``, its id, a space and the JSON array of its CSAT, NPS and CES answers as
  stored); the first replying agent (only when asked for agents); and the legs.
* legs (only for journeys with handoffs): a JSON array of the handoffs ([at, anchor
  at, anchor sequence, from, to, reason, queue], in order of time then storage), the
  customer messages and agent replies ([at, sequence, channel, author, body, id], body
  and id only for the customer's), and the journey's fact index.

Order-dependent figures come from the conversation: a wait runs from the first
customer message after an agent reply (or the start) to the next agent reply, what
``c+a`` matches; a reopen is a customer message whose latest preceding customer
message or resolution is a resolution, an ``rc`` in the letters of customer messages
and resolutions, which the database counts.
"""

from __future__ import annotations

import abc
import json
import re
import threading
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta, timezone
from typing import Any

from handoff.clock import ensure_aware
from handoff.errors import StoreError, ValidationError
from handoff.events import SURVEY_SCALES
from handoff.stores.capabilities import MetricTallies
from handoff.stores.metric_rows import MetricHandoff, MetricJourney, MetricStep, MetricTally
from handoff.stores.sql._tallies import form_of, kept_tally, tally_row

__all__ = ["RESOLVED", "Cursors", "SQLMetrics", "period"]

RESOLVED = "Resolved by"
"""How the body of a resolution event starts (11 characters, what an index keeps of it)."""

Row = tuple[Any, ...]
Cursors = tuple[Iterable[Row], Iterable[Row], Iterable[Row]]
"""Journey rows, then history rows, both ordered by journey id the same way, of the
journeys without a current kept tally; then the kept tallies that are current."""

_WAIT = re.compile("c+a")
_SCALES = tuple(SURVEY_SCALES.items())
_NO_ANSWERS = b""
_NO_WAITS = array("q")
_SURVEYS = "\x1e"


def period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The checked bounds of a period: aware, and ``end`` after ``start``."""
    start = ensure_aware(start, "start")
    end = ensure_aware(end, "end")
    if end <= start:
        raise ValidationError("end", f"must be after start ({start.isoformat()})")
    return start, end


class SQLMetrics(MetricTallies):
    """:class:`~handoff.stores.capabilities.MetricTallies` over a backend's three row streams."""

    @abc.abstractmethod
    def _metric_cursors(self, start: datetime, end: datetime, form: int) -> AbstractContextManager[Cursors]:
        """Journey, history and kept rows (see the module) in one consistent snapshot;
        a kept tally is current if made from the journey's version in ``form`` or a
        better one (a lower number)."""

    @abc.abstractmethod
    def _keep_tally_rows(self, rows: Sequence[Row]) -> int:
        """Upsert ``rows`` (:func:`~handoff.stores.sql._tallies.tally_row`) in one
        transaction, each only while its journey is still at that version."""

    def _keep_during_read(self, rows: Sequence[Row], backlog: list[Row]) -> int:
        """Keep ``rows`` while this thread's metrics read is open. A backend that can
        write beside its open read (another connection to the same file) does so;
        by default they wait in ``backlog`` until the read is over."""
        backlog.extend(rows)
        return 0

    def _tally_backlogs(self) -> dict[int, list[Row]]:
        """Rows waiting for the open metrics read of each thread that has one."""
        backlogs: dict[int, list[Row]] | None = self.__dict__.get("_metric_backlogs")
        if backlogs is None:
            backlogs = self.__dict__["_metric_backlogs"] = {}
        return backlogs

    def metric_tallies(self, start: datetime, end: datetime, *, agents: bool = True) -> Iterator[MetricTally]:
        start, end = period(start, end)
        backlogs, me = self._tally_backlogs(), threading.get_ident()
        backlog: list[Row] = []
        backlogs[me] = backlog
        try:
            with self._metric_cursors(start, end, form_of(agents)) as (journeys, histories, kept):
                histories = iter(histories)
                history = next(histories, None)
                for row in journeys:
                    if history is not None and history[0] == row[0]:
                        yield _tally(row, history)
                        history = next(histories, None)
                    else:
                        yield _tally(row, None)
                for row in kept:
                    yield kept_tally(row)
        finally:
            del backlogs[me]
        if backlog:  # the read is over: what was kept during it is written now
            self._keep_tally_rows(backlog)

    def keep_tallies(self, tallies: Iterable[MetricTally], *, agents: bool) -> int:
        """Keep ``tallies``; called while this thread's read is open, the backend keeps
        them beside it or once it is over (a report hands them over in batches as it
        folds them, so a year of tallies is never held at once)."""
        form = form_of(agents)
        rows = [tally_row(item, form, f"tallies[{i}]") for i, item in enumerate(tallies)]
        if not rows:
            return 0
        backlog = self._tally_backlogs().get(threading.get_ident())
        if backlog is not None:
            return self._keep_during_read(rows, backlog)
        return self._keep_tally_rows(rows)


_NO_HISTORY = (None, "", None, None, 0, None, None, None)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def _tally(row: Row, history: Row | None) -> MetricTally:
    jid, opened, entry, current, resolved, reopen_count, assignee, first_channel, next_at, version = row
    _, talk, instants, resolutions, reopens, answers, agent, legs = history or _NO_HISTORY
    resolved_at = None
    resolved_channel = None
    if resolved is not None:
        resolved_at = _iso_micros(resolved)
        resolved_channel = resolutions.rsplit(" ", 1)[-1] if resolutions else current
    at = array("q", map(int, instants.split(","))) if instants else _NO_WAITS
    first_reply = talk.find("a") if talk else -1
    return MetricTally(
        id=jid,
        opened_at=opened,
        entry_channel=entry or first_channel or current,
        agent=assignee if first_reply < 0 else agent,
        first_reply_at=None if first_reply < 0 else at[first_reply],
        waits=_waits(talk, at) if talk else _NO_WAITS,
        first_resolved_at=resolved_at if resolutions is None else int(resolutions.split(" ", 1)[0]),
        resolved_at=resolved_at,
        resolved_channel=resolved_channel,
        reopens=max(reopens, reopen_count or 0),
        handoffs=(),
        csat=_NO_ANSWERS if answers is None else (scales := _answers(answers))[0],
        nps=_NO_ANSWERS if answers is None else scales[1],
        ces=_NO_ANSWERS if answers is None else scales[2],
        next_contact_at=next_at,
        legs=None if legs is None else _legs(jid, legs),
        version=version,
    )


def _waits(talk: str, at: array[int]) -> array[int]:
    """The (waiting since, reply at) pairs of a conversation, flattened."""
    if "cc" not in talk and "aa" not in talk:
        first = talk.find("c")  # turns alternate: each customer message is answered by the next
        if first < 0:
            return _NO_WAITS
        return at[first : first + (len(talk) - first) // 2 * 2]
    waits = array("q")
    for wait in _WAIT.finditer(talk):
        waits.append(at[wait.start()])
        waits.append(at[wait.end() - 1])
    return waits


def _answers(text: str) -> tuple[bytes, bytes, bytes]:
    """Each scale's answers, one per byte, checked as the walk checks them (stored data
    can be imported): a whole number of the scale, written as text."""
    scales: tuple[list[int], list[int], list[int]] = ([], [], [])
    for survey in text.split(_SURVEYS):
        iid, _, given = survey.partition(" ")
        for answers, raw, (name, (low, high)) in zip(scales, json.loads(given), _SCALES, strict=True):
            if raw is None:
                continue
            text = raw.strip() if isinstance(raw, str) else ""
            if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
                raise ValidationError(
                    f"interaction {iid}: metadata[{name!r}]",
                    f"expected a whole number from {low} to {high}, got {raw!r}",
                )
            answers.append(int(text))
    return bytes(scales[0]), bytes(scales[1]), bytes(scales[2])


def _legs(jid: str, text: str) -> MetricJourney:
    """What the repeat rate reads of a journey with handoffs (see the module)."""
    handoffs, steps, facts = json.loads(text)
    if isinstance(facts, str):
        facts = json.loads(facts)
    return MetricJourney(
        id=jid,
        opened_at=0,
        entry_channel=None,
        current_channel="",
        resolved_at=None,
        reopen_count=0,
        assignee=None,
        facts=tuple((f["kind"], f["value"], _iso_micros(f["at"])) for f in facts or ()),
        next_contact_at=None,
        steps=[
            MetricStep(at, sequence, channel, author, "message", None, body or "", iid or "", None)
            for at, sequence, channel, author, body, iid in steps
        ],
        handoffs=[MetricHandoff(*h) for h in handoffs],
    )


def _iso_micros(text: str) -> int:
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        when = None
    if when is None or when.tzinfo is None:
        raise StoreError(f"a stored journey has an unreadable time: {text!r}")
    return (when - _EPOCH) // _MICROSECOND
