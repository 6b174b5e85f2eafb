"""Every model through the one converter and back, and untrusted input refused by path."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from handoff.errors import ValidationError
from handoff.events import Inbound
from handoff.models import Callback, Contact, ContextSummary, Handoff, Interaction, Journey, Notification
from handoff.serde import from_dict, from_json, to_dict, to_json

from . import strategies as s

MODELS = [
    (Contact, s.contacts),
    (Interaction, s.interactions),
    (Journey, s.journeys),
    (Handoff, s.handoffs),
    (Notification, s.notifications),
    (ContextSummary, s.summaries),
    (Callback, s.callbacks),
]


@pytest.mark.parametrize(("cls", "strategy"), MODELS, ids=[m[0].__name__ for m in MODELS])
def test_round_trip_through_json(cls: type, strategy: st.SearchStrategy[Any]) -> None:
    @settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy)
    def check(model: Any) -> None:
        assert from_json(cls, to_json(model)) == model
        assert from_dict(cls, json.loads(json.dumps(to_dict(model)))) == model

    check()


@given(s.contacts)
def test_unknown_keys_are_refused(contact: Contact) -> None:
    data = to_dict(contact)
    data["shoe_size"] = 42
    with pytest.raises(ValidationError, match="shoe_size"):
        from_dict(Contact, data)


def test_errors_name_the_path() -> None:
    data = {
        "id": "ct_1",
        "name": 5,
        "links": [
            {
                "identity": "email:a@b.co",
                "confirmed": True,
                "source": "agent",
                "linked_at": "2026-01-01T00:00:00",
            }
        ],
        "created_at": "2026-01-01T00:00:00+00:00",
    }
    with pytest.raises(ValidationError) as err:
        from_dict(Contact, data)
    message = str(err.value)
    assert "$.name" in message
    assert "$.links[0].linked_at" in message
    assert "naive" in message


@pytest.mark.parametrize("bad", ["", "{", "[]", "null", "42", '"x"', b"\xff\xfe"])
def test_garbage_json_is_a_validation_error(bad: str | bytes) -> None:
    with pytest.raises(ValidationError):
        from_json(Contact, bad)


@settings(max_examples=30, deadline=None)
@example(depth=100_000, opener="[", closed=False, as_bytes=False)
@given(
    depth=st.integers(1, 200_000),
    opener=st.sampled_from(["[", '{"a":']),
    closed=st.booleans(),
    as_bytes=st.booleans(),
)
def test_deep_nesting_is_a_validation_error(depth: int, opener: str, closed: bool, as_bytes: bool) -> None:
    """However deep the nesting, from_json refuses with ValidationError, never RecursionError."""
    closer = "]" if opener == "[" else "}"
    text = opener * depth + ("null" + closer * depth if closed else "")
    with pytest.raises(ValidationError) as caught:
        from_json(Inbound, text.encode() if as_bytes else text)
    assert caught.value.field.startswith("$")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300)
@given(st.sampled_from([m[0] for m in MODELS]), json_values)
def test_arbitrary_json_only_raises_validation_error(cls: type, value: Any) -> None:
    with contextlib.suppress(ValidationError):
        from_dict(cls, value)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(s.journeys, st.data())
def test_mutated_records_only_raise_validation_error(journey: Journey, data: st.DataObject) -> None:
    record = to_dict(journey)
    key = data.draw(st.sampled_from(sorted(record)))
    record[key] = data.draw(json_values)
    with contextlib.suppress(ValidationError):
        from_dict(Journey, record)


def test_the_converter_is_private_and_the_functions_are_public() -> None:
    import handoff
    from handoff import serde

    assert serde.__all__ == ["from_dict", "from_json", "to_dict", "to_json"]
    assert not hasattr(serde, "converter")
    assert {"from_dict", "from_json", "to_dict", "to_json"} <= set(handoff.__all__)
