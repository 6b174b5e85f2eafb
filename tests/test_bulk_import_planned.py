"""A batch's merged changesets count as planned (checked lightly by the store) only when
every changeset they merge was planned by the write path."""

from __future__ import annotations

from attrs import evolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.flow.bulk.coalesce import coalesce
from handoff.flow.bulk.overlay import Overlay
from handoff.flow.run import Flow
from handoff.identity import parse_identity
from handoff.stores import MemoryStore
from handoff.stores._planned import vouched
from tests.test_bulk_import import _board, _events, _history


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=_events, copied=st.integers(0, 30))
def test_a_merged_changeset_is_planned_when_all_it_merges_was(
    events: list[tuple[int, int, int, bool]], copied: int
) -> None:
    board = _board(MemoryStore())
    overlay = Overlay(board.store)
    flow = Flow(overlay, board.policy, board.ids, notify=False)
    for inbound in _history(events):
        flow.receive(inbound, parse_identity(inbound.identity), board.clock.now())
    planned = overlay.changes
    assert planned and all(vouched(change) for change in planned)
    assert all(vouched(change) for change in coalesce(planned))

    copy = copied % len(planned)  # a copy of a planned changeset is not planned
    changes = [evolve(change) if n == copy else change for n, change in enumerate(planned)]
    merged = coalesce(changes)
    outsider = changes[copy]
    carriers = [c for c in merged if c is outsider or set(outsider.interactions) & set(c.interactions)]
    assert carriers and not any(vouched(c) for c in carriers)
    assert any(c is outsider for c in merged) or vouched(outsider) is False
    untouched = [c for c in merged if any(c is p for p in planned) and c is not outsider]
    assert all(vouched(c) for c in untouched)
