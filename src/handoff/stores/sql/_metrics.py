"""The metrics read shared by the SQL backends: one row per journey, made into its tally.

A backend runs four queries in one read snapshot (:class:`Cursors`), and the database
reduces every journey's history to one row: Python never sees an interaction row, bar
the customer's messages after a handoff, whose facts the repeat rate reads. (The text
of a journey's earlier customer messages and its fact index are looked up in the same
snapshot, only for a journey with a leg that needs them.) They cover the period's
journeys, all ordered by journey id the same way: the journeys, their histories, and
for the journeys with handoffs their handoffs and the customer's messages after them.
This module merges the four streams and turns each journey's rows into a
:class:`~handoff.stores.metric_rows.MetricTally`.

Row layouts (times in UTC microseconds):

* journey: id, opened_at, first path channel, current channel, resolved_at (ISO text),
  reopen count, assignee (the last five from the record's JSON), the channel of its
  first step (only when the path is empty), the opening time of the contact's next
  journey;
* history (absent for a journey without interactions): journey id; the letters of
  the steps the order-dependent figures read, in order of time then sequence, as one
  text: ``c`` a customer's message or call, ``a`` an agent's, ``r`` a resolution; the
  instants of the ``c`` and ``a`` steps in the same order, comma-separated (None
  without any); the resolutions (None without any; else each one's instant, a space
  and its channel, in order, separated by ``\\x1f``); the surveys (None without any;
  else each one's id, a space and the JSON array of its CSAT, NPS and CES answers as
  stored, in order, separated by ``\\x1e``); the first replying agent (only when asked
  for agents);
* handoff (one per handoff, in any order within its journey): journey id, at, from,
  to, reason, queue, storage position, then its key: the instant and sequence of its
  anchoring interaction or, without one, its own instant and None; then the instant of
  the first agent reply on its new channel from that key on;
* said (one per customer conversational message from the journey's earliest key on,
  in any order within its journey): journey id, at, sequence, channel, id, body.

A leg starts at the latest key of its handoff and the earlier ones (legs never run
backwards), which Python works out: only where that is not the handoff's own key (an
imported handoff anchored before an earlier one's) is the reply looked up again from
the start (:data:`Replies`). The facts the customer restated in a leg are read from its
said rows (:mod:`handoff.facts._restatable`, each distinct text once); the journey's
fact index and the text of the customer's messages from before the earliest key (the
said rows hold the later ones) are looked up (:data:`Facts`, :data:`Texts`) only for a
leg that needs them, and a journey whose customer said nothing after its first handoff
restated nothing. So a SQL store's tally is complete as
read: it leaves no legs for the KPIs to read.

Order-dependent figures come from the steps: a wait runs from the first customer
message after an agent reply (or the start) to the next agent reply, what ``c+a``
matches in the letters of conversational steps (read by :mod:`handoff.stores.sql._talk`
when a report folds them); a reopen is a customer message whose
latest preceding customer message or resolution is a resolution, an ``rc`` in the
letters of customer messages and resolutions. Python parses no step of its own: one
split of the instants per journey, and string methods (in C) on its letters.
"""

from __future__ import annotations

import abc
import json
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

from handoff.clock import ensure_aware
from handoff.errors import StoreError, ValidationError
from handoff.facts._restatable import restatable
from handoff.stores.capabilities import MetricsSource
from handoff.stores.metric_rows import MetricTally, TallyHandoff
from handoff.stores.sql._fields import answers, iso_micros
from handoff.stores.sql._talk import NO_WAITS, Talk

__all__ = ["RESOLVED", "Cursors", "Facts", "Replies", "SQLMetrics", "Texts", "period"]

RESOLVED = "Resolved by"
"""How the body of a resolution event starts (11 characters, what an index keeps of it)."""

Row = tuple[Any, ...]
Texts = Callable[[str, int], Iterable[Row]]
"""A journey's customer messages (and calls) before an instant (UTC microseconds), each
as (at, sequence, channel, id, text)."""
Facts = Callable[[str], Any]
"""A journey's fact index as stored (JSON text, or the decoded list), None without one."""
Replies = Callable[[str, str, int, int | None], int | None]
"""The instant of a journey's first agent reply (a message or call) on a channel from a
key on: (journey id, channel, instant, sequence or None for any), None if none."""


class Cursors(NamedTuple):
    """What a backend's metrics read gives, in one consistent snapshot: the row streams
    of the period's journeys (journeys, histories, handoffs and the customer's messages
    after them, all ordered by journey id the same way), and what reads a journey's
    customer messages, its fact index and a reply on a channel in the same snapshot."""

    journeys: Iterable[Row]
    histories: Iterable[Row]
    handoffs: Iterable[Row]
    said: Iterable[Row]
    texts: Texts
    facts: Facts
    replies: Replies


_NO_ANSWERS = b""


def period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The checked bounds of a period: aware, and ``end`` after ``start``."""
    start = ensure_aware(start, "start")
    end = ensure_aware(end, "end")
    if end <= start:
        raise ValidationError("end", f"must be after start ({start.isoformat()})")
    return start, end


class SQLMetrics(MetricsSource):
    """:class:`~handoff.stores.capabilities.MetricsSource` over a backend's row streams (:class:`Cursors`)."""

    @abc.abstractmethod
    def _metric_cursors(
        self, start: datetime, end: datetime, agents: bool
    ) -> AbstractContextManager[Cursors]:
        """The row streams and look-ups (see the module) in one consistent snapshot; the
        histories give the first replying agent only with ``agents``."""

    def metric_tallies(self, start: datetime, end: datetime, *, agents: bool = True) -> Iterator[MetricTally]:
        start, end = period(start, end)
        with self._metric_cursors(start, end, agents) as cursors:
            histories = iter(cursors.histories)
            handoffs = iter(cursors.handoffs)
            said = iter(cursors.said)
            history, move, message = next(histories, None), next(handoffs, None), next(said, None)
            for row in cursors.journeys:
                jid = row[0]
                mine = None
                if history is not None and history[0] == jid:
                    mine, history = history, next(histories, None)
                if move is None or move[0] != jid:
                    yield _tally(row, mine, cursors)
                    continue
                moved: list[Row] = []
                while move is not None and move[0] == jid:
                    moved.append(move)
                    move = next(handoffs, None)
                spoken: list[Row] = []
                while message is not None and message[0] == jid:
                    spoken.append(message)
                    message = next(said, None)
                yield _tally(row, mine, cursors, moved, spoken)
            if history is not None or move is not None or message is not None:
                left = next(row for row in (history, move, message) if row is not None)
                raise StoreError(f"the metrics read gave rows out of order (journey {left[0]!r})")


_NO_HISTORY = (None, None, None, None, None, None)
_NO_ROWS: list[Row] = []
_new = tuple.__new__


def _tally(
    row: Row, history: Row | None, read: Cursors, moved: list[Row] = _NO_ROWS, said: list[Row] = _NO_ROWS
) -> MetricTally:
    jid, opened, entry, current, resolved, reopen_count, assignee, first_channel, next_at = row
    _, letters, instants, resolutions, surveys, agent = history or _NO_HISTORY
    letters = letters or ""
    reopens = 0
    first_resolved = None
    if resolutions is not None:
        first_resolved = int(resolutions.partition(" ")[0])
        reopens = letters.replace("a", "").count("rc")
        letters = letters.replace("r", "")
    resolved_at = resolved_channel = None
    if resolved is not None:
        resolved_at = iso_micros(resolved)
        resolved_channel = current if resolutions is None else resolutions.rpartition(" ")[2]
    csat = nps = ces = _NO_ANSWERS
    if surveys:
        csat, nps, ces = answers(surveys)
    handoffs = _handoffs(jid, moved, said, read) if moved else ()
    first_reply = letters.find("a")
    return _new(  # in field order: a year of tallies is made here
        MetricTally,
        (
            jid,
            opened,
            entry or first_channel or current,
            assignee if first_reply < 0 else agent,
            None if first_reply < 0 else int(instants.split(",", first_reply + 1)[first_reply]),
            Talk(letters, instants) if "ca" in letters else NO_WAITS,
            resolved_at if first_resolved is None else first_resolved,
            resolved_at,
            resolved_channel,
            max(reopens, reopen_count or 0),
            handoffs,
            csat,
            nps,
            ces,
            next_at,
            None,
        ),
    )


_STORED = itemgetter(1, 6)
_SPOKEN = itemgetter(1, 2)
_ANY = float("-inf")


def _handoffs(jid: str, moved: list[Row], said: list[Row], read: Cursors) -> tuple[TallyHandoff, ...]:
    """A journey's handoffs in time order, each with the first reply on its new channel
    and the facts the customer restated in its leg (see the module)."""
    moved.sort(key=_STORED)
    starts, replies = _starts(jid, moved, read.replies)
    restated = _restated(jid, moved, starts, said, read) if said else [0] * len(moved)
    return tuple(
        _new(TallyHandoff, (h[1], h[2], h[3], h[4], reply, count, h[5]))
        for h, reply, count in zip(moved, replies, restated, strict=True)
    )


_Starts = tuple[list[tuple[int, float]], list[int | None]]


def _starts(jid: str, handoffs: list[Row], replies_from: Replies) -> _Starts:
    """Where each leg starts (the latest key of its handoff and the earlier ones: the
    latest instant, and the latest sequence of the keys at that instant, None if none
    has one) and its reply: the one found from the handoff's own key, unless the leg
    starts later, when it is looked up from the start."""
    starts: list[tuple[int, float]] = []
    replies: list[int | None] = []
    at: int | None = None
    sequence: int | None = None
    for row in handoffs:
        key_at, key_sequence = row[7], row[8]
        if at is None or key_at > at:
            at, sequence = key_at, key_sequence
        elif key_at == at and key_sequence is not None and (sequence is None or key_sequence > sequence):
            sequence = key_sequence
        starts.append((at, _ANY if sequence is None else sequence))
        if at == key_at and sequence == key_sequence:
            replies.append(row[9])
        else:
            replies.append(replies_from(jid, row[3], at, sequence))
    return starts, replies


def _restated(
    jid: str, moved: list[Row], starts: list[tuple[int, float]], said: list[Row], read: Cursors
) -> list[int]:
    """How many facts the customer restated in each leg: the restatable facts of the
    leg's messages that the journey's fact index held before the handoff, or an earlier
    customer message said. The index is read once a leg holds a restatable fact, and the
    earlier messages only for a fact the index does not explain."""
    said.sort(key=_SPOKEN)
    keys = [(row[1], row[2]) for row in said]
    index: list[tuple[str, str, int]] | None = None
    earlier: list[Row] | None = None
    counts: list[int] = []
    for k, move in enumerate(moved):
        start = starts[k]
        first = bisect_left(keys, start)
        last = bisect_left(keys, starts[k + 1]) if k + 1 < len(starts) else len(keys)
        indexed: set[tuple[str, str]] | None = None
        known: set[tuple[str, str]] | None = None
        restated: set[tuple[str, str]] = set()
        for row in said[first:last]:
            for key in _restatable(row):
                if key in restated:
                    continue
                if indexed is None:
                    if index is None:
                        index = _fact_index(jid, read.facts(jid))
                    indexed = {(kind, value) for kind, value, at in index if at < move[1]}
                if key not in indexed:
                    if known is None:
                        if earlier is None:  # from before the earliest key, then the said rows
                            before = min(row[7] for row in moved)
                            earlier = [(jid, *text) for text in read.texts(jid, before)] + said
                        known = {
                            kept
                            for text in earlier
                            if (text[1], text[2]) < start
                            for kept in _restatable(text)
                        }
                    if key not in known:
                        continue
                restated.add(key)
        counts.append(len(restated))
    return counts


def _restatable(row: Row) -> tuple[tuple[str, str], ...]:
    """What a said row (journey id, at, sequence, channel, id, body) can restate."""
    return restatable(row[5] or "", row[3], row[1], row[4])


def _fact_index(jid: str, stored: Any) -> list[tuple[str, str, int]]:
    """A journey's fact index as stored (JSON text, or the decoded list), as (kind, value, at)."""
    try:
        facts = json.loads(stored) if isinstance(stored, str) else stored
        return [(f["kind"], f["value"], iso_micros(f["at"])) for f in facts or ()]
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(f"journey {jid}: its stored fact index is unreadable ({exc!r})") from exc
