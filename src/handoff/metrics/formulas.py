"""The standard support formulas, as pure functions, and the targets figures are judged by.

Every function returns ``None`` when there is nothing to compute from (no answers, no
durations), so an empty period never divides by zero and reports can show "—".
Percentages are on a 0–100 scale; durations are in seconds.

==================  =================================================================
CSAT %              answers of 4 or 5 on the 1–5 scale ÷ all answers × 100
NPS                 % promoters (9–10) − % detractors (0–6) on 0–10; −100 to +100
CES                 mean answer on the 1–7 scale (7 = very easy); share ≥ 5 as a %
first response      journey start → first agent reply (bot replies do not count)
response            first customer message of each unanswered run → next agent reply
resolution          journey start → first resolve, and → last resolve after reopens
ART                 total resolution time ÷ resolved journeys (the mean resolution)
FCR %               journeys resolved, never reopened, and with no new contact within
                    the FCR window ÷ journeys × 100
reopen rate %       journeys reopened at least once ÷ journeys × 100
backlog             journeys not resolved now, or last resolved after the end of the period
handoffs/journey    handoffs ÷ journeys
handoff response    handoff → first agent reply on the new channel
repeat rate %       handoffs after which the customer restated a fact (order number,
                    email, phone, amount) the journey already held ÷ handoffs × 100
median, p90         linear interpolation between closest ranks, computed as NumPy computes
                    it, so the figures equal NumPy's and pandas' defaults to the last bit
==================  =================================================================
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Literal

from attrs import define, field

from handoff.errors import ValidationError
from handoff.events import SURVEY_SCALES
from handoff.metrics._vector import exact_sum, sorted_floats

__all__ = [
    "Durations",
    "Status",
    "Target",
    "Targets",
    "ces_mean",
    "ces_share_high",
    "csat_percent",
    "mean",
    "median",
    "nps",
    "nps_from_counts",
    "p90",
    "percent",
    "quantile",
]

# The scales a survey answer is checked against when it is recorded, so that a formula
# never accepts an answer the events refuse, or the other way round.
CSAT_SCALE = SURVEY_SCALES["csat"]
NPS_SCALE = SURVEY_SCALES["nps"]
CES_SCALE = SURVEY_SCALES["ces"]


def _scores(values: Iterable[int], name: str, scale: tuple[int, int]) -> list[int]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValidationError(name, f"expected whole-number answers, got {type(values).__name__}")
    low, high = scale
    checked = list(values)
    for i, value in enumerate(checked):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError(
                f"{name}[{i}]", f"expected a whole number from {low} to {high}, got {value!r}"
            )
    return checked


def _numbers(values: Iterable[float], name: str) -> list[float]:
    if isinstance(values, array) and values.typecode == "d":  # the aggregator's samples
        floats = values.tolist()
        if all(map(math.isfinite, floats)):
            return floats
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValidationError(name, f"expected numbers, got {type(values).__name__}")
    checked: list[float] = []
    for i, value in enumerate(values):
        number = finite_number(value)
        if number is None:
            raise ValidationError(f"{name}[{i}]", f"expected a finite number, got {value!r}")
        checked.append(number)
    return checked


def finite_number(value: object) -> float | None:
    """``value`` as a float if it is a finite real number (not a bool), else None.

    Converted here, once, so that the formulas do float arithmetic exactly as NumPy
    does on the same values, and an integer too large for a float is refused rather
    than overflowing mid-formula.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _count(value: object, name: str) -> int:
    if not isinstance(value, int) or finite_number(value) is None or value < 0:
        raise ValidationError(name, f"expected a whole number >= 0, got {value!r}")
    return value


def percent(part: float, whole: float) -> float | None:
    """``part`` as a percentage of ``whole``; None when ``whole`` is 0."""
    for name, value in (("part", part), ("whole", whole)):
        if finite_number(value) is None:
            raise ValidationError(name, f"expected a finite number, got {value!r}")
    return None if whole == 0 else 100.0 * part / whole


def csat_percent(scores: Iterable[int]) -> float | None:
    """CSAT %: the share of satisfied answers (4 or 5 on 1–5)."""
    checked = _scores(scores, "csat", CSAT_SCALE)
    return percent(sum(1 for s in checked if s >= 4), len(checked))


def nps_from_counts(promoters: int, detractors: int, answers: int) -> float | None:
    """NPS from counts, for aggregates that keep counts rather than every answer."""
    _count(promoters, "promoters")
    _count(detractors, "detractors")
    if _count(answers, "answers") < promoters + detractors:
        raise ValidationError(
            "answers", f"fewer answers ({answers}) than promoters and detractors ({promoters + detractors})"
        )
    if answers == 0:
        return None
    return 100.0 * (promoters - detractors) / answers


def nps(scores: Iterable[int]) -> float | None:
    """Net Promoter Score: % of 9–10 answers minus % of 0–6 answers."""
    checked = _scores(scores, "nps", NPS_SCALE)
    promoters = sum(1 for s in checked if s >= 9)
    detractors = sum(1 for s in checked if s <= 6)
    return nps_from_counts(promoters, detractors, len(checked))


def ces_mean(scores: Iterable[int]) -> float | None:
    """Customer Effort Score: the mean answer on 1–7, where 7 means "very easy"."""
    checked = _scores(scores, "ces", CES_SCALE)
    return sum(checked) / len(checked) if checked else None


def ces_share_high(scores: Iterable[int]) -> float | None:
    """The share of effort answers of 5 or more (the customer found it easy), as a %."""
    checked = _scores(scores, "ces", CES_SCALE)
    return percent(sum(1 for s in checked if s >= 5), len(checked))


def mean(values: Iterable[float]) -> float | None:
    checked = _numbers(values, "values")
    return math.fsum(checked) / len(checked) if checked else None


def quantile(values: Iterable[float], q: float) -> float | None:
    """The ``q`` quantile (0–1) by linear interpolation between closest ranks.

    The same definition as NumPy's and pandas' default, so figures agree with a
    notebook that recomputes them.
    """
    if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 <= q <= 1:
        raise ValidationError("q", f"expected a number from 0 to 1, got {q!r}")
    return _quantile(sorted(_numbers(values, "values")), q)


def _quantile(ordered: Sequence[float], q: float) -> float | None:
    if not ordered:
        return None
    last = len(ordered) - 1
    position = last * q
    low = min(math.floor(position), last)
    high = min(low + 1, last)
    return _lerp(ordered[low], ordered[high], position - low)


def _lerp(a: float, b: float, t: float) -> float:
    """``a`` to ``b`` by ``t``, rounded exactly as NumPy's quantiles round it.

    NumPy steps back from ``b`` when ``t`` is 0.5 or more, which rounds differently
    from always stepping up from ``a`` (``p90([14889.0, 94990.0])`` would end in
    ...0000001); doing the same keeps a figure equal to a notebook's to the last bit.
    """
    step = b - a
    return b - step * (1 - t) if t >= 0.5 else a + step * t


def median(values: Iterable[float]) -> float | None:
    return quantile(values, 0.5)


def p90(values: Iterable[float]) -> float | None:
    """The 90th percentile: nine in ten values are at most this."""
    return quantile(values, 0.9)


@define(frozen=True)
class Durations:
    """Count, median, 90th percentile and mean of some durations (None when there are none)."""

    count: int
    median: float | None
    p90: float | None
    mean: float | None

    @classmethod
    def of(cls, values: Iterable[float]) -> Durations:
        """All four in one sort, for the long sample lists of a large report (none when
        the values are :class:`SortedSamples` already)."""
        ordered: Sequence[float] = (
            values if type(values) is SortedSamples else sorted(_numbers(values, "values"))
        )
        average = _sum(ordered) / len(ordered) if ordered else None
        return cls(len(ordered), _quantile(ordered, 0.5), _quantile(ordered, 0.9), average)


def _sum(values: Sequence[float]) -> float:
    """:func:`math.fsum` of ``values``; that of a long array of durations from numpy (below
    :data:`_EXACT_FROM` values, numpy's calls cost more than ``fsum``'s loop)."""
    if type(values) is SortedSamples and len(values) >= _EXACT_FROM:
        fast = exact_sum(values)
        if fast is not None:
            return fast
    return math.fsum(values)


_EXACT_FROM = 2048


class SortedSamples(array):  # type: ignore[type-arg]
    """Finite durations in ascending order, as the aggregator hands them on: the
    formulas read them as they are instead of checking and sorting a million again."""

    @classmethod
    def of(cls, values: Iterable[float]) -> SortedSamples:
        """``values`` (finite, as every duration the aggregator derives is) sorted."""
        if type(values) is array and values.typecode == "d":
            return cls.joined((values,))
        return cls("d", sorted(values))

    @classmethod
    def joined(cls, parts: Sequence[array[float]]) -> SortedSamples:
        """The samples of every part (arrays of finite floats) end to end, sorted; runs
        that are sorted already, such as several groups' samples, merge fast."""
        fast = sorted_floats(parts)
        if fast is None:
            return cls("d", sorted(chain.from_iterable(parts)))
        samples = cls("d")
        samples.frombytes(fast)
        return samples


# -- targets -----------------------------------------------------------------------------------

Status = Literal["met", "near", "act_now"]


def _finite(_inst: object, attr: object, value: float) -> None:
    if finite_number(value) is None:
        raise ValidationError(getattr(attr, "name", "target"), f"expected a finite number, got {value!r}")


def _flag(_inst: object, attr: object, value: bool) -> None:
    # A string such as "no" is truthy: accepting it would judge the figure the wrong way round.
    if not isinstance(value, bool):
        raise ValidationError(getattr(attr, "name", "target"), f"expected True or False, got {value!r}")


def _margin(inst: object, attr: object, value: float) -> None:
    _finite(inst, attr, value)
    if value < 0:
        raise ValidationError("near", f"expected a margin >= 0, got {value!r}")


@define(frozen=True)
class Target:
    """A goal for one figure: met on the right side of ``goal``; "near" within ``near`` of
    it on the wrong side; beyond that, act now."""

    goal: float = field(validator=_finite)
    near: float = field(validator=_margin)
    higher_is_better: bool = field(default=True, validator=_flag)

    def judge(self, value: float | None) -> Status | None:
        """``met``, ``near`` or ``act_now``; None when there is no figure to judge."""
        if value is None:
            return None
        if finite_number(value) is None:
            raise ValidationError("value", f"expected a finite number or None, got {value!r}")
        shortfall = self.goal - value if self.higher_is_better else value - self.goal
        if shortfall <= 0:
            return "met"
        return "near" if shortfall <= self.near else "act_now"


def _target(_inst: object, attr: object, value: object) -> None:
    if not isinstance(value, Target):
        raise ValidationError(getattr(attr, "name", "target"), f"expected a Target, got {value!r}")


@define(frozen=True)
class Targets:
    """What good looks like, one :class:`Target` per reported figure.

    The defaults follow common industry benchmarks: CSAT of 80 % or more (typical
    results run 75–85 %); NPS of +30 or more (above 0 is positive, above +50 excellent);
    CES of 5 or more on the 1–7 ease scale; first response within an hour on digital
    channels; resolution within a day; FCR of 70 % or more (the industry average is
    about 70 %); reopens under 5 %; at most 0.3 handoffs per journey; and customers
    repeating themselves after at most 5 % of handoffs (the ideal is none).
    """

    csat: Target = field(default=Target(80.0, 5.0), validator=_target)
    nps: Target = field(default=Target(30.0, 10.0), validator=_target)
    ces: Target = field(default=Target(5.0, 0.5), validator=_target)
    first_response_s: Target = field(
        default=Target(3600.0, 1800.0, higher_is_better=False), validator=_target
    )
    resolution_s: Target = field(default=Target(86400.0, 43200.0, higher_is_better=False), validator=_target)
    fcr: Target = field(default=Target(70.0, 5.0), validator=_target)
    reopen_rate: Target = field(default=Target(5.0, 5.0, higher_is_better=False), validator=_target)
    handoffs: Target = field(default=Target(0.3, 0.2, higher_is_better=False), validator=_target)
    repeat_rate: Target = field(default=Target(5.0, 10.0, higher_is_better=False), validator=_target)
