"""Conformance: the decision log keeps each decision with the event that made it."""

from __future__ import annotations

from typing import Any

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.errors import ConcurrencyConflict, NotFound, ValidationError
from handoff.stores.base import Changeset, Store
from handoff.stores.capabilities import BulkImport
from handoff.testing._kit import KitBase, seed
from handoff.testing.factories import (
    T0,
    append_changeset,
    make_contact,
    make_decision,
    make_journey,
    new_id,
)

# Opaque to the store: whatever JSON a policy writes must come back as it was.
_DATA = {
    "rules": [{"rule": "quiet_hours", "fired": False, "why": "22:00–07:00 in Europe/Ljubljana ✓"}],
    "score": 0.75,
    "nested": {"empty": {}, "list": [], "none": None, "flag": True},
}

_text = st.text(st.characters(codec="utf-8"), max_size=20)
_json: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)


class DecisionConformance(KitBase):
    def test_decisions_commit_with_the_event(self, store: Store) -> None:
        _, journey = seed(store)
        change = append_changeset(journey)
        assert change.journey is not None
        decision = make_decision(change.journey, data=_DATA)
        store.commit(evolve(change, decisions=(decision,)))
        assert store.get_decision(decision.id) == decision
        assert store.get_decision(decision.id).data == _DATA

    def test_any_json_data_round_trips(self, store: Store) -> None:
        _, journey = seed(store)

        # Hypothesis runs inside the test: the kit's methods are shared by many classes.
        @settings(max_examples=40, deadline=None)
        @given(data=st.dictionaries(_text, _json, max_size=4))
        def round_trip(data: dict[str, Any]) -> None:
            decision = make_decision(journey, data=data)
            store.commit(Changeset(decisions=(decision,)))
            assert store.get_decision(decision.id).data == data

        round_trip()

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"when": T0}, "decisions[0].data.when"),
            ({"score": float("nan")}, "decisions[0].data.score"),
            ({"rules": [1, ("a", "b")]}, "decisions[0].data.rules[1]"),
            ({"by_number": {1: "one"}}, "decisions[0].data.by_number"),
        ],
    )
    def test_data_json_cannot_carry_is_refused(self, store: Store, data: dict[str, Any], field: str) -> None:
        self.require("validates_input")
        _, journey = seed(store)
        decision = make_decision(journey, data=data)
        with pytest.raises(ValidationError) as caught:
            store.commit(Changeset(decisions=(decision,)))
        assert caught.value.field == field
        with pytest.raises(NotFound):
            store.get_decision(decision.id)

    def test_a_taken_decision_id_refuses_the_whole_event(self, store: Store) -> None:
        _, journey = seed(store)
        decision = make_decision(journey)
        store.commit(Changeset(decisions=(decision,)))
        change = append_changeset(journey, external_id=new_id("msg"))
        copy = evolve(decision, data={"other": 1})
        with pytest.raises(ConcurrencyConflict):
            store.commit(evolve(change, decisions=(copy,)))
        assert store.get_decision(decision.id) == decision
        assert store.get_journey(journey.id) == journey
        assert store.interactions(journey.id) == []

    def test_unknown_decisions_and_journeys_are_not_found(self, store: Store) -> None:
        with pytest.raises(NotFound):
            store.get_decision("dc_missing")
        self.require("validates_input")
        stray = make_decision(make_journey(make_contact()))
        with pytest.raises(NotFound):
            store.commit(Changeset(decisions=(stray,)))
        with pytest.raises(NotFound):
            store.get_decision(stray.id)

    def test_a_batch_logs_decisions_all_or_nothing(self, store: Store) -> None:
        if not isinstance(store, BulkImport):
            pytest.skip(f"{type(store).__name__} is not a BulkImport")
        contact = make_contact()
        journey = make_journey(contact)
        first = make_decision(journey)
        later = append_changeset(journey)
        assert later.journey is not None
        good = [
            Changeset(contact=contact, journey=journey, decisions=(first,)),
            evolve(later, decisions=(make_decision(later.journey),)),
        ]
        store.commit_many(good)
        assert [store.get_decision(d.id) for c in good for d in c.decisions] == [
            d for c in good for d in c.decisions
        ]
        other = make_contact()
        other_journey = make_journey(other)
        repeated = make_decision(other_journey)
        with pytest.raises(ConcurrencyConflict):
            store.commit_many(
                [
                    Changeset(contact=other, journey=other_journey, decisions=(repeated,)),
                    Changeset(decisions=(evolve(repeated, data={"again": True}),)),
                ]
            )
        with pytest.raises(NotFound):
            store.get_decision(repeated.id)
        with pytest.raises(NotFound):
            store.get_contact(other.id)
