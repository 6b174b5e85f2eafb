"""The tallies of many journeys without handoffs at once, a column per figure.

A report over a year folds about 140,000 journeys that had no handoff; made into a
:class:`~handoff.stores.metric_rows.MetricTally` each and folded one at a time, they are
most of a first report's Python. So a SQL store's read can hand them to a report in
batches instead (:class:`TallyColumns`), each figure a column, which
:func:`~handoff.metrics._fold.fold` folds with numpy: the same figures as their tallies
would give (the store tests hold both to the walk). The rows are those of
:mod:`handoff.stores.sql._metrics` (a journey's row and its history's).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from handoff.stores.sql._fields import answers, iso_micros

__all__ = ["NONE", "TallyColumns", "columns", "steps"]

NONE = -(1 << 63)
"""An absent instant in a column (no instant lies that far back)."""
NO_HISTORY = (None, None, None, None, None, None)
"""The history of a journey without interactions."""

Row = tuple[Any, ...]


class TallyColumns(NamedTuple):
    """The tallies of journeys without handoffs, a list per field (instants in UTC
    microseconds, :data:`NONE` where a tally has None). A journey's waits are given by its
    conversation (``letters`` and ``instants``, see :class:`~handoff.stores.sql._talk.Talk`)
    if it has any, with its place in the batch in ``talkers``; its survey answers (one
    per byte) if it was surveyed, with its place in ``surveyed``."""

    opened_at: list[int]
    entry_channel: list[str]
    agent: list[str | None]
    first_reply_at: list[int]
    first_resolved_at: list[int]
    resolved_at: list[int]
    resolved_on_entry: list[bool]
    reopens: list[int]
    next_contact_at: list[int]
    talkers: list[int]
    letters: list[str]
    instants: list[str]
    surveyed: list[int]
    csat: list[bytes]
    nps: list[bytes]
    ces: list[bytes]


def steps(history: Row | None) -> tuple[str, str, int | None, int, str | None, str | None, str | None]:
    """What a tally reads of a journey's history row: the letters of its conversation
    (``c`` and ``a``) and their instants, the first resolution's instant (None without
    one), the reopens its steps show, its resolutions, its surveys and its first
    replying agent."""
    _, letters, instants, resolutions, surveys, agent = history or NO_HISTORY
    letters, instants = letters or "", instants or ""
    if resolutions is None:
        return letters, instants, None, 0, None, surveys, agent
    reopens = letters.replace("a", "").count("rc")  # a customer's step right after a resolution
    first = int(resolutions.partition(" ")[0])
    return letters.replace("r", ""), instants, first, reopens, resolutions, surveys, agent


def columns(journeys: list[tuple[Row, Row | None]]) -> TallyColumns:
    """The columns of ``journeys`` (each its row and its history's, None without one),
    every figure as :func:`~handoff.stores.sql._metrics` makes it for a tally."""
    made = TallyColumns([], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [])
    (opened_at, entry_channel, agents, first_reply_at, first_resolved_at, resolved_at, on_entry, reopened,
     next_contact_at, talkers, talks, spoken, surveyed, csat, nps, ces) = made  # fmt: skip
    for place, (row, history) in enumerate(journeys):
        _, opened, entry, current, resolved, reopen_count, assignee, first_channel, next_at, _ = row
        letters, instants, first_resolved, reopens, resolutions, surveys, agent = steps(history)
        entry = entry or first_channel or current
        opened_at.append(opened)
        entry_channel.append(entry)
        first_reply = letters.find("a")
        if first_reply < 0:
            agents.append(assignee)
            first_reply_at.append(NONE)
        else:
            agents.append(agent)
            first_reply_at.append(int(instants.split(",", first_reply + 1)[first_reply]))
            if "ca" in letters:
                talkers.append(place)
                talks.append(letters)
                spoken.append(instants)
        if resolved is None:
            resolved_at.append(NONE)
            on_entry.append(False)
            first_resolved_at.append(NONE if first_resolved is None else first_resolved)
        else:
            at = iso_micros(resolved)
            resolved_at.append(at)
            on_entry.append((current if resolutions is None else resolutions.rpartition(" ")[2]) == entry)
            first_resolved_at.append(at if first_resolved is None else first_resolved)
        reopen_count = reopen_count or 0
        reopened.append(reopens if reopens > reopen_count else reopen_count)
        next_contact_at.append(NONE if next_at is None else next_at)
        if surveys:
            given = answers(surveys)
            surveyed.append(place)
            csat.append(given[0])
            nps.append(given[1])
            ces.append(given[2])
    return made
