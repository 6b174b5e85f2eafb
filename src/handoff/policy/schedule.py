"""Quiet and business hours in the customer's own time zone, DST-safe."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handoff.errors import ValidationError

__all__ = ["next_business_slot", "parse_clock_time", "quiet_until", "spoken_slot", "zone"]

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_clock_time(text: str, field: str) -> time:
    """``"21:00"`` -> ``time(21, 0)``; anything else is a ValidationError naming ``field``."""
    match = _HHMM.match(text) if isinstance(text, str) else None
    if not match:
        raise ValidationError(field, f"expected HH:MM on a 24-hour clock, got {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


def zone(name: str, field: str = "timezone") -> ZoneInfo:
    """The IANA time zone ``name``; an unknown one is a ValidationError naming ``field``."""
    if not isinstance(name, str) or not name or name.startswith(("/", ".")) or ".." in name:
        raise ValidationError(field, f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(field, f"unknown time zone {name!r}") from None


def spoken_slot(when: datetime, tz_name: str) -> str:
    """A moment as the customer reads it on their own clock: ``Tue 10 Mar 15:00 (Europe/Paris)``.
    An unknown zone reads in UTC."""
    try:
        local = when.astimezone(zone(tz_name))
    except ValidationError:
        local, tz_name = when.astimezone(ZoneInfo("UTC")), "UTC"
    return f"{local:%a %d %b %H:%M} ({tz_name})"


def quiet_until(when: datetime, quiet_hours: tuple[str, str] | None, tz_name: str) -> datetime | None:
    """If ``when`` falls in the quiet hours of ``tz_name``, the moment they end; else None.

    The end is computed on the local wall clock and then resolved in the zone, so a
    quiet period that spans a DST change still ends at the local time the customer set.
    """
    if quiet_hours is None:
        return None
    start = parse_clock_time(quiet_hours[0], "quiet_hours[0]")
    end = parse_clock_time(quiet_hours[1], "quiet_hours[1]")
    if start == end:
        return None
    tz = zone(tz_name)
    local = when.astimezone(tz)
    now_t = local.timetz().replace(tzinfo=None)
    if start < end:
        inside = start <= now_t < end
        end_date = local.date()
    else:  # spans midnight, e.g. 21:00-08:00
        inside = now_t >= start or now_t < end
        end_date = local.date() + timedelta(days=1) if now_t >= start else local.date()
    if not inside:
        return None
    wall = datetime.combine(end_date, end)
    resolved = wall.replace(tzinfo=tz)
    # A wall time that does not exist (skipped by a spring-forward) normalizes forward.
    return resolved.astimezone(when.tzinfo)


def next_business_slot(
    when: datetime, hours: tuple[str, str], days: tuple[int, ...], tz_name: str
) -> datetime:
    """The first moment at or after ``when`` inside business ``hours`` on ISO weekdays ``days``.

    Used to offer a scheduled callback instead of a cold call: inside business hours it
    is ``when`` itself, otherwise the next opening on the customer's own wall clock.
    """
    start = parse_clock_time(hours[0], "business_hours[0]")
    end = parse_clock_time(hours[1], "business_hours[1]")
    tz = zone(tz_name)
    local = when.astimezone(tz)
    now_t = local.timetz().replace(tzinfo=None)
    if local.isoweekday() in days and start <= now_t < end:
        return when
    day = local.date() if now_t < start else local.date() + timedelta(days=1)
    for _ in range(8):
        if day.isoweekday() in days:
            return datetime.combine(day, start).replace(tzinfo=tz).astimezone(when.tzinfo)
        day += timedelta(days=1)
    return when  # no business days at all: nothing better than now
