"""Callback figures: how many callbacks were scheduled, kept and missed, per group.

Read from the store's callbacks (:meth:`~handoff.stores.capabilities.CallbackBook.callbacks_between`),
one small row each, so every backend gives the same figures. A callback belongs to the
period and the week of its slot (``at``); groups are by ``channel`` (the callback's),
``agent`` (who was to call; ``unassigned`` when nobody was named) and ``week`` (ISO,
in ``week_zone``), like the other figures. The kept rate is of the callbacks that were
either kept or missed: those cancelled or still scheduled have no outcome yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone, tzinfo
from typing import Any

from attrs import define

from handoff.clock import ensure_aware
from handoff.errors import ValidationError
from handoff.models import Callback
from handoff.stores.base import Store
from handoff.stores.capabilities import CallbackBook

__all__ = ["CALLBACK_DIMENSIONS", "CallbackReport", "CallbackRow", "callback_figures", "callback_report"]

CALLBACK_DIMENSIONS: tuple[str, ...] = ("channel", "agent", "week")
"""The dimensions callback figures can be sliced by."""
_COLUMNS = ("scheduled", "kept", "missed", "cancelled", "open", "kept_rate")


@define(frozen=True)
class CallbackRow:
    """The callbacks of one group: all ``scheduled`` (booked), and how they ended."""

    group: tuple[str, ...]
    scheduled: int = 0
    kept: int = 0
    missed: int = 0
    cancelled: int = 0
    open: int = 0

    @property
    def kept_rate(self) -> float | None:
        """Percent of the callbacks with an outcome that reached the customer (None: none had one)."""
        ended = self.kept + self.missed
        return None if not ended else 100.0 * self.kept / ended


@define(frozen=True)
class CallbackReport:
    """Callback figures for a period, one row per group and the total."""

    start: datetime
    end: datetime
    by: tuple[str, ...]
    rows: tuple[CallbackRow, ...]
    total: CallbackRow

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per group: the group columns, then the figures."""
        return [{**dict(zip(self.by, row.group, strict=True)), **_figures(row)} for row in self.rows]

    def render(self) -> str:
        """A plain text table (the total last)."""
        head = [*self.by, *_COLUMNS]
        body = [[*row.group, *_cells(row)] for row in self.rows]
        if self.by:
            body.append([*(["total"] + [""] * (len(self.by) - 1)), *_cells(self.total)])
        else:
            body.append(_cells(self.total))
        widths = [max(len(str(line[i])) for line in [head, *body]) for i in range(len(head))]
        return "\n".join(
            "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
            for line in [head, *body]
        )


def _figures(row: CallbackRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _COLUMNS}


def _cells(row: CallbackRow) -> list[str]:
    rate = row.kept_rate
    counts = (row.scheduled, row.kept, row.missed, row.cancelled, row.open)
    return [*map(str, counts), "—" if rate is None else f"{rate:.0f}%"]


def callback_report(
    callbacks: Iterable[Callback],
    start: datetime,
    end: datetime,
    by: Sequence[str] = ("channel",),
    *,
    week_zone: tzinfo = timezone.utc,
) -> CallbackReport:
    """The figures of ``callbacks`` whose slot is in ``[start, end)``, grouped ``by`` (pure)."""
    start, end = ensure_aware(start, "start"), ensure_aware(end, "end")
    if end < start:
        raise ValidationError("end", "must not be before start")
    dims = _dimensions(by)
    counts: dict[tuple[str, ...], list[int]] = {}
    total = [0, 0, 0, 0, 0]
    for callback in callbacks:
        if not start <= callback.at < end:
            continue
        tally = counts.setdefault(_key(callback, dims, week_zone), [0, 0, 0, 0, 0])
        for numbers in (tally, total):
            numbers[0] += 1
            numbers[_OUTCOME[callback.status]] += 1
    rows = tuple(CallbackRow(key, *numbers) for key, numbers in sorted(counts.items()))
    return CallbackReport(start, end, dims, rows, CallbackRow((), *total))


def callback_figures(
    store: Store,
    start: datetime,
    end: datetime,
    by: Sequence[str] = ("channel",),
    *,
    week_zone: tzinfo = timezone.utc,
) -> CallbackReport:
    """:func:`callback_report` of the store's callbacks; a store that keeps none has none."""
    start, end = ensure_aware(start, "start"), ensure_aware(end, "end")
    callbacks = store.callbacks_between(start, end) if isinstance(store, CallbackBook) else []
    return callback_report(callbacks, start, end, by, week_zone=week_zone)


_OUTCOME = {"done": 1, "missed": 2, "cancelled": 3, "scheduled": 4}


def _dimensions(by: Sequence[str]) -> tuple[str, ...]:
    if isinstance(by, str):
        by = (by,)
    for name in by:
        if name not in CALLBACK_DIMENSIONS:
            raise ValidationError(
                "by", f"callbacks are sliced by {', '.join(CALLBACK_DIMENSIONS)}, not {name!r}"
            )
    return tuple(by)


def _key(callback: Callback, by: Sequence[str], week_zone: tzinfo) -> tuple[str, ...]:
    labels = []
    for name in by:
        if name == "channel":
            labels.append(callback.channel)
        elif name == "agent":
            labels.append(callback.agent or "unassigned")
        else:
            year, week, _ = callback.at.astimezone(week_zone).isocalendar()
            labels.append(f"{year}-W{week:02d}")
    return tuple(labels)
