"""Optional capability: read a journey's records a page at a time.

A journey of a hundred thousand interactions does not fit in memory as models at once;
:meth:`Switchboard.history` with ``after=``/``limit=`` and the streamed export of
:mod:`handoff.privacy` read it page by page from a store with :class:`RecordPages`.
"""

from __future__ import annotations

import abc

from handoff.models import DecisionRecord, Interaction
from handoff.stores._common import MAX_LIMIT, check_text, check_whole

__all__ = ["RecordPages", "check_page"]


class RecordPages(abc.ABC):
    """Optional capability: a journey's interactions page by page, and its decisions."""

    @abc.abstractmethod
    def interactions_page(self, journey_id: str, *, after: int = 0, limit: int = 100) -> list[Interaction]:
        """The journey's interactions with ``sequence > after``, by sequence, at most ``limit``;
        the next page starts after the last one's sequence. An unknown journey has none."""

    @abc.abstractmethod
    def decisions_of(self, journey_id: str) -> list[DecisionRecord]:
        """The journey's logged decisions, oldest first."""


def check_page(journey_id: object, after: object, limit: object) -> tuple[str, int, int]:
    """The arguments of :meth:`RecordPages.interactions_page`, checked, naming the wrong one."""
    return (
        check_text(journey_id, "journey_id"),
        check_whole(after, "after", MAX_LIMIT),
        check_whole(limit, "limit", MAX_LIMIT),
    )
