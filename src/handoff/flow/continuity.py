"""Which journey an inbound belongs to (pure).

In order: the journey its reference names, the journey its thread references name,
the contact's open journey, a journey resolved within the reopen window (it reopens),
or a new one. A closed journey is never reopened.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from attrs import define

from handoff._records import maker
from handoff.models import Journey

__all__ = ["Choice", "choose_journey"]


@define(frozen=True)
class Choice:
    journey: Journey | None
    how: str
    reopens: bool = False


_choice = maker(Choice)


def choose_journey(
    *,
    by_reference: Journey | None,
    by_thread: Journey | None,
    contact_journeys: Sequence[Journey],
    at: datetime,
    reopen_window: timedelta,
) -> Choice:
    """Pick the journey for an inbound arriving at ``at``; ``journey=None`` means a new one."""
    for journey, how in ((by_reference, "journey reference"), (by_thread, "thread reference")):
        if journey is None:
            continue
        if journey.status == "closed":
            return Choice(None, f"{how} names {journey.reference}, which is closed: new journey")
        return Choice(journey, f"{how} {journey.reference}", reopens=journey.status == "resolved")
    active = [j for j in contact_journeys if j.is_active]
    if active:
        latest = active[0] if len(active) == 1 else max(active, key=lambda j: (j.updated_at, j.version))
        return _choice(latest, f"the contact's open journey {latest.reference}", False)
    recent = [
        j
        for j in contact_journeys
        if j.status == "resolved" and j.resolved_at is not None and at - j.resolved_at <= reopen_window
    ]
    if recent:
        latest = max(recent, key=lambda j: (j.resolved_at or j.updated_at, j.version))
        return Choice(latest, f"{latest.reference} was resolved within the reopen window", reopens=True)
    return Choice(None, "no open or recently resolved journey: new journey")
