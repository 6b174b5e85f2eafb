"""Words and marks every drawing shares: times, durations, and channels by name, icon and colour.

One style for each, whatever is drawn: a time is ``12 Mar 14:03`` (month names do not
follow the locale), a duration is its two largest units (``45 s``, ``5 min 3 s``,
``2 h 5 min``, ``3 d 4 h``), a channel path is ``twitter → chat → phone``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo

from handoff import channels
from handoff.errors import ValidationError
from handoff.models import PathStep
from handoff.show._escape import esc

__all__ = ["BOX", "MUTED", "ago", "chip", "colour", "duration", "icon", "label", "render_path", "when"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_UNITS = ((86_400, "d"), (3_600, "h"), (60, "min"), (1, "s"))
# Colours a reader associates with the channel; other channels get a stable colour from their name.
_COLOURS = {
    "email": "#5b6b82",
    "chat": "#2f7ed8",
    "phone": "#8e44ad",
    "sms": "#16a085",
    "whatsapp": "#25a244",
    "messenger": "#0084ff",
    "instagram": "#c13584",
    "twitter": "#1d9bf0",
    "twitter_dm": "#0f6fb3",
    "facebook": "#1877f2",
    "portal": "#d35400",
}
# The frame of a card and the colour of secondary text, in every HTML drawing.
BOX = "font:14px/1.45 system-ui,sans-serif;border:1px solid #ccd;border-radius:6px;padding:8px 12px"
MUTED = "color:#667"
_PALETTE = ("#7f8c8d", "#c0392b", "#27ae60", "#2980b9", "#8e44ad", "#d35400", "#16a085")


# -- times -----------------------------------------------------------------------------------------


def when(at: datetime, zone: tzinfo | None = None, *, weekday: bool = False, year: bool = False) -> str:
    """``12 Mar 14:03`` in ``zone`` (the reader's; ``at``'s own without one).

    With ``weekday`` ``Thu 12 Mar 14:03``; with ``year`` ``12 Mar 2026 14:03 UTC``.
    """
    local = at.astimezone(zone) if zone is not None else at
    day = f"{_DAYS[local.weekday()]} " if weekday else ""
    stamp = f"{day}{local.day} {_MONTHS[local.month - 1]}"
    stamp += f" {local.year}" if year else ""
    stamp += f" {local:%H:%M}"
    return stamp + (f" {local.tzname()}" if year and local.tzname() else "")


def duration(delta: timedelta) -> str:
    """A duration in its two largest units: ``45 s``, ``5 min 3 s``, ``2 h 5 min``, ``3 d 4 h``.

    Whole seconds, rounded; a zero unit after the first is left out (``2 h``, not
    ``2 h 0 min``); a negative duration has a leading minus.
    """
    if not isinstance(delta, timedelta):
        raise ValidationError("duration", f"expected a timedelta, got {type(delta).__name__}")
    seconds = round(delta.total_seconds())
    sign, rest = ("-" if seconds < 0 else ""), abs(seconds)
    counts: list[tuple[int, str]] = []
    for size, unit in _UNITS:
        count, rest = divmod(rest, size)
        counts.append((count, unit))
    first = next((i for i, (count, _) in enumerate(counts) if count), len(counts) - 1)
    parts = [f"{count} {unit}" for count, unit in counts[first : first + 2] if count]
    return sign + (" ".join(parts) or "0 s")


def ago(delta: timedelta) -> str:
    """How long ago, to the minute: ``5 min ago``, ``2 h 5 min ago``; ``just now`` under a minute."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    return f"{duration(timedelta(minutes=minutes))} ago" if minutes else "just now"


# -- channels --------------------------------------------------------------------------------------


def icon(name: str) -> str:
    """The channel's icon; a channel no longer registered still draws, with a bullet."""
    return _profile_attr(name, "icon", "•")


def label(name: str) -> str:
    """The channel's label (``Live chat``); its name when it is no longer registered."""
    return _profile_attr(name, "label", name)


def colour(name: str) -> str:
    """The channel's colour: its own for the built-in channels, a stable one from the name else."""
    if name in _COLOURS:
        return _COLOURS[name]
    digest = hashlib.blake2b(name.encode("utf-8", "replace"), digest_size=1).digest()[0]
    return _PALETTE[digest % len(_PALETTE)]


def chip(name: str) -> str:
    """A channel as a coloured HTML label with its icon."""
    return (
        f'<span style="background:{colour(name)};color:#fff;border-radius:4px;padding:0 5px;'
        f'white-space:nowrap">{esc(icon(name))} {esc(name)}</span>'
    )


def collapsed(names: Iterable[str]) -> list[str]:
    """``names`` with repeats in a row collapsed into one."""
    out: list[str] = []
    for name in names:
        if not out or out[-1] != name:
            out.append(name)
    return out


def render_path(path: Iterable[PathStep | str], *, icons: bool = False) -> str:
    """A channel path as ``twitter → twitter_dm → chat → phone`` (repeats collapsed)."""
    names = collapsed(step if isinstance(step, str) else step.channel for step in path)
    return " → ".join(f"{icon(n)} {n}" if icons else n for n in names)


def _profile_attr(name: str, attr: str, default: str) -> str:
    try:
        value = getattr(channels.get(name), attr)
    except ValidationError:
        return default
    return str(value)
