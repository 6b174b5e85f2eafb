"""The write path builds records without running their validators again: what it makes
must be exactly what the validating constructors make from the same parts."""

from __future__ import annotations

from datetime import datetime, timezone

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import FixedClock, Inbound, SeededIds, Switchboard, ValidationError
from handoff._records import build, replace
from handoff.models import Interaction, Journey
from tests import strategies as s

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(s.journeys, s.journeys)
def test_replace_is_evolve_without_the_checks(journey: Journey, other: Journey) -> None:
    changes = {a.name: getattr(other, a.name) for a in attrs.fields(Journey) if a.name != "id"}
    assert replace(journey, **changes) == attrs.evolve(journey, **changes)
    assert replace(journey) == journey
    assert replace(journey, version=journey.version + 1).version == journey.version + 1


@given(s.interactions)
def test_build_is_the_constructor_without_the_checks(interaction: Interaction) -> None:
    fields = attrs.asdict(interaction, recurse=False)
    made = build(Interaction, **fields)
    assert made == Interaction(**fields)
    assert type(made) is Interaction
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        made.body = "changed"  # type: ignore[misc]


@given(s.interactions)
def test_build_gives_fields_left_out_their_defaults(interaction: Interaction) -> None:
    fields = attrs.asdict(interaction, recurse=False)
    for name in ("kind", "external_id", "agent", "identity", "thread_refs", "metadata", "sensitive"):
        del fields[name]
    made = build(Interaction, **fields)
    assert made == Interaction(**fields)
    assert made.metadata == {} and made.metadata is not build(Interaction, **fields).metadata
    del fields["body"]
    with pytest.raises(TypeError, match="body"):
        build(Interaction, **fields)


@given(st.one_of(st.integers(), st.text(min_size=1001, max_size=1100), st.just("  ")))
def test_a_reply_refuses_a_bad_external_id_before_anything_is_stored(external_id: object) -> None:
    board = Switchboard("memory://", clock=FixedClock(T0), ids=SeededIds(1))
    first = board.receive(Inbound(channel="chat", identity="email:ana@example.com", body="Hi", at=T0))
    with pytest.raises(ValidationError) as caught:
        board.reply(first.journey.id, agent="bo", body="On it", external_id=external_id)  # type: ignore[arg-type]
    assert caught.value.field == "external_id"
    assert [i.body for i in board.history(first.journey.id)] == ["Hi"]
