"""Drawing: records as plain text, Markdown, HTML for notebooks and ``rich`` console markup.

Records are data and know nothing of their drawing; this package imports them. Every
record reaches its drawing through one hook (``render``, ``_repr_html_``, ``__rich__``),
so in a notebook a journey, summary, handoff, notification, contact, decision or policy
shows itself, and ``rich.print(record)`` draws it in a terminal. The same drawings are
here as functions:

- :func:`draw` draws any record in a format it has;
- :func:`render_summary` draws a :class:`~handoff.ContextSummary` within a character
  budget (the least useful lines go first);
- :func:`render_decision` draws a :class:`~handoff.policy.Decision` as an account;
- :func:`timeline` draws a journey with its messages, handoffs and notifications;
- :func:`duration` writes a duration in the one style every drawing uses.

The HTML is self-contained (inline styles, no scripts, fonts or images) and every text is
escaped, as is every ``[`` in the ``rich`` forms: customer messages are untrusted. The
``rich`` forms are strings of console markup, so ``rich`` itself is never imported.
"""

from handoff.show._cards import (
    contact_html,
    contact_rich,
    handoff_html,
    handoff_rich,
    notification_html,
    notification_rich,
)
from handoff.show._decision import decision_html, decision_rich, render_decision
from handoff.show._dispatch import draw
from handoff.show._journey import Timeline, journey_html, journey_rich, timeline
from handoff.show._policy import policy_html, policy_rich
from handoff.show._summary import FORMATS, Format, render_summary, summary_rich
from handoff.show._words import duration, render_path

__all__ = [
    "FORMATS",
    "Format",
    "Timeline",
    "contact_html",
    "contact_rich",
    "decision_html",
    "decision_rich",
    "draw",
    "duration",
    "handoff_html",
    "handoff_rich",
    "journey_html",
    "journey_rich",
    "notification_html",
    "notification_rich",
    "policy_html",
    "policy_rich",
    "render_decision",
    "render_path",
    "render_summary",
    "summary_rich",
    "timeline",
]
