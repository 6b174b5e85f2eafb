"""The check of decision-log data refuses what JSON cannot carry unchanged, and names where.

Its quick walk (no path names) must accept exactly what the full walk accepts: compared
here with the full walk written out plainly, on generated data with every kind of flaw.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.errors import ValidationError
from handoff.stores.rules import _JSON_DEPTH, _check_json


class _Text(str):
    pass


def reference(value: object, field: str, depth: int) -> None:
    """The full walk: every value named by its path."""
    if depth > _JSON_DEPTH:
        raise ValidationError(field, "too deep")
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, "not finite")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(field, "key")
            reference(item, f"{field}.{key}", depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            reference(item, f"{field}[{i}]", depth + 1)
    else:
        raise ValidationError(field, "type")


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.builds(_Text, st.text(max_size=3)),
    st.just(()),
    st.just(b"x"),
)
data = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers(0, 3)), inner, max_size=4),
        st.tuples(inner),
    ),
    max_leaves=30,
)


def _outcome(check: object, value: object) -> str | None:
    try:
        check(value, "decisions[0].data", 0)  # type: ignore[operator]
    except ValidationError as exc:
        return exc.field
    return None


@settings(max_examples=400)
@given(data)
def test_the_check_refuses_what_the_full_walk_refuses_naming_the_same_field(value: object) -> None:
    assert _outcome(_check_json, value) == _outcome(reference, value)


def _nested(levels: int, leaf: object) -> object:
    value = leaf
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


@pytest.mark.parametrize("levels", [_JSON_DEPTH - 1, _JSON_DEPTH, _JSON_DEPTH + 1, _JSON_DEPTH + 2])
@pytest.mark.parametrize("leaf", [1, 1.5, [], {}, "x"])
def test_the_depth_limit_is_where_the_full_walk_puts_it(levels: int, leaf: object) -> None:
    value = _nested(levels, leaf)
    assert _outcome(_check_json, value) == _outcome(reference, value)
    assert (_outcome(_check_json, value) is None) == (levels <= _JSON_DEPTH)
