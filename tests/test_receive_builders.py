"""The write path makes its records with builders that skip validators and converters.

What it stores and returns must be exactly what the classes' own constructors and
``attrs.evolve`` make: the same receives, run once as they are and once with every
builder swapped for the constructor it stands for, leave equal stores and outcomes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import FixedClock, Inbound, SeededIds, Switchboard, summary
from handoff.events import JourneyOutcome, Verdict
from handoff.flow import append, continuity, intake, plan, read
from handoff.flow.continuity import Choice
from handoff.flow.plan import Draft, HandoffPlan, Planned
from handoff.flow.read import IntakeRead
from handoff.models import (
    CardIdentity,
    ContextSummary,
    DecisionRecord,
    Handoff,
    Interaction,
    PathStep,
    SummaryLine,
)
from handoff.policy import engine
from handoff.policy.decision import Decision
from handoff.policy.situation import Event, Situation
from handoff.stores.capabilities import IntakeRecords
from handoff.stores.memory import _intake as memory_intake
from handoff.stores.records import Changeset

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)

# Each builder the write path fetched once, and the constructor it stands for.
_BUILT: list[tuple[Any, str, type]] = [
    (plan, "_interaction", Interaction),
    (plan, "_changeset", Changeset),
    (plan, "_handoff_record", Handoff),
    (plan, "_decision_record", DecisionRecord),
    (summary, "_context_summary", ContextSummary),
    (summary, "_card_identity", CardIdentity),
    (append, "_step", PathStep),
    (append, "_line", SummaryLine),
    (plan, "_decided", plan._Decided),
    (plan, "_planned", Planned),
    (plan, "_situation", Situation),
    (plan, "_outcome", JourneyOutcome),
    (intake, "_draft", Draft),
    (intake, "_interaction", Interaction),
    (intake, "_event", Event),
    (intake, "_handoff_plan", HandoffPlan),
    (intake, "_verdict", Verdict),
    (read, "_intake_read", IntakeRead),
    (continuity, "_choice", Choice),
    (engine, "_verdict", Verdict),
    (engine, "_decision", Decision),
    (memory_intake, "_records", IntakeRecords),
]


def _evolve(record: Any, **changes: Any) -> Any:
    return attrs.evolve(record, **changes)


@contextmanager
def _constructors() -> Iterator[None]:
    """Every builder and ``replace`` of the write path swapped for the validating original."""
    with pytest.MonkeyPatch.context() as patch:
        for module, name, cls in _BUILT:
            assert callable(getattr(module, name)), name
            patch.setattr(module, name, cls)
        for module in (plan, intake):
            patch.setattr(module, "replace", _evolve)
        patch.setattr("handoff.flow.append.replace", _evolve)
        yield


_CHANNELS = st.sampled_from(["sms", "whatsapp", "sms", "sms", "phone"])
_BODIES = st.sampled_from(
    [
        "hi",
        "my order A-1042 never arrived",
        "I paid $89.90 on 3 March, card 4111 1111 1111 1111",
        "still waiting, this is urgent and I want to cancel",
        "my password is hunter2",
        "thanks!",
        "",
    ]
)
_STEPS = st.lists(
    st.tuples(_CHANNELS, _BODIES, st.integers(0, 90), st.sampled_from(["customer", "agent"])),
    min_size=1,
    max_size=8,
)


def _run(steps: list[tuple[str, str, int, str]]) -> tuple[list[JourneyOutcome], dict[str, object]]:
    clock = FixedClock(T0)
    with Switchboard.open("memory://", clock=clock, ids=SeededIds(5)) as board:
        outcomes: list[JourneyOutcome] = []
        for n, (channel, body, minutes, author) in enumerate(steps):
            clock.advance(minutes=minutes)
            if author == "agent" and outcomes:
                outcomes.append(
                    board.reply(outcomes[-1].journey.id, agent="alice", body=body or "on it", channel=channel)
                )
                continue
            inbound = Inbound(
                channel=channel,
                identity="phone:+14155550100",
                body=body,
                at=clock.now(),
                external_id=f"m-{n % 9}",  # some are redeliveries
            )
            outcomes.append(board.receive(inbound))
        store = board.store
        contact = outcomes[0].contact
        stored = store.contact_records(contact.id)
        due = store.due_notifications(clock.now() + timedelta(days=30), limit=1000)
        return outcomes, {"records": stored, "due": due}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_STEPS)
def test_receives_store_and_return_what_the_constructors_make(steps: list[tuple[str, str, int, str]]) -> None:
    fast = _run(steps)
    with _constructors():
        slow = _run(steps)
    assert fast == slow


_MAKERS = {
    "_planned",
    "_choice",
    "_verdict",
    "_decision",
    "_card_identity",
}  # fields by position; the rest by name


# The write path's own records, which validate nothing (the stored ones are checked against
# their validating constructors in test_records_builders).
_STORED = (
    Interaction,
    Changeset,
    Handoff,
    IntakeRecords,
    DecisionRecord,
    ContextSummary,
    PathStep,
    SummaryLine,
)
_PLUMBING = [built for built in _BUILT if built[2] not in _STORED]


@given(st.sampled_from(_PLUMBING), st.data())
def test_each_builder_makes_what_its_constructor_makes(
    built: tuple[Any, str, type], data: st.DataObject
) -> None:
    module, name, cls = built
    make: Callable[..., Any] = getattr(module, name)
    values = {
        f.name: data.draw(
            st.frozensets(st.text(max_size=3))
            if f.converter
            else st.none() | st.integers() | st.text(max_size=5),
            label=f.name,
        )
        for f in attrs.fields(cls)
    }
    made = make(*values.values()) if name in _MAKERS else make(**values)
    assert type(made) is cls
    assert made == cls(**values)
