""":class:`~handoff.stores.capabilities.RecordPages` written once over a backend's SQL."""

from __future__ import annotations

import abc
from typing import ClassVar, TypeVar

from attrs import define

from handoff.models import Interaction
from handoff.stores.capabilities import RecordPages
from handoff.stores.rules import check_page

__all__ = ["PageStatements", "SQLPages"]

T = TypeVar("T")


@define(frozen=True)
class PageStatements:
    interactions_after: str  # journey id, sequence, limit


class SQLPages(RecordPages):
    _pages: ClassVar[PageStatements]

    @abc.abstractmethod
    def _all(self, model: type[T], sql: str, params: tuple[object, ...]) -> list[T]:
        """Every row of ``sql`` decoded as ``model``, in the query's order."""

    def interactions_page(self, journey_id: str, *, after: int = 0, limit: int = 100) -> list[Interaction]:
        journey_id, after, limit = check_page(journey_id, after, limit)
        if not limit:
            return []
        return self._all(Interaction, self._pages.interactions_after, (journey_id, after, limit))
