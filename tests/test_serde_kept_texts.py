"""The texts the flat encoders keep for tuples of records never stand for another tuple,
however many tuples come and go while they are kept."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import _flat, serde
from handoff.models import Journey
from tests import strategies as s

REFERENCE = serde._reference()


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    journeys=st.lists(s.journeys, min_size=1, max_size=8),
    order=st.lists(st.integers(0, 7), max_size=40),
    most=st.integers(1, 4),
)
def test_a_kept_text_is_the_text_of_its_own_tuple(
    journeys: list[Journey], order: list[int], most: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(_flat, "_MOST_TEXTS", most)  # generations turn over every few tuples
        patch.setattr(_flat, "_kept", [{}, {}])
        for n in [*range(len(journeys)), *order]:
            journey = journeys[n % len(journeys)]
            assert serde.to_json(journey) == serde._COMPACT.encode(REFERENCE.unstructure(journey))
        assert all(len(kept) <= most for kept in _flat._kept)
