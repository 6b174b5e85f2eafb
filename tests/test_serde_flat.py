"""The generated flat encoders give exactly what cattrs alone gives, for every record they serve."""

from __future__ import annotations

import json

import attrs
from hypothesis import given
from hypothesis import strategies as st

from handoff import serde
from handoff.models import Contact, Handoff, Interaction, Journey, Notification
from tests import strategies as s

REFERENCE = serde._reference()


@given(
    st.one_of(s.journeys, s.interactions, s.contacts, s.notifications, s.links, s.facts, s.lines, s.handoffs)
)
def test_a_flat_encoding_equals_the_cattrs_encoding(record: object) -> None:
    flat = serde.to_dict(record)
    assert flat == REFERENCE.unstructure(record)
    assert json.dumps(flat) == json.dumps(REFERENCE.unstructure(record))
    assert serde.to_json(record) == serde._COMPACT.encode(REFERENCE.unstructure(record))
    assert serde.to_json(record) == serde.to_json(record)  # the kept text of its tuples too


@given(s.handoffs)
def test_a_handoff_round_trips_through_its_flat_encoding(handoff: Handoff) -> None:
    assert serde.from_json(Handoff, serde.to_json(handoff)) == handoff


@given(s.journeys)
def test_a_journey_round_trips_through_its_flat_encoding(journey: Journey) -> None:
    assert serde.from_json(Journey, serde.to_json(journey)) == journey


@given(s.journeys, st.lists(s.path_steps, max_size=3))
def test_a_kept_text_follows_the_tuple_not_the_journey(journey: Journey, steps: list[object]) -> None:
    first = serde.to_json(journey)
    moved = attrs.evolve(journey, path=(*journey.path, *steps))  # a new tuple: encoded afresh
    assert serde.to_json(moved) == serde._COMPACT.encode(REFERENCE.unstructure(moved))
    assert serde.to_json(journey) == first


def test_the_hot_records_are_flat() -> None:
    for cls in (Journey, Interaction, Contact, Notification, Handoff):
        hook = serde._converter.get_unstructure_hook(cls)
        assert hook.__name__ == f"unstructure_{cls.__name__}"
