"""Streaming aggregation of per-journey figures into groups.

An :class:`Aggregator` takes one :class:`~handoff.metrics.journeys.JourneyFigures` at a
time and keeps, per group, additive counts plus the durations that medians need (as
compact float arrays); nothing else of a journey is kept. Every journey falls in exactly
one group per dimension, so the groups partition the period and their counts add up to
the unsliced counts:

``channel``  the channel the journey started on
``path``     its switch path, e.g. ``twitter → chat → phone``
``reason``   why it first changed hands (``none`` if it never did)
``agent``    the first agent who replied, else the journey's assignee, else ``unassigned``
``queue``    the queue that ended up handling it: that of its last handoff routed to one
             (``none`` if no handoff was routed)
``week``     the ISO week it opened in, e.g. ``2025-W11``
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from itertools import chain
from typing import cast
from zoneinfo import ZoneInfo

from attrs import define, field, fields

from handoff.clock import ensure_aware
from handoff.errors import ValidationError
from handoff.metrics.formulas import SortedSamples
from handoff.metrics.journeys import JourneyFigures, Wait

__all__ = ["DIMENSIONS", "MEASURES", "Aggregator", "Counts", "GroupTotals", "combine", "group_key"]

DIMENSIONS: tuple[str, ...] = ("channel", "path", "reason", "agent", "queue", "week")
MEASURES: tuple[str, ...] = (
    "first_response",
    "response",
    "first_resolution",
    "resolution",
    "handoff_response",
)
"""The durations kept per group, each in calendar and (with a calendar) business seconds."""

PATH_ARROW = " → "


@define(frozen=True)
class Counts:
    """The additive part of a group: adding two groups' counts gives their union's."""

    journeys: int = 0
    resolved: int = 0
    """Journeys that ended resolved."""
    reopened: int = 0
    """Journeys reopened at least once."""
    fcr: int = 0
    backlog: int = 0
    """Journeys not resolved at the end of the period."""
    handed_off: int = 0
    """Journeys with at least one handoff."""
    resolved_on_entry: int = 0
    """Journeys resolved on the channel they started on."""
    handoffs: int = 0
    repeated: int = 0
    """Handoffs after which the customer restated a fact the journey already held."""
    csat_answers: int = 0
    csat_satisfied: int = 0
    nps_answers: int = 0
    promoters: int = 0
    detractors: int = 0
    ces_answers: int = 0
    ces_easy: int = 0
    ces_total: int = 0

    def __add__(self, other: Counts) -> Counts:
        if not isinstance(other, Counts):
            return NotImplemented
        return Counts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(Counts)})


@define(frozen=True)
class GroupTotals:
    """One group's counts and duration samples (seconds), ready for the formulas."""

    key: tuple[str, ...]
    counts: Counts
    calendar: Mapping[str, Sequence[float]] = field(factory=dict, hash=False)
    business: Mapping[str, Sequence[float]] = field(factory=dict, hash=False)


def combine(groups: Iterable[GroupTotals], key: tuple[str, ...] = ()) -> GroupTotals:
    """Merge groups into one (the total row of a sliced report)."""
    if isinstance(groups, (str, bytes)) or not isinstance(groups, Iterable):
        raise ValidationError("groups", f"expected GroupTotals, got {type(groups).__name__}")
    counts = Counts()
    calendar: dict[str, list[Sequence[float]]] = {name: [] for name in MEASURES}
    business: dict[str, list[Sequence[float]]] = {name: [] for name in MEASURES}
    for i, group in enumerate(groups):
        if not isinstance(group, GroupTotals):
            raise ValidationError(f"groups[{i}]", f"expected GroupTotals, got {type(group).__name__}")
        counts = counts + group.counts
        for name in MEASURES:
            calendar[name].append(group.calendar.get(name, ()))
            business[name].append(group.business.get(name, ()))
    return GroupTotals(key, counts, _merged(calendar), _merged(business))


def _merged(samples: dict[str, list[Sequence[float]]]) -> dict[str, array[float]]:
    """Each measure's samples end to end; sorted if every part was (one merge of runs)."""
    merged: dict[str, array[float]] = {}
    for name, parts in samples.items():
        if all(type(part) is SortedSamples for part in parts):
            merged[name] = SortedSamples.joined(cast(list[SortedSamples], parts))
        else:
            merged[name] = array("d", chain.from_iterable(parts))
    return merged


def group_key(figures: JourneyFigures, by: Sequence[str], week_zone: ZoneInfo | timezone) -> tuple[str, ...]:
    """The group ``figures`` falls in for the dimensions ``by``."""
    labels: list[str] = []
    for dimension in by:
        if dimension == "channel":
            labels.append(figures.entry_channel)
        elif dimension == "path":
            labels.append(PATH_ARROW.join(figures.path))
        elif dimension == "reason":
            labels.append(figures.reason or "none")
        elif dimension == "agent":
            labels.append(figures.agent or "unassigned")
        elif dimension == "queue":
            labels.append(figures.queue or "none")
        elif dimension == "week":
            year, week, _ = figures.opened_at.astimezone(week_zone).isocalendar()
            labels.append(f"{year}-W{week:02d}")
        else:
            raise ValidationError(
                "by", f"unknown dimension {dimension!r}; use one of {', '.join(DIMENSIONS)}"
            )
    return tuple(labels)


class _Group:
    """Mutable running totals of one group while journeys stream past."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {f.name: 0 for f in fields(Counts)}
        self.calendar: dict[str, array[float]] = {name: array("d") for name in MEASURES}
        self.business: dict[str, array[float]] = {name: array("d") for name in MEASURES}

    def keep(self, name: str, wait: Wait | None) -> None:
        if wait is None:
            return
        self.calendar[name].append(wait.seconds)
        if wait.business_seconds is not None:
            self.business[name].append(wait.business_seconds)

    def add(self, figures: JourneyFigures, end: datetime) -> None:
        c = self.counts
        c["journeys"] += 1
        c["resolved"] += figures.resolved
        c["reopened"] += figures.reopens > 0
        c["fcr"] += figures.fcr
        c["backlog"] += figures.resolved_at is None or figures.resolved_at > end
        c["handed_off"] += bool(figures.handoffs)
        c["resolved_on_entry"] += figures.resolved_channel == figures.entry_channel
        c["handoffs"] += len(figures.handoffs)
        c["repeated"] += figures.repeated_handoffs
        c["csat_answers"] += len(figures.csat)
        c["csat_satisfied"] += sum(1 for s in figures.csat if s >= 4)
        c["nps_answers"] += len(figures.nps)
        c["promoters"] += sum(1 for s in figures.nps if s >= 9)
        c["detractors"] += sum(1 for s in figures.nps if s <= 6)
        c["ces_answers"] += len(figures.ces)
        c["ces_easy"] += sum(1 for s in figures.ces if s >= 5)
        c["ces_total"] += sum(figures.ces)
        self.keep("first_response", figures.first_response)
        for wait in figures.responses:
            self.keep("response", wait)
        self.keep("first_resolution", figures.first_resolution)
        self.keep("resolution", figures.resolution)
        for handoff in figures.handoffs:
            self.keep("handoff_response", handoff.response)

    def totals(self, key: tuple[str, ...]) -> GroupTotals:
        # Sorted once here: the formulas read them as they are, and the total row merges
        # the groups' runs instead of sorting every sample anew.
        return GroupTotals(key, Counts(**self.counts), _sorted(self.calendar), _sorted(self.business))


def _sorted(samples: dict[str, array[float]]) -> dict[str, array[float]]:
    return {name: SortedSamples.of(values) for name, values in samples.items()}


class Aggregator:
    """Fold journeys into groups one at a time; memory grows with groups, not journeys.

    ``end`` is the end of the period (for the backlog); ``week_zone`` is the zone whose
    calendar weeks ``by=("week",)`` uses.
    """

    def __init__(
        self, by: Sequence[str] = (), *, end: datetime, week_zone: ZoneInfo | timezone = timezone.utc
    ) -> None:
        if isinstance(by, str) or not isinstance(by, Sequence):
            raise ValidationError("by", f"expected a sequence of dimensions, got {by!r}")
        for dimension in by:
            if dimension not in DIMENSIONS:
                raise ValidationError(
                    "by", f"unknown dimension {dimension!r}; use one of {', '.join(DIMENSIONS)}"
                )
        if len(set(by)) != len(by):
            raise ValidationError("by", f"a dimension is named twice in {tuple(by)!r}")
        self.by = tuple(by)
        self.end = ensure_aware(end, "end")
        # Checked here, not at the first add(): a zone name such as "UTC" would otherwise
        # fail only once journeys are streaming, far from the call that gave it.
        if not isinstance(week_zone, (ZoneInfo, timezone)):
            raise ValidationError("week_zone", f"expected a ZoneInfo or timezone, got {week_zone!r}")
        self.week_zone = week_zone
        self._groups: dict[tuple[str, ...], _Group] = {}

    def add(self, figures: JourneyFigures) -> None:
        if not isinstance(figures, JourneyFigures):
            raise ValidationError("figures", f"expected JourneyFigures, got {type(figures).__name__}")
        self.group(group_key(figures, self.by, self.week_zone)).add(figures, self.end)

    def group(self, key: tuple[str, ...]) -> _Group:
        """The running totals of the group ``key``, made on first use."""
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group()
        return group

    def totals(self) -> list[GroupTotals]:
        """Every group seen so far, in order of its key."""
        return [self._groups[key].totals(key) for key in sorted(self._groups)]
