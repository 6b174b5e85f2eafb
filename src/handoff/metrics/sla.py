"""SLA breach rates: the share of journeys whose team was alerted of a breach, per target.

The figures come from what the SLA clocks stored: a journey breached a target when the
outbox holds a ``sla_breach`` team alert for it (one per breach, never repeated). Every
journey opened in the period counts, so a rate is breached journeys over journeys, per
target (``first_response``, ``next_response``, ``resolution``) and per group:

``channel``   the channel the journey started on
``priority``  the journey's priority now
``queue``     the queue its last routed handoff went to (``none`` if it was never routed),
              as in :func:`~handoff.metrics.kpis`
``week``      the ISO week it opened in (UTC), e.g. ``2026-W11``

It reads the store through its ordinary look-ups (journeys of the period, then each
one's notifications and, when sliced by queue, its handoffs), the same on every backend.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from attrs import define, field

from handoff.errors import ValidationError
from handoff.models import Journey
from handoff.policy.situation import SLA_TARGETS
from handoff.stores.base import Store
from handoff.stores.capabilities import JourneyIndex
from handoff.stores.sql._metrics import period

__all__ = ["SLA_DIMENSIONS", "SlaReport", "SlaRow", "sla_breaches"]

SLA_DIMENSIONS: tuple[str, ...] = ("channel", "priority", "queue", "week")


@define(frozen=True)
class SlaRow:
    """One group: how many journeys, and how many of them breached each target."""

    key: tuple[str, ...]
    journeys: int
    breached: Mapping[str, int] = field(factory=dict, hash=False)

    def rate(self, target: str) -> float | None:
        """Breached journeys over journeys for ``target`` (None for an empty group)."""
        if target not in SLA_TARGETS:
            raise ValidationError("target", f"expected one of {', '.join(SLA_TARGETS)}, got {target!r}")
        return self.breached.get(target, 0) / self.journeys if self.journeys else None


@define(frozen=True)
class SlaReport:
    """Breach rates per target for the journeys opened from ``start`` to ``end``, by ``by``."""

    by: tuple[str, ...]
    start: datetime
    end: datetime
    rows: tuple[SlaRow, ...]
    total: SlaRow

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per group and the total: the slice labels, journeys, and each rate."""
        records = []
        for row in (*self.rows, self.total):
            total = row is self.total
            labels = dict.fromkeys(self.by, "total") if total else dict(zip(self.by, row.key, strict=True))
            rates = {f"{target}_breach_rate": row.rate(target) for target in SLA_TARGETS}
            records.append({**labels, "journeys": row.journeys, **rates})
        return records

    def render(self) -> str:
        """A plain text table: one line per group, then the total."""
        head = [*self.by, "journeys", *(f"{t.replace('_', ' ')} breached" for t in SLA_TARGETS)]
        body = []
        for row in (*self.rows, self.total):
            labels = list(row.key) if row is not self.total else ["total"] + [""] * (len(self.by) - 1)
            rates = [_percent(row.rate(target)) for target in SLA_TARGETS]
            body.append([*labels, str(row.journeys), *rates])
        widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head))]
        lines = []
        for line in (head, *body):
            cells = zip(line, widths, strict=True)
            lines.append(
                "  ".join(c.ljust(w) if i < len(self.by) else c.rjust(w) for i, (c, w) in enumerate(cells))
            )
        return "\n".join(line.rstrip() for line in lines)


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def sla_breaches(store: Store, start: datetime, end: datetime, by: Sequence[str] = ("channel",)) -> SlaReport:
    """The SLA breach rates of the journeys opened from ``start`` (inclusive) to ``end``
    (exclusive), sliced ``by`` any of :data:`SLA_DIMENSIONS`."""
    start, end = period(start, end)
    if isinstance(by, str) or not isinstance(by, Sequence):
        raise ValidationError("by", f"expected a list of dimensions, got {by!r}")
    for dimension in by:
        if dimension not in SLA_DIMENSIONS:
            known = ", ".join(SLA_DIMENSIONS)
            raise ValidationError("by", f"unknown dimension {dimension!r}; use one of {known}")
    dims = tuple(by)
    counts: dict[tuple[str, ...], list[int]] = {}
    for journey in _opened(store, start, end):
        breached = {
            n.rule.removeprefix("sla.")
            for n in store.notifications(journey.id)
            if n.audience == "team" and n.purpose == "sla_breach"
        }
        key = tuple(_label(store, journey, dimension) for dimension in dims)
        tally = counts.setdefault(key, [0] * (1 + len(SLA_TARGETS)))
        tally[0] += 1
        for i, target in enumerate(SLA_TARGETS, start=1):
            tally[i] += target in breached
    rows = tuple(_row(key, tally) for key, tally in sorted(counts.items()))
    total = [sum(t[i] for t in counts.values()) for i in range(1 + len(SLA_TARGETS))]
    return SlaReport(dims, start, end, rows, _row(("total",), total))


def _row(key: tuple[str, ...], tally: Sequence[int]) -> SlaRow:
    return SlaRow(key, tally[0], {target: tally[i] for i, target in enumerate(SLA_TARGETS, start=1)})


def _opened(store: Store, start: datetime, end: datetime) -> Iterator[Journey]:
    if isinstance(store, JourneyIndex):
        yield from store.journeys_opened(start, end)
        return
    for journey in store.all_journeys():
        if start <= journey.opened_at < end:
            yield journey


def _label(store: Store, journey: Journey, dimension: str) -> str:
    if dimension == "channel":
        return journey.path[0].channel if journey.path else journey.current_channel
    if dimension == "priority":
        return journey.priority
    if dimension == "queue":
        routed = [h.queue for h in store.handoffs(journey.id) if h.queue is not None]
        return routed[-1] if routed else "none"
    year, week, _ = journey.opened_at.astimezone(timezone.utc).isocalendar()
    return f"{year}-W{week:02d}"
