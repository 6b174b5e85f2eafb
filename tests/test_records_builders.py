"""The functions ``build`` and ``replace`` write once per record class make exactly what
the validating constructor and ``attrs.evolve`` make, for every record the write path builds."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff._records import build, maker, replace
from handoff.models import Journey
from tests import strategies as s

_KINDS = (s.journeys, s.interactions, s.contacts, s.handoffs, s.notifications, s.summaries, s.facts, s.lines)
_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]


@settings(suppress_health_check=_SLOW)
@given(st.sampled_from(_KINDS).flatmap(lambda kind: st.tuples(kind, kind)), st.data())
def test_build_and_replace_make_what_the_constructor_and_evolve_make(
    pair: tuple[Any, Any], data: st.DataObject
) -> None:
    record, other = pair
    cls = type(record)
    fields = attrs.asdict(record, recurse=False)
    made = build(cls, **fields)
    assert type(made) is cls
    assert made == cls(**fields)
    assert maker(cls)(*fields.values()) == made
    changed = data.draw(st.sets(st.sampled_from([a.name for a in attrs.fields(cls)])), label="changed")
    changes = {name: getattr(other, name) for name in changed}
    assert replace(record, **changes) == attrs.evolve(record, **changes)
    assert replace(record) == record
    assert replace(record) is not record


@settings(suppress_health_check=_SLOW)
@given(s.journeys, s.journeys)
def test_replace_takes_each_changed_field_and_keeps_the_others(journey: Journey, other: Journey) -> None:
    names = [a.name for a in attrs.fields(Journey)]
    for name in names:
        moved = replace(journey, **{name: getattr(other, name)})
        for field in names:
            assert getattr(moved, field) is getattr(other if field == name else journey, field)


@given(s.journeys, st.sampled_from([a.name for a in attrs.fields(Journey) if a.default is attrs.NOTHING]))
def test_a_required_field_left_out_is_named(journey: Journey, name: str) -> None:
    fields = attrs.asdict(journey, recurse=False)
    del fields[name]
    with pytest.raises(TypeError, match=repr(name)):
        build(Journey, **fields)
