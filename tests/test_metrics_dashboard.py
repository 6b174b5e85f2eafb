"""The dashboard page and the rich rendering: self-contained, charted, coloured, escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest

from handoff.errors import ValidationError
from handoff.metrics import KpiReport, dashboard, kpis
from handoff.metrics.dashboard import TRENDS, ticks
from tests.metrics_build import T0, Story

START, END = T0 - timedelta(days=1), T0 + timedelta(days=20)


def _period() -> list[Story]:
    """Week 11: answered and rated; week 12: nobody rates; week 13: a repeat after a switch."""
    early = Story("chat", journey_id="jr_a").customer(0).agent(3).resolve(10).survey(12, csat=5)
    quiet = Story("email", journey_id="jr_b", start=T0 + timedelta(days=7)).customer(0).agent(90)
    late = (
        Story("chat", journey_id="jr_c", start=T0 + timedelta(days=14))
        .customer(0, "order A-1042")
        .switch(5, "phone", "order A-1042 again")
        .agent(8, channel="phone")
        .resolve(30)
        .survey(31, csat=2)
    )
    return [early, quiet, late]


def _reports() -> tuple[KpiReport, KpiReport]:
    records = [story.records() for story in _period()]
    return kpis(records, START, END), kpis(records, START, END, by=("week",))


def test_the_page_is_self_contained_with_one_chart_per_trend() -> None:
    page = dashboard(*_reports(), title="Acme <support>")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>Acme &lt;support&gt;</title>" in page
    assert not re.search(r"""(?:src|href)\s*=""", page)
    assert "http" not in page and "<script" not in page and "url(" not in page
    charts = re.findall(r"<svg.*?</svg>", page, re.DOTALL)
    assert len(charts) == len(TRENDS)
    for chart in charts:
        ET.fromstring(chart)  # well-formed, so every browser draws it
    assert "2025-W11" in page and "2025-W13" in page


def test_weeks_without_a_figure_are_gaps_not_zeros() -> None:
    page = dashboard(*_reports())
    csat = re.findall(r"<svg.*?</svg>", page, re.DOTALL)[[n for n, _ in TRENDS].index("csat")]
    points = re.findall(r"<circle[^>]*><title>([^<]*)</title>", csat)
    assert points == ["2025-W11: 100.0%", "2025-W13: 0.0%"]  # week 12 had no answers
    assert "<polyline" not in csat  # two points with a gap between them: no line drawn across
    assert "target 80.0%" in csat


def test_the_page_names_the_last_day_of_the_period_not_the_exclusive_end() -> None:
    march = datetime(2025, 3, 1, tzinfo=timezone.utc), datetime(2025, 4, 1, tzinfo=timezone.utc)
    records = [story.records() for story in _period()]
    page = dashboard(kpis(records, *march), kpis(records, *march, by=("week",)))
    assert '<p class="meta">3 journeys opened 2025-03-01 to 2025-03-31, by channel</p>' in page
    assert "2025-04-01" not in page
    page = dashboard(*_reports())  # bounds that are not midnights: instants, end marked
    assert "opened 2025-03-11T14:00+00:00 to 2025-04-01T14:00+00:00 (end excluded), by" in page


def test_an_empty_period_still_draws() -> None:
    report, weekly = kpis([], START, END), kpis([], START, END, by=("week",))
    page = dashboard(report, weekly)
    assert page.count(">no data</text>") == len(TRENDS)


def test_a_chart_with_weeks_but_no_figure_says_no_data() -> None:
    quiet = [Story("email", journey_id="jr_q").customer(0).records()]  # nobody answered or rated
    page = dashboard(kpis(quiet, START, END), kpis(quiet, START, END, by=("week",)))
    charts = dict(zip((n for n, _ in TRENDS), re.findall(r"<svg.*?</svg>", page, re.DOTALL), strict=True))
    assert ">no data</text>" not in charts["journeys"]
    for name in ("csat", "first_response_s", "resolution_s", "repeat_rate"):
        assert ">no data</text>" in charts[name], name


def _axis(chart: str) -> list[str]:
    return re.findall(r'text-anchor="end">([^<]*)</text>', chart)


def test_axis_ticks_are_round_counts_are_whole_and_rates_stop_at_100() -> None:
    page = dashboard(*_reports())
    charts = dict(zip((n for n, _ in TRENDS), re.findall(r"<svg.*?</svg>", page, re.DOTALL), strict=True))
    journeys = _axis(charts["journeys"])
    assert journeys and all(label.isdigit() for label in journeys)  # 0, 1: never 0.5 of a journey
    assert _axis(charts["csat"])[-1] == "100.0%"  # CSAT reached 100%: the axis ends there
    assert _axis(charts["fcr"])[-1] == "100.0%"
    for name in ("csat", "fcr", "repeat_rate"):
        assert all(float(label.rstrip("%")) <= 100 for label in _axis(charts[name])), name


@pytest.mark.parametrize(
    ("name", "low", "high", "expected"),
    [
        ("journeys", 0, 7, [0, 2, 4, 6, 8]),
        ("journeys", 0, 1, [0, 1]),
        ("journeys", 0, 0, [0, 1]),
        ("csat", 0, 97, [0, 25, 50, 75, 100]),
        ("fcr", 40, 80, [0, 20, 40, 60, 80]),
        ("repeat_rate", 0, 5, [0, 2, 4, 6]),
        ("first_response_s", 0, 4000, [0, 1800, 3600, 5400]),
        ("resolution_s", 0, 3.3 * 86400, [0, 86400, 172800, 259200, 345600]),
    ],
)
def test_ticks_are_nice_numbers(name: str, low: float, high: float, expected: list[float]) -> None:
    assert ticks(name, low, high) == expected


def test_bad_arguments_name_the_field() -> None:
    report, weekly = _reports()
    with pytest.raises(ValidationError) as caught:
        dashboard(report, report)
    assert caught.value.field == "weekly"
    with pytest.raises(ValidationError) as caught:
        dashboard("report", weekly)  # type: ignore[arg-type]
    assert caught.value.field == "report"


def test_rich_markup_colours_figures_and_escapes_labels() -> None:
    story = Story("chat", journey_id="jr_r").customer(0).agent(2, agent="[night] sam").resolve(5)
    report = kpis([story.records()], START, END, by=("agent",))
    markup = report.__rich__()
    assert "\\[night] sam" in markup  # shown literally, not read as a style
    assert "[green]" in markup and "[/]" in markup
    assert "\x1b[" not in markup
