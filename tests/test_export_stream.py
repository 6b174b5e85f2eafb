"""Streamed exports and paged histories: bounded reads of a long history, and a reader of
export lines that refuses anything else with a ValidationError naming the line."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import FixedClock, Inbound, NotFound, Switchboard, ValidationError
from handoff.privacy import EXPORT_LINES_FORMAT, EXPORT_VERSION, read_export_lines

T0 = datetime(2025, 2, 3, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["memory", "sqlite"])
def board(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Switchboard]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'stream.db'}"
    with Switchboard.open(url, clock=FixedClock(T0)) as made:
        yield made


def _history(board: Switchboard, n: int) -> tuple[str, str]:
    outcome = None
    for i in range(n):
        outcome = board.receive(
            Inbound(
                channel=("chat", "email")[i % 2],
                identity="email:ana@example.com",
                body=f"message {i}",
                # Out of time order now and then: a page is in recorded order.
                at=T0 + timedelta(minutes=i if i % 7 else i + 30),
                external_id=f"m-{i}",
            )
        )
        if i == 3:
            board.reply(
                outcome.journey.id, agent="agent-7", body="On it", at=T0 + timedelta(minutes=3, seconds=30)
            )
    assert outcome is not None
    return outcome.contact.id, outcome.journey.id


def test_write_export_reads_back_as_the_stored_records(board: Switchboard) -> None:
    contact_id, _ = _history(board, 12)
    out = io.StringIO()
    count = board.write_export(contact_id, out)
    lines = out.getvalue().splitlines()
    assert len(lines) == count
    assert json.loads(lines[0]) == {"format": EXPORT_LINES_FORMAT, "version": EXPORT_VERSION}
    assert read_export_lines(lines) == board.store.contact_records(contact_id)
    assert read_export_lines(io.StringIO(out.getvalue())) == board.store.contact_records(contact_id)


def test_write_export_of_an_unknown_contact_writes_nothing(board: Switchboard) -> None:
    out = io.StringIO()
    with pytest.raises(NotFound):
        board.write_export("ct_missing", out)
    assert out.getvalue() == ""
    with pytest.raises(ValidationError) as caught:
        board.write_export("ct_missing", 42)  # type: ignore[arg-type]
    assert caught.value.field == "out"


def test_write_export_to_a_binary_file_is_refused(board: Switchboard) -> None:
    contact_id, _ = _history(board, 2)
    with pytest.raises(ValidationError) as caught:
        board.write_export(contact_id, io.BytesIO())  # type: ignore[arg-type]
    assert caught.value.field == "out"


@given(after=st.integers(0, 25), limit=st.integers(0, 12))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_history_pages_are_slices_in_recorded_order(board: Switchboard, after: int, limit: int) -> None:
    journeys = board.store.active_journeys()
    if not journeys:
        _history(board, 20)
        journeys = board.store.active_journeys()
    journey_id = journeys[0].id
    everything = sorted(board.history(journey_id), key=lambda i: i.sequence)
    page = board.history(journey_id, after=after, limit=limit)
    assert page == [i for i in everything if i.sequence > after][:limit]


def test_paging_through_a_history_gives_every_interaction_once(board: Switchboard) -> None:
    _, journey_id = _history(board, 23)
    seen, after = [], 0
    while page := board.history(journey_id, after=after, limit=5):
        seen += page
        after = page[-1].sequence
    assert seen == sorted(board.history(journey_id), key=lambda i: i.sequence)
    assert [i.sequence for i in board.history(journey_id, limit=3)] == [1, 2, 3]


@pytest.mark.parametrize(("arguments", "field"), [({"after": -1}, "after"), ({"limit": "3"}, "limit")])
def test_bad_pages_are_refused_naming_the_argument(
    board: Switchboard, arguments: dict[str, object], field: str
) -> None:
    _, journey_id = _history(board, 2)
    with pytest.raises(ValidationError) as caught:
        board.history(journey_id, **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


# -- a reader of untrusted lines ----------------------------------------------------------------


def _valid_lines() -> list[str]:
    with Switchboard.open("memory://", clock=FixedClock(T0)) as board:
        contact_id, _ = _history(board, 4)
        out = io.StringIO()
        board.write_export(contact_id, out)
    return out.getvalue().splitlines()


VALID = _valid_lines()
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@st.composite
def damaged_exports(draw: st.DrawFn) -> list[str]:
    lines = list(VALID)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["cut", "replace", "drop", "value", "swap"]))
        if how == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif how == "replace":
            lines[i] = draw(st.text(max_size=40))
        elif how == "drop" and len(lines) > 1:
            del lines[i]
        elif how == "value":
            line = json.loads(VALID[min(i, len(VALID) - 1)])
            target = line.get("data", line)
            if isinstance(target, dict) and target:
                key = draw(st.sampled_from(sorted(target)))
                target[key] = draw(json_values)
            lines[i] = json.dumps(line)
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return lines


@given(st.one_of(damaged_exports(), st.lists(st.text(max_size=60), max_size=5)))
@settings(max_examples=300, deadline=None)
def test_read_export_lines_refuses_damage_with_a_validation_error(lines: list[str]) -> None:
    result: object
    try:
        result = read_export_lines(lines)
    except ValidationError as exc:
        result = exc
    if isinstance(result, ValidationError):
        assert result.field  # names the line or field at fault
