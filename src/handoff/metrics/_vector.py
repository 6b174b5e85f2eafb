"""The array loops of a large report, done by numpy when it is installed.

A year's report turns over a million waits into seconds and sorts a few million
samples for its medians; in Python those loops are a third of a report read from kept
tallies. With numpy (``pip install 'channel-handoff[fast]'``) they run as array operations.
Every function here gives results bit for bit equal to the plain loops it replaces:
the same integer arithmetic on microseconds, the same single division by a million,
the same stable sort. Without numpy each returns None and the caller runs its loop.
"""

from __future__ import annotations

import importlib
from array import array
from collections.abc import Sequence
from typing import Any

__all__ = [
    "bounds",
    "business_seconds",
    "calendar_seconds",
    "enabled",
    "exact_sum",
    "sorted_floats",
    "wait_pairs",
]

_numpy: Any = None
_looked = False


def enabled() -> bool:
    """Whether numpy is installed (imported on the first call, not with the package)."""
    global _numpy, _looked
    if not _looked:
        try:
            _numpy = importlib.import_module("numpy")
        except ImportError:
            _numpy = None
        _looked = True
    return _numpy is not None


def bounds(values: array[int]) -> tuple[int, int] | None:
    """The least and the greatest of ``values`` (an ``array("q")``, not empty). None
    without numpy."""
    if not enabled():
        return None
    at = _numpy.frombuffer(values, dtype=_numpy.int64)
    return int(at.min()), int(at.max())


def business_seconds(
    pairs: array[int], opens: Sequence[int], closes: Sequence[int], base: Sequence[int]
) -> array[float] | None:
    """Working seconds of flat (start, end) pairs of UTC microseconds, from a table of
    openings (``base[i] + min(t, closes[i])``: working time before an instant t in
    opening i). None without numpy."""
    if not enabled():
        return None
    np = _numpy
    seconds = array("d")
    if not pairs:
        return seconds
    instants = np.frombuffer(pairs, dtype=np.int64)
    starts, ends = instants[0::2], instants[1::2]
    if len(opens):
        table_opens = np.asarray(opens, dtype=np.int64)
        table_closes = np.asarray(closes, dtype=np.int64)
        table_base = np.asarray(base, dtype=np.int64)
        total = _worked(np, ends, table_opens, table_closes, table_base)
        total -= _worked(np, starts, table_opens, table_closes, table_base)
        total[ends <= starts] = 0
    else:
        total = np.zeros(len(ends), dtype=np.int64)
    seconds.frombytes((total / 1e6).tobytes())
    return seconds


def _worked(np: Any, instants: Any, opens: Any, closes: Any, base: Any) -> Any:
    """Working microseconds before each instant (0 before the first opening)."""
    at = np.searchsorted(opens, instants, side="right") - 1
    inside = at >= 0
    at[~inside] = 0
    worked = base[at] + np.minimum(instants, closes[at])
    worked[~inside] = 0
    return worked


def calendar_seconds(pairs: array[int]) -> array[float] | None:
    """Seconds from start to end of flat (start, end) pairs; 0 where the end is not
    after the start. None without numpy."""
    if not enabled():
        return None
    np = _numpy
    seconds = array("d")
    if pairs:
        instants = np.frombuffer(pairs, dtype=np.int64)
        spans = instants[1::2] - instants[0::2]
        spans[spans < 0] = 0
        seconds.frombytes((spans / 1e6).tobytes())
    return seconds


def sorted_floats(parts: Sequence[array[float]]) -> bytes | None:
    """The floats of every part, end to end and sorted (stable), as the bytes of an
    ``array("d")``. None without numpy."""
    if not enabled():
        return None
    np = _numpy
    filled = [np.frombuffer(part, dtype=np.float64) for part in parts if len(part)]
    if not filled:
        return b""
    values = filled[0].copy() if len(filled) == 1 else np.concatenate(filled)
    values.sort(kind="stable")
    return bytes(values.tobytes())


_SCALE = 2.0**20
"""Durations are summed in units of 2**-72 s: a float from 2**-20 up is a whole number of
them once its part below 2**-20 (a multiple of 2**-72, less than 2**52 of them) is
split off."""
_FRACTION = 2.0**52
_HALF = 26
_LOW = (1 << _HALF) - 1


def exact_sum(values: array[float]) -> float | None:
    """The sum of ``values`` (an ``array("d")``) correctly rounded, as :func:`math.fsum`
    gives it, for durations: each value 0 or from 2**-20 (under a microsecond) up to
    2**32 seconds. Each is split into whole numbers of 2**-72 s, which numpy adds exactly
    in 64-bit integers (26 bits at a time, :data:`_BLOCK` values at a time, so that its
    temporary arrays stay small); Python divides the exact total once, which rounds it as
    ``fsum`` does. None without numpy, for other values, or a total of 0 (``fsum`` keeps
    the sign of a sum of negative zeros)."""
    if not enabled() or not values:
        return None
    np = _numpy
    every = np.frombuffer(values, dtype=np.float64)
    if not (every.min() >= 0 and every.max() < 2.0**32):  # NaN fails both
        return None
    high = low = 0
    for at in range(0, len(every), _BLOCK):
        scaled = every[at : at + _BLOCK] * _SCALE  # exact: a power of two
        if not ((scaled >= 1) | (scaled == 0)).all():
            return None
        whole = np.floor(scaled)
        scaled -= whole  # exact, and a whole number of 2**-52 once scaled
        scaled *= _FRACTION
        units, below = whole.astype(np.int64), scaled.astype(np.int64)
        high += (int((units >> _HALF).sum()) << _HALF) + int((units & _LOW).sum())
        low += (int((below >> _HALF).sum()) << _HALF) + int((below & _LOW).sum())
    total = (high << 52) + low
    if not total:
        return None
    return total / (1 << 72)


_BLOCK = 1 << 16


_C, _A = ord("c"), ord("a")


def wait_pairs(letters: Sequence[str], instants: Sequence[str]) -> bytes | None:
    """The waits of many conversations at once, as the bytes of an ``array("q")`` of
    flat (waiting since, reply at) pairs: each conversation's letters (``c`` a
    customer's step, ``a`` an agent's) with the comma-separated instants of its steps. A
    wait runs from the first ``c`` of a run of them to the ``a`` after it. None without
    numpy, or if the instants do not line up with the letters."""
    if not enabled() or not letters:
        return None
    np = _numpy
    # Conversations end to end, each followed by a step of neither kind ("x" at instant 0),
    # so that no run of customer steps carries over into the next conversation.
    steps = np.frombuffer("x".join(letters).encode("ascii"), dtype=np.uint8)
    at = np.fromstring(",0,".join(instants), dtype=np.int64, sep=",")
    if len(at) != len(steps):
        return None
    customer = steps == _C
    after_customer = np.zeros(len(steps), dtype=bool)
    after_customer[1:] = customer[:-1]
    starts = np.where(customer & ~after_customer, np.arange(len(steps)), -1)
    np.maximum.accumulate(starts, out=starts)  # the latest start at or before each step
    replies = np.flatnonzero((steps == _A) & after_customer)
    pairs = np.empty(2 * len(replies), dtype=np.int64)
    pairs[0::2] = at[starts[replies]]
    pairs[1::2] = at[replies]
    return bytes(pairs.tobytes())
