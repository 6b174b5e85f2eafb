"""A batch of tallies folded by columns gives the figures its tallies give one at a time.

A SQL store hands a report its journeys without handoffs as columns
(:class:`~handoff.stores.sql._columns.TallyColumns`), which the fold reads with numpy;
here both are made from the same generated rows of the metrics read (a journey's row
and its history's) and folded into every slicing of a report.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.metrics import BusinessCalendar
from handoff.metrics._fold import fold
from handoff.metrics._vector import enabled
from handoff.metrics.aggregate import Aggregator
from handoff.stores.sql._columns import TallyColumns, columns
from handoff.stores.sql._metrics import _tally

pytestmark = pytest.mark.skipif(not enabled(), reason="columns are folded with numpy")

T0 = 1_741_600_000_000_000  # 2025-03-10, UTC microseconds
END = datetime(2025, 3, 20, tzinfo=timezone.utc)
END_US = 1_742_428_800_000_000
WINDOW = 3 * 86_400_000_000
CHANNELS = ["chat", "email", "phone"]
HOURS = BusinessCalendar.weekly("Europe/Madrid", {"mon-fri": "09:00-17:00"}, holidays=[date(2025, 3, 19)])
SLICES = [("channel",), ("agent",), ("week", "channel"), ("path", "reason", "queue"), ()]


def _iso(us: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=us)).isoformat()


@st.composite
def journey(draw: st.DrawFn, number: int) -> tuple[tuple[Any, ...], tuple[Any, ...] | None]:
    """A journey's row and its history's as the metrics read gives them."""
    jid = f"jr_{number:04d}"
    opened = T0 + draw(st.integers(0, 9 * 86_400_000_000))
    letters = draw(st.text("car", max_size=8))
    at, instants, resolutions = opened, [], []
    for letter in letters:
        at += draw(st.integers(0, 30 * 3_600_000_000))  # ties and nights, weekends, DST
        if letter == "r":
            resolutions.append(f"{at} {draw(st.sampled_from(CHANNELS))}")
        else:
            instants.append(str(at))
    edge = st.just(END_US)  # the period's end: no backlog
    resolved = draw(st.one_of(st.none(), st.integers(opened - 1, at + 1), edge))
    csat = st.sampled_from(["1", "3", "4", "5"])
    nps = st.sampled_from([None, "0", "6", "7", "8", "9", "10"])
    ces = st.sampled_from([None, "4", "5", "7"])
    answers = st.tuples(csat, nps, ces)
    surveys = draw(st.lists(answers, max_size=2))
    comeback = None
    if resolved is not None and draw(st.booleans()):
        comeback = resolved + WINDOW + draw(st.sampled_from([-1, 0, 1, -WINDOW - 1, -WINDOW]))
    entry = draw(st.sampled_from([*CHANNELS, None]))
    row = (
        jid,
        opened,
        entry,
        draw(st.sampled_from(CHANNELS)),
        None if resolved is None else _iso(resolved),
        draw(st.sampled_from([None, 0, 1, 2])),
        draw(st.sampled_from([None, "ana", "bo"])),
        draw(st.sampled_from(CHANNELS)) if entry is None else None,
        comeback,
        1,
    )
    if not letters and not surveys and draw(st.booleans()):
        return row, None  # a journey without interactions
    history = (
        jid,
        letters,
        ",".join(instants) or None,
        "\x1f".join(resolutions) or None,
        "\x1e".join(f"in_{number}_{k} {json.dumps(list(given))}" for k, given in enumerate(surveys)) or None,
        draw(st.sampled_from([None, "cy", "dee"])),
    )
    return row, history


@st.composite
def journeys(draw: st.DrawFn) -> list[tuple[tuple[Any, ...], tuple[Any, ...] | None]]:
    return [draw(journey(number)) for number in range(draw(st.integers(0, 12)))]


@settings(max_examples=150, deadline=None)
@given(journeys(), st.sampled_from(SLICES), st.booleans(), st.integers(1, 5))
def test_columns_fold_as_their_tallies(
    rows: list[tuple[tuple[Any, ...], tuple[Any, ...] | None]], by: tuple[str, ...], hours: bool, batch: int
) -> None:
    worktime = HOURS.worktime() if hours else None
    one_by_one = Aggregator(by, end=END, week_zone=HOURS.zone)
    fold(one_by_one, [_tally(row, history, None) for row, history in rows], worktime, WINDOW)  # type: ignore[arg-type]
    by_columns = Aggregator(by, end=END, week_zone=HOURS.zone)
    batches: list[TallyColumns] = [columns(rows[k : k + batch]) for k in range(0, len(rows), batch)]
    fold(by_columns, batches, worktime, WINDOW)
    assert by_columns.totals() == one_by_one.totals()
