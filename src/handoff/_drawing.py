"""The one hook by which a record reaches its drawing without importing it.

Records (:mod:`handoff.models`, :class:`~handoff.policy.Decision`,
:class:`~handoff.policy.Policy`) are data and know nothing of presentation; drawing them
is the job of :mod:`handoff.show`, which imports the records. Their ``render``,
``_repr_html_`` and ``__rich__`` call :func:`draw` here, and :mod:`handoff.show` installs
the drawer when it is imported, which ``import handoff`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from handoff.errors import HandoffError, ValidationError

__all__ = ["RENDER_FORMATS", "DrawFormat", "Drawer", "RenderFormat", "draw", "install", "render"]

DrawFormat = Literal["text", "markdown", "html", "rich"]
RenderFormat = Literal["text", "markdown", "html"]
RENDER_FORMATS: tuple[RenderFormat, ...] = ("text", "markdown", "html")
Drawer = Callable[[object, DrawFormat, "int | None"], str]

_drawers: list[Drawer] = []


def install(drawer: Drawer) -> None:
    """Make ``drawer`` the one that draws records (:mod:`handoff.show` calls this once)."""
    _drawers[:] = [drawer]


def draw(record: object, fmt: DrawFormat, max_chars: int | None = None) -> str:
    """``record`` drawn as ``fmt`` by the installed drawer."""
    if not _drawers:  # only if handoff.show failed to import: import handoff imports it
        raise HandoffError("handoff.show is not imported, so records cannot be drawn")
    return _drawers[0](record, fmt, max_chars)


def render(record: object, fmt: RenderFormat, max_chars: int | None = None) -> str:
    """What a record's ``render(fmt)`` gives: ``text``, ``markdown`` or ``html``, never another."""
    if fmt not in RENDER_FORMATS:
        raise ValidationError("fmt", f"must be one of {list(RENDER_FORMATS)}, got {fmt!r}")
    return draw(record, fmt, max_chars)
