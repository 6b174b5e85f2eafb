"""A self-contained HTML dashboard: the KPI table and weekly trend charts in inline SVG.

One file a support lead can open, mail or archive: no JavaScript, no web fonts, no
external stylesheet or image, so it looks the same offline and years later. The table
is :meth:`KpiReport._repr_html_` (each figure coloured against its target); each chart
plots one figure per ISO week, with its target as a dashed line, and a week without
data as a gap rather than a zero.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence

from handoff.errors import ValidationError
from handoff.metrics.report import KpiReport, show_figure

__all__ = ["TRENDS", "dashboard", "ticks"]

TRENDS: tuple[tuple[str, str], ...] = (
    ("journeys", "Journeys opened"),
    ("csat", "CSAT"),
    ("first_response_s", "Median first response"),
    ("resolution_s", "Median resolution"),
    ("fcr", "First-contact resolution"),
    ("repeat_rate", "Customers repeating themselves after a handoff"),
)
"""The figures charted week by week, with their chart titles."""

_WIDTH, _HEIGHT = 460, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 16, 28, 40
_INK, _MUTED, _LINE, _TARGET = "#222", "#777", "#2b6cb0", "#c05621"
_PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:24px;color:#222}"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}"
    "p.meta{color:#555;margin:0 0 16px}"
    ".charts{display:flex;flex-wrap:wrap;gap:16px}"
    ".charts figure{margin:0;border:1px solid #ddd;padding:8px}"
)


def dashboard(report: KpiReport, weekly: KpiReport, *, title: str = "Support KPIs") -> str:
    """The page: ``report``'s table, then one chart per :data:`TRENDS` figure from ``weekly``
    (a report sliced ``by=("week",)`` over the same period), with ``report``'s targets."""
    if not isinstance(report, KpiReport):
        raise ValidationError("report", f"expected a KpiReport, got {type(report).__name__}")
    if not isinstance(weekly, KpiReport) or weekly.by != ("week",):
        raise ValidationError("weekly", "expected a KpiReport sliced by=('week',)")
    if not isinstance(title, str):
        raise ValidationError("title", f"expected text, got {type(title).__name__}")
    weeks = [row.group[0] for row in weekly.rows]
    charts = []
    for name, heading in TRENDS:
        values = [row.figure(name) for row in weekly.rows]
        target = None if name == "journeys" else getattr(report.targets, name).goal
        charts.append(_chart(heading, name, weeks, values, target=target, bars=name == "journeys"))
    esc = html.escape
    period = report._period()
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_PAGE_STYLE}</style></head><body>"
        f"<h1>{esc(title)}</h1>"
        f'<p class="meta">{report.total.journeys} journeys opened {esc(period)}, '
        f"by {esc(' · '.join(report.by) or 'nothing')}</p>"
        f"{report._repr_html_()}"
        "<h2>Week by week</h2>"
        f'<div class="charts">{"".join(charts)}</div>'
        "</body></html>\n"
    )


_RATES = ("csat", "fcr", "reopen_rate", "repeat_rate")
"""Figures that are percentages: their axis never runs past 100%."""
_COUNTS = ("journeys",)
"""Figures that count things: their ticks are whole numbers."""
_TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
_TICKS = 4


def ticks(name: str, low: float, high: float) -> list[float]:
    """Round axis values from ``low`` (at most 0) up past ``high``: steps of 1, 2 or 5
    times a power of ten (whole numbers for counts), of whole minutes, hours or days for
    durations, and never past 100 for a percentage."""
    low, high = min(low, 0.0), max(high, low)
    span = high - low if high > low else (1.0 if high == 0 else abs(high))
    rough = span / _TICKS
    if name.endswith("_s"):
        step = float(next((s for s in _TIME_STEPS if s >= rough), 0))
        if not step:
            step = 86400.0 * _nice(rough / 86400.0)
    else:
        step = _nice(rough)
        if name in _COUNTS:
            step = max(1.0, math.ceil(step))
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    if last <= first:
        last = first + step
    if name in _RATES:
        last = min(last, 100.0)
        first = max(first, 0.0) if low >= 0 else first
    count = round((last - first) / step)
    values = [first + step * i for i in range(count + 1)]
    if name in _RATES and values[-1] < last:
        values.append(last)
    return values


def _nice(rough: float) -> float:
    """The smallest of 1, 2, 2.5 and 5 times a power of ten that is at least ``rough``."""
    if rough <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= rough)


def _chart(
    heading: str,
    name: str,
    labels: Sequence[str],
    values: Sequence[float | int | None],
    *,
    target: float | None,
    bars: bool,
) -> str:
    """One inline SVG: axes, the week labels, the series, the target and a title per point."""
    esc = html.escape
    known = [float(v) for v in values if v is not None]
    has_data = bool(known)
    if target is not None:
        known.append(target)
    axis = ticks(name, min(known, default=0.0), max(known, default=1.0))
    low, high = axis[0], axis[-1]
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    step = plot_w / max(len(labels), 1)

    def x(i: int) -> float:
        return _LEFT + step * (i + 0.5)

    def y(value: float) -> float:
        return _TOP + plot_h * (1 - (value - low) / (high - low))

    parts = [
        f'<text x="{_LEFT}" y="16" font-size="13" fill="{_INK}">{esc(heading)}</text>',
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_WIDTH - _RIGHT}" y2="{_TOP + plot_h}" '
        'stroke="#bbb"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h}" stroke="#bbb"/>',
    ]
    for value in axis:
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y(value) + 4:.1f}" font-size="10" fill="{_MUTED}" '
            f'text-anchor="end">{esc(show_figure(name, value))}</text>'
        )
    every = max(1, math.ceil(56 / step))  # a label is about 50 px wide
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{_HEIGHT - _BOTTOM + 16}" font-size="10" fill="{_MUTED}" '
                f'text-anchor="middle">{esc(label)}</text>'
            )
    if target is not None:
        parts.append(
            f'<line x1="{_LEFT}" y1="{y(target):.1f}" x2="{_WIDTH - _RIGHT}" y2="{y(target):.1f}" '
            f'stroke="{_TARGET}" stroke-dasharray="5 4"><title>target {esc(show_figure(name, target))}'
            "</title></line>"
        )
    parts.extend(_series(name, labels, values, x, y, bars=bars, base=y(low), width=step))
    if not has_data:
        parts.append(
            f'<text x="{_LEFT + plot_w / 2}" y="{_TOP + plot_h / 2}" font-size="12" fill="{_MUTED}" '
            'text-anchor="middle">no data</text>'
        )
    return (
        f'<figure><svg width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" aria-label="{esc(heading)} per week">'
        f"{''.join(parts)}</svg></figure>"
    )


def _series(
    name: str,
    labels: Sequence[str],
    values: Sequence[float | int | None],
    x: Callable[[int], float],
    y: Callable[[float], float],
    *,
    bars: bool,
    base: float,
    width: float,
) -> list[str]:
    """Bars, or a line broken wherever a week has no figure, with a hover title per point."""
    esc = html.escape
    parts: list[str] = []
    run: list[str] = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        if value is None:
            if len(run) > 1:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{_LINE}" stroke-width="2"/>'
                )
            run = []
            continue
        tip = f"<title>{esc(label)}: {esc(show_figure(name, value))}</title>"
        if bars:
            top = y(float(value))
            parts.append(
                f'<rect x="{x(i) - width * 0.35:.1f}" y="{top:.1f}" width="{width * 0.7:.1f}" '
                f'height="{max(base - top, 0):.1f}" fill="{_LINE}">{tip}</rect>'
            )
        else:
            cx, cy = f"{x(i):.1f}", f"{y(float(value)):.1f}"
            run.append(f"{cx},{cy}")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{_LINE}">{tip}</circle>')
    if len(run) > 1:
        parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{_LINE}" stroke-width="2"/>')
    return parts
