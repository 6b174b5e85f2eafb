"""Cards of one record each, for notebooks (HTML) and terminals: a contact, a handoff, a notification.

Names, bodies and reasons may come from customers, so every piece of text is escaped.
"""

from __future__ import annotations

from handoff.models import Contact, Handoff, Notification
from handoff.show._escape import esc, rx
from handoff.show._summary import render_summary, summary_rich
from handoff.show._words import BOX, MUTED, chip, icon, when

__all__ = [
    "contact_html",
    "contact_rich",
    "handoff_html",
    "handoff_rich",
    "notification_html",
    "notification_rich",
]

_ROW = "padding:1px 8px 1px 0;vertical-align:top"


# -- contacts --------------------------------------------------------------------------------------


def contact_html(contact: Contact) -> str:
    """A contact: name, identities (confirmed or not, and how linked), time zone, language, consent."""
    identities = "".join(
        f"<li>{'✔' if link.confirmed else '✘'} {esc(str(link.identity))} "
        f'<span style="{MUTED}">({esc(_linked(link.source, link.confirmed))}, '
        f"{esc(when(link.linked_at))})</span></li>"
        for link in contact.links
    )
    return (
        f'<div style="{BOX};display:inline-block;min-width:18em">'
        f"<div><b>{esc(contact.name or 'Contact')}</b> "
        f'<span style="{MUTED}">{esc(contact.id)}</span></div>'
        + (f'<ul style="margin:2px 0">{identities}</ul>' if identities else "<div>no identity on file</div>")
        + _table(_contact_rows(contact))
        + "</div>"
    )


def contact_rich(contact: Contact) -> str:
    """The contact card as ``rich`` console markup."""
    lines = [f"[bold]{rx(contact.name or 'Contact', tag_follows=True)}[/bold] [dim]{rx(contact.id)}[/dim]"]
    lines += [
        f"  {'✔' if link.confirmed else '✘'} {rx(str(link.identity))} "
        f"[dim]({rx(_linked(link.source, link.confirmed))})[/dim]"
        for link in contact.links
    ]
    lines += [f"  {rx(name)}: {rx(value)}" for name, value in _contact_rows(contact)]
    return "\n".join(lines)


def _linked(source: str, confirmed: bool) -> str:
    return source.replace("_", " ") + ("" if confirmed else ", unconfirmed")


def _contact_rows(contact: Contact) -> list[tuple[str, str]]:
    rows = [("time zone", contact.timezone)]
    rows += [("language", contact.language)] if contact.language else []
    rows += [("prefers", ", ".join(contact.preferred_channels))] if contact.preferred_channels else []
    if contact.consent:
        given = sorted(contact.consent.items())
        rows.append(("consent", ", ".join(f"{name} {'✔' if yes else '✘'}" for name, yes in given)))
    quiet = contact.quiet_hours
    rows.append(("quiet hours", f"{quiet[0]}–{quiet[1]}" if quiet else "none"))
    return rows


# -- handoffs --------------------------------------------------------------------------------------


def handoff_html(handoff: Handoff) -> str:
    """A handoff: the switch (from, to, who, why, warm or cold) above the summary it carried."""
    return (
        f'<div style="{BOX}"><div>{_switch_html(handoff)}</div>'
        f'<div style="{MUTED}">{esc(_who(handoff))}</div>'
        f'<div style="margin-top:4px">{render_summary(handoff.summary, "html", handoff.summary.max_chars)}'
        "</div></div>"
    )


def handoff_rich(handoff: Handoff) -> str:
    """The handoff as ``rich`` console markup: the switch, who made it, then the summary."""
    head = f"{handoff.from_channel} → {handoff.to_channel}: {handoff.reason}, {_temperature(handoff)}"
    return (
        f"[bold]Handoff {rx(head, tag_follows=True)}[/bold]\n"
        f"[dim]{rx(_who(handoff), tag_follows=True)}[/dim]\n" + summary_rich(handoff.summary)
    )


def _switch_html(handoff: Handoff) -> str:
    return (
        f"<b>Handoff</b> {chip(handoff.from_channel)} → {chip(handoff.to_channel)} "
        f"<b>{esc(handoff.reason)}</b> · {_temperature(handoff)}"
    )


def _temperature(handoff: Handoff) -> str:
    return "warm" if handoff.warm else "cold"


def _who(handoff: Handoff) -> str:
    agents = ""
    if handoff.from_agent or handoff.to_agent:
        agents = f" · {handoff.from_agent or '?'} → {handoff.to_agent or '?'}"
    return f"by {handoff.initiated_by}{agents} · {when(handoff.at, year=True)}"


# -- notifications ---------------------------------------------------------------------------------


def notification_html(notification: Notification) -> str:
    """A notification: where and when it goes, its status, its text, and the rule behind it."""
    n = notification
    rows = [("to", str(n.to) if n.to is not None else "the contact's address on the channel")]
    rows += [("send at", when(n.send_at, year=True)), ("status", n.status)]
    rows += [("sent at", when(n.sent_at, year=True))] if n.sent_at is not None else []
    rows += [("template", n.template)] if n.template else []
    rows += [("rule", f"{n.rule}: {n.reason}")]
    return (
        f'<div style="{BOX};display:inline-block;min-width:18em">'
        f"<div>{chip(n.channel)} <b>{esc(n.purpose)}</b></div>"
        f'<div style="margin:4px 0;white-space:pre-wrap">{esc(n.body)}</div>' + _table(rows) + "</div>"
    )


def notification_rich(notification: Notification) -> str:
    """The notification as ``rich`` console markup."""
    n = notification
    return (
        f"[bold]{rx(icon(n.channel))} {rx(n.channel)} {rx(n.purpose, tag_follows=True)}[/bold] "
        f"[dim]{rx(n.status)} · {rx(when(n.send_at, year=True), tag_follows=True)}[/dim]\n"
        f"{rx(n.body)}\n[dim]{rx(n.rule)}: {rx(n.reason, tag_follows=True)}[/dim]"
    )


def _table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        f'<tr><td style="{MUTED};{_ROW}">{esc(name)}</td><td style="{_ROW}">{esc(value)}</td></tr>'
        for name, value in rows
    )
    return f'<table style="border-collapse:collapse">{cells}</table>'
