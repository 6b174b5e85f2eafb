"""Draw a ContextSummary for a terminal, as markdown or as HTML, within a character budget.

``ContextSummary.render()`` reaches this module through :func:`handoff.show.draw`.

With a budget the output never exceeds it: the least useful lines go first (the channel
path, older messages, notes, commitments, the checklist, the facts), the header, the
identity status and the issue last; if even those do not fit they are cut with an
ellipsis. HTML is cut by whole elements, so it stays well-formed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from attrs import define, evolve

from handoff._drawing import RENDER_FORMATS, RenderFormat
from handoff.errors import ValidationError
from handoff.models import CardIdentity, ContextSummary, SummaryLine
from handoff.show._escape import clean as _clean
from handoff.show._escape import esc as _esc
from handoff.show._escape import md as _md
from handoff.show._escape import rx as _rx
from handoff.show._words import ago, render_path, when
from handoff.show._words import label as channel_label

__all__ = ["FORMATS", "Format", "render_summary", "summary_rich"]

Format = RenderFormat
FORMATS: tuple[Format, ...] = RENDER_FORMATS
"""The formats a summary (or a decision) renders in: ``text``, ``markdown``, ``html``."""

# Sections in the order they are shown; those with a heading are lists.
_HEADINGS: dict[str, str | None] = {
    "header": None,
    "contact": None,
    "local": None,
    "issue": None,
    "transition": None,
    "opening": "Say first",
    "facts": "Facts already given",
    "recent": "Recent messages",
    "commitments": "Open commitments",
    "notes": "Agent notes",
    "checklist": "Checklist",
    "path": None,
}
# Under a tight budget the facts that identify the case stay longest.
_FACT_WEIGHT = {
    "order": 0, "reference": 1, "account": 2, "card": 3, "amount": 4, "date": 5, "phone": 6, "email": 7,
}  # fmt: skip

_BOX = "font:14px/1.4 system-ui,sans-serif;border:1px solid #ccd;padding:6px 10px"
_HEAD = "font-weight:600;margin-top:6px"
_LIST = "margin:0;padding-left:1.2em"


@define(frozen=True)
class _Item:
    """One line of the drawing: ``label`` is the short lead, emphasised where the format can."""

    section: str
    label: str
    text: str


@define(frozen=True)
class _Step:
    """One way of saving room, tried in ``key`` order: shorten an item's text, or drop it."""

    key: tuple[int, int]
    shrink_to: int | None = None


def render_summary(summary: ContextSummary, fmt: Format = "text", max_chars: int | None = None) -> str:
    """``summary`` drawn as ``text`` (plain, for a terminal), ``markdown`` or ``html``.

    With ``max_chars`` the result is never longer than that many characters.
    """
    if fmt not in FORMATS:
        raise ValidationError("fmt", f"must be one of {list(FORMATS)}, got {fmt!r}")
    if max_chars is not None and (
        isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1
    ):
        raise ValidationError("max_chars", f"expected a whole number >= 1 or None, got {max_chars!r}")
    try:
        items, steps = _layout(summary)
    except (AttributeError, TypeError) as exc:
        raise ValidationError("summary", f"expected a ContextSummary ({exc})") from None
    return _fit(items, steps, fmt, max_chars)


def summary_rich(summary: ContextSummary) -> str:
    """The text drawing with its first line in bold, as ``rich`` console markup."""
    head, _, rest = render_summary(summary, "text", summary.max_chars).partition("\n")
    return f"[bold]{_rx(head, tag_follows=True)}[/bold]" + (f"\n{_rx(rest)}" if rest else "")


# -- what to draw ------------------------------------------------------------------------------


def _layout(summary: ContextSummary) -> tuple[list[_Item], list[tuple[_Step, int]]]:
    """The lines of ``summary`` in display order, and the steps that save room, least harm first.

    A step comes with the index of the line it applies to.
    """
    zone = summary.generated_at.tzinfo
    items: list[_Item] = []
    steps: list[tuple[_Step, int]] = []

    def add(section: str, label: str, text: str, *saving: _Step) -> None:
        steps.extend((step, len(items)) for step in saving)
        items.append(_Item(section, _clean(label), _clean(text)))

    to = channel_label(summary.for_channel)
    since = ago(summary.since_first_contact)
    add("header", f"Handoff {summary.reference}", f"to {to} · {summary.status} · first contact {since}")
    card = summary.contact
    add("contact", f"{card.name or 'Contact'}:", _identities(card.identities))
    if card.local_time is not None or card.language:
        local = [f"{when(card.local_time, None, weekday=True)} ({card.timezone})"] if card.local_time else []
        local += [f"language {card.language}"] if card.language else []
        add("local", "Local time:" if card.local_time else "Language:", " · ".join(local), _drop(55))
    if summary.issue:
        add("issue", "Issue:", summary.issue, _shorten(90, 24))
    if summary.transition:
        add("transition", "Transition:", summary.transition, _shorten(80, 40), _drop(80, 1))
    for i, text in enumerate(summary.opening):
        add("opening", "", text, _drop(45, -i))
    # Less telling kinds first, the latest first within a kind.
    order = sorted(range(len(summary.facts)), key=lambda i: (-_FACT_WEIGHT.get(summary.facts[i].kind, 8), -i))
    rank = {index: position for position, index in enumerate(order)}
    for i, fact in enumerate(summary.facts):
        add(
            "facts",
            f"{fact.kind}:",
            f"{fact.text} ({fact.channel}, {when(fact.at, zone)})",
            _drop(60, rank[i]),
        )
    customers = [i for i, line in enumerate(summary.recent) if line.author == "customer"]
    keep = customers[-1] if customers else len(summary.recent) - 1
    for i, line in enumerate(summary.recent):
        if i == keep:  # the customer's last words: shortened before the facts go, dropped nearly last
            add("recent", _who(line, zone), line.text, _shorten(58, 160), _shorten(70, 40), _drop(70, 1))
        else:
            add("recent", _who(line, zone), line.text, _drop(20, i))
    for i, text in enumerate(summary.commitments):
        add("commitments", "", text, _drop(40, i))
    for i, note in enumerate(summary.notes):
        add("notes", _who(note, zone), note.text, _drop(30, i))
    for i, text in enumerate(summary.checklist):
        add("checklist", "", text, _drop(50, -i))
    if summary.path:
        add("path", "Path:", render_path(summary.path), _drop(10))
    return items, sorted(steps, key=lambda pair: pair[0].key)


def _drop(major: int, minor: int = 0) -> _Step:
    return _Step((major, minor))


def _shorten(major: int, to: int) -> _Step:
    return _Step((major, 0), shrink_to=to)


def _identities(identities: Sequence[CardIdentity]) -> str:
    if not identities:
        return "no identity on file"
    return " · ".join(
        f"✔ {i.identity}" if i.confirmed else f"✘ {i.identity} (unconfirmed, {i.source.replace('_', ' ')})"
        for i in identities
    )


def _who(line: SummaryLine, zone: tzinfo | None) -> str:
    agent = f" {line.agent}" if line.agent else ""
    return f"{when(line.at, zone)} {line.channel} {line.author}{agent}:"


# -- fitting -----------------------------------------------------------------------------------


def _fit(items: list[_Item], steps: list[tuple[_Step, int]], fmt: Format, budget: int | None) -> str:
    """Apply ``steps`` until the drawing fits ``budget``; cut what is left if nothing else helps."""
    state: list[_Item | None] = list(items)
    drawn = _draw(fmt, state)
    if budget is None or len(drawn) <= budget:
        return drawn
    for step, index in steps:
        item = state[index]
        if item is None:
            continue
        if step.shrink_to is None:
            state[index] = None
        elif len(item.text) > step.shrink_to:
            best = _shrink(state, index, item, step.shrink_to, fmt, budget)
            if best is not None:
                return best
            state[index] = evolve(item, text=_cut(item.text, step.shrink_to))
        drawn = _draw(fmt, state)
        if len(drawn) <= budget:
            return drawn
    return _truncate(fmt, state, budget)


def _shrink(
    state: list[_Item | None], index: int, item: _Item, floor: int, fmt: Format, budget: int
) -> str | None:
    """The drawing with ``item`` (at ``index``) cut as little as fits, not below ``floor``; or None."""
    best, low, high = None, floor, len(item.text) - 1
    while low <= high:
        middle = (low + high) // 2
        trial = [*state[:index], evolve(item, text=_cut(item.text, middle)), *state[index + 1 :]]
        drawn = _draw(fmt, trial)
        if len(drawn) <= budget:
            best, low = drawn, middle + 1
        else:
            high = middle - 1
    return best


def _truncate(fmt: Format, state: list[_Item | None], budget: int) -> str:
    """The last resort: plain text cut with an ellipsis (for HTML inside one element)."""
    if fmt != "html":
        drawn = _draw(fmt, state)
        return drawn if len(drawn) <= budget else drawn[: budget - 1] + "…"
    plain = _draw("text", state)
    opening, closing = f'<div style="{_BOX};white-space:pre-wrap">', "</div>"
    room = budget - len(opening) - len(closing)
    if room >= 2:
        return opening + _escape_cut(plain, room) + closing
    return _escape_cut(plain, budget)


def _escape_cut(text: str, room: int) -> str:
    """The longest escaped prefix of ``text`` that fits ``room`` with its ellipsis."""
    if len(_esc(text)) <= room:
        return _esc(text)
    used, kept = 1, 0
    for char in text:
        used += len(_esc(char))
        if used > room:
            break
        kept += 1
    return _esc(text[:kept]) + "…"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


# -- drawing -----------------------------------------------------------------------------------


def _draw(fmt: Format, state: Sequence[_Item | None]) -> str:
    sections: dict[str, list[_Item]] = {}
    for item in state:
        if item is not None:
            sections.setdefault(item.section, []).append(item)
    ordered = [(name, sections[name]) for name in _HEADINGS if name in sections]
    if fmt == "html":
        return _draw_html(ordered)
    if fmt == "markdown":
        return _draw_markdown(ordered)
    return _draw_text(ordered)


def _draw_text(sections: list[tuple[str, list[_Item]]]) -> str:
    out: list[str] = []
    after_list = False
    for name, items in sections:
        heading = _HEADINGS[name]
        if heading is None:
            block = "\n".join(_join(i.label, i.text) for i in items)
        else:
            mark = "[ ] " if name == "checklist" else "- "
            block = heading + "\n" + "\n".join("  " + mark + _join(i.label, i.text) for i in items)
        if out:  # lists stand apart; single lines follow each other
            out.append("\n\n" if heading is not None or after_list else "\n")
        out.append(block)
        after_list = heading is not None
    return "".join(out)


def _draw_markdown(sections: list[tuple[str, list[_Item]]]) -> str:
    blocks = []
    for name, items in sections:
        heading = _HEADINGS[name]
        if name == "header":
            blocks.append(f"### {_md(items[0].label)} {_md(items[0].text)}")
        elif heading is None:
            blocks.extend(_join(f"**{_md(i.label)}**" if i.label else "", _md(i.text)) for i in items)
        else:
            mark = "- [ ] " if name == "checklist" else "- "
            lines = (mark + _join(f"**{_md(i.label)}**" if i.label else "", _md(i.text)) for i in items)
            blocks.append(f"#### {heading}\n\n" + "\n".join(lines))
    return "\n\n".join(blocks)


def _draw_html(sections: list[tuple[str, list[_Item]]]) -> str:
    parts = [f'<div style="{_BOX}">']
    for name, items in sections:
        heading = _HEADINGS[name]
        if name == "header":
            parts.append(
                f'<div style="font-size:1.1em"><b>{_esc(items[0].label)}</b> {_esc(items[0].text)}</div>'
            )
        elif heading is None:
            parts.extend(f"<div>{_join(_bold(i.label), _esc(i.text))}</div>" for i in items)
        else:
            mark = "☐ " if name == "checklist" else ""
            lines = "".join(f"<li>{mark}{_join(_bold(i.label), _esc(i.text))}</li>" for i in items)
            parts.append(f'<div style="{_HEAD}">{_esc(heading)}</div><ul style="{_LIST}">{lines}</ul>')
    parts.append("</div>")
    return "".join(parts)


def _join(label: str, text: str) -> str:
    return f"{label} {text}" if label else text


def _bold(label: str) -> str:
    return f"<b>{_esc(label)}</b>" if label else ""
