"""Quiet hours in the customer's own time zone, across DST changes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff.errors import ValidationError
from handoff.policy.schedule import parse_clock_time, quiet_until, zone

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
QUIET = ("21:00", "08:00")


def test_outside_quiet_hours_is_not_deferred() -> None:
    assert quiet_until(datetime(2026, 6, 1, 12, 0, tzinfo=NY), QUIET, "America/New_York") is None


def test_late_evening_defers_to_next_morning_local() -> None:
    when = datetime(2026, 6, 1, 23, 30, tzinfo=NY).astimezone(UTC)
    until = quiet_until(when, QUIET, "America/New_York")
    assert until is not None
    assert until.astimezone(NY) == datetime(2026, 6, 2, 8, 0, tzinfo=NY)
    assert until.tzinfo == UTC  # returned in the caller's offset


def test_early_morning_defers_to_same_morning() -> None:
    when = datetime(2026, 6, 2, 3, 0, tzinfo=BERLIN)
    until = quiet_until(when, QUIET, "Europe/Berlin")
    assert until == datetime(2026, 6, 2, 8, 0, tzinfo=BERLIN)


def test_spring_forward_night_in_new_york() -> None:
    # 2026-03-08: clocks jump from 02:00 to 03:00 in New York; the night is an hour shorter.
    when = datetime(2026, 3, 7, 22, 0, tzinfo=NY)
    until = quiet_until(when, QUIET, "America/New_York")
    assert until is not None
    assert until.astimezone(NY).hour == 8
    assert until.astimezone(UTC) - when.astimezone(UTC) == timedelta(
        hours=9
    )  # 10 wall-clock hours, 9 real ones


def test_fall_back_night_in_berlin() -> None:
    # 2026-10-25: clocks go back from 03:00 to 02:00 in Berlin; the night is an hour longer.
    when = datetime(2026, 10, 24, 22, 0, tzinfo=BERLIN)
    until = quiet_until(when, QUIET, "Europe/Berlin")
    assert until is not None
    assert until.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 10, 25, 8, 0)
    assert until.astimezone(UTC) - when.astimezone(UTC) == timedelta(hours=11)


def test_daytime_quiet_window() -> None:
    when = datetime(2026, 6, 1, 13, 0, tzinfo=UTC)
    assert quiet_until(when, ("12:00", "14:00"), "UTC") == datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
    assert quiet_until(when, ("14:00", "15:00"), "UTC") is None


def test_no_quiet_hours() -> None:
    assert quiet_until(datetime(2026, 6, 1, 23, 0, tzinfo=UTC), None, "UTC") is None
    assert quiet_until(datetime(2026, 6, 1, 23, 0, tzinfo=UTC), ("08:00", "08:00"), "UTC") is None


@pytest.mark.parametrize("bad", ["8:00", "24:00", "12:60", "noon", "", None, 800])
def test_bad_clock_time(bad: object) -> None:
    with pytest.raises(ValidationError) as err:
        parse_clock_time(bad, "quiet_hours[0]")  # type: ignore[arg-type]
    assert err.value.field == "quiet_hours[0]"


@pytest.mark.parametrize("bad", ["Mars/Olympus", "", "../etc/passwd", "UTC+99"])
def test_unknown_zone(bad: str) -> None:
    with pytest.raises(ValidationError):
        zone(bad)


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(["America/New_York", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney"]),
)
def test_deferred_time_is_after_and_outside_quiet_hours(when: datetime, tz: str) -> None:
    until = quiet_until(when, QUIET, tz)
    if until is None:
        local = when.astimezone(ZoneInfo(tz))
        assert 8 <= local.hour < 21
        return
    assert until > when
    assert until.astimezone(UTC) - when <= timedelta(hours=12)
    assert quiet_until(until, QUIET, tz) is None
