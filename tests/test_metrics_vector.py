"""With numpy installed a report's array loops run in numpy, and its figures do not move.

``handoff.metrics._vector`` replaces four loops (business seconds, calendar seconds,
sorting the samples, reading the waits of many conversations) and promises results
equal bit for bit to the loops it replaces;
these tests hold it to that, and check that a report without numpy is the same report.
"""

from __future__ import annotations

import math
import re
from array import array
from datetime import date, datetime, timedelta, timezone
from itertools import chain
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.clock import FixedClock, SeededIds, micros
from handoff.metrics import BusinessCalendar, KpiReport, _fold, calendar, formulas, journey_records, kpis
from handoff.metrics import _vector as vector
from handoff.metrics._fold import _calendar
from handoff.metrics.calendar import Worktime
from handoff.metrics.formulas import Durations, SortedSamples
from handoff.stores import SQLiteStore
from handoff.stores.sql._talk import Talk
from handoff.switchboard import Switchboard
from tests.metrics_build import T0, populate

numpy = pytest.importorskip("numpy", reason="the vectorised loops need numpy (channel-handoff[fast])")

_CALENDARS = [
    BusinessCalendar.weekly(
        "Europe/Madrid",
        {"mon-fri": "08:00-13:00, 15:00-19:00", "sat": "10:00-14:00"},
        holidays=[date(2025, 12, 25), date(2026, 1, 1), date(2026, 3, 30)],
    ),
    BusinessCalendar.weekly("America/New_York", {"mon-sun": "00:00-24:00"}),
    BusinessCalendar.weekly("Asia/Kolkata", {"sun": "22:30-23:15"}, holidays=[date(2026, 2, 1)]),
]
_LOW = micros(datetime(2024, 12, 20, tzinfo=timezone.utc))
_HIGH = micros(datetime(2027, 1, 10, tzinfo=timezone.utc))
_instants = st.integers(_LOW, _HIGH)
# The second instant is absolute or a short wait after the first (most waits are short);
# either may come before the other.
_pairs = st.lists(
    st.tuples(_instants, st.one_of(_instants, st.integers(-(10**9), 10**10))).map(
        lambda p: (p[0], p[1] if p[1] > 10**10 else p[0] + p[1])
    ),
    max_size=60,
).map(lambda pairs: array("q", chain.from_iterable(pairs)))


def _without_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vector, "_numpy", None)
    monkeypatch.setattr(vector, "_looked", True)


@pytest.fixture
def plain(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loops as they run without numpy, for the duration of the test."""
    _without_numpy(monkeypatch)


def _both(work: Any) -> tuple[Any, Any]:
    """``work()`` with numpy, then without it (numpy restored afterwards)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(vector, "_numpy", numpy)
        patch.setattr(vector, "_looked", True)
        fast = work()
        _without_numpy(patch)
        slow = work()
    return fast, slow


@settings(max_examples=150, deadline=None)
@given(pairs=_pairs, which=st.sampled_from(range(len(_CALENDARS))))
def test_business_seconds_are_the_same_bits_with_numpy(pairs: array[int], which: int) -> None:
    fast, slow = _both(lambda: Worktime(_CALENDARS[which]).seconds_between_pairs(pairs))
    assert type(fast) is type(slow) is array
    assert fast.tobytes() == slow.tobytes()


@pytest.mark.parametrize("which", range(len(_CALENDARS)))
def test_a_long_batch_of_business_seconds_is_the_same_bits_with_numpy(which: int) -> None:
    """A batch long enough for numpy to find its range (and convert it) gives the loops' bits."""
    base = micros(datetime(2025, 3, 1, tzinfo=timezone.utc))
    starts = [base + k * 3_613_000_017 for k in range(3000)]
    pairs = array(
        "q", chain.from_iterable((at, at + (k * 7_919_000_003) % 10**12) for k, at in enumerate(starts))
    )
    assert len(pairs) >= calendar._BOUNDS_FROM
    fast, slow = _both(lambda: Worktime(_CALENDARS[which]).seconds_between_pairs(pairs))
    assert fast.tobytes() == slow.tobytes() and any(fast)


@settings(max_examples=150, deadline=None)
@given(pairs=_pairs)
def test_calendar_seconds_are_the_same_bits_with_numpy(pairs: array[int]) -> None:
    fast, slow = _both(lambda: array("d", _calendar(pairs)))
    assert fast.tobytes() == slow.tobytes()
    assert all(seconds >= 0 for seconds in fast)


_durations = st.floats(0, 10**8, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_durations, max_size=30), max_size=5))
def test_samples_sort_and_merge_to_the_same_bits_with_numpy(groups: list[list[float]]) -> None:
    parts = [array("d", values) for values in groups]
    fast, slow = _both(lambda: [SortedSamples.of(part) for part in parts])
    assert [part.tobytes() for part in fast] == [part.tobytes() for part in slow]
    merged_fast, merged_slow = _both(lambda: SortedSamples.joined(fast))
    assert type(merged_fast) is type(merged_slow) is SortedSamples
    assert merged_fast.tobytes() == merged_slow.tobytes()
    assert list(merged_fast) == sorted(chain.from_iterable(groups))


# A conversation as a database reduces it: its customer (c) and agent (a) steps in order,
# with their instants (any order of values: imported histories need not be sorted).
_talks = st.lists(
    st.lists(st.tuples(st.sampled_from("ca"), st.integers(-(10**15), 10**17)), min_size=1, max_size=12),
    max_size=30,
).map(lambda talks: [Talk("".join(s for s, _ in t), ",".join(str(i) for _, i in t)) for t in talks])


@settings(max_examples=300)
@given(_talks)
def test_waits_read_in_bulk_are_each_conversations_waits(talks: list[Talk]) -> None:
    bulk = vector.wait_pairs([t.letters for t in talks], [t.instants for t in talks])
    one_by_one = array("q", chain.from_iterable(t.pairs() for t in talks))
    if not talks:
        assert bulk is None
        return
    assert bulk is not None
    assert bulk == one_by_one.tobytes()
    for talk in talks:  # each conversation's own reading: a wait from each run of c to the a after it
        runs = re.finditer("c+a", talk.letters)
        at = [int(i) for i in talk.instants.split(",")]
        assert list(talk) == list(chain.from_iterable((at[m.start()], at[m.end() - 1]) for m in runs))
        assert len(talk) == len(talk.pairs()) and talk == talk.pairs() and talk[0:2] == talk.pairs()[0:2]


def test_waits_whose_instants_do_not_line_up_are_read_one_by_one() -> None:
    assert vector.wait_pairs(["cca"], ["1,2"]) is None  # a step without its instant
    assert vector.wait_pairs(["ca", "ca"], ["1,2", "3,4"]) == array("q", [1, 2, 3, 4]).tobytes()


@pytest.mark.parametrize(("held", "least"), [(1, 0), (3, 0), (3, 6), (100_000, 0)])
@pytest.mark.parametrize("hours", [_CALENDARS[0], None], ids=["business", "calendar"])
@pytest.mark.parametrize("by", [("channel",), ("path", "week")])
def test_a_report_reads_and_converts_its_waits_in_batches_of_any_size(
    tmp_path: Any,
    held: int,
    least: int,
    hours: BusinessCalendar | None,
    by: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """However many journeys' waits are held before they are read, and however many a
    group must hold to be turned into seconds before the end, the report is the walk's."""
    with SQLiteStore(tmp_path / "talks.db") as store:
        populate(Switchboard(store, clock=FixedClock(T0), ids=SeededIds(5)), 5, journeys=30)
        start, end = T0 - timedelta(days=1), T0 + timedelta(days=60)
        expected = kpis(list(journey_records(store, start, end)), start, end, by=by, business_hours=hours)
        monkeypatch.setattr(_fold, "_HELD", held)
        monkeypatch.setattr(_fold, "_CONVERTED", least)
        got = kpis(store, start, end, by=by, business_hours=hours)
    assert got.total.times["response"].count > 0
    assert got.rows == expected.rows and got.total == expected.total


@pytest.mark.parametrize("by", [("channel",), ("path", "reason"), ("agent", "week")])
@pytest.mark.parametrize("hours", [_CALENDARS[0], None], ids=["business", "calendar"])
def test_a_report_is_the_same_with_and_without_numpy(
    tmp_path: Any, by: tuple[str, ...], hours: BusinessCalendar | None
) -> None:
    with SQLiteStore(tmp_path / "year.db") as store:
        populate(Switchboard(store, clock=FixedClock(T0), ids=SeededIds(11)), 11, journeys=40)
        start, end = T0 - timedelta(days=1), T0 + timedelta(days=60)

        def report() -> KpiReport:
            return kpis(store, start, end, by=by, business_hours=hours)

        fast, slow = _both(report)
    assert fast.total.journeys >= 20  # populate opens some as continuations
    assert fast.to_records() == slow.to_records()
    assert fast.rows == slow.rows


def test_without_numpy_the_loops_say_so_and_reports_still_run(plain: None, tmp_path: Any) -> None:
    assert not vector.enabled()
    pairs = array("q", [0, 10**6])
    assert vector.business_seconds(pairs, [0], [10**6], [0]) is None
    assert vector.calendar_seconds(pairs) is None
    assert vector.sorted_floats([array("d", [2.0, 1.0])]) is None
    assert vector.wait_pairs(["ca"], ["1,2"]) is None
    assert list(SortedSamples.of(array("d", [2.0, 1.0]))) == [1.0, 2.0]
    with SQLiteStore(tmp_path / "plain.db") as store:
        populate(Switchboard(store, clock=FixedClock(T0), ids=SeededIds(3)), 3, journeys=12)
        report = kpis(store, T0 - timedelta(days=1), T0 + timedelta(days=60), business_hours=_CALENDARS[0])
    assert report.total.journeys > 0
    assert report.total.business_times is not None
    assert report.total.business_times["response"].count > 0


def test_numpy_is_looked_for_once_and_its_absence_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    looked: list[str] = []

    def missing(name: str) -> None:
        looked.append(name)
        raise ImportError(name)

    monkeypatch.setattr(vector, "_looked", False)
    monkeypatch.setattr(vector, "_numpy", None)
    monkeypatch.setattr(vector.importlib, "import_module", missing)
    assert not vector.enabled()
    assert not vector.enabled()
    assert looked == ["numpy"]


def test_an_empty_calendar_gives_no_business_time_with_numpy() -> None:
    seconds = vector.business_seconds(array("q", [_LOW, _HIGH, _HIGH, _LOW]), [], [], [])
    assert seconds is not None
    assert list(seconds) == [0.0, 0.0]


@given(st.lists(st.integers(0, 10), max_size=20), st.integers(0, 10))
def test_survey_answers_as_bytes_count_as_any_other_sequence(answers: list[int], low: int) -> None:
    expected = sum(1 for answer in answers if answer >= low)
    assert _fold._at_least(bytes(answers), low) == expected
    assert _fold._at_least(answers, low) == expected
    assert _fold._at_least(tuple(answers), low) == expected


@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), min_size=1, max_size=50))
def test_the_bounds_of_instants_are_their_least_and_greatest(values: list[int]) -> None:
    assert vector.bounds(array("q", values)) == (min(values), max(values))


def test_without_numpy_the_bounds_are_left_to_the_loop(plain: None) -> None:
    assert vector.bounds(array("q", [3, 1, 2])) is None


_DURATIONS = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=2**40).map(lambda micros: micros / 1e6),  # how waits are made
        st.floats(min_value=2**-20, max_value=2**32, exclude_max=True),
        st.just(0.0),
    ),
    max_size=60,
)


@given(_DURATIONS, st.integers(min_value=1, max_value=70))
def test_the_exact_sum_of_durations_is_fsum_to_the_last_bit(values: list[float], block: int) -> None:
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(vector, "_BLOCK", block)  # however many blocks numpy adds them in
        total = vector.exact_sum(array("d", values))
    if not any(values):
        assert total is None  # fsum keeps the sign of a sum of zeros
    else:
        assert total == math.fsum(values) and math.copysign(1, total) == 1


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=30))
def test_the_exact_sum_is_fsum_or_left_to_fsum(values: list[float]) -> None:
    """Negative, tiny, huge or not finite: whatever numpy cannot add exactly is left to fsum."""
    total = vector.exact_sum(array("d", values))
    if total is not None:
        assert total == math.fsum(values)
        assert all(v == 0 or 2**-20 <= v < 2**32 for v in values)


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 2**-30],
        [3.0, 2**-1074],
        [1.0, -2.0, 4.0],
        [2.0**32],
        [1.0, math.inf],
        [1.0, math.nan],
        [-0.0, -0.0],
    ],
    ids=["under-a-microsecond", "subnormal", "negative", "too-long", "infinite", "nan", "negative-zeros"],
)
def test_values_numpy_cannot_add_exactly_are_left_to_fsum(values: list[float]) -> None:
    assert vector.exact_sum(array("d", values)) is None


@pytest.mark.parametrize("count", [10, 5000])
def test_a_mean_is_the_same_with_and_without_numpy(count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long array of samples is summed by numpy, a short one by ``fsum``: the same bits."""
    samples = SortedSamples.of(array("d", [i / 7 for i in range(1, count)] + [0.1] * 10))
    summed: list[int] = []

    def counted(values: array[float]) -> float | None:
        summed.append(len(values))
        return vector.exact_sum(values)

    with monkeypatch.context() as spied:
        spied.setattr(formulas, "exact_sum", counted)
        fast = Durations.of(samples)
    assert summed == ([len(samples)] if count > formulas._EXACT_FROM else [])
    _without_numpy(monkeypatch)
    assert Durations.of(samples) == fast and fast.mean == math.fsum(samples) / len(samples)


def test_without_numpy_the_exact_sum_is_left_to_fsum(plain: None) -> None:
    assert vector.exact_sum(array("d", [1.0, 2.0])) is None
