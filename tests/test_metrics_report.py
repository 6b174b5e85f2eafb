"""The KPI report: figures per group worked out by hand, renderings, and slicing."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.errors import ValidationError
from handoff.metrics import (
    FIGURES,
    Aggregator,
    BusinessCalendar,
    JourneyRecords,
    Target,
    Targets,
    combine,
    journey_figures,
    kpis,
    kpis_with_weeks,
)
from handoff.metrics.aggregate import Counts
from handoff.metrics.report import display_width
from tests.metrics_build import T0, Story, periods

DAY = timedelta(days=1)
START, END = T0 - DAY, T0 + 7 * DAY
MINUTE = 60.0


def _journeys() -> list[JourneyRecords]:
    """Three journeys; the expected figures below are worked out from these by hand."""
    a = (  # chat, resolved at first contact, CSAT 5, NPS 10, CES 7
        Story("chat", journey_id="jr_a").customer(0).agent(2).resolve(20).survey(25, csat=5, nps=10, ces=7)
    )
    b = (  # chat -> phone, reopened, CSAT 2, NPS 3, CES 2; restates its order on the phone
        Story("chat", journey_id="jr_b", start=T0 + timedelta(hours=1))
        .customer(0, "order A-1042 is broken")
        .agent(6)
        .transfer(10, "phone", reason="escalation")
        .customer(12, "yes, order A-1042")
        .agent(14, agent="lee")
        .resolve(60)
        .customer(120)
        .agent(130)
        .resolve(180)
        .survey(190, csat=2, nps=3, ces=2)
    )
    c = (  # email, nobody has answered yet
        Story("email", journey_id="jr_c", start=T0 + timedelta(hours=2)).customer(0).bot(1)
    )
    return [a.records(), b.records(), c.records()]


def test_to_records_has_the_group_columns_then_exactly_the_figures() -> None:
    report = kpis(_journeys(), START, END, by=("channel",))
    records = report.to_records()
    assert [list(r) for r in records] == [["channel", *FIGURES]] * 2
    chat, email = records
    assert chat["channel"] == "chat" and email["channel"] == "email"
    assert chat["journeys"] == 2
    assert chat["csat"] == pytest.approx(50.0)  # one of two answers is 4-5
    assert chat["nps"] == pytest.approx(0.0)  # 1 promoter - 1 detractor over 2
    assert chat["ces"] == pytest.approx(4.5)  # (7 + 2) / 2
    assert chat["first_response_s"] == pytest.approx(4 * MINUTE)  # median of 2 and 6 min
    assert chat["resolution_s"] == pytest.approx(100 * MINUTE)  # median of 20 and 180 min
    assert chat["fcr"] == pytest.approx(50.0)  # a only
    assert chat["reopen_rate"] == pytest.approx(50.0)  # b only
    assert chat["handoffs"] == pytest.approx(0.5)  # 1 handoff / 2 journeys
    assert chat["repeat_rate"] == pytest.approx(100.0)  # b's only handoff was repeated


def test_a_group_with_no_data_shows_none_and_a_dash() -> None:
    report = kpis(_journeys(), START, END, by=("channel",))
    email = report.to_records()[1]
    for name in ("csat", "nps", "ces", "first_response_s", "resolution_s", "repeat_rate"):
        assert email[name] is None, name
    assert email["fcr"] == 0.0 and email["handoffs"] == 0.0
    email_line = next(line for line in report.render("text").splitlines() if line.startswith("email"))
    assert email_line.count("—") == 6


def test_an_empty_period_has_no_rows_and_a_total_of_nothing() -> None:
    report = kpis(_journeys(), T0 + 30 * DAY, T0 + 31 * DAY)
    assert report.to_records() == []
    assert report.total.journeys == 0
    for name in FIGURES[1:]:
        assert report.total.figure(name) is None, name
    assert "—" in report.render("text")
    assert "—" in report._repr_html_()
    assert report.total.art is None


def test_totals_and_secondary_figures() -> None:
    total = kpis(_journeys(), START, END, by=("channel",)).total
    assert total.journeys == 3
    assert total.resolved == 2 and total.backlog == 1  # c is still open
    assert total.handoff_count == 1 and total.repeated == 1
    assert total.fcr == pytest.approx(100 / 3)
    # resolution to the last resolve: 20 and 180 min; ART = (20 + 180) / 2 = 100 min
    assert total.art == pytest.approx(100 * MINUTE)
    first = total.times["first_resolution"]
    assert first.count == 2
    assert first.median == pytest.approx(40 * MINUTE)  # 20 and 60 min
    # p90 of first responses 2 and 6 min: 2 + 0.9 * 4 = 5.6 min
    assert total.times["first_response"].p90 == pytest.approx(5.6 * MINUTE)
    # customer waits: a 0->2; b 0->6, 12->14, 120->130 (min) -> mean (2+6+2+10)/4 = 5
    assert total.times["response"].mean == pytest.approx(5 * MINUTE)
    assert total.times["handoff_response"].median == pytest.approx(4 * MINUTE)  # 10 -> 14
    assert total.resolved_share == pytest.approx(100 / 3)  # a was resolved on chat; b on phone
    assert total.handed_off_share == pytest.approx(100 / 3)
    assert total.ces_high == pytest.approx(50.0)


@pytest.mark.parametrize(
    ("by", "keys"),
    [
        (("path",), ["chat", "chat → phone", "email"]),
        (("reason",), ["escalation", "none"]),
        (("agent",), ["sam", "unassigned"]),
        (("week",), ["2025-W11"]),
        (("channel", "reason"), ["chat · escalation", "chat · none", "email · none"]),
        ((), ["all"]),
    ],
)
def test_slicing_dimensions(by: tuple[str, ...], keys: list[str]) -> None:
    report = kpis(_journeys(), START, END, by=by)
    assert [" · ".join(row.group) or "all" for row in report.rows] == keys
    assert sum(row.journeys for row in report.rows) == 3


def test_journeys_opened_outside_the_period_are_left_out() -> None:
    report = kpis(_journeys(), T0 + timedelta(minutes=30), T0 + timedelta(hours=2))
    assert report.total.journeys == 1  # only b opened in [14:30, 16:00)


def test_business_hours_make_the_headline_times_working_time() -> None:
    cal = BusinessCalendar.weekly("UTC", {"mon-fri": "09:00-15:00"})
    # a opens Wed 14:00 UTC and resolves 14:20: all inside hours -> 20 min either way.
    # b opens 15:00 (closed) and resolves last at 18:00 the same day: 0 business seconds.
    report = kpis(_journeys(), START, END, by=(), business_hours=cal)
    row = report.rows[0]
    assert row.business_times is not None
    assert row.business_times["resolution"].count == 2
    assert row.figure("resolution_s") == pytest.approx(10 * MINUTE)  # median of 20 min and 0
    assert row.times["resolution"].median == pytest.approx(100 * MINUTE)
    assert "business hours" in report.render("text")


def test_text_render_colours_only_when_asked() -> None:
    report = kpis(_journeys(), START, END, by=("channel",))
    plain, coloured = report.render("text"), report.render("text", color=True)
    assert "\x1b[" not in plain
    assert "\x1b[32m" in coloured and "\x1b[31m" in coloured  # some met, some act now
    assert "targets: CSAT ≥ 80.0%" in plain
    assert plain.splitlines()[0].split()[:2] == ["channel", "journeys"]


def test_html_colours_each_figure_against_its_target_and_shows_targets() -> None:
    strict = Targets(csat=Target(99.0, 1.0))
    report = kpis(_journeys(), START, END, by=("channel",), targets=strict)
    page = report._repr_html_()
    assert page == report.render("html")
    assert page.startswith("<table") and "<script" not in page
    assert 'title="act now">50.0%' in page  # chat CSAT 50 % against 99 %
    assert "≥ 99.0%" in page  # the target itself is shown
    assert "met" in page and "near" in page  # the legend
    assert report.status(report.rows[0], "csat") == "act_now"
    assert report.status(report.rows[0], "journeys") is None


def test_group_labels_are_escaped_in_html() -> None:
    story = Story("chat", journey_id="jr_x").customer(0).agent(1, agent="<b>eve</b>")
    page = kpis([story.records()], START, END, by=("agent",))._repr_html_()
    assert "<b>eve" not in page and "&lt;b&gt;eve&lt;/b&gt;" in page


def test_to_pandas_matches_the_records() -> None:
    pandas = pytest.importorskip("pandas")
    report = kpis(_journeys(), START, END, by=("channel",))
    frame = report.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == ["channel", *FIGURES]
    assert frame["journeys"].tolist() == [2, 1]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"by": ("colour",)}, "by"),
        ({"by": "channel"}, "by"),
        ({"by": ("week", "week")}, "by"),
        ({"start": datetime(2025, 3, 1)}, "start"),
        ({"end": START}, "end"),
        ({"targets": {"csat": 80}}, "targets"),
        ({"business_hours": "9-5"}, "business_hours"),
        ({"source": [object()]}, "source[0]"),
        ({"source": 3}, "source"),
        ({"source": "sqlite:///x.db"}, "source"),
    ],
)
def test_bad_arguments_name_the_field(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"source": _journeys(), "start": START, "end": END, **kwargs}
    with pytest.raises(ValidationError) as caught:
        kpis(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


_UTC, _MADRID = timezone.utc, ZoneInfo("Europe/Madrid")
_MADRID_HOURS = BusinessCalendar.weekly("Europe/Madrid", {"mon-fri": "09:00-17:00"})


@pytest.mark.parametrize(
    ("start", "end", "hours", "period"),
    [
        (
            datetime(2025, 3, 1, tzinfo=_UTC),
            datetime(2025, 4, 1, tzinfo=_UTC),
            None,
            "2025-03-01 to 2025-03-31",
        ),
        (datetime(2025, 3, 12, tzinfo=_UTC), datetime(2025, 3, 13, tzinfo=_UTC), None, "2025-03-12"),
        (
            datetime(2025, 3, 1, tzinfo=_MADRID),
            datetime(2025, 4, 1, tzinfo=_MADRID),
            _MADRID_HOURS,
            "2025-03-01 to 2025-03-31",
        ),
        (  # Madrid's midnights, but the report's clock is UTC: instants, end excluded
            datetime(2025, 3, 1, tzinfo=_MADRID),
            datetime(2025, 4, 1, tzinfo=_MADRID),
            None,
            "2025-03-01T00:00+01:00 to 2025-04-01T00:00+02:00 (end excluded)",
        ),
        (  # UTC midnights are not midnights on the business hours' clock
            datetime(2025, 3, 1, tzinfo=_UTC),
            datetime(2025, 4, 1, tzinfo=_UTC),
            _MADRID_HOURS,
            "2025-03-01T00:00+00:00 to 2025-04-01T00:00+00:00 (end excluded)",
        ),
        (START, END, None, "2025-03-11T14:00+00:00 to 2025-03-19T14:00+00:00 (end excluded)"),
        (
            datetime(2025, 3, 1, 9, 30, 15, tzinfo=_UTC),
            datetime(2025, 3, 2, tzinfo=_UTC),
            None,
            "2025-03-01T09:30:15+00:00 to 2025-03-02T00:00+00:00 (end excluded)",
        ),
    ],
)
def test_the_period_is_printed_as_it_was_meant(
    start: datetime, end: datetime, hours: BusinessCalendar | None, period: str
) -> None:
    """The end is exclusive: whole days print their last day, never the day after."""
    report = kpis(_journeys(), start, end, business_hours=hours)
    assert f"journeys opened {period};" in report.render("text")
    assert f"journeys opened {period};" in report.render("html")


def test_render_refuses_unknown_formats() -> None:
    with pytest.raises(ValidationError):
        kpis(_journeys(), START, END).render("pdf")  # type: ignore[arg-type]


def test_records_are_streamed_once() -> None:
    def stream() -> Iterator[JourneyRecords]:
        yield from _journeys()

    assert kpis(stream(), START, END).total.journeys == 3


# -- slicing then combining ------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(periods(), st.lists(st.sampled_from(["channel", "path", "reason", "agent", "week"]), unique=True))
def test_slicing_then_combining_counts_equals_the_unsliced_counts(
    records: list[JourneyRecords], by: list[str]
) -> None:
    end = T0 + 30 * DAY
    figures = [journey_figures(r) for r in records]
    sliced, whole = Aggregator(by, end=end), Aggregator((), end=end)
    for item in figures:
        sliced.add(item)
        whole.add(item)
    groups = sliced.totals()
    unsliced_counts = whole.totals()[0].counts if figures else Counts()
    assert sum((g.counts for g in groups), Counts()) == unsliced_counts
    merged = combine(groups)
    unsliced = kpis(records, T0 - DAY, end, by=()).total
    assert merged.counts.journeys == unsliced.journeys == len(records)
    for name in ("first_response", "response", "resolution", "handoff_response"):
        assert sorted(merged.calendar[name]) == sorted(v for g in whole.totals() for v in g.calendar[name]), (
            name
        )
    report = kpis(records, T0 - DAY, end, by=by)
    assert sum(row.journeys for row in report.rows) == report.total.journeys
    assert sum(row.handoff_count for row in report.rows) == report.total.handoff_count
    assert sum(row.repeated for row in report.rows) == report.total.repeated
    assert sum(row.backlog for row in report.rows) == report.total.backlog


def test_to_pandas_without_pandas_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if it were not installed
    with pytest.raises(ImportError, match="pip install pandas"):
        kpis(_journeys(), START, END).to_pandas()


def test_the_text_table_lines_up_names_in_wide_scripts() -> None:
    """Agents' names in CJK take two columns each in a terminal: the columns still line up."""
    stories = [
        Story("chat", journey_id="jr_w1").customer(0).agent(3, agent="王芳").resolve(10),
        Story("chat", journey_id="jr_w2").customer(0).agent(5, agent="sam").resolve(12),
        Story("chat", journey_id="jr_w3").customer(0).agent(7, agent="Zoë").resolve(15),
    ]
    report = kpis([s.records() for s in stories], START, END, by=("agent",))
    lines = report.render("text").splitlines()
    table = [line for line in lines[: lines.index("")] if not line.startswith("─")]
    assert any("王芳" in line for line in table)
    # Every row's second column ends at the same terminal column as the header's.
    ends = {display_width(line[: line.index(line.split()[1]) + len(line.split()[1])]) for line in table}
    assert len(ends) == 1
    assert display_width("王芳") == 4 and display_width("Zoë") == 3 and display_width("e\u0301") == 1


def test_a_report_and_its_weeks_from_one_read_equal_two_reports() -> None:
    records = [r for period in [_journeys()] for r in period]
    read = 0

    def once() -> Iterator[JourneyRecords]:
        nonlocal read
        read += 1
        yield from records

    for by in (("channel",), ("week",), ("agent", "week"), ()):
        report, weekly = kpis_with_weeks(once(), START, END, by=by)
        assert report.rows == kpis(records, START, END, by=by).rows
        assert report.total == kpis(records, START, END, by=by).total
        assert weekly.rows == kpis(records, START, END, by=("week",)).rows
        assert weekly.by == ("week",)
    assert read == 4  # one read of the journeys per call
