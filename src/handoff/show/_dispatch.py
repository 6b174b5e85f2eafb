"""Which drawing each record gets in each format: the drawer records reach through their hooks.

``ContextSummary.render``, ``Decision.render`` and every record's ``_repr_html_`` and
``__rich__`` come here through :func:`handoff._drawing.draw`; :func:`draw` is also the
public entry point for drawing any record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handoff import _drawing
from handoff._drawing import DrawFormat
from handoff.errors import ValidationError
from handoff.models import Contact, ContextSummary, Handoff, Journey, Notification
from handoff.policy.decision import Decision
from handoff.policy.engine import Policy
from handoff.show._cards import (
    contact_html,
    contact_rich,
    handoff_html,
    handoff_rich,
    notification_html,
    notification_rich,
)
from handoff.show._decision import decision_html, decision_markdown, decision_rich, decision_text
from handoff.show._journey import journey_html, journey_rich
from handoff.show._policy import policy_html, policy_rich
from handoff.show._summary import render_summary, summary_rich

__all__ = ["FORMATS_OF", "draw"]

_Draw = Callable[[Any, "int | None"], str]

_DRAWINGS: dict[type, dict[str, _Draw]] = {
    ContextSummary: {  # within the summary's own budget unless told another
        "text": lambda s, n: render_summary(s, "text", s.max_chars if n is None else n),
        "markdown": lambda s, n: render_summary(s, "markdown", s.max_chars if n is None else n),
        "html": lambda s, n: render_summary(s, "html", s.max_chars if n is None else n),
        "rich": lambda s, _n: summary_rich(s),
    },
    Decision: {
        "text": lambda d, _n: decision_text(d),
        "markdown": lambda d, _n: decision_markdown(d),
        "html": lambda d, _n: decision_html(d),
        "rich": lambda d, _n: decision_rich(d),
    },
    Journey: {"html": lambda j, _n: journey_html(j), "rich": lambda j, _n: journey_rich(j)},
    Handoff: {"html": lambda h, _n: handoff_html(h), "rich": lambda h, _n: handoff_rich(h)},
    Notification: {"html": lambda n, _n: notification_html(n), "rich": lambda n, _n: notification_rich(n)},
    Contact: {"html": lambda c, _n: contact_html(c), "rich": lambda c, _n: contact_rich(c)},
    Policy: {"html": lambda p, _n: policy_html(p), "rich": lambda p, _n: policy_rich(p)},
}

FORMATS_OF: dict[type, tuple[str, ...]] = {kind: tuple(forms) for kind, forms in _DRAWINGS.items()}
"""The formats each kind of record is drawn in."""


def draw(record: object, fmt: DrawFormat = "html", max_chars: int | None = None) -> str:
    """``record`` drawn as ``fmt``: ``text``, ``markdown``, ``html`` or ``rich`` console markup.

    Summaries are drawn in every format, within ``max_chars`` (by default the budget the
    summary was built with); decisions in
    every format; journeys, handoffs, notifications, contacts and policies as ``html`` and
    ``rich``. Any other record, or a format it is not drawn in, is a ValidationError.
    """
    drawings = next((forms for kind, forms in _DRAWINGS.items() if isinstance(record, kind)), None)
    if drawings is None:
        known = ", ".join(kind.__name__ for kind in _DRAWINGS)
        raise ValidationError("record", f"cannot draw a {type(record).__name__} (drawn: {known})")
    drawing = drawings.get(fmt) if isinstance(fmt, str) else None
    if drawing is None:
        raise ValidationError("fmt", f"a {type(record).__name__} is drawn as {list(drawings)}, not {fmt!r}")
    return drawing(record, max_chars)


_drawing.install(draw)
