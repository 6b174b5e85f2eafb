"""The memory store's listing of journeys by opening time, for the metrics.

With it, :func:`handoff.metrics.kpis` reads a :class:`~handoff.stores.memory.MemoryStore`
journey by journey through the ordinary look-ups.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

from handoff.models import Journey
from handoff.stores._common import micros
from handoff.stores._sql_metrics import period
from handoff.stores.base import JourneyIndex

__all__ = ["MemoryJourneyIndex"]


class MemoryJourneyIndex(JourneyIndex):
    """:class:`~handoff.stores.base.JourneyIndex` over the memory store's own maps."""

    def journeys_opened(self, start: datetime, end: datetime) -> Iterator[Journey]:
        start, end = period(start, end)
        low, high = micros(start), micros(end)
        store = cast(Any, self)
        with store._lock:
            # Keys are (opened_at in UTC microseconds, arrival number, id).
            keys = sorted(key for key in store._journey_keys.values() if low <= key[0] < high)
            journeys: list[Journey] = [store._journeys[key[2]] for key in keys]
        return iter(journeys)
