"""The compact rows the KPIs read: a journey's history, and the tally it reduces to.

These are plain named tuples, not models: a year of history is hundreds of thousands of
journeys, and a report needs only a few values of each. Times are UTC microseconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

__all__ = ["MetricHandoff", "MetricJourney", "MetricStep", "MetricTally", "TallyHandoff"]


class MetricStep(NamedTuple):
    """One interaction as the KPIs read it: plain values, no model built.

    ``at`` is in UTC microseconds. A source may leave out what the KPIs never read:
    ``agent`` except for agent messages and calls (and there too when not asked for
    agents), ``body`` except for events (its first 11 characters at least) and for
    customer messages of journeys with handoffs, ``interaction_id`` except in journeys
    with handoffs and for surveys, ``metadata`` except for survey answers (a mapping,
    or its JSON text); otherwise "" or None. A plain tuple in this layout will do.
    """

    at: int
    sequence: int
    channel: str
    author: str
    kind: str
    agent: str | None
    body: str
    interaction_id: str
    metadata: Mapping[str, str] | None


class MetricHandoff(NamedTuple):
    """One handoff as the KPIs read it; ``anchor_at`` and ``anchor_sequence`` are those of
    the interaction that made it (None when it is not stored); ``queue`` is the queue it
    was routed to, if any."""

    at: int
    anchor_at: int | None
    anchor_sequence: int | None
    from_channel: str
    to_channel: str
    reason: str
    queue: str | None = None


class MetricJourney(NamedTuple):
    """One journey and its history as the KPIs read it (times in UTC microseconds).

    ``entry_channel`` is the first stop of the journey's path, if it has one; ``facts``
    are ``(kind, value, at)`` of its fact index, needed only when it has handoffs;
    ``next_contact_at`` is when its contact opened their next journey, if they did.
    """

    id: str
    opened_at: int
    entry_channel: str | None
    current_channel: str
    resolved_at: int | None
    reopen_count: int
    assignee: str | None
    facts: tuple[tuple[str, str, int], ...]
    next_contact_at: int | None
    steps: list[MetricStep]
    handoffs: list[MetricHandoff]


class TallyHandoff(NamedTuple):
    """One handoff as a tally keeps it: when, between which channels and why; when an
    agent first answered on the new channel (None if none did); how many facts the
    customer restated after it that the journey already held; the queue it was routed
    to (None if it was not)."""

    at: int
    from_channel: str
    to_channel: str
    reason: str
    reply_at: int | None
    restated: int
    queue: str | None = None


class MetricTally(NamedTuple):
    """What one journey adds to the KPIs, before a calendar, an FCR window or a period end
    applies: the journey reduced to its figures, in UTC microseconds.

    :func:`handoff.metrics.tally` makes it from a :class:`MetricJourney` (the walk); a
    :class:`~handoff.stores.capabilities.MetricsSource` makes it in the database. ``agent`` is
    the first agent who replied, else the assignee; ``waits`` are the (customer waiting
    since, agent reply at) pairs, flattened; ``first_resolved_at`` is the first
    resolution (else ``resolved_at``), ``resolved_at`` the journey record's;
    ``handoffs`` are in time order; ``csat``, ``nps`` and ``ces`` are the survey answers
    (``bytes`` will do, one answer per byte); ``next_contact_at`` is when the contact
    opened their next journey, if they did. A source that cannot tell which facts a
    customer restated leaves ``handoffs`` empty and gives ``legs``: the journey's fact
    index, handoffs and conversational steps (customer messages with their text and id,
    agent replies), from which the KPIs read the handoffs.
    """

    id: str
    opened_at: int
    entry_channel: str
    agent: str | None
    first_reply_at: int | None
    waits: Sequence[int]
    first_resolved_at: int | None
    resolved_at: int | None
    resolved_channel: str | None
    reopens: int
    handoffs: tuple[TallyHandoff, ...]
    csat: Sequence[int]
    nps: Sequence[int]
    ces: Sequence[int]
    next_contact_at: int | None
    legs: MetricJourney | None = None
