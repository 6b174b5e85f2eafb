"""Wrong arguments to the public metrics functions are ValidationErrors naming the field.

A caller who passes the wrong thing learns which argument was wrong and why, from the
one exception type the library documents, never from a TypeError deep inside a formula.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.clock import micros
from handoff.errors import HandoffError, ValidationError
from handoff.metrics import Aggregator, BusinessCalendar, Durations, Target, kpis
from handoff.metrics.aggregate import combine
from handoff.metrics.calendar import FIRST_YEAR, LAST_YEAR, Worktime
from handoff.metrics.formulas import mean, median, nps_from_counts, percent, quantile
from handoff.metrics.report import show_figure

UTC = timezone.utc
START, END = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)
NINE_TO_FIVE = BusinessCalendar.weekly("America/New_York", {"mon-fri": "09:00-17:00"})
ROUND_THE_CLOCK = BusinessCalendar.weekly("Asia/Tokyo", {"mon-sun": "00:00-24:00"})
REPORT = kpis([], START, END)

Call = Callable[[], object]

NAMED: list[tuple[str, Call, str]] = [
    ("figure name not text", lambda: show_figure(5, 1.0), "name"),  # type: ignore[arg-type]
    ("figure value not a number", lambda: show_figure("csat", "x"), "value"),  # type: ignore[arg-type]
    ("figure value infinite", lambda: show_figure("resolution_s", float("inf")), "value"),
    ("judge text", lambda: Target(1.0, 1.0).judge("x"), "value"),  # type: ignore[arg-type]
    ("judge nan", lambda: Target(1.0, 1.0).judge(float("nan")), "value"),
    ("direction not a bool", lambda: Target(1.0, 1.0, higher_is_better="no"), "higher_is_better"),  # type: ignore[arg-type]
    ("goal too large for a float", lambda: Target(10**400, 1.0), "goal"),
    ("working days from text", lambda: NINE_TO_FIVE.working_days("2025-01-01", date(2025, 1, 9)), "first"),  # type: ignore[arg-type]
    ("working days to None", lambda: NINE_TO_FIVE.working_days(date(2025, 1, 1), None), "last"),  # type: ignore[arg-type]
    ("working days to a datetime", lambda: NINE_TO_FIVE.working_days(date(2025, 1, 1), END), "last"),
    ("unhashable holiday", lambda: BusinessCalendar.weekly("UTC", {"mon": "09:00-10:00"}, [[1]]), "holidays"),  # type: ignore[list-item]
    ("week zone by name", lambda: Aggregator(("week",), end=END, week_zone="UTC"), "week_zone"),  # type: ignore[arg-type]
    ("percent of text", lambda: percent("a", 2), "part"),  # type: ignore[arg-type]
    ("percent of None", lambda: percent(1, None), "whole"),  # type: ignore[arg-type]
    ("nps answers text", lambda: nps_from_counts(1, 2, "x"), "answers"),  # type: ignore[arg-type]
    ("nps negative promoters", lambda: nps_from_counts(-1, 0, 1), "promoters"),
    ("nps more voters than answers", lambda: nps_from_counts(2, 2, 3), "answers"),
    ("status of a number", lambda: REPORT.status(REPORT.total, 3), "name"),  # type: ignore[arg-type]
    ("status of an unknown figure", lambda: REPORT.status(REPORT.total, "bogus"), "name"),
    ("status of no row", lambda: REPORT.status(None, "csat"), "row"),  # type: ignore[arg-type]
    (
        "business time in the year 1, local year 0",
        lambda: NINE_TO_FIVE.business_seconds(datetime(1, 1, 1, tzinfo=UTC), START),
        "start",
    ),
    (
        "business time to the last day of datetime",
        lambda: ROUND_THE_CLOCK.business_seconds(START, datetime(9999, 12, 30, tzinfo=UTC)),
        "end",
    ),
    ("pairs past datetime", lambda: NINE_TO_FIVE.worktime().seconds_between_pairs([0, 2**62]), "pairs"),
    ("instants as text", lambda: NINE_TO_FIVE.worktime().seconds_between("a", "b"), "start"),  # type: ignore[arg-type]
    ("samples too large for a float", lambda: median([10**400]), "values[0]"),
]


@pytest.mark.parametrize(("call", "field"), [case[1:] for case in NAMED], ids=[case[0] for case in NAMED])
def test_wrong_arguments_name_the_field(call: Call, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.field == field


@pytest.mark.parametrize("calendar", [NINE_TO_FIVE, ROUND_THE_CLOCK], ids=["new-york", "tokyo"])
def test_the_first_and_last_years_with_working_time_work_in_any_zone(calendar: BusinessCalendar) -> None:
    first = micros(datetime(FIRST_YEAR, 1, 1, tzinfo=calendar.zone))
    last = micros(datetime(LAST_YEAR, 12, 31, 23, tzinfo=calendar.zone))
    week = 7 * 86400 * 10**6
    # A table of its own for each end: one table would span the eight thousand years between.
    assert Worktime(calendar).seconds_between(first, first + week) > 0
    assert Worktime(calendar).seconds_between(last - week, last) > 0
    with pytest.raises(ValidationError):
        Worktime(calendar).seconds_between(first - week, first)


junk = st.one_of(
    st.none(),
    st.booleans(),
    # Instants within a few decades of 1970, or beyond what a table can cover: a valid
    # instant in the year 9000 would make a test build a table of seven thousand years.
    st.integers(-(10**15), 10**15),
    st.sampled_from([-(2**63), 2**62, 2**63 - 1, 2**64, 10**400]),
    st.floats(),
    st.text(max_size=5),
    st.binary(max_size=3),
    st.lists(st.integers(-3, 3), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
    st.dates(),
    st.datetimes(datetime(1990, 1, 1), datetime(2030, 1, 1), timezones=st.sampled_from([UTC, None])),
    st.sampled_from([datetime.min, datetime.max]).map(lambda moment: moment.replace(tzinfo=UTC)),
    st.builds(object),
)

# Each public function with one argument replaced by junk; the rest are valid.
CALLS: dict[str, Callable[[Any], object]] = {
    "show_figure name": lambda x: show_figure(x, 1.0),
    "show_figure value": lambda x: show_figure("first_response_s", x),
    "Target goal": lambda x: Target(x, 1.0),
    "Target near": lambda x: Target(1.0, x),
    "Target higher_is_better": lambda x: Target(1.0, 1.0, higher_is_better=x),
    "Target.judge": lambda x: Target(1.0, 1.0).judge(x),
    "working_days first": lambda x: NINE_TO_FIVE.working_days(x, date(2025, 1, 9)),
    "working_days last": lambda x: NINE_TO_FIVE.working_days(date(2025, 1, 1), x),
    "weekly holidays": lambda x: BusinessCalendar.weekly("UTC", {"mon": "09:00-10:00"}, x),
    "weekly a holiday": lambda x: BusinessCalendar.weekly("UTC", {"mon": "09:00-10:00"}, [x]),
    "Aggregator week_zone": lambda x: Aggregator(("week",), end=END, week_zone=x),
    "Aggregator by": lambda x: Aggregator(x, end=END),
    "Aggregator end": lambda x: Aggregator((), end=x),
    "percent part": lambda x: percent(x, 2),
    "percent whole": lambda x: percent(1, x),
    "nps_from_counts promoters": lambda x: nps_from_counts(x, 0, 1),
    "nps_from_counts answers": lambda x: nps_from_counts(0, 0, x),
    "status name": lambda x: REPORT.status(REPORT.total, x),
    "status row": lambda x: REPORT.status(x, "csat"),
    "figure name": lambda x: REPORT.total.figure(x),
    "business_seconds start": lambda x: NINE_TO_FIVE.business_seconds(x, END),
    "business_seconds end": lambda x: ROUND_THE_CLOCK.business_seconds(START, x),
    "seconds_between": lambda x: NINE_TO_FIVE.worktime().seconds_between(x, 0),
    "seconds_between_pairs": lambda x: NINE_TO_FIVE.worktime().seconds_between_pairs([0, x]),
    "quantile q": lambda x: quantile([1.0, 2.0], x),
    "median sample": lambda x: median([1.0, x]),
    "mean values": lambda x: mean(x),
    "Durations.of": lambda x: Durations.of(x),
    "kpis start": lambda x: kpis([], x, END),
    "combine groups": lambda x: combine(x),
    "combine a group": lambda x: combine([x]),
}


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(CALLS)), junk)
def test_junk_raises_only_handoff_errors(name: str, value: object) -> None:
    with contextlib.suppress(HandoffError):  # anything else fails the test
        CALLS[name](value)


@pytest.mark.parametrize(("groups", "field"), [(1, "groups"), ("ab", "groups"), ([1], "groups[0]")])
def test_combine_refuses_what_is_not_group_totals(groups: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        combine(groups)  # type: ignore[arg-type]
    assert caught.value.field == field
