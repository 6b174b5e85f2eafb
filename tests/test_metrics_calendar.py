"""Business hours across weekends, holidays and DST changes, in two time zones."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.clock import micros
from handoff.errors import ValidationError
from handoff.metrics.calendar import BusinessCalendar, Opening, Worktime

UTC = timezone.utc
MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600.0


def nine_to_five(zone: str, **kwargs: object) -> BusinessCalendar:
    return BusinessCalendar.weekly(zone, {"mon-fri": "09:00-17:00"}, **kwargs)  # type: ignore[arg-type]


def test_a_wait_over_the_weekend_counts_only_working_hours() -> None:
    cal = nine_to_five("Europe/Madrid")
    # Friday 2025-03-14 16:00 to Monday 2025-03-17 10:00, Madrid (UTC+1 in March):
    # Friday 16-17 (1 h) + Monday 9-10 (1 h) = 2 h; the calendar wait is 66 h.
    start = datetime(2025, 3, 14, 16, 0, tzinfo=MADRID)
    end = datetime(2025, 3, 17, 10, 0, tzinfo=MADRID)
    assert cal.business_seconds(start, end) == 2 * HOUR
    assert (end - start).total_seconds() == 66 * HOUR


def test_holidays_are_skipped() -> None:
    cal = nine_to_five("Europe/Madrid", holidays=[date(2025, 3, 19)])
    # Tuesday 12:00 to Thursday 12:00: Tue 12-17 (5 h) + Wed holiday + Thu 9-12 (3 h) = 8 h
    start = datetime(2025, 3, 18, 12, 0, tzinfo=MADRID)
    end = datetime(2025, 3, 20, 12, 0, tzinfo=MADRID)
    assert cal.business_seconds(start, end) == 8 * HOUR


def test_instants_in_other_zones_are_placed_on_the_team_clock() -> None:
    cal = nine_to_five("Europe/Madrid")
    # 07:00 UTC is 08:00 in Madrid (UTC+1); until 09:30 UTC = 10:30 Madrid: 1.5 h open.
    start = datetime(2025, 3, 12, 7, 0, tzinfo=UTC)
    assert cal.business_seconds(start, start + timedelta(hours=2.5)) == 1.5 * HOUR


def test_spring_forward_night_shift_is_an_hour_shorter_in_madrid() -> None:
    # Madrid moves 02:00 -> 03:00 on Sunday 2025-03-30. A Sunday 00:00-06:00 opening
    # lasts 5 real hours that night (00:00 CET = 23:00 UTC to 06:00 CEST = 04:00 UTC).
    cal = BusinessCalendar.weekly("Europe/Madrid", {"sun": "00:00-06:00"})
    start = datetime(2025, 3, 29, 12, 0, tzinfo=UTC)
    end = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)
    assert cal.business_seconds(start, end) == 5 * HOUR


def test_fall_back_night_shift_is_an_hour_longer_in_new_york() -> None:
    # New York moves 02:00 -> 01:00 on Sunday 2025-11-02. A Sunday 00:00-06:00 opening
    # lasts 7 real hours (00:00 EDT = 04:00 UTC to 06:00 EST = 11:00 UTC).
    cal = BusinessCalendar.weekly("America/New_York", {"sun": "00:00-06:00"})
    start = datetime(2025, 11, 1, 12, 0, tzinfo=UTC)
    end = datetime(2025, 11, 3, 12, 0, tzinfo=UTC)
    assert cal.business_seconds(start, end) == 7 * HOUR


def test_days_after_the_change_use_the_new_offset() -> None:
    # New York moved to UTC-4 on 2025-03-09. Monday 2025-03-10 13:00-14:00 UTC is
    # 09:00-10:00 there: 1 h of business time.
    start = datetime(2025, 3, 10, 13, 0, tzinfo=UTC)
    end = start + timedelta(hours=1)
    assert nine_to_five("America/New_York").business_seconds(start, end) == HOUR
    # The Friday before (UTC-5), 13:00-14:00 UTC is 08:00-09:00 in New York: closed.
    before = datetime(2025, 3, 7, 13, 0, tzinfo=UTC)
    assert nine_to_five("America/New_York").business_seconds(before, before + timedelta(hours=1)) == 0.0


def test_split_openings_and_weekend_hours() -> None:
    cal = BusinessCalendar.weekly(
        "Europe/Madrid", {"mon-fri": "09:00-13:00, 14:00-18:00", "sat": "10:00-12:00"}
    )
    # Friday 12:00 to Saturday 11:00: Fri 12-13 (1) + 14-18 (4) + Sat 10-11 (1) = 6 h
    start = datetime(2025, 3, 14, 12, 0, tzinfo=MADRID)
    assert cal.business_seconds(start, start + timedelta(hours=23)) == 6 * HOUR


def test_an_empty_or_backwards_interval_is_no_time() -> None:
    cal = nine_to_five("Europe/Madrid")
    start = datetime(2025, 3, 12, 10, 0, tzinfo=MADRID)
    assert cal.business_seconds(start, start) == 0.0
    assert cal.business_seconds(start, start - timedelta(hours=1)) == 0.0


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: nine_to_five("Mars/Olympus"), "timezone"),
        (lambda: BusinessCalendar.weekly("UTC", {"mon-fri": "17:00-09:00"}), "end"),
        (lambda: BusinessCalendar.weekly("UTC", {"fri-mon": "09:00-17:00"}), "hours"),
        (lambda: BusinessCalendar.weekly("UTC", {"funday": "09:00-17:00"}), "hours"),
        (lambda: BusinessCalendar.weekly("UTC", {"mon": "9-5"}), "hours['mon']"),
        (lambda: BusinessCalendar.weekly("UTC", {"mon": "09:00-12:00,11:00-13:00"}), "hours"),
        (lambda: nine_to_five("UTC", holidays=["2025-12-25"]), "holidays"),
        (lambda: Opening(7, time(9), time(17)), "weekday"),
        (lambda: BusinessCalendar.weekly("UTC", {}), "hours"),
        (lambda: BusinessCalendar.weekly("UTC", ["mon"]), "hours"),  # type: ignore[arg-type]
        (lambda: BusinessCalendar.weekly("UTC", {"mon": 9}), "hours['mon']"),  # type: ignore[dict-item]
    ],
)
def test_bad_calendars_name_the_field(make: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make()  # type: ignore[operator]
    assert caught.value.field == field


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        nine_to_five("UTC").business_seconds(datetime(2025, 3, 12, 9), datetime(2025, 3, 12, 10, tzinfo=UTC))
    assert caught.value.field == "start"


instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@settings(max_examples=80, deadline=None)
@given(instants, instants, instants, st.sampled_from(["Europe/Madrid", "America/New_York"]))
def test_business_time_adds_up_and_never_exceeds_calendar_time(
    a: datetime, b: datetime, c: datetime, zone: str
) -> None:
    first, middle, last = sorted([a, b, c])
    cal = nine_to_five(zone, holidays=[date(2025, 12, 25)])
    whole = cal.business_seconds(first, last)
    assert whole == pytest.approx(cal.business_seconds(first, middle) + cal.business_seconds(middle, last))
    assert 0.0 <= whole <= (last - first).total_seconds()


@settings(max_examples=60, deadline=None)
@given(instants, instants, st.sampled_from(["Europe/Madrid", "America/New_York"]))
def test_round_the_clock_business_time_is_calendar_time_even_across_dst(
    a: datetime, b: datetime, zone: str
) -> None:
    cal = BusinessCalendar.weekly(zone, {"mon-sun": "00:00-24:00"})
    first, last = sorted([a, b])
    assert cal.business_seconds(first, last) == pytest.approx((last - first).total_seconds())


def test_24_00_is_only_an_end() -> None:
    with pytest.raises(ValidationError):
        BusinessCalendar.weekly("UTC", {"mon": "24:00-24:00"})
    with pytest.raises(ValidationError):
        BusinessCalendar.weekly("UTC", {"mon": "09:00-24:30"})


def _walked(cal: BusinessCalendar, start: datetime, end: datetime) -> float:
    """The definition, day by day: each opening placed on the local wall clock."""
    tz = cal.zone
    total = timedelta(0)
    day = start.astimezone(tz).date() - timedelta(days=1)
    while day <= end.astimezone(tz).date():
        if day not in cal.holidays:
            for opening in cal.hours:
                if opening.weekday != day.weekday():
                    continue
                open_at = datetime.combine(day, opening.start, tzinfo=tz)
                close_at = (
                    datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
                    if opening.end == time.max
                    else datetime.combine(day, opening.end, tzinfo=tz)
                )
                overlap = min(close_at, end) - max(open_at, start)
                if overlap > timedelta(0):
                    total += overlap
        day += timedelta(days=1)
    return total / timedelta(microseconds=1) / 1e6


@settings(max_examples=100, deadline=None)
@given(
    instants,
    instants,
    st.sampled_from(["Europe/Madrid", "America/New_York", "Australia/Lord_Howe"]),
    st.sampled_from(["09:00-17:00", "00:00-03:30, 22:00-24:00", "08:15-12:00, 13:00-19:45"]),
)
def test_the_lookup_table_gives_exactly_the_day_by_day_answer(
    a: datetime, b: datetime, zone: str, spans: str
) -> None:
    cal = BusinessCalendar.weekly(
        zone, {"mon-fri": spans, "sun": "10:00-11:00"}, holidays=[date(2025, 4, 18)]
    )
    first, last = sorted([a, b])
    assert cal.business_seconds(first, last) == _walked(cal, first, last)
    # asked in the other order of years, the table grows both ways and stays right
    assert cal.business_seconds(first, first + timedelta(days=3)) == _walked(
        cal, first, first + timedelta(days=3)
    )


# -- business seconds of many waits at once -------------------------------------------------

_MADRID = BusinessCalendar.weekly(
    "Europe/Madrid",
    {"mon-fri": "08:00-13:00, 15:00-19:00", "sat": "10:00-14:00"},
    holidays=[date(2025, 12, 25), date(2026, 1, 1), date(2026, 3, 30)],
)
_LOW = micros(datetime(2024, 12, 20, tzinfo=timezone.utc))
_HIGH = micros(datetime(2027, 1, 10, tzinfo=timezone.utc))
_instants = st.integers(_LOW, _HIGH)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_instants, st.one_of(_instants, st.integers(0, 10**10))), max_size=40))
def test_business_seconds_of_many_pairs_match_one_by_one(spans: list[tuple[int, int]]) -> None:
    # The second instant is absolute or a short wait after the first: most waits are short.
    pairs = [(s, e if e > 10**10 else s + e) for s, e in spans]
    worktime = Worktime(_MADRID)  # a fresh table: the batch must grow it as one call would
    flat = [x for pair in pairs for x in pair]
    one_by_one = [Worktime(_MADRID).seconds_between(s, e) for s, e in pairs]
    assert list(worktime.seconds_between_pairs(flat)) == one_by_one


def test_business_seconds_of_pairs_refuse_what_is_not_pairs_of_instants() -> None:
    worktime = Worktime(_MADRID)
    for bad, problem in (
        ([1, 2, 3], "pairs, got 3 instants"),
        ([1.5, 2.5], "whole numbers"),
        (["a", "b"], "whole"),
    ):
        with pytest.raises(ValidationError, match=problem) as caught:
            worktime.seconds_between_pairs(bad)  # type: ignore[arg-type]
        assert caught.value.field == "pairs"
    assert list(worktime.seconds_between_pairs([])) == []
