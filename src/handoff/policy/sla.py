"""SLA clocks in business time, and the team alerts they raise: pure.

Each target of the journey's priority (``PolicySettings.sla_targets``) runs a clock in
business time from the moment the wait began: the journey's opening for the first
response and the resolution, the customer's first unanswered message for each next
response. A clock gives a *warning* once ``sla_warning_at`` of its target is used, a
*breach* when the target has passed, and is *cleared* by the event that meets it.

Alerts are identified by the journey, the target, the start of the wait and the stage,
so the id of an alert says whether it was already raised: the caller passes the ids it
has stored and gets back only what is new. Nothing here reads a clock or a store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container
from datetime import datetime, time, timedelta, timezone, tzinfo
from typing import Literal

from attrs import define

from handoff.errors import ValidationError
from handoff.events import Verdict
from handoff.models import Contact, Journey
from handoff.policy.durations import spoken
from handoff.policy.schedule import parse_clock_time, zone
from handoff.policy.situation import PolicySettings

__all__ = [
    "ALERT_PURPOSES",
    "SlaAlert",
    "SlaClock",
    "alert_id",
    "alerts_due",
    "alerts_met",
    "business_deadline",
    "running_clocks",
    "waits_met",
]

Stage = Literal["warning", "breach", "cleared"]
ALERT_PURPOSES: dict[str, str] = {"warning": "sla_warning", "breach": "sla_breach", "cleared": "sla_cleared"}
"""The purpose of a team notification for each stage of an SLA clock."""
_MAX_DAYS = 3660  # a deadline further than ten years of business days away is not a deadline


def business_deadline(
    start: datetime, amount: timedelta, hours: tuple[str, str], days: tuple[int, ...], tz: tzinfo
) -> datetime:
    """The instant ``amount`` of business time after ``start``: ``hours`` on ISO weekdays
    ``days``, on the wall clock of ``tz``.

    Each day's opening and closing are resolved to real instants, so a day on which the
    clocks change is as long as it really was. Without business days, calendar time.
    """
    if amount <= timedelta(0):
        return start
    if not days:
        return start + amount
    opens = parse_clock_time(hours[0], "business_hours[0]")
    closes = parse_clock_time(hours[1], "business_hours[1]")
    begin = start.astimezone(timezone.utc)
    day = start.astimezone(tz).date()
    left = amount
    for _ in range(_MAX_DAYS):
        if day.isoweekday() in days:
            open_at = _instant(day, opens, tz)
            close_at = _instant(day, closes, tz)
            counted_from = max(open_at, begin)
            if counted_from < close_at:
                span = close_at - counted_from
                if span >= left:
                    return (counted_from + left).astimezone(start.tzinfo)
                left -= span
        day += timedelta(days=1)
    return start + amount  # pragma: no cover - needs years of business time


def _instant(day: object, wall: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, wall, tzinfo=tz).astimezone(timezone.utc)  # type: ignore[arg-type]


@define(frozen=True)
class SlaClock:
    """One running wait: its target, when it began, and when it warns and breaches."""

    target: str
    priority: str
    started: datetime
    within: timedelta
    warn_at: datetime | None
    due_at: datetime
    zone: str

    def stage(self, now: datetime) -> Literal["ok", "warning", "breach"]:
        if now >= self.due_at:
            return "breach"
        if self.warn_at is not None and now >= self.warn_at:
            return "warning"
        return "ok"


@define(frozen=True)
class SlaAlert:
    """A team alert an SLA clock raised: its id, stage, clock, and the text the team reads."""

    id: str
    stage: Stage
    clock: SlaClock
    body: str
    reason: str

    @property
    def purpose(self) -> str:
        return ALERT_PURPOSES[self.stage]

    @property
    def rule(self) -> str:
        return f"sla.{self.clock.target}"


def alert_id(journey_id: str, target: str, started: datetime, stage: str) -> str:
    """The one id an alert of this journey, target, wait and stage ever has."""
    key = f"{journey_id}|{target}|{started.timestamp()}|{stage}"
    return "nt_sla_" + hashlib.blake2b(key.encode(), digest_size=10).hexdigest()


def _clock_zone(contact: Contact, settings: PolicySettings) -> tuple[str, tzinfo]:
    name = settings.sla_timezone or contact.timezone
    try:
        return name, zone(name)
    except ValidationError:  # an unknown customer zone must not stop the clocks
        return "UTC", timezone.utc


def _starts(journey: Journey) -> list[tuple[str, datetime]]:
    """The waits running on ``journey``: (target, start)."""
    if not journey.is_active:
        return []
    waits = []
    if journey.first_response_at is None:
        waits.append(("first_response", journey.opened_at))
    elif journey.awaiting_since is not None:
        waits.append(("next_response", journey.awaiting_since))
    waits.append(("resolution", journey.opened_at))
    return waits


def _clock(
    journey: Journey, target: str, started: datetime, settings: PolicySettings, names: tuple[str, tzinfo]
) -> SlaClock | None:
    wanted = (journey.priority, target)
    within = next((t.within for t in settings.sla_targets if (t.priority, t.target) == wanted), None)
    if within is None:
        return None
    hours, days = settings.business_hours, settings.business_days
    due = business_deadline(started, within, hours, days, names[1])
    fraction = settings.sla_warning_at
    warn = business_deadline(started, within * fraction, hours, days, names[1]) if 0 < fraction < 1 else None
    return SlaClock(target, journey.priority, started, within, warn, due, names[0])


def running_clocks(journey: Journey, contact: Contact, settings: PolicySettings) -> tuple[SlaClock, ...]:
    """The SLA clocks running on ``journey`` (targets of its priority not met yet)."""
    if not settings.sla_targets:
        return ()
    names = _clock_zone(contact, settings)
    clocks = (_clock(journey, target, started, settings, names) for target, started in _starts(journey))
    return tuple(c for c in clocks if c is not None)


def _local(when: datetime, clock: SlaClock) -> str:
    tz = timezone.utc if clock.zone == "UTC" else zone(clock.zone)
    return f"{when.astimezone(tz):%a %d %b %H:%M} {clock.zone}"


def _what(clock: SlaClock) -> str:
    return clock.target.replace("_", " ")


def alerts_due(
    journey: Journey, contact: Contact, settings: PolicySettings, now: datetime, stored: Container[str]
) -> tuple[tuple[SlaAlert, ...], tuple[Verdict, ...]]:
    """The warnings and breach alerts due at ``now`` whose ids are not in ``stored``, and one
    verdict per running clock saying where it stands."""
    alerts: list[SlaAlert] = []
    verdicts: list[Verdict] = []
    for clock in running_clocks(journey, contact, settings):
        stage = clock.stage(now)
        rule = f"sla.{clock.target}"
        budget = f"{spoken(clock.within)} of business time at {clock.priority} priority"
        if stage == "ok":
            verdicts.append(Verdict(rule, False, f"within {budget}; due {_local(clock.due_at, clock)}"))
            continue
        key = alert_id(journey.id, clock.target, clock.started, stage)
        if stage == "breach":
            reason = f"no {_what(clock)} within {budget}: due {_local(clock.due_at, clock)}"
            body = (
                f"SLA breached on {journey.reference} ({clock.priority} priority): no {_what(clock)} "
                f"within {spoken(clock.within)} of business time, due {_local(clock.due_at, clock)}"
            )
        else:
            reason = f"{_what(clock)} due {_local(clock.due_at, clock)}: {budget}, nearly used"
            body = (
                f"SLA warning on {journey.reference} ({clock.priority} priority): {_what(clock)} "
                f"due {_local(clock.due_at, clock)}"
            )
        if key in stored:
            verdicts.append(Verdict(rule, True, f"{reason}; the team was already alerted"))
            continue
        verdicts.append(Verdict(rule, True, f"{reason}; the team is alerted"))
        alerts.append(SlaAlert(key, stage, clock, body, reason))
    return tuple(alerts), tuple(verdicts)


def waits_met(before: Journey, after: Journey) -> list[tuple[str, datetime, datetime]]:
    """The waits ``before`` had that ``after`` no longer has: (target, start, met at)."""
    met = []
    if before.is_active and before.first_response_at is None and after.first_response_at is not None:
        met.append(("first_response", before.opened_at, after.first_response_at))
    waited = before.awaiting_since
    if (
        before.is_active
        and before.first_response_at is not None
        and waited not in (None, after.awaiting_since)
    ):
        met.append(("next_response", waited, after.updated_at))
    if before.is_active and not after.is_active:
        met.append(("resolution", before.opened_at, after.resolved_at or after.updated_at))
    return met


def alerts_met(
    before: Journey, after: Journey, contact: Contact, settings: PolicySettings, stored: Container[str]
) -> tuple[tuple[SlaAlert, ...], tuple[Verdict, ...]]:
    """The ``cleared`` alerts for the waits an event ended, when the team had been warned
    or alerted about them (their ids in ``stored``) and not yet told they are over."""
    alerts: list[SlaAlert] = []
    verdicts: list[Verdict] = []
    names = _clock_zone(contact, settings)
    for target, started, met_at in waits_met(before, after):
        raised = [s for s in ("breach", "warning") if alert_id(before.id, target, started, s) in stored]
        key = alert_id(before.id, target, started, "cleared")
        if not raised or key in stored:
            continue
        clock = SlaClock(target, before.priority, started, timedelta(0), None, met_at, names[0])
        was = "breached" if raised[0] == "breach" else "warned"
        told = "alerted of the breach" if was == "breached" else "warned"
        reason = f"{_what(clock)} at {_local(met_at, clock)}; the team had been {told}: the alert is cleared"
        body = f"SLA cleared on {before.reference}: {_what(clock)} at {_local(met_at, clock)} (was {was})"
        verdicts.append(Verdict(f"sla.{target}", True, reason))
        alerts.append(SlaAlert(key, "cleared", clock, body, reason))
    return tuple(alerts), tuple(verdicts)
