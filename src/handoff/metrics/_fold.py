"""The store path of :func:`~handoff.metrics.kpis`: tallies folded straight into groups.

A year of history is hundreds of thousands of journeys and over a million waits, so
this skips the figures objects (and their datetimes) that
:func:`~handoff.metrics.journeys.figures_of` builds for one journey. Each tally adds
its counts to its group and its waits, as (start, end) instants, to the group's flat
arrays; a tally from a SQL store hands its conversation over unread
(:class:`~handoff.stores.sql._talk.Talk`), and the waits of many conversations are
read at once. Only when every journey is in are the instants turned into calendar and
business seconds, one measure at a time, in tight loops. Here the report's own terms
apply: the business calendar, the FCR window and the end of the period.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from operator import sub
from typing import Any, TypeAlias

from handoff.clock import from_micros, micros
from handoff.metrics._vector import calendar_seconds, module, wait_pairs
from handoff.metrics.aggregate import MEASURES, PATH_ARROW, Aggregator, _Group
from handoff.metrics.calendar import Worktime
from handoff.metrics.figures import last_queue
from handoff.stores.base import MetricTally, TallyHandoff
from handoff.stores.sql._columns import NONE, TallyColumns
from handoff.stores.sql._talk import Talk

__all__ = ["fold"]

# Waits are kept in bins, then turned into seconds bin by bin. A journey's first reply
# usually answers its first customer message, and a journey resolved once has the same
# first and last resolution: such a wait sits in a bin shared by both measures, so it
# is converted once.
_FIRST_WAIT, _FIRST_RESPONSE, _RESPONSE, _RESOLVED_ONCE, _FIRST_RESOLUTION, _RESOLUTION, _HANDOFF = range(7)
_BINS_OF = {
    "first_response": (_FIRST_WAIT, _FIRST_RESPONSE),
    "response": (_FIRST_WAIT, _RESPONSE),
    "first_resolution": (_RESOLVED_ONCE, _FIRST_RESOLUTION),
    "resolution": (_RESOLVED_ONCE, _RESOLUTION),
    "handoff_response": (_HANDOFF,),
}


_Groups: TypeAlias = "dict[tuple[str, ...], tuple[_Group, list[array[int]], list[Talk]]]"


def fold(
    aggregator: Aggregator,
    tallies: Iterable[MetricTally | TallyColumns],
    worktime: Worktime | None,
    window: int,
) -> None:
    """Add every tally of ``tallies`` to ``aggregator`` (``window``: the FCR window in µs);
    a batch of columns (:class:`~handoff.stores.sql._columns.TallyColumns`) is folded
    with numpy, which its source checked is installed."""
    by = aggregator.by
    end = micros(aggregator.end)
    by_channel = by == ("channel",)
    groups: _Groups = {}
    pending = 0  # talks held, in every group
    for t in tallies:
        if isinstance(t, TallyColumns):
            _fold_columns(t, aggregator, groups, end, window)
            continue
        (_, opened, entry, _, first_reply, waits, first_resolved, resolved_at, resolved_channel,
         reopens, handoffs, csat, nps, ces, comeback, _, _) = t  # fmt: skip
        key = (entry,) if by_channel else _key(by, aggregator, entry, handoffs, t.agent, opened)
        found = groups.get(key)
        if found is None:
            found = groups[key] = (aggregator.group(key), [array("q") for _ in range(7)], [])
        group, bins, talks = found
        c = group.counts
        c["journeys"] += 1
        if type(waits) is Talk:  # read in bulk with the group's other talks
            talks.append(waits)
            pending += 1
            if pending >= _TALKS:  # however many groups hold them
                for _, held_bins, held in groups.values():
                    _read_talks(held, held_bins[_RESPONSE])
                pending = 0
            if first_reply is not None:
                first = bins[_FIRST_RESPONSE]
                first.append(opened)
                first.append(first_reply)
        else:
            if first_reply is not None:
                if len(waits) >= 2 and waits[0] == opened and waits[1] == first_reply:
                    shared = bins[_FIRST_WAIT]
                    shared.append(opened)
                    shared.append(first_reply)
                    waits = waits[2:]
                else:
                    first = bins[_FIRST_RESPONSE]
                    first.append(opened)
                    first.append(first_reply)
            if waits:
                bins[_RESPONSE].extend(waits)
        if resolved_at is not None:
            c["resolved"] += 1
            c["resolved_on_entry"] += resolved_channel == entry
            c["fcr"] += reopens == 0 and not (
                comeback is not None and resolved_at <= comeback <= resolved_at + window
            )
            c["backlog"] += resolved_at > end
        else:
            c["backlog"] += 1
        if resolved_at is not None and resolved_at == first_resolved:
            once = bins[_RESOLVED_ONCE]
            once.append(opened)
            once.append(resolved_at)
        else:
            if first_resolved is not None:
                first = bins[_FIRST_RESOLUTION]
                first.append(opened)
                first.append(first_resolved)
            if resolved_at is not None:
                last = bins[_RESOLUTION]
                last.append(opened)
                last.append(resolved_at)
        if reopens:
            c["reopened"] += 1
        if handoffs:
            c["handed_off"] += 1
            c["handoffs"] += len(handoffs)
            moved = bins[_HANDOFF]
            for handoff in handoffs:
                c["repeated"] += handoff.restated > 0
                if handoff.reply_at is not None:
                    moved.append(handoff.at)
                    moved.append(handoff.reply_at)
        if csat:
            c["csat_answers"] += len(csat)
            c["csat_satisfied"] += _at_least(csat, 4)
        if nps:
            c["nps_answers"] += len(nps)
            c["promoters"] += _at_least(nps, 9)
            c["detractors"] += len(nps) - _at_least(nps, 7)
        if ces:
            c["ces_answers"] += len(ces)
            c["ces_easy"] += _at_least(ces, 5)
            c["ces_total"] += sum(ces)
    for group, bins, talks in groups.values():
        _read_talks(talks, bins[_RESPONSE])
        calendar = [_calendar(pairs) for pairs in bins]
        business = [worktime.seconds_between_pairs(pairs) for pairs in bins] if worktime is not None else None
        for name in MEASURES:
            for b in _BINS_OF[name]:
                group.calendar[name].extend(calendar[b])
                if business is not None:
                    group.business[name].extend(business[b])


_BELOW = [bytes(range(low)) for low in range(11)]


def _at_least(answers: Sequence[int], low: int) -> int:
    """How many ``answers`` are ``low`` or more (answers as bytes, one per byte, are
    counted in C: a year holds a few hundred thousand of them)."""
    if type(answers) is bytes:
        return len(answers.translate(None, _BELOW[low]))
    return sum(1 for answer in answers if answer >= low)


_TALKS = 20_000
"""Talks held before they are read (in every group at once): enough for numpy to pay,
few enough to hold little memory whatever the slicing."""


def _read_talks(talks: list[Talk], into: array[int]) -> None:
    """Add the waits of ``talks`` to ``into``, all at once with numpy, and forget them."""
    if not talks:
        return
    pairs = wait_pairs([talk.letters for talk in talks], [talk.instants for talk in talks])
    if pairs is None:
        for talk in talks:
            into.extend(talk.pairs())
    else:
        into.frombytes(pairs)
    talks.clear()


def _calendar(pairs: array[int]) -> Sequence[float]:
    """Calendar seconds of (start, end) pairs; a wait that ends before it starts is 0."""
    fast = calendar_seconds(pairs)
    if fast is not None:
        return fast
    return [d / 1e6 if d > 0 else 0.0 for d in map(sub, pairs[1::2], pairs[0::2])]


def _key(
    by: tuple[str, ...],
    aggregator: Aggregator,
    entry: str,
    handoffs: Sequence[TallyHandoff],
    agent: str | None,
    opened_at: int,
) -> tuple[str, ...]:
    """The labels of :func:`~handoff.metrics.aggregate.group_key`, from a tally's fields."""
    labels: list[str] = []
    for dimension in by:
        if dimension == "channel":
            labels.append(entry)
        elif dimension == "path":
            path = [entry]
            for handoff in handoffs:
                if handoff.to_channel != path[-1]:
                    path.append(handoff.to_channel)
            labels.append(PATH_ARROW.join(path))
        elif dimension == "reason":
            labels.append(handoffs[0].reason if handoffs else "none")
        elif dimension == "agent":
            labels.append(agent or "unassigned")
        elif dimension == "queue":
            labels.append(last_queue(handoffs) or "none")
        else:  # week; the aggregator checked the dimensions
            opened = from_micros(opened_at)
            year, week, _ = opened.astimezone(aggregator.week_zone).isocalendar()
            labels.append(f"{year}-W{week:02d}")
    return tuple(labels)


def _fold_columns(
    columns: TallyColumns, aggregator: Aggregator, groups: _Groups, end: int, window: int
) -> None:
    """Add a batch of tallies given by columns to their groups, as :func:`fold` adds
    each of them (they have no handoffs, and their waits are conversations)."""
    np = module()
    by = aggregator.by
    keys: list[tuple[str, ...]]
    if by == ("channel",):
        keys = [(entry,) for entry in columns.entry_channel]
    else:
        keys = [
            _key(by, aggregator, entry, (), agent, opened)
            for entry, agent, opened in zip(
                columns.entry_channel, columns.agent, columns.opened_at, strict=True
            )
        ]
    places: dict[tuple[str, ...], int] = {}
    codes = np.array([places.setdefault(key, len(places)) for key in keys], dtype=np.intp)
    order = np.argsort(codes, kind="stable")  # each group's journeys side by side
    opened = np.array(columns.opened_at, dtype=np.int64)[order]
    first_reply = np.array(columns.first_reply_at, dtype=np.int64)[order]
    first_resolved = np.array(columns.first_resolved_at, dtype=np.int64)[order]
    resolved_at = np.array(columns.resolved_at, dtype=np.int64)[order]
    on_entry = np.array(columns.resolved_on_entry, dtype=bool)[order]
    reopens = np.array(columns.reopens, dtype=np.int64)[order]
    comeback = np.array(columns.next_contact_at, dtype=np.int64)[order]
    talked = codes[columns.talkers] if columns.talkers else codes[:0]
    surveyed = codes[columns.surveyed] if columns.surveyed else codes[:0]
    low = 0
    for (key, code), size in zip(places.items(), np.bincount(codes).tolist(), strict=True):
        high = low + size
        found = groups.get(key)
        if found is None:
            found = groups[key] = (aggregator.group(key), [array("q") for _ in range(7)], [])
        group, bins, _ = found
        mine = slice(low, high)
        low = high
        o, reply, first, last = opened[mine], first_reply[mine], first_resolved[mine], resolved_at[mine]
        resolved = last != NONE
        back = comeback[mine]
        came_back = (back != NONE) & (last <= back) & (back <= last + window)
        c = group.counts
        c["journeys"] += size
        c["resolved"] += int(np.count_nonzero(resolved))
        c["resolved_on_entry"] += int(np.count_nonzero(resolved & on_entry[mine]))
        c["fcr"] += int(np.count_nonzero(resolved & (reopens[mine] == 0) & ~came_back))
        c["backlog"] += int(np.count_nonzero(~resolved | (last > end)))
        c["reopened"] += int(np.count_nonzero(reopens[mine]))
        once = resolved & (last == first)
        _pairs(np, bins[_FIRST_RESPONSE], o, reply, reply != NONE)
        _pairs(np, bins[_RESOLVED_ONCE], o, last, once)
        _pairs(np, bins[_FIRST_RESOLUTION], o, first, ~once & (first != NONE))
        _pairs(np, bins[_RESOLUTION], o, last, ~once & resolved)
        talks = np.flatnonzero(talked == code).tolist()
        if talks:
            letters = [columns.letters[k] for k in talks]
            instants = [columns.instants[k] for k in talks]
            waits = wait_pairs(letters, instants)
            if waits is None:
                for said, when in zip(letters, instants, strict=True):
                    bins[_RESPONSE].extend(Talk(said, when).pairs())
            else:
                bins[_RESPONSE].frombytes(waits)
        answered = np.flatnonzero(surveyed == code).tolist()
        if answered:
            csat = b"".join([columns.csat[k] for k in answered])
            nps = b"".join([columns.nps[k] for k in answered])
            ces = b"".join([columns.ces[k] for k in answered])
            c["csat_answers"] += len(csat)
            c["csat_satisfied"] += _at_least(csat, 4)
            c["nps_answers"] += len(nps)
            c["promoters"] += _at_least(nps, 9)
            c["detractors"] += len(nps) - _at_least(nps, 7)
            c["ces_answers"] += len(ces)
            c["ces_easy"] += _at_least(ces, 5)
            c["ces_total"] += sum(ces)


def _pairs(np: Any, into: array[int], starts: Any, ends: Any, chosen: Any) -> None:
    """Add the (start, end) pairs ``chosen`` to ``into``."""
    count = int(np.count_nonzero(chosen))
    if count:
        pairs = np.empty(2 * count, dtype=np.int64)
        pairs[0::2] = starts[chosen]
        pairs[1::2] = ends[chosen]
        into.frombytes(pairs.tobytes())
