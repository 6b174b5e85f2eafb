"""A policy decision and its explanation, like an entry in a decision log.

A decision records which policy revision decided, on what event, the facts it read,
every rule it evaluated (matched or not, and why) and what came out, so that any
notification or summary can be traced back to the rule that asked for it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from attrs import define, field

from handoff import _drawing
from handoff._drawing import RenderFormat
from handoff._flat import plain_function
from handoff.errors import ValidationError
from handoff.events import Suggestion, Verdict
from handoff.models import Priority
from handoff.policy.conditions import show
from handoff.policy.situation import Event, PlannedNotification
from handoff.serde import flatten, from_dict, to_dict
from handoff.summary import SummarySpec

__all__ = ["Decision"]


@define(frozen=True)
class Decision:
    """What the policy decided on one event, and why.

    ``id`` is derived from the policy revision, the journey version and the event, so
    deciding the same event again with the same policy gives the same id; ``facts``
    are the facts the rules read, by name. SLA clocks add their verdicts (rules named
    ``sla.first_response``...) to the decision of the event they were checked on.
    """

    policy_revision: str
    event: Event
    verdicts: tuple[Verdict, ...]
    notifications: tuple[PlannedNotification, ...] = ()
    summary: SummarySpec | None = None
    suggestions: tuple[Suggestion, ...] = ()
    journey_id: str = ""
    journey_version: int = 0
    facts: dict[str, object] = field(factory=dict, hash=False)
    priority: Priority | None = None
    """The journey priority a ``prioritize`` action set, if any."""

    @property
    def id(self) -> str:
        """``dc_`` and a hash of the policy revision, the journey version and the event."""
        event = self.event
        key = (
            f"{self.policy_revision}|{self.journey_id}|{self.journey_version}|{event.kind}|"
            f"{event.channel}|{event.at.timestamp()}"
        )
        return "dc_" + hashlib.blake2b(key.encode(), digest_size=10).hexdigest()

    def explain(self, rule: str) -> tuple[Verdict, ...]:
        """The verdicts of one rule (a delivery check such as ``quiet_hours`` included)."""
        return tuple(v for v in self.verdicts if v.rule == rule)

    def render(self, fmt: RenderFormat = "text") -> str:
        """The decision as an account: ``text`` for a terminal, ``markdown`` or ``html``."""
        return _drawing.render(self, fmt)

    def __str__(self) -> str:
        return self.render()

    def _repr_html_(self) -> str:
        """The same account as tables, for a notebook."""
        return _drawing.draw(self, "html")

    def __rich__(self) -> str:
        return _drawing.draw(self, "rich")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record for a decision log (facts as the text shown in traces)."""
        data: dict[str, Any] = {
            "id": self.id,
            "policy_revision": self.policy_revision,
            "journey_id": self.journey_id,
            "journey_version": self.journey_version,
            "event": _event_data(self.event),
            "facts": dict(zip(self.facts, map(show, self.facts.values()), strict=True)),
            "verdicts": list(map(_verdict_data, self.verdicts)),
            "notifications": list(map(_notification_data, self.notifications)),
            "summary": None if self.summary is None else _summary_data(self.summary),
            "suggestions": list(map(_suggestion_data, self.suggestions)),
        }
        if self.priority is not None:
            data["priority"] = self.priority
        return data

    @classmethod
    def from_dict(cls, data: object) -> Decision:
        """Read back a :meth:`to_dict` record (facts come back as the text they were shown as)."""
        logged = from_dict(_Logged, data)
        decision = cls(
            policy_revision=logged.policy_revision,
            event=logged.event,
            verdicts=logged.verdicts,
            notifications=logged.notifications,
            summary=logged.summary,
            suggestions=logged.suggestions,
            journey_id=logged.journey_id,
            journey_version=logged.journey_version,
            facts=dict(logged.facts),
            priority=logged.priority,
        )
        if decision.id != logged.id:
            raise ValidationError(
                "$.id", f"{logged.id!r} does not match the decision's content ({decision.id!r})"
            )
        return decision


@define(frozen=True)
class _Logged:
    """The shape of a decision-log record, so the one converter can check it by path."""

    id: str
    policy_revision: str
    journey_id: str
    journey_version: int
    event: Event
    facts: dict[str, str]
    verdicts: tuple[Verdict, ...]
    notifications: tuple[PlannedNotification, ...]
    summary: SummarySpec | None
    suggestions: tuple[Suggestion, ...]
    priority: Priority | None = None


flatten(Event, Verdict, PlannedNotification, SummarySpec, Suggestion)
"""A decision's parts, written to the decision log on every event that planned or advised
something, are encoded by flat functions (what cattrs gives, without its dispatch)."""


def _part_data(value: Any, _as: Any = None) -> Any:
    """What a flat function hands a field of a shape it does not write out itself."""
    return to_dict(value)


# The same flat functions, called directly: ``to_dict`` of each part without the converter's look-up.
_event_data = plain_function(Event, _part_data)
_verdict_data = plain_function(Verdict, _part_data)
_notification_data = plain_function(PlannedNotification, _part_data)
_summary_data = plain_function(SummarySpec, _part_data)
_suggestion_data = plain_function(Suggestion, _part_data)
