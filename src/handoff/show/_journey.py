"""A journey drawn for notebooks (HTML) and terminals (``rich``): its card, and its timeline.

Notebooks call ``_repr_html_`` and the ``rich`` console calls ``__rich__``; a journey
reaches this module through :func:`handoff.show.draw`, so drawing stays out of the data.
The HTML is self-contained (inline styles, emoji icons, no scripts, fonts or images) and
every piece of text is escaped: customer messages are untrusted. The ``rich`` forms are
strings with console markup, so ``rich`` is never imported.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

from attrs import define

from handoff.errors import ValidationError
from handoff.models import Handoff, Interaction, Journey, Notification
from handoff.show._escape import esc as _esc
from handoff.show._escape import one_line as _one_line
from handoff.show._escape import rx as _rx
from handoff.show._words import BOX as _BOX
from handoff.show._words import MUTED as _MUTED
from handoff.show._words import chip as _chip
from handoff.show._words import collapsed as _collapsed
from handoff.show._words import icon as _icon
from handoff.show._words import when as _stamp

__all__ = ["Timeline", "journey_head", "journey_html", "journey_rich", "timeline"]

_STATUS = {"open": "#2f7ed8", "pending": "#d68910", "resolved": "#25a244", "closed": "#7f8c8d"}
_BODY_CHARS = 400


# -- journeys --------------------------------------------------------------------------------------


def journey_html(journey: Journey) -> str:
    """A journey card: reference, status, the channel path as a timeline, counts, facts and notes.

    A journey holds its derived state, not its messages; :func:`timeline` draws those.
    """
    try:
        head = journey_head(journey)
        stops = "".join(
            f'<li style="margin:2px 0">{_chip(step.channel)} <span style="{_MUTED}">'
            f"{_esc(_stamp(step.at))}</span></li>"
            for step in journey.path
        )
        facts = "".join(
            f"<li><b>{_esc(f.kind)}</b> {_esc(f.text)} "
            f'<span style="{_MUTED}">({_esc(f.channel)}, {_esc(_stamp(f.at))})</span></li>'
            for f in journey.facts
        )
        notes = "".join(
            f"<li>{_esc(n.agent or n.author)}: {_esc(n.text)}</li>" for n in journey.notes
        ) + "".join(f"<li>☐ {_esc(c)}</li>" for c in journey.commitments)
    except (AttributeError, TypeError) as exc:
        raise ValidationError("journey", f"expected a Journey ({exc})") from None
    parts = [f'<div style="{_BOX};display:inline-block;min-width:22em">', head]
    if stops:
        parts.append(f'<ol style="margin:4px 0;padding-left:1.4em">{stops}</ol>')
    if facts:
        parts.append(
            f'<div style="font-weight:600">Facts already given</div><ul style="margin:0">{facts}</ul>'
        )
    if notes:
        parts.append(
            f'<div style="font-weight:600">Notes and commitments</div><ul style="margin:0">{notes}</ul>'
        )
    return "".join(parts) + "</div>"


def journey_head(journey: Journey) -> str:
    path = " → ".join(f"{_icon(name)} {name}" for name in _collapsed(s.channel for s in journey.path)) or "—"
    status = journey.status
    badge = (
        f'<span style="background:{_STATUS.get(status, "#7f8c8d")};color:#fff;border-radius:8px;'
        f'padding:0 6px;font-size:.85em">{_esc(status)}</span>'
    )
    subject = f"<div>{_esc(_one_line(journey.subject))}</div>" if journey.subject else ""
    return (
        f"<div><b>Journey {_esc(journey.reference)}</b> · {badge}</div>{subject}"
        f"<div>{_esc(path)}</div>"
        f'<div style="{_MUTED}">{_esc(_counts(journey))}</div>'
    )


def _counts(journey: Journey) -> str:
    facts, handoffs = len(journey.facts), journey.handoff_count
    counts = [
        f"{facts} fact{'s' if facts != 1 else ''}",
        f"{handoffs} handoff{'s' if handoffs != 1 else ''}",
        *([f"reopened {journey.reopen_count}×"] if journey.reopen_count else []),
        f"opened {_stamp(journey.opened_at, year=True)}",
    ]
    return " · ".join(counts)


def journey_rich(journey: Journey) -> str:
    """The journey card as ``rich`` console markup."""
    try:
        path = " → ".join(_collapsed(s.channel for s in journey.path)) or "—"
        lines = [
            f"[bold]Journey {_rx(journey.reference, tag_follows=True)}[/bold] · {_rx(journey.status)}",
            _rx(path),
            f"[dim]{_rx(_counts(journey))}[/dim]",
        ]
        lines += [f"  • {_rx(f.kind)}: {_rx(f.text)}" for f in journey.facts]
    except (AttributeError, TypeError) as exc:
        raise ValidationError("journey", f"expected a Journey ({exc})") from None
    return "\n".join(lines)


# -- timelines -------------------------------------------------------------------------------------


@define(frozen=True)
class Timeline:
    """A journey with its interactions, handoffs and notifications, in time order.

    Build it with :func:`timeline`; show it in a notebook, print it, or give it to ``rich``.
    """

    journey: Journey
    interactions: tuple[Interaction, ...] = ()
    handoffs: tuple[Handoff, ...] = ()
    notifications: tuple[Notification, ...] = ()

    def entries(self) -> list[tuple[datetime, str, str, str]]:
        """``(at, channel, who, what)`` rows, oldest first; the HTML and text forms draw these."""
        rows: list[tuple[datetime, int, str, str, str]] = []
        for i in self.interactions:
            who = (
                i.author
                + (f" {i.agent}" if i.agent else "")
                + ("" if i.kind == "message" else f" ({i.kind})")
            )
            rows.append((i.at, 0, i.channel, who, _one_line(i.body, _BODY_CHARS)))
        for h in self.handoffs:
            what = f"{h.from_channel} → {h.to_channel}: {h.reason}, {'warm' if h.warm else 'cold'}"
            what += f", to {h.to_agent}" if h.to_agent else ""
            rows.append((h.at, 1, h.to_channel, f"handoff by {h.initiated_by}", what))
        for n in self.notifications:
            rows.append(
                (n.send_at, 2, n.channel, f"notification ({n.status})", f"{n.purpose}: {_one_line(n.body)}")
            )
        rows.sort(key=lambda row: (row[0], row[1]))
        return [(at, channel, who, what) for at, _order, channel, who, what in rows]

    def _repr_html_(self) -> str:
        rows = "".join(
            f'<tr style="border-top:1px solid #eee"><td style="{_MUTED};white-space:nowrap;padding:2px 6px">'
            f'{_esc(_stamp(at))}</td><td style="padding:2px 6px">{_chip(channel)}</td>'
            f'<td style="padding:2px 6px;white-space:nowrap">{_esc(who)}</td>'
            f'<td style="padding:2px 6px">{_esc(what)}</td></tr>'
            for at, channel, who, what in self.entries()
        )
        return (
            f'<div style="{_BOX}">{journey_head(self.journey)}'
            f'<table style="border-collapse:collapse;margin-top:6px">{rows}</table></div>'
        )

    def __rich__(self) -> str:
        lines = [journey_rich(self.journey).split("\n", 1)[0]]
        lines += [
            f"[dim]{_rx(_stamp(at))}[/dim] [bold]{_rx(channel)}[/bold] {_rx(who)}: {_rx(what)}"
            for at, channel, who, what in self.entries()
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return "\n".join(
            f"{_stamp(at)}  {channel:<10} {who}: {what}" for at, channel, who, what in self.entries()
        )


def timeline(
    journey: Journey,
    interactions: Iterable[Interaction] = (),
    handoffs: Iterable[Handoff] = (),
    notifications: Iterable[Notification] = (),
) -> Timeline:
    """A :class:`Timeline` of one journey, e.g.
    ``timeline(board.journey(ref), board.history(ref), board.handoffs(ref))``."""
    if not isinstance(journey, Journey):
        raise ValidationError("journey", f"expected a Journey, got {type(journey).__name__}")
    return Timeline(
        journey,
        _records("interactions", interactions, Interaction, journey),
        _records("handoffs", handoffs, Handoff, journey),
        _records("notifications", notifications, Notification, journey),
    )


_Record = TypeVar("_Record", Interaction, Handoff, Notification)


def _records(
    name: str, items: Iterable[_Record], kind: type[_Record], journey: Journey
) -> tuple[_Record, ...]:
    """``items`` as a tuple, each checked to be a ``kind`` of ``journey``."""
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise ValidationError(name, f"expected an iterable of {kind.__name__}")
    listed = tuple(items)
    for i, item in enumerate(listed):
        if not isinstance(item, kind):
            raise ValidationError(f"{name}[{i}]", f"expected a {kind.__name__}, got {type(item).__name__}")
        if item.journey_id != journey.id:
            raise ValidationError(f"{name}[{i}]", f"belongs to journey {item.journey_id!r}")
    return listed
