"""SLA breach rates: hand-counted, and the same from every backend."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from handoff import FixedClock, Inbound, SeededIds, Switchboard, ValidationError
from handoff.metrics import SLA_DIMENSIONS, SlaReport, sla_breaches
from tests.pgserver import BACKENDS, backend_url

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)
MARCH = (datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 4, 1, tzinfo=timezone.utc))


def _week(board: Switchboard) -> None:
    """Four journeys: one answered in time, one late, one urgent and late, and one moved to
    phone, then to e-mail, and late (it belongs to the queue of its last routed handoff)."""

    def start(n: int, **kw: object) -> str:
        identity = f"email:c{n}@example.com"
        return board.receive(
            Inbound(channel="chat", identity=identity, body="Order late", at=T0 + timedelta(minutes=n)),
            **kw,  # type: ignore[arg-type]
        ).journey.id

    on_time = start(0)
    board.reply(on_time, agent="alice", body="Here", at=T0 + timedelta(minutes=10))
    start(1)
    start(2, priority="urgent")
    moved = start(3)
    board.link(board.journey(moved).contact_id, "phone:+14155550199")
    board.transfer(moved, to_channel="phone", reason="escalation", by="alice", at=T0 + timedelta(minutes=4))
    board.transfer(moved, to_channel="email", reason="convenience", by="bob", at=T0 + timedelta(minutes=6))
    board.tick(T0 + timedelta(hours=2))


def _report(url: str, by: tuple[str, ...]) -> SlaReport:
    with Switchboard.open(url, clock=FixedClock(T0), ids=SeededIds(5)) as board:
        _week(board)
        return sla_breaches(board.store, *MARCH, by=by)


def test_breach_rates_by_priority_and_queue_are_hand_counted() -> None:
    report = _report("memory://", ("priority", "queue"))
    rows = {row.key: (row.journeys, row.breached["first_response"]) for row in report.rows}
    assert rows == {("normal", "none"): (2, 1), ("normal", "email"): (1, 1), ("urgent", "none"): (1, 1)}
    assert (report.total.journeys, report.total.rate("first_response")) == (4, 0.75)
    assert report.total.rate("resolution") == 0.0
    records = report.to_records()
    assert records[-1] == {
        "priority": "total",
        "queue": "total",
        "journeys": 4,
        "first_response_breach_rate": 0.75,
        "next_response_breach_rate": 0.0,
        "resolution_breach_rate": 0.0,
    }
    assert "urgent    none" in report.render()


@pytest.mark.parametrize("backend", ["sqlite", *BACKENDS])
def test_every_backend_gives_the_memory_figures(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = backend_url(request, backend) if backend in BACKENDS else f"sqlite:///{tmp_path / 'm.db'}"
    for by in (SLA_DIMENSIONS, ("channel",), ("week",)):
        assert _report(url, by) == _report("memory://", by)


def test_bad_arguments_name_the_field() -> None:
    with Switchboard.open("memory://", clock=FixedClock(T0)) as board:
        for kwargs, field in (({"by": ("team",)}, "by"), ({"by": "channel"}, "by")):
            with pytest.raises(ValidationError) as raised:
                sla_breaches(board.store, *MARCH, **kwargs)  # type: ignore[arg-type]
            assert raised.value.field == field
        with pytest.raises(ValidationError) as raised:
            sla_breaches(board.store, MARCH[1], MARCH[0])
        assert raised.value.field == "end"
        empty = sla_breaches(board.store, *MARCH)
        assert empty.rows == () and empty.total.rate("first_response") is None
        with pytest.raises(ValidationError) as raised:
            empty.total.rate("speed")
        assert raised.value.field == "target"
