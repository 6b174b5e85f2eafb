"""Business hours: how much of a wait fell inside the hours a support team works.

A :class:`BusinessCalendar` holds weekly opening hours on the local wall clock of one
IANA time zone, plus holidays. Opening times are resolved to real instants day by day,
so a day on which the clocks change is as long as it really was.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import MAXYEAR, MINYEAR, date, datetime, time, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

from attrs import define, field
from dateutil.rrule import DAILY, rrule, rruleset

from handoff.clock import ensure_aware, from_micros, micros
from handoff.errors import ValidationError
from handoff.metrics._vector import bounds, business_seconds
from handoff.policy.schedule import parse_clock_time, zone

__all__ = ["WEEKDAYS", "BusinessCalendar", "Opening"]

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names as used in opening hours; position is ``date.weekday()``."""

_SPAN_RE = re.compile(r"^\s*([0-9]{2}:[0-9]{2})\s*-\s*([0-9]{2}:[0-9]{2})\s*$")


def _zone(name: object) -> ZoneInfo:
    return zone(name, "timezone")  # type: ignore[arg-type]  # zone() checks the type itself


def _clock_time(text: str, field: str, *, end: bool = False) -> time:
    """``"09:30"`` -> 09:30; ``"24:00"``, allowed only as an end, is the end of the day."""
    if end and text == "24:00":
        return time.max
    return parse_clock_time(text, field)


def _instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time; :data:`time.max` is the next midnight."""
    if wall == time.max:
        return datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).astimezone(timezone.utc)
    return datetime.combine(day, wall, tzinfo=tz).astimezone(timezone.utc)


@define(frozen=True)
class Opening:
    """One stretch of working time on a weekday (0 = Monday), local wall clock.

    An ``end`` of :data:`datetime.time.max` means "until midnight" (written ``24:00``).
    """

    weekday: int
    start: time
    end: time

    def __attrs_post_init__(self) -> None:
        if isinstance(self.weekday, bool) or not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise ValidationError("weekday", f"expected 0 (Monday) to 6 (Sunday), got {self.weekday!r}")
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValidationError(name, f"expected a local time of day, got {value!r}")
        if self.end <= self.start:
            raise ValidationError("end", f"an opening must end after it starts ({self.start} - {self.end})")


def _openings(value: object) -> tuple[Opening, ...]:
    if not isinstance(value, (tuple, list)) or not all(isinstance(o, Opening) for o in value):
        raise ValidationError("hours", "expected a sequence of Opening")
    ordered = tuple(sorted(value, key=lambda o: (o.weekday, o.start)))
    if not ordered:
        raise ValidationError("hours", "a business calendar needs at least one opening")
    for before, after in pairwise(ordered):
        if before.weekday == after.weekday and after.start < before.end:
            day = WEEKDAYS[before.weekday]
            raise ValidationError("hours", f"openings overlap on {day}: {before.start}-{before.end}")
    return ordered


def _holidays(value: object) -> frozenset[date]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError("holidays", f"expected dates, got {type(value).__name__}")
    days = list(value)
    for day in days:  # before the set is made: an unhashable item would fail as a TypeError
        if not _is_date(day):
            raise ValidationError("holidays", f"expected dates, got {day!r}")
    return frozenset(days)


def _is_date(value: object) -> bool:
    """A calendar date; a datetime is refused, as its time of day would be silently dropped."""
    return isinstance(value, date) and not isinstance(value, datetime)


def _zone_name(_inst: object, _attr: object, value: str) -> None:
    _zone(value)


@define(frozen=True)
class BusinessCalendar:
    """Weekly opening hours in one time zone, minus holidays.

    >>> BusinessCalendar.weekly("Europe/Madrid", {"mon-fri": "09:00-17:00"})

    ``holidays`` are local dates on which the team does not work at all.
    """

    timezone: str = field(validator=_zone_name)
    hours: tuple[Opening, ...] = field(converter=_openings)
    holidays: frozenset[date] = field(default=frozenset(), converter=_holidays)

    @classmethod
    def weekly(
        cls, timezone: str, hours: Mapping[str, str], holidays: Iterable[date] = ()
    ) -> BusinessCalendar:
        """Build a calendar from readable hours.

        Keys are weekdays or ranges of them (``"mon"``, ``"mon-fri"``); values are one
        or more comma-separated spans (``"09:00-12:30, 13:30-18:00"``); ``24:00`` ends a
        span at midnight (``"mon-sun": "00:00-24:00"`` is round the clock).
        """
        if not isinstance(hours, Mapping):
            raise ValidationError("hours", f"expected a mapping of weekdays to spans, got {hours!r}")
        openings: list[Opening] = []
        for days, spans in hours.items():
            if not isinstance(spans, str):
                raise ValidationError(f"hours[{days!r}]", f"expected spans like '09:00-17:00', got {spans!r}")
            for weekday in _weekdays(days):
                for span in spans.split(","):
                    match = _SPAN_RE.match(span)
                    if not match:
                        raise ValidationError(
                            f"hours[{days!r}]", f"expected HH:MM-HH:MM, got {span.strip()!r}"
                        )
                    start = _clock_time(match.group(1), f"hours[{days!r}]")
                    end = _clock_time(match.group(2), f"hours[{days!r}]", end=True)
                    openings.append(Opening(weekday, start, end))
        return cls(timezone, tuple(openings), holidays)

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Seconds of working time between two instants (0 when ``end`` is not after ``start``).

        Each working day's opening is placed on the local wall clock and turned into a
        real instant, so an opening that spans a DST change is an hour shorter or
        longer, exactly as it was lived. A wall time skipped by a spring-forward is read
        with the offset in force before the change (Python's ``fold=0``). Instants
        outside the local years :data:`FIRST_YEAR` to :data:`LAST_YEAR` are refused.
        """
        start = ensure_aware(start, "start")
        end = ensure_aware(end, "end")
        return self.worktime().seconds_between(micros(start), micros(end))

    def working_days(self, first: date, last: date) -> list[date]:
        """Local dates from ``first`` to ``last`` that have openings and are not holidays."""
        for name, value in (("first", first), ("last", last)):
            if not _is_date(value):
                raise ValidationError(name, f"expected a date, got {value!r}")
        days = rruleset()
        days.rrule(
            rrule(
                DAILY,
                dtstart=datetime.combine(first, time()),
                until=datetime.combine(last, time()),
                byweekday=sorted({o.weekday for o in self.hours}),
            )
        )
        for holiday in self.holidays:
            days.exdate(datetime.combine(holiday, time()))
        return [moment.date() for moment in days]

    def worktime(self) -> Worktime:
        """The calendar's working time as a lookup table (built once per calendar, lazily)."""
        return _worktime(self)


_Table = tuple[int, int, int, int, list[int], list[int], list[int]]

FIRST_YEAR, LAST_YEAR = MINYEAR + 1, MAXYEAR - 1
"""The local years whose instants have working time: a table covers whole local years,
and the first and last years of ``datetime`` cannot be turned into UTC instants in
every time zone (local 0001-01-01 in Tokyo is in the year 0)."""

_WORKTIMES: dict[BusinessCalendar, Worktime] = {}
_WORKTIMES_KEPT = 32
_BOUNDS_FROM = 4096
"""Instants from which numpy finds a batch's range (below it, Python's loops are quicker)."""


def _worktime(calendar: BusinessCalendar) -> Worktime:
    found = _WORKTIMES.get(calendar)
    if found is None:
        if len(_WORKTIMES) >= _WORKTIMES_KEPT:
            _WORKTIMES.clear()
        found = _WORKTIMES[calendar] = Worktime(calendar)
    return found


class Worktime:
    """Working microseconds before any instant, from a table of openings as UTC instants.

    A wait then costs two binary searches instead of a walk over its days, which is what
    lets a report over a year of journeys use business hours. The table covers whole
    local years and grows when an instant outside it is asked about.
    """

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self._tz = calendar.zone
        self._by_day: dict[int, list[Opening]] = {}
        for opening in calendar.hours:
            self._by_day.setdefault(opening.weekday, []).append(opening)
        # One tuple, replaced whole, so a reader in another thread never sees new bounds
        # with old lists: (first year, last year, low, high, opens, closes, before), where
        # the table covers instants in [low, high) and ``before`` holds the working
        # microseconds before each opening.
        self._table: _Table = (0, 0, 0, 0, [], [], [])

    def seconds_between(self, start: int, end: int) -> float:
        """Working seconds from ``start`` to ``end`` (UTC microseconds); 0 if not after."""
        if type(start) is not int or type(end) is not int:
            raise ValidationError("start" if type(start) is not int else "end", "expected UTC microseconds")
        if end <= start:
            return 0.0
        table = self._table
        if not (table[2] <= start and end < table[3]):
            table = self._cover(start, end, ("start", "end"))
        opens, closes, before = table[4], table[5], table[6]
        total = 0
        i = bisect_right(opens, end) - 1
        if i >= 0:
            total = before[i] + min(end, closes[i]) - opens[i]
        i = bisect_right(opens, start) - 1
        if i >= 0:
            total -= before[i] + min(start, closes[i]) - opens[i]
        return total / 1e6

    def seconds_between_pairs(self, pairs: Sequence[int]) -> array[float]:
        """:meth:`seconds_between` of every (start, end) pair of a flat sequence, in one loop:
        a report converts over a million waits, and a call per wait would cost more than
        the arithmetic."""
        if not (type(pairs) is array and pairs.typecode == "q"):
            try:
                pairs = array("q", pairs)
            except (TypeError, OverflowError):
                raise ValidationError("pairs", "expected whole numbers of UTC microseconds") from None
        if len(pairs) % 2:
            raise ValidationError("pairs", f"expected (start, end) pairs, got {len(pairs)} instants")
        seconds = array("d")
        if not pairs:
            return seconds
        table = self._table
        found = bounds(pairs) if len(pairs) >= _BOUNDS_FROM else None
        low, high = found if found is not None else (min(pairs), max(pairs))
        if not (table[2] <= low and high < table[3]):
            table = self._cover(low, high, ("pairs", "pairs"))
        opens, closes, before = table[4], table[5], table[6]
        # Working time before an instant t in opening i is base[i] + min(t, closes[i]).
        base = [b - o for b, o in zip(before, opens, strict=True)]
        fast = business_seconds(pairs, opens, closes, base)
        if fast is not None:
            return fast
        append = seconds.append
        items = iter(pairs)
        for start, end in zip(items, items, strict=True):
            if end <= start:
                append(0.0)
                continue
            i = bisect_right(opens, end) - 1
            if i < 0:
                append(0.0)  # both before the first opening
                continue
            close = closes[i]
            total = base[i] + (end if end < close else close)
            if start < opens[i]:  # else both fall in the same opening or the gap after it
                i = bisect_right(opens, start) - 1
                if i < 0:
                    append(total / 1e6)
                    continue
                close = closes[i]
            total -= base[i] + (start if start < close else close)
            append(total / 1e6)
        return seconds

    def openings(self) -> tuple[list[int], list[int], list[int]]:
        """The table as it stands, for vectorised use: opening and closing instants (UTC
        microseconds) and the working microseconds before each opening."""
        table = self._table
        return table[4], table[5], table[6]

    def _cover(self, start: int, end: int, fields: tuple[str, str]) -> _Table:
        """Rebuild the table over whole local years so that it holds both instants
        (``fields`` name them in the error when one is outside the years it can cover)."""
        first, last = (self._year(start, fields[0]), self._year(end, fields[1]))
        old = self._table
        if old[3] > old[2]:
            first, last = min(first, old[0]), max(last, old[1])
        low = micros(datetime(first, 1, 1, tzinfo=self._tz))
        high = micros(datetime(last + 1, 1, 1, tzinfo=self._tz))
        opens: list[int] = []
        closes: list[int] = []
        before: list[int] = []
        total = 0
        for day in self.calendar.working_days(date(first, 1, 1), date(last, 12, 31)):
            for opening in self._by_day[day.weekday()]:
                open_at = micros(_instant(day, opening.start, self._tz))
                close_at = micros(_instant(day, opening.end, self._tz))
                if close_at <= open_at:
                    continue
                opens.append(open_at)
                closes.append(close_at)
                before.append(total)
                total += close_at - open_at
        self._table = (first, last, low, high, opens, closes, before)
        return self._table

    def _year(self, at: int, field: str) -> int:
        """The local year of ``at``, which must be one the table can cover."""
        shown, year = f"{at} microseconds after 1970-01-01 UTC", 0
        try:
            moment = from_micros(at)
            shown = moment.isoformat()
            year = moment.astimezone(self._tz).year
        except OverflowError:
            pass  # beyond datetime's range, in UTC or on the local clock
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValidationError(
                field, f"{shown} is outside the years {FIRST_YEAR}-{LAST_YEAR} in {self.calendar.timezone}"
            )
        return year


def _weekdays(spec: object) -> range:
    """``"mon"`` -> Monday; ``"mon-fri"`` -> Monday to Friday (no wrapping past Sunday)."""
    text = spec.strip().lower() if isinstance(spec, str) else ""
    first, _, last = text.partition("-")
    if first not in WEEKDAYS or (last and last not in WEEKDAYS):
        raise ValidationError(
            "hours", f"expected a weekday like 'mon' or a range like 'mon-fri', got {spec!r}"
        )
    low, high = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
    if high < low:
        raise ValidationError("hours", f"weekday range {spec!r} runs backwards")
    return range(low, high + 1)
