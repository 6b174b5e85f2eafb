"""Durations in policy files: ``"90s"``, ``"15m"``, ``"2h"``, ``"1d"`` and sums like ``"1h30m"``.

One compact notation (days, hours, minutes, seconds, largest first) reads well in TOML
and cannot be confused with a time of day; ISO 8601 durations are not accepted.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["format_duration", "parse_duration", "spoken"]

_DURATION = re.compile(r"^(?:([0-9]{1,6})d)?(?:([0-9]{1,6})h)?(?:([0-9]{1,6})m)?(?:([0-9]{1,6})s)?$")


def parse_duration(text: object) -> timedelta | None:
    """``"1h30m"`` -> ``timedelta(minutes=90)``; None when ``text`` is not a duration."""
    if not isinstance(text, str) or not text:
        return None
    match = _DURATION.match(text)
    if match is None:
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The canonical text of a whole-second, non-negative duration: ``timedelta(hours=26)`` -> ``"1d2h"``."""
    total = int(delta.total_seconds())
    if total <= 0:
        return "0s"
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    parts = ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s"))
    return "".join(f"{n}{unit}" for n, unit in parts if n)


def spoken(delta: timedelta) -> str:
    """A duration as a customer reads it: ``15 minutes``, ``1 hour``, ``2 h 30 min``."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours, rest = divmod(minutes, 60)
    if rest:
        return f"{hours} h {rest} min"
    return "1 hour" if hours == 1 else f"{hours} hours"
