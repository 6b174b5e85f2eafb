"""A decision's free-form data is encoded as it is, not copied into plain data first: its
JSON text is what cattrs and ``json`` give for any data, JSON or not, and data neither
can write is refused as before."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff import serde
from handoff.models import DecisionRecord
from tests import strategies as s

REFERENCE = serde._reference()

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    s.aware,  # a datetime: plain data is its ISO text
    st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=3)),
    s.identities,  # a record with its own plain form
    s.path_steps,
)
_KEYS = st.one_of(st.text(max_size=8), st.integers(-5, 5), st.floats(allow_nan=False), st.booleans(), s.aware)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(_KEYS, inner, max_size=4),
    ),
    max_leaves=20,
)
_DATA = st.dictionaries(st.text(max_size=10), _VALUES, max_size=6) | st.dictionaries(
    _KEYS, _VALUES, max_size=3
)


def _decision(data: Any) -> DecisionRecord:
    return DecisionRecord(
        id="dc_1",
        journey_id="jr_1",
        contact_id="ct_1",
        at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        data=data,
    )


def _reference_text(record: DecisionRecord) -> str | type[Exception]:
    try:
        return serde._COMPACT.encode(REFERENCE.unstructure(record))
    except Exception as exc:  # compared: the same refusal either way
        return type(exc)


def _flat_text(record: DecisionRecord) -> str | type[Exception]:
    try:
        return serde.to_json(record)
    except Exception as exc:  # compared: the same refusal either way
        return type(exc)


@given(_DATA)
def test_the_text_of_any_data_is_the_cattrs_text(data: dict[Any, Any]) -> None:
    record = _decision(data)
    assert _flat_text(record) == _reference_text(record)
    assert serde.to_dict(record) == REFERENCE.unstructure(record)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=10), _JSON, max_size=6))
def test_a_decision_with_json_data_reads_back_as_it_was(data: dict[str, Any]) -> None:
    record = _decision(data)
    assert serde.from_json(DecisionRecord, serde.to_json(record)) == record


@pytest.mark.parametrize(
    "data",
    [
        {"x": object()},  # no plain form at all
        {"x": {1, 2}},  # a set: neither writes it
        [("not", "a dict")],  # not even a dict
    ],
)
def test_data_no_encoder_can_write_is_refused_as_before(data: Any) -> None:
    record = _decision({})
    object.__setattr__(record, "data", data)  # as a record built without its checks would hold it
    assert _flat_text(record) == _reference_text(record)


def test_a_decision_is_flat() -> None:
    hook = serde._converter.get_unstructure_hook(DecisionRecord)
    assert hook.__name__ == "unstructure_DecisionRecord"
    assert DecisionRecord in serde._TEXT
