"""The memory store's listing of journeys by opening time, for the metrics.

With it, :func:`handoff.metrics.kpis` reads a :class:`~handoff.stores.memory.MemoryStore`
journey by journey through the ordinary look-ups.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

from handoff.clock import micros
from handoff.models import Journey
from handoff.stores.capabilities import JourneyIndex
from handoff.stores.sql._metrics import period

__all__ = ["MemoryJourneyIndex"]


class MemoryJourneyIndex(JourneyIndex):
    """:class:`~handoff.stores.capabilities.JourneyIndex` over the memory store's own maps."""

    def journeys_opened(self, start: datetime, end: datetime) -> Iterator[Journey]:
        start, end = period(start, end)
        low, high = micros(start), micros(end)
        store = cast(Any, self)
        with store._lock:
            # Keys are (opened_at in UTC microseconds, arrival number, id).
            keys = sorted(key for key in store._journey_keys.values() if low <= key[0] < high)
            journeys: list[Journey] = [store._journeys[key[2]] for key in keys]
        return iter(journeys)
