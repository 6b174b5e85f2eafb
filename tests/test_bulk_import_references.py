"""A batched import and a journey reference already taken: that inbound is planned again,
as ``receive`` plans it again when the store refuses the reference, not the whole batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import FixedClock, SeededIds, Switchboard
from handoff.stores import Changeset, MemoryStore, Store
from tests.test_bulk_import import T0, _events, _everything, _history, _inbound, _PlainStore


class _FewReferences:
    """Seeded ids whose first references are drawn from a short list, so they collide."""

    def __init__(self, references: Sequence[str], seed: int = 7) -> None:
        self.inner = SeededIds(seed)
        self.references = list(references)

    def new_id(self, prefix: str) -> str:
        return self.inner.new_id(prefix)

    def new_reference(self) -> str:
        return self.references.pop(0) if self.references else self.inner.new_reference()


class _Counting(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[Sequence[Changeset]] = []

    def commit_many(self, changes: Sequence[Changeset]) -> None:
        self.batches.append(changes)
        super().commit_many(changes)


def _board(store: Store, references: Sequence[str], seed: int = 7) -> Switchboard:
    ids = _FewReferences(references, seed)
    return Switchboard(store, clock=FixedClock(T0 + timedelta(days=400)), ids=ids)


_REFERENCES = st.lists(st.sampled_from(["J-AAAAA", "J-BBBBB", "J-CCCCC"]), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=_events, batch_size=st.integers(1, 6), references=_REFERENCES, taken=st.booleans())
def test_a_taken_reference_is_drawn_again_as_one_by_one_receives_draw_it(
    events: list[tuple[int, int, int, bool]], batch_size: int, references: list[str], taken: bool
) -> None:
    inbounds = _history(events)
    reference, batched = _PlainStore(), _Counting()
    if taken:  # a journey stored before the import holds the first reference
        for store in (reference.inner, batched):
            board = _board(store, references[:1] or ["J-AAAAA"], seed=8)  # ids of its own
            board.receive(_inbound(99, 5, external_id="before"))
    expected = _board(reference, references).receive_many(inbounds, notify=False)
    got = _board(batched, references).receive_many(inbounds, batch_size=batch_size, notify=False)

    assert got == expected
    contacts = [o.contact.id for o in expected]
    assert _everything(batched, contacts) == _everything(reference.inner, contacts)
    references_stored = [j.reference for j in batched.all_journeys()]
    assert len(references_stored) == len(set(references_stored))
    # Each batch was committed once: no refusal at commit planned a batch again.
    assert len(batched.batches) == -(-len(inbounds) // batch_size)
