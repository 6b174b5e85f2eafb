"""A customer's message makes its event's changes and its own in one new journey record.

``draft_inbound`` leaves the journey as stored and hands its event's changes (reopened,
pending to open, a channel switch, a priority) to the plan, which makes them together
with the message's (``append``): the journey must be the one that making them first,
then appending, gives. Checked on every append of generated conversations, and on what
they store and return.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

import pytest
from attrs import evolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import FixedClock, Inbound, SeededIds, Switchboard
from handoff.flow import plan
from handoff.flow.append import append
from handoff.models import Interaction, Journey

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)
_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["sms", "whatsapp", "sms", "phone"]),
        st.sampled_from(["customer", "customer", "agent", "resolve"]),
        st.sampled_from([None, None, "high", "low"]),
        st.sampled_from(["hi", "my order A-1042 never arrived", "I paid $89.90", "what is your email?"]),
        st.integers(0, 600),
    ),
    min_size=1,
    max_size=10,
)


def _checked_append(
    journey: Journey, interaction: Interaction, drafted: Mapping[str, object] | None = None
) -> Journey:
    made = append(journey, interaction, drafted)
    assert made == append(evolve(journey, **drafted) if drafted else journey, interaction)
    if drafted:
        _seen.append(frozenset(drafted))
    return made


_seen: list[frozenset[str]] = []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_STEPS)
def test_the_drafted_changes_made_with_the_messages_give_the_journey_made_in_two_steps(
    steps: list[tuple[str, str, str | None, str, int]],
) -> None:
    clock = FixedClock(T0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan, "append", _checked_append)
        with Switchboard.open("memory://", clock=clock, ids=SeededIds(2)) as board:
            journey_id, resolved = None, False
            for n, (channel, who, priority, body, minutes) in enumerate(steps):
                clock.advance(minutes=minutes)
                if who == "resolve" and journey_id is not None and not resolved:
                    board.resolve(journey_id, by="alice")
                    resolved = True
                elif who == "agent" and journey_id is not None and not resolved:
                    board.reply(journey_id, agent="alice", body=body)
                else:
                    inbound = Inbound(
                        channel=channel,
                        identity="phone:+14155550100",
                        body=body,
                        at=clock.now(),
                        external_id=f"m-{n}",
                        priority=priority,  # type: ignore[arg-type]
                    )
                    journey_id, resolved = board.receive(inbound).journey.id, False


def test_the_check_sees_switches_reopens_and_priorities() -> None:
    """The property above is not vacuous: its conversations carry each kind of change."""
    _seen.clear()
    clock = FixedClock(T0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan, "append", _checked_append)
        with Switchboard.open("memory://", clock=clock, ids=SeededIds(2)) as board:

            def said(channel: str, n: int, priority: str | None = None) -> str:
                clock.advance(minutes=5)
                inbound = Inbound(
                    channel=channel,
                    identity="phone:+14155550100",
                    body=f"message {n}",
                    at=clock.now(),
                    external_id=f"m-{n}",
                    priority=priority,  # type: ignore[arg-type]
                )
                return board.receive(inbound).journey.id

            journey_id = said("sms", 1)
            said("whatsapp", 2)
            said("whatsapp", 3, "high")
            board.resolve(journey_id, by="alice")
            clock.advance(timedelta(hours=1))
            said("whatsapp", 4)
    assert frozenset({"current_channel", "handoff_count"}) in _seen
    assert frozenset({"priority"}) in _seen
    assert any("reopen_count" in names for names in _seen)
