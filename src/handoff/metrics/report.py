"""The KPI report: figures per group, as records, a DataFrame, a terminal table or HTML.

:func:`kpis` streams journeys through :func:`~handoff.metrics.journeys.journey_figures`
(or, from a store, their compact rows) into an
:class:`~handoff.metrics.aggregate.Aggregator`, then turns each group's totals
into a :class:`KpiRow` with the formulas of :mod:`handoff.metrics.formulas`. A figure
with no data is ``None`` and is drawn as "—".
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, time, timedelta, timezone
from typing import Any, Literal

from attrs import define, field

from handoff.errors import ValidationError
from handoff.metrics import formulas as f
from handoff.metrics.aggregate import MEASURES, GroupTotals, combine
from handoff.metrics.calendar import BusinessCalendar
from handoff.metrics.formulas import Durations, Status, Targets

__all__ = ["FIGURES", "NO_DATA", "KpiReport", "KpiRow", "display_width", "show_figure"]

FIGURES: tuple[str, ...] = (
    "journeys",
    "csat",
    "nps",
    "ces",
    "first_response_s",
    "resolution_s",
    "fcr",
    "reopen_rate",
    "handoffs",
    "repeat_rate",
)
"""The figures of :meth:`KpiReport.to_records`, after the group columns."""

_HEADINGS = {
    "journeys": "journeys",
    "csat": "CSAT",
    "nps": "NPS",
    "ces": "CES",
    "first_response_s": "1st response",
    "resolution_s": "resolution",
    "fcr": "FCR",
    "reopen_rate": "reopened",
    "handoffs": "handoffs/j",
    "repeat_rate": "repeated",
}
_ANSI = {"met": "\x1b[32m", "near": "\x1b[33m", "act_now": "\x1b[31m"}
_ANSI_RESET = "\x1b[0m"
_RICH = {"met": "green", "near": "yellow", "act_now": "bold red"}
_HTML_COLOURS = {"met": "#d8f3dc", "near": "#fff3bf", "act_now": "#ffd6d6"}
_STATUS_WORDS = {"met": "met", "near": "near", "act_now": "act now"}
NO_DATA = "—"


@define(frozen=True)
class KpiRow:
    """Every figure of one group. Percentages are 0–100; durations are in seconds.

    ``times`` are calendar durations; ``business_times`` the same in working seconds
    when the report has a business calendar. Measures: ``first_response`` (start to
    first agent reply), ``response`` (the first of each run of unanswered customer
    messages to the next agent reply), ``first_resolution``, ``resolution`` (to the
    last resolve, after any reopens) and ``handoff_response`` (handoff to first agent
    reply on the new channel).
    """

    group: tuple[str, ...]
    journeys: int
    resolved: int
    backlog: int
    handoff_count: int
    repeated: int
    csat: float | None
    nps: float | None
    ces: float | None
    ces_high: float | None
    fcr: float | None
    reopen_rate: float | None
    repeat_rate: float | None
    resolved_share: float | None
    """Share of the group's journeys resolved on the channel they started on."""
    handed_off_share: float | None
    handoffs_per_journey: float | None
    times: Mapping[str, Durations] = field(hash=False)
    business_times: Mapping[str, Durations] | None = field(default=None, hash=False)

    @property
    def headline_times(self) -> Mapping[str, Durations]:
        """Business durations when there is a calendar, else calendar durations."""
        return self.times if self.business_times is None else self.business_times

    @property
    def art(self) -> float | None:
        """Average resolution time: total resolution time ÷ resolved journeys."""
        return self.headline_times["resolution"].mean

    def figure(self, name: str) -> float | int | None:
        """One of :data:`FIGURES` by name (times are headline medians)."""
        if name == "first_response_s":
            return self.headline_times["first_response"].median
        if name == "resolution_s":
            return self.headline_times["resolution"].median
        if name == "handoffs":
            return self.handoffs_per_journey
        if name in FIGURES:
            value: float | int | None = getattr(self, name)
            return value
        raise ValidationError("name", f"unknown figure {name!r}; use one of {', '.join(FIGURES)}")

    @classmethod
    def from_totals(cls, totals: GroupTotals, *, business: bool) -> KpiRow:
        c = totals.counts
        times = {name: Durations.of(totals.calendar.get(name, ())) for name in MEASURES}
        business_times = (
            {name: Durations.of(totals.business.get(name, ())) for name in MEASURES} if business else None
        )
        return cls(
            group=totals.key,
            journeys=c.journeys,
            resolved=c.resolved,
            backlog=c.backlog,
            handoff_count=c.handoffs,
            repeated=c.repeated,
            csat=f.percent(c.csat_satisfied, c.csat_answers),
            nps=f.nps_from_counts(c.promoters, c.detractors, c.nps_answers),
            ces=c.ces_total / c.ces_answers if c.ces_answers else None,
            ces_high=f.percent(c.ces_easy, c.ces_answers),
            fcr=f.percent(c.fcr, c.journeys),
            reopen_rate=f.percent(c.reopened, c.journeys),
            repeat_rate=f.percent(c.repeated, c.handoffs),
            resolved_share=f.percent(c.resolved_on_entry, c.journeys),
            handed_off_share=f.percent(c.handed_off, c.journeys),
            handoffs_per_journey=c.handoffs / c.journeys if c.journeys else None,
            times=times,
            business_times=business_times,
        )


def _duration(seconds: float) -> str:
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def show_figure(name: str, value: float | None) -> str:
    """A figure as people read it: 82.5%, +31, 5.2, 1h 05m; "—" when there is no data."""
    if not isinstance(name, str):
        raise ValidationError("name", f"expected a figure name, got {name!r}")
    if value is None:
        return NO_DATA
    if f.finite_number(value) is None:
        raise ValidationError("value", f"expected a finite number or None, got {value!r}")
    if name in ("csat", "fcr", "reopen_rate", "repeat_rate"):
        return f"{value:.1f}%"
    if name == "nps":
        signed = f"{value:+.0f}"
        return "0" if signed in ("+0", "-0") else signed
    if name == "ces":
        return f"{value:.1f}"
    if name == "handoffs":
        return f"{value:.2f}"
    if name.endswith("_s"):
        return _duration(value)
    return f"{value:g}"


def display_width(text: str) -> int:
    """The columns ``text`` takes in a terminal: wide and full-width characters (CJK) take
    two, combining marks and other zero-width characters none, the rest one."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _instant(moment: datetime) -> str:
    """``moment`` in ISO form, to the minute unless it has seconds to show."""
    return moment.isoformat(timespec="minutes" if moment.second == moment.microsecond == 0 else "auto")


def _escape_markup(text: str) -> str:
    """Text shown literally by rich: an opening bracket would start a markup tag."""
    return text.replace("\\", "\\\\").replace("[", "\\[")


@define(frozen=True)
class KpiReport:
    """KPIs for ``start`` ≤ opened < ``end``, one :class:`KpiRow` per group plus a total."""

    by: tuple[str, ...]
    start: datetime
    end: datetime
    rows: tuple[KpiRow, ...]
    total: KpiRow
    targets: Targets = field(factory=Targets)
    business_hours: BusinessCalendar | None = None

    @classmethod
    def from_totals(
        cls,
        groups: Sequence[GroupTotals],
        *,
        by: Sequence[str],
        start: datetime,
        end: datetime,
        business_hours: BusinessCalendar | None = None,
        targets: Targets | None = None,
    ) -> KpiReport:
        """The report for groups already totalled (by an :class:`Aggregator` or a store)."""
        business = business_hours is not None
        return cls(
            by=tuple(by),
            start=start,
            end=end,
            rows=tuple(KpiRow.from_totals(group, business=business) for group in groups),
            total=KpiRow.from_totals(combine(groups), business=business),
            targets=targets if targets is not None else Targets(),
            business_hours=business_hours,
        )

    def status(self, row: KpiRow, name: str) -> Status | None:
        """How ``row``'s figure ``name`` stands against its target (None: no target or data)."""
        if not isinstance(row, KpiRow):
            raise ValidationError("row", f"expected a KpiRow, got {type(row).__name__}")
        if name not in FIGURES:
            raise ValidationError("name", f"unknown figure {name!r}; use one of {', '.join(FIGURES)}")
        target = getattr(self.targets, name, None)
        return None if target is None else target.judge(row.figure(name))

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per group: the group columns, then :data:`FIGURES`.

        ``first_response_s`` and ``resolution_s`` are medians in seconds (working
        seconds with a business calendar); ``handoffs`` is handoffs per journey;
        ``csat``, ``fcr``, ``reopen_rate`` and ``repeat_rate`` are percentages.
        """
        return [
            {**dict(zip(self.by, row.group, strict=True)), **{name: row.figure(name) for name in FIGURES}}
            for row in self.rows
        ]

    def to_pandas(self) -> Any:
        """The records as a ``pandas.DataFrame`` (pandas is optional; only this needs it)."""
        try:
            import pandas  # type: ignore[import-not-found,import-untyped,unused-ignore]
        except ImportError as missing:
            raise ImportError("to_pandas() needs pandas: pip install pandas") from missing
        return pandas.DataFrame.from_records(self.to_records(), columns=[*self.by, *FIGURES])

    def render(self, fmt: Literal["text", "html"] = "text", *, color: bool = False) -> str:
        """A table for a terminal (``text``, ANSI colours with ``color=True``) or ``html``."""
        if fmt == "text":
            return self._text(color)
        if fmt == "html":
            return self._repr_html_()
        raise ValidationError("fmt", f"expected 'text' or 'html', got {fmt!r}")

    def _labelled_rows(self) -> list[tuple[str, KpiRow]]:
        rows = [(" · ".join(row.group) or "all", row) for row in self.rows]
        if self.by:
            rows.append(("total", self.total))
        return rows

    def _target_line(self, name: str) -> str:
        target = getattr(self.targets, name)
        return f"{'≥' if target.higher_is_better else '≤'} {show_figure(name, target.goal)}"

    def _caption(self) -> str:
        clock = "business hours" if self.business_hours is not None else "calendar time"
        return f"journeys opened {self._period()}; times are medians in {clock}"

    def _period(self) -> str:
        """The period as people read it, in words that cannot be taken for another period.

        The end is exclusive, so printing it as a date would name a day that is not in
        the report (``--to 2025-03-31`` is March, not "to 2025-04-01"). Bounds that are
        midnights on the report's clock (the business hours' zone, else UTC) print as
        dates, the last one included; any other bounds print as instants, with the end
        marked as excluded.
        """
        zone = self.business_hours.zone if self.business_hours is not None else timezone.utc
        try:
            first, after = self.start.astimezone(zone), self.end.astimezone(zone)
        except OverflowError:  # a bound at the very edge of datetime's range
            first = after = self.start
        if first.time() == after.time() == time() and after > first:
            last = after.date() - timedelta(days=1)
            if last == first.date():
                return first.date().isoformat()
            return f"{first.date().isoformat()} to {last.isoformat()}"
        return f"{_instant(self.start)} to {_instant(self.end)} (end excluded)"

    def __rich__(self) -> str:
        """The terminal table in rich's console markup (rich itself is never imported)."""
        return self._table(lambda text, status: f"[{_RICH[status]}]{_escape_markup(text)}[/]", markup=True)

    def _text(self, color: bool) -> str:
        if not color:
            return self._table(None)
        return self._table(lambda text, status: f"{_ANSI[status]}{text}{_ANSI_RESET}")

    def _table(self, paint: Callable[[str, Status], str] | None, *, markup: bool = False) -> str:
        heading = " · ".join(self.by) or "group"
        table: list[list[tuple[str, Status | None]]] = [
            [(heading, None), *((_HEADINGS[name], None) for name in FIGURES)]
        ]
        for label, row in self._labelled_rows():
            figures = ((show_figure(name, row.figure(name)), self.status(row, name)) for name in FIGURES)
            table.append([(label, None), *figures])
        widths = [max(display_width(line[i][0]) for line in table) for i in range(len(table[0]))]

        def draw(line: list[tuple[str, Status | None]]) -> str:
            cells = []
            for i, ((text, status), width) in enumerate(zip(line, widths, strict=True)):
                gap = " " * (width - display_width(text))
                padded = text + gap if i == 0 else gap + text
                if paint is not None and status:
                    cells.append(paint(padded, status))
                else:
                    cells.append(_escape_markup(padded) if markup else padded)
            return "  ".join(cells)

        targets = ", ".join(
            f"{_HEADINGS[name]} {self._target_line(name)}" for name in FIGURES if name != "journeys"
        )
        rule = "  ".join("─" * width for width in widths)
        return "\n".join(
            [
                draw(table[0]),
                rule,
                *(draw(line) for line in table[1:]),
                "",
                *(_escape_markup(t) if markup else t for t in (self._caption(), f"targets: {targets}")),
            ]
        )

    def _repr_html_(self) -> str:
        """A self-contained table, each figure coloured against its target."""
        esc = html.escape
        cell = "padding:4px 8px;border:1px solid #ddd;text-align:right"
        head = "".join(
            f'<th style="{cell};background:#f4f4f4">{esc(text)}</th>'
            for text in [" · ".join(self.by) or "group", *(_HEADINGS[n] for n in FIGURES)]
        )
        body = []
        for label, row in self._labelled_rows():
            cells = [f'<th style="{cell};text-align:left">{esc(label)}</th>']
            for name in FIGURES:
                status = self.status(row, name)
                colour = f";background:{_HTML_COLOURS[status]}" if status else ""
                title = f' title="{_STATUS_WORDS[status]}"' if status else ""
                cells.append(
                    f'<td style="{cell}{colour}"{title}>{esc(show_figure(name, row.figure(name)))}</td>'
                )
            body.append(f"<tr>{''.join(cells)}</tr>")
        targets = "".join(
            f'<td style="{cell};color:#555">{esc(self._target_line(name))}</td>'
            if name != "journeys"
            else f'<td style="{cell}"></td>'
            for name in FIGURES
        )
        body.append(f'<tr><th style="{cell};text-align:left;color:#555">target</th>{targets}</tr>')
        legend = " ".join(
            f'<span style="background:{_HTML_COLOURS[s]};padding:2px 6px">{_STATUS_WORDS[s]}</span>'
            for s in ("met", "near", "act_now")
        )
        caption = f"{esc(self._caption())}. {legend}"
        return (
            '<table style="border-collapse:collapse;font-family:sans-serif;font-size:13px">'
            f'<caption style="caption-side:bottom;text-align:left;padding-top:6px">{caption}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )
