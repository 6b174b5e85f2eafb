"""The records the metrics read and the figures they derive, one journey at a time.

:class:`JourneyRecords` is one journey with its history (the models);
:class:`JourneyFigures` is what it contributes to the KPIs, built by
:func:`~handoff.metrics.journeys.journey_figures`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from attrs import define, field

from handoff import _validate as v
from handoff.errors import ValidationError
from handoff.models import Fact, Handoff, Interaction, Journey
from handoff.stores.metric_rows import TallyHandoff

__all__ = ["HandoffFigures", "JourneyFigures", "JourneyRecords", "Wait", "last_queue"]


def _sequence(value: object, kind: type, name: str) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(name, f"expected a sequence of {kind.__name__}, got {type(value).__name__}")
    items = tuple(value)
    for i, item in enumerate(items):
        if not isinstance(item, kind):
            raise ValidationError(f"{name}[{i}]", f"expected a {kind.__name__}, got {type(item).__name__}")
    return items


def _interactions(value: object) -> tuple[Interaction, ...]:
    return _sequence(value, Interaction, "interactions")


def _handoffs(value: object) -> tuple[Handoff, ...]:
    return _sequence(value, Handoff, "handoffs")


@define(frozen=True)
class JourneyRecords:
    """One journey with everything recorded about it: the unit the metrics read.

    ``next_contact_at`` is when the same contact opened their next journey, if known; it
    lets first-contact resolution notice a follow-up that started a new journey.
    """

    journey: Journey = field()
    interactions: tuple[Interaction, ...] = field(converter=_interactions)
    handoffs: tuple[Handoff, ...] = field(default=(), converter=_handoffs)
    next_contact_at: datetime | None = field(default=None, validator=v.optional_aware)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.journey, Journey):
            raise ValidationError("journey", f"expected a Journey, got {type(self.journey).__name__}")
        named: tuple[tuple[str, tuple[Interaction | Handoff, ...]], ...] = (
            ("interactions", self.interactions),
            ("handoffs", self.handoffs),
        )
        for name, items in named:
            for i, item in enumerate(items):
                if item.journey_id != self.journey.id:
                    raise ValidationError(
                        f"{name}[{i}]", f"belongs to journey {item.journey_id!r}, not {self.journey.id!r}"
                    )


def last_queue(handoffs: Iterable[HandoffFigures | TallyHandoff]) -> str | None:
    """The queue of the last of ``handoffs`` (in time order) routed to one, else None."""
    queue = None
    for handoff in handoffs:
        if handoff.queue is not None:
            queue = handoff.queue
    return queue


@define(frozen=True)
class Wait:
    """A duration in calendar seconds and, with a business calendar, in working seconds."""

    seconds: float
    business_seconds: float | None = None


@define(frozen=True)
class HandoffFigures:
    """How one channel switch went for the customer."""

    from_channel: str
    to_channel: str
    reason: str
    at: datetime
    response: Wait | None
    """From the handoff to the first agent reply on the new channel; None if none came."""
    restated: tuple[Fact, ...]
    """Facts the journey already held that the customer gave again after the switch."""
    queue: str | None = None
    """The queue the switch was routed to; None if it was not routed."""

    @property
    def repeated(self) -> bool:
        return bool(self.restated)


@define(frozen=True)
class JourneyFigures:
    """One journey's contribution to the KPIs. Durations run from ``opened_at``."""

    journey_id: str
    opened_at: datetime
    entry_channel: str
    path: tuple[str, ...]
    agent: str | None
    first_response: Wait | None
    responses: tuple[Wait, ...]
    first_resolution: Wait | None
    resolution: Wait | None
    """To the last resolution, if the journey ended resolved; None while it is open."""
    resolved_at: datetime | None
    resolved_channel: str | None
    reopens: int
    fcr: bool
    handoffs: tuple[HandoffFigures, ...]
    csat: tuple[int, ...] = ()
    nps: tuple[int, ...] = ()
    ces: tuple[int, ...] = ()

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def reason(self) -> str | None:
        """Why the journey first changed hands; None if it never did."""
        return self.handoffs[0].reason if self.handoffs else None

    @property
    def queue(self) -> str | None:
        """The queue that ended up handling the journey: that of its last handoff (in time
        order) routed to one; None if no handoff was routed."""
        return last_queue(self.handoffs)

    @property
    def repeated_handoffs(self) -> int:
        return sum(1 for h in self.handoffs if h.repeated)
