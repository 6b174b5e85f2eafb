"""The standard KPI formulas, on answers worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.errors import ValidationError
from handoff.events import SURVEY_SCALES
from handoff.metrics.formulas import (
    Durations,
    SortedSamples,
    Target,
    Targets,
    ces_mean,
    ces_share_high,
    csat_percent,
    mean,
    median,
    nps,
    p90,
    percent,
    quantile,
)

try:
    import numpy
except ImportError:  # numpy is optional (channel-handoff[fast]); the reference test then skips
    numpy = None


def test_csat_is_the_share_of_four_and_five() -> None:
    # 4, 5, 5 are satisfied; 1 and 3 are not: 3 / 5 = 60 %
    assert csat_percent([4, 5, 1, 3, 5]) == pytest.approx(60.0)


def test_nps_is_promoters_minus_detractors() -> None:
    # promoters 9, 10, 10 (3); passives 7, 8 (2); detractors 0, 6, 3 (3); 8 answers
    # (3 - 3) / 8 = 0; then one more promoter: (4 - 3) / 9 = 11.1
    assert nps([9, 10, 10, 7, 8, 0, 6, 3]) == pytest.approx(0.0)
    assert nps([9, 10, 10, 7, 8, 0, 6, 3, 9]) == pytest.approx(100 / 9)
    assert nps([0, 1]) == pytest.approx(-100.0)


def test_ces_mean_and_share_of_easy_answers() -> None:
    # (7 + 5 + 4 + 2) / 4 = 4.5; answers >= 5: 7 and 5 -> 2 / 4 = 50 %
    assert ces_mean([7, 5, 4, 2]) == pytest.approx(4.5)
    assert ces_share_high([7, 5, 4, 2]) == pytest.approx(50.0)


def test_median_p90_and_mean_interpolate_like_pandas() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    # median: position (4-1) * 0.5 = 1.5 -> 20 + 0.5 * (30 - 20) = 25
    assert median(values) == pytest.approx(25.0)
    # p90: position 3 * 0.9 = 2.7 -> 30 + 0.7 * (40 - 30) = 37
    assert p90(values) == pytest.approx(37.0)
    assert mean(values) == pytest.approx(25.0)
    assert median([5.0]) == 5.0
    assert p90([3.0, 1.0, 2.0]) == pytest.approx(2.8)  # sorted 1, 2, 3; position 1.8 -> 2 + 0.8


@pytest.mark.parametrize("formula", [csat_percent, nps, ces_mean, ces_share_high, mean, median, p90])
def test_no_data_is_none_never_a_division_by_zero(formula: object) -> None:
    assert formula([]) is None  # type: ignore[operator]


def test_percent_of_nothing_is_none() -> None:
    assert percent(0, 0) is None
    assert percent(1, 4) == pytest.approx(25.0)


@pytest.mark.parametrize(
    ("formula", "bad", "field"),
    [
        (csat_percent, [5, 6], "csat[1]"),
        (csat_percent, [0], "csat[0]"),
        (nps, [11], "nps[0]"),
        (nps, [True], "nps[0]"),
        (ces_mean, [8], "ces[0]"),
        (ces_share_high, [4.5], "ces[0]"),
        (mean, [float("nan")], "values[0]"),
        (median, ["1"], "values[0]"),
    ],
)
def test_out_of_scale_answers_name_the_field(formula: object, bad: list[object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        formula(bad)  # type: ignore[operator]
    assert caught.value.field == field


def test_non_sequences_and_bad_quantiles_are_validation_errors() -> None:
    with pytest.raises(ValidationError):
        csat_percent("45")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        mean(None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        quantile([1.0], 1.5)


@settings(max_examples=60)
@given(st.lists(st.floats(min_value=0, max_value=1e7), min_size=1, max_size=40))
def test_quantiles_lie_between_the_extremes_in_order(values: list[float]) -> None:
    low, mid, high = min(values), median(values), p90(values)
    assert mid is not None and high is not None
    assert low <= mid <= high <= max(values)


def test_targets_judge_met_near_and_act_now_both_ways() -> None:
    higher = Target(80.0, 5.0)
    assert higher.judge(85.0) == "met"
    assert higher.judge(80.0) == "met"
    assert higher.judge(76.0) == "near"  # 4 short, within 5
    assert higher.judge(74.0) == "act_now"
    assert higher.judge(None) is None
    lower = Target(3600.0, 1800.0, higher_is_better=False)
    assert lower.judge(3000.0) == "met"
    assert lower.judge(5000.0) == "near"  # 1400 s over, within 1800
    assert lower.judge(9000.0) == "act_now"


def test_default_targets_cover_every_judged_figure_and_validate() -> None:
    targets = Targets()
    assert targets.csat.goal == 80.0 and targets.csat.higher_is_better
    assert not targets.repeat_rate.higher_is_better
    with pytest.raises(ValidationError):
        Targets(csat=80)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Target(80.0, -1.0)
    with pytest.raises(ValidationError):
        Target(float("inf"), 1.0)


# Durations as reports meet them: whole seconds, fractions of any size, and waits from
# nothing to years; never negative, so no signed zero can tell the two sorts apart.
_durations = st.lists(
    st.one_of(
        st.integers(0, 10**8).map(float),
        st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
        st.decimals(0, 10**6, places=3).map(float),
    ),
    min_size=1,
    max_size=40,
)


@pytest.mark.skipif(numpy is None, reason="the reference is numpy.quantile")
@settings(max_examples=300)
@given(_durations, st.floats(min_value=0, max_value=1))
def test_quantiles_are_numpys_to_the_last_bit(values: list[float], q: float) -> None:
    """Every path to a median or p90 (one formula, a summary, the aggregator's sorted
    samples) gives exactly the float ``numpy.quantile`` gives, as the guide promises."""
    expected = {
        "median": float(numpy.quantile(values, 0.5)).hex(),
        "p90": float(numpy.quantile(values, 0.9)).hex(),
    }
    for summary in (Durations.of(values), Durations.of(SortedSamples.of(values))):
        assert {"median": _hex(summary.median), "p90": _hex(summary.p90)} == expected
    assert {"median": _hex(median(values)), "p90": _hex(p90(values))} == expected
    assert _hex(quantile(values, q)) == float(numpy.quantile(values, q)).hex()


def _hex(value: float | None) -> str:
    assert value is not None
    return value.hex()


def test_a_p90_near_the_upper_value_rounds_as_numpy_does() -> None:
    # 14889 + 80101 * 0.9 rounds to 86979.90000000001; 94990 - 80101 * 0.1 (NumPy's
    # order for a weight of 0.5 or more) rounds to 86979.9.
    assert p90([14889.0, 94990.0]) == 86979.9
    assert Durations.of([94990.0, 14889.0]).p90 == 86979.9


@pytest.mark.parametrize(("name", "formula"), [("csat", csat_percent), ("nps", nps), ("ces", ces_mean)])
def test_formulas_take_exactly_the_answers_a_survey_records(name: str, formula: Any) -> None:
    low, high = SURVEY_SCALES[name]
    assert formula([low, high]) is not None
    for outside in (low - 1, high + 1):
        with pytest.raises(ValidationError):
            formula([outside])
