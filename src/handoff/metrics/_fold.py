"""The store path of :func:`~handoff.metrics.kpis`: tallies folded straight into groups.

A year of history is hundreds of thousands of journeys and over a million waits, so
this skips the figures objects (and their datetimes) that
:func:`~handoff.metrics.journeys.figures_of` builds for one journey. Each tally adds
its counts to its group and its waits, as (start, end) instants, to the group's flat
arrays; a tally from a SQL store hands its conversation over unread
(:class:`~handoff.stores.sql._talk.Talk`), and the waits of many conversations are
read at once. Every :data:`_HELD` journeys, the instants held in every group are
turned into calendar and business seconds, a bin at a time, in tight loops: a store that
reads on a thread of its own gives its rows in slices, and the conversion runs while the
calling thread would wait for the next one, not all after the last. Here the report's
own terms apply: the business calendar, the FCR window and the end of the period.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from operator import sub

from handoff.clock import from_micros, micros
from handoff.metrics._vector import calendar_seconds, wait_pairs
from handoff.metrics.aggregate import MEASURES, PATH_ARROW, Aggregator, _Group
from handoff.metrics.calendar import Worktime
from handoff.metrics.figures import last_queue
from handoff.metrics.formulas import SortedSamples
from handoff.stores.base import MetricTally
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


def fold(
    aggregator: Aggregator, tallies: Iterable[MetricTally], worktime: Worktime | None, window: int
) -> None:
    """Add every tally of ``tallies`` to ``aggregator`` (``window``: the FCR window in µs)."""
    by = aggregator.by
    end = micros(aggregator.end)
    by_channel = by == ("channel",)
    groups: dict[tuple[str, ...], tuple[_Group, list[array[int]], _Talks]] = {}
    held = 0  # journeys whose waits are held, in every group
    for t in tallies:
        (_, opened, entry, _, first_reply, waits, first_resolved, resolved_at, resolved_channel,
         reopens, handoffs, csat, nps, ces, comeback, _) = t  # fmt: skip
        key = (entry,) if by_channel else _key(by, aggregator, t)
        found = groups.get(key)
        if found is None:
            found = groups[key] = (aggregator.group(key), [array("q") for _ in range(7)], ([], []))
        group, bins, talks = found
        c = group.counts
        c["journeys"] += 1
        if type(waits) is Talk:  # read in bulk with the group's other talks
            talks[0].append(waits.letters)
            talks[1].append(waits.instants)
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
        held += 1
        if held >= _HELD:  # however many groups hold them
            for found in groups.values():
                _convert(*found, worktime, _CONVERTED)
            held = 0
    for found in groups.values():
        _convert(*found, worktime, 0)


def _convert(
    group: _Group, bins: list[array[int]], talks: _Talks, worktime: Worktime | None, least: int
) -> None:
    """Read the talks ``group`` holds, then turn its waits into its samples and forget
    them, if it holds ``least`` instants or more (a report by agent and week has
    thousands of small groups: theirs wait for the end, in one batch each). A batch
    turned during the read is added sorted, bin by bin: the group's samples are then
    runs that the report's one sort of each measure merges, instead of sorting them anew."""
    _read_talks(talks, bins[_RESPONSE])
    if sum(map(len, bins)) < least:
        return
    calendar = [_calendar(pairs) for pairs in bins]
    business = [worktime.seconds_between_pairs(pairs) for pairs in bins] if worktime is not None else None
    if least:
        calendar = [SortedSamples.of(seconds) for seconds in calendar]
        business = None if business is None else [SortedSamples.of(seconds) for seconds in business]
    for name in MEASURES:
        for b in _BINS_OF[name]:
            group.calendar[name].extend(calendar[b])
            if business is not None:
                group.business[name].extend(business[b])
    for pairs in bins:
        del pairs[:]


_BELOW = [bytes(range(low)) for low in range(11)]


def _at_least(answers: Sequence[int], low: int) -> int:
    """How many ``answers`` are ``low`` or more (answers as bytes, one per byte, are
    counted in C: a year holds a few hundred thousand of them)."""
    if type(answers) is bytes:
        return len(answers.translate(None, _BELOW[low]))
    return sum(1 for answer in answers if answer >= low)


_HELD = 20_000
"""Journeys whose waits are held (in every group at once) before their talks are read
and their instants turned into seconds: enough for numpy to pay, few enough to hold
little memory and to spread the conversion over the read."""

_CONVERTED = 8192
"""Instants a group must hold for a batch of them to be turned into seconds before the
end: enough for the conversion's per-call cost to be small beside its work."""

_Talks = tuple[list[str], list[str]]
"""The talks a group holds, as their letters and their instants: texts, which the cyclic
garbage collector does not track (talk objects held by the thousand would be traversed
at each of its collections until read)."""


def _read_talks(talks: _Talks, into: array[int]) -> None:
    """Add the waits of ``talks`` to ``into``, all at once with numpy, and forget them."""
    letters, instants = talks
    if not letters:
        return
    pairs = wait_pairs(letters, instants)
    if pairs is None:
        for held in zip(letters, instants, strict=True):
            into.extend(Talk(*held).pairs())
    else:
        into.frombytes(pairs)
    letters.clear()
    instants.clear()


def _calendar(pairs: array[int]) -> Sequence[float]:
    """Calendar seconds of (start, end) pairs; a wait that ends before it starts is 0."""
    fast = calendar_seconds(pairs)
    if fast is not None:
        return fast
    return [d / 1e6 if d > 0 else 0.0 for d in map(sub, pairs[1::2], pairs[0::2])]


def _key(by: tuple[str, ...], aggregator: Aggregator, t: MetricTally) -> tuple[str, ...]:
    """The labels of :func:`~handoff.metrics.aggregate.group_key`, from the tally."""
    labels: list[str] = []
    for dimension in by:
        if dimension == "channel":
            labels.append(t.entry_channel)
        elif dimension == "path":
            path = [t.entry_channel]
            for handoff in t.handoffs:
                if handoff.to_channel != path[-1]:
                    path.append(handoff.to_channel)
            labels.append(PATH_ARROW.join(path))
        elif dimension == "reason":
            labels.append(t.handoffs[0].reason if t.handoffs else "none")
        elif dimension == "agent":
            labels.append(t.agent or "unassigned")
        elif dimension == "queue":
            labels.append(last_queue(t.handoffs) or "none")
        else:  # week; the aggregator checked the dimensions
            opened = from_micros(t.opened_at)
            year, week, _ = opened.astimezone(aggregator.week_zone).isocalendar()
            labels.append(f"{year}-W{week:02d}")
    return tuple(labels)
