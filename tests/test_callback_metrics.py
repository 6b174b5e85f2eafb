"""Callback figures: scheduled, kept and missed per channel, agent and week, worked by
hand, the same from every backend, and in ``handoff kpis``."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from handoff import FixedClock, Inbound, SeededIds, Switchboard, ValidationError
from handoff.cli import main
from handoff.metrics import CallbackRow, callback_figures
from tests.pgserver import BACKENDS, backend_url

UTC = timezone.utc
T0 = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # Tuesday, 10:00 in New York
WEEK = timedelta(days=7)


@pytest.fixture(params=["memory", "sqlite", *BACKENDS])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param in BACKENDS:
        return backend_url(request, request.param)
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'figures.db'}"


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _day_of_callbacks(board: Switchboard, clock: FixedClock) -> None:
    """Week 11: bob keeps one and misses one (tick), alice keeps one, one unassigned is
    cancelled; week 12: alice has one still scheduled."""
    out = board.receive(Inbound(channel="sms", identity="phone:+14155550100", body="Call me", at=T0))
    board.update_contact(out.contact.id, timezone="America/New_York")
    journey = out.journey.id
    kept = board.schedule_callback(journey, _at(10, 15), agent="bob").callback
    missed = board.schedule_callback(journey, _at(10, 16), agent="bob").callback
    alice = board.schedule_callback(journey, _at(11, 15), agent="alice").callback
    dropped = board.schedule_callback(journey, _at(12, 15)).callback
    board.schedule_callback(journey, _at(17, 15), agent="alice")
    assert kept and missed and alice and dropped
    clock.set(_at(10, 15, 5))
    board.record_callback(kept.id, reached=True)
    board.tick(_at(10, 16, 30))
    clock.set(_at(11, 15, 2))
    board.record_callback(alice.id, reached=True)
    board.cancel_callback(dropped.id)


@pytest.fixture
def board(url: str) -> Iterator[Switchboard]:
    clock = FixedClock(T0)
    with Switchboard.open(url, clock=clock, ids=SeededIds(2)) as opened:
        _day_of_callbacks(opened, clock)
        yield opened


def test_callbacks_per_agent_and_week_by_hand(board: Switchboard) -> None:
    report = callback_figures(board.store, _at(9, 0), _at(9, 0) + 2 * WEEK, by=("agent", "week"))
    assert report.rows == (
        CallbackRow(("alice", "2026-W11"), scheduled=1, kept=1),
        CallbackRow(("alice", "2026-W12"), scheduled=1, open=1),
        CallbackRow(("bob", "2026-W11"), scheduled=2, kept=1, missed=1),
        CallbackRow(("unassigned", "2026-W11"), scheduled=1, cancelled=1),
    )
    assert report.total == CallbackRow((), scheduled=5, kept=2, missed=1, cancelled=1, open=1)
    assert report.total.kept_rate == pytest.approx(200 / 3)
    assert report.rows[1].kept_rate is None
    by_channel = callback_figures(board.store, _at(9, 0), _at(16, 0))
    assert by_channel.to_records() == [
        {
            "channel": "phone",
            "scheduled": 4,
            "kept": 2,
            "missed": 1,
            "cancelled": 1,
            "open": 0,
            "kept_rate": pytest.approx(200 / 3),
        }
    ]
    assert by_channel.render().splitlines() == [
        "channel  scheduled  kept  missed  cancelled  open  kept_rate",
        "phone    4          2     1       1          0     67%",
        "total    4          2     1       1          0     67%",
    ]


def test_callback_figures_refuse_an_unknown_dimension(board: Switchboard) -> None:
    with pytest.raises(ValidationError) as caught:
        callback_figures(board.store, _at(9, 0), _at(16, 0), by=("path",))
    assert caught.value.field == "by"


def test_handoff_kpis_shows_the_callbacks(tmp_path: Path) -> None:
    db = tmp_path / "support.db"
    clock = FixedClock(T0)
    with Switchboard.open(f"sqlite:///{db}", clock=clock, ids=SeededIds(2)) as made:
        _day_of_callbacks(made, clock)
    out = io.StringIO()
    assert (
        main(
            ["kpis", "--db", str(db), "--from", "2026-03-09", "--to", "2026-03-15", "--by", "agent"],
            stream=out,
        )
        == 0
    )
    text = out.getvalue()
    assert text.split("Callbacks\n", 1)[1].splitlines() == [
        "agent       scheduled  kept  missed  cancelled  open  kept_rate",
        "alice       1          1     0       0          0     100%",
        "bob         2          1     1       0          0     50%",
        "unassigned  1          0     0       1          0     —",
        "total       4          2     1       1          0     67%",
    ]
    out = io.StringIO()
    argv = ["kpis", "--db", str(db), "--from", "2026-03-09", "--to", "2026-03-15", "--format", "json"]
    assert main(argv, stream=out) == 0
    data = json.loads(out.getvalue())
    assert data["callbacks"]["total"]["kept"] == 2
    assert data["callbacks"]["rows"][0]["channel"] == "phone"
