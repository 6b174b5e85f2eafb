"""Journeys, timelines, summaries and decisions drawn for notebooks (HTML) and terminals (rich).

Notebooks call ``_repr_html_`` and the ``rich`` console calls ``__rich__``; the models
delegate both here so drawing stays out of the data. The HTML is self-contained (inline
styles, emoji icons, no scripts, fonts or images) and every piece of text is escaped:
customer messages are untrusted. The ``rich`` forms are strings with console markup, so
``rich`` is never imported.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from attrs import define

from handoff import channels
from handoff.errors import ValidationError

if TYPE_CHECKING:
    from handoff.models import ContextSummary, Handoff, Interaction, Journey, Notification
    from handoff.policy.decision import Decision

__all__ = [
    "Timeline",
    "decision_html",
    "decision_rich",
    "journey_html",
    "journey_rich",
    "summary_html",
    "summary_rich",
    "timeline",
]

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
_PALETTE = ("#7f8c8d", "#c0392b", "#27ae60", "#2980b9", "#8e44ad", "#d35400", "#16a085")
_STATUS = {"open": "#2f7ed8", "pending": "#d68910", "resolved": "#25a244", "closed": "#7f8c8d"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BOX = "font:14px/1.45 system-ui,sans-serif;border:1px solid #ccd;border-radius:6px;padding:8px 12px"
_MUTED = "color:#667"
_BODY_CHARS = 400
_BRACKET = re.compile(r"(\\*)\[")


# -- journeys --------------------------------------------------------------------------------------


def journey_html(journey: Journey) -> str:
    """A journey card: reference, status, the channel path as a timeline, counts, facts and notes.

    A journey holds its derived state, not its messages; :func:`timeline` draws those.
    """
    try:
        head = _journey_head(journey)
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


def _journey_head(journey: Journey) -> str:
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
            f'<div style="{_BOX}">{_journey_head(self.journey)}'
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
    from handoff.models import Handoff, Interaction, Journey, Notification

    if not isinstance(journey, Journey):
        raise ValidationError("journey", f"expected a Journey, got {type(journey).__name__}")
    parts: list[tuple[object, ...]] = []
    for name, items, kind in (
        ("interactions", interactions, Interaction),
        ("handoffs", handoffs, Handoff),
        ("notifications", notifications, Notification),
    ):
        if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
            raise ValidationError(name, f"expected an iterable of {kind.__name__}")
        listed = tuple(items)
        for i, item in enumerate(listed):
            if not isinstance(item, kind):
                raise ValidationError(
                    f"{name}[{i}]", f"expected a {kind.__name__}, got {type(item).__name__}"
                )
            if item.journey_id != journey.id:
                raise ValidationError(f"{name}[{i}]", f"belongs to journey {item.journey_id!r}")
        parts.append(listed)
    return Timeline(journey, *parts)  # type: ignore[arg-type]


# -- summaries and decisions -----------------------------------------------------------------------


def summary_html(summary: ContextSummary) -> str:
    """The summary as the receiving agent's screen would show it."""
    return summary.render("html")


def summary_rich(summary: ContextSummary) -> str:
    """The text rendering with its first line in bold, as ``rich`` console markup."""
    head, _, rest = summary.render("text").partition("\n")
    return f"[bold]{_rx(head, tag_follows=True)}[/bold]" + (f"\n{_rx(rest)}" if rest else "")


def decision_html(decision: Decision) -> str:
    """The decision as tables: every rule's verdict, the facts read, what came out."""
    from handoff.policy.conditions import show  # the policy package imports the models

    e = _esc
    rows = "".join(
        f'<tr style="{"" if v.matched else _MUTED}"><td>{"✔" if v.matched else "·"}</td>'
        f"<td><code>{e(v.rule)}</code></td><td>{e(v.reason)}</td></tr>"
        for v in decision.verdicts
    )
    facts = "".join(
        f"<tr><td><code>{e(name)}</code></td><td>{e(show(value))}</td></tr>"
        for name, value in decision.facts.items()
    )
    sent = "".join(
        f"<li>{_chip(n.channel)} <b>{e(n.purpose)}</b> at {e(_stamp(n.send_at))} "
        f"[<code>{e(n.rule)}</code>]: {e(n.body)}</li>"
        for n in decision.notifications
    )
    advice = "".join(
        f"<li><b>{e(s.kind)}</b> [<code>{e(s.rule)}</code>]: {e(s.reason)}</li>" for s in decision.suggestions
    )
    event = decision.event
    moved = f" {event.from_channel} → {event.to_channel}" if event.from_channel and event.to_channel else ""
    return (
        f'<div style="{_BOX}"><div><b>{e(event.kind)}</b> on {_chip(event.channel)}{e(moved)} '
        f"at {e(_stamp(event.at))} · policy <code>{e(decision.policy_revision)}</code> · "
        f"decision <code>{e(decision.id)}</code></div>"
        f"<table><tr><th></th><th>rule</th><th>reason</th></tr>{rows}</table>"
        + (f"<table><tr><th>fact</th><th>value</th></tr>{facts}</table>" if facts else "")
        + (f"<div><b>Notifications</b></div><ul>{sent}</ul>" if sent else "")
        + (f"<div><b>Suggestions</b></div><ul>{advice}</ul>" if advice else "")
        + "</div>"
    )


def decision_rich(decision: Decision) -> str:
    """The plain-text account with matched rules in green, as ``rich`` console markup."""
    lines = []
    for line in decision.render().split("\n"):
        matched = line.startswith("  ✔")
        escaped = _rx(line, tag_follows=matched)
        lines.append(f"[green]{escaped}[/green]" if matched else escaped)
    return "\n".join(lines)


# -- small pieces ----------------------------------------------------------------------------------


def _chip(channel: str) -> str:
    """A channel as a coloured label with its icon."""
    return (
        f'<span style="background:{_colour(channel)};color:#fff;border-radius:4px;padding:0 5px;'
        f'white-space:nowrap">{_esc(_icon(channel))} {_esc(channel)}</span>'
    )


def _colour(channel: str) -> str:
    if channel in _COLOURS:
        return _COLOURS[channel]
    digest = hashlib.blake2b(channel.encode("utf-8", "replace"), digest_size=1).digest()[0]
    return _PALETTE[digest % len(_PALETTE)]


def _icon(channel: str) -> str:
    try:
        return channels.get(channel).icon
    except ValidationError:
        return "•"


def _collapsed(names: Iterable[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if not out or out[-1] != name:
            out.append(name)
    return out


def _stamp(at: datetime, *, year: bool = False) -> str:
    """``12 Mar 14:03`` (``12 Mar 2025 14:03 UTC`` with ``year``), independent of the locale."""
    text = f"{at.day} {_MONTHS[at.month - 1]}" + (f" {at.year}" if year else "") + f" {at:%H:%M}"
    return text + (f" {at.tzname()}" if year and at.tzname() else "")


def _one_line(text: str, limit: int | None = None) -> str:
    flat = " ".join(_UNSAFE.sub("", text).split())
    return flat if limit is None or len(flat) <= limit else flat[: limit - 1] + "…"


def _esc(text: str) -> str:
    return html.escape(_UNSAFE.sub("", text), quote=True)


def _rx(text: str, *, tag_follows: bool = False) -> str:
    """Text made inert for ``rich`` markup: every ``[`` escaped, terminal escapes dropped.

    Backslashes just before a ``[`` are doubled, as ``rich.markup.escape`` does, so they
    cannot un-escape it; with ``tag_follows`` so are those at the end, before a closing tag.
    """
    escaped = _BRACKET.sub(lambda m: m.group(1) * 2 + "\\[", _UNSAFE.sub("", text))
    trailing = len(escaped) - len(escaped.rstrip("\\"))
    return escaped + "\\" * trailing if tag_follows else escaped
