"""A summary's recent lines are the last messages in the order of (sequence, time, id).

The summary orders by sequence alone when every sequence differs (one journey's
interactions, as the write path gives them) and falls back to the full order on ties;
either way the lines must be those of the full order, whatever order they came in.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from handoff.models import Interaction
from handoff.summary import SummarySpec, build_summary
from handoff.testing.factories import T0, make_contact, make_interaction, make_journey

_CONTACT = make_contact("phone:+14155550100")
_JOURNEY = make_journey(_CONTACT, current_channel="sms", version=40)


@st.composite
def _interactions(draw: st.DrawFn) -> list[Interaction]:
    count = draw(st.integers(0, 12))
    made = []
    for n in range(count):
        made.append(
            make_interaction(
                _JOURNEY,
                id=f"in_{draw(st.sampled_from('abc'))}{n}",
                sequence=draw(st.integers(1, 15)),  # ties now and then
                at=T0 + timedelta(minutes=draw(st.integers(0, 3))),
                author=draw(st.sampled_from(["customer", "agent", "bot"])),
                kind=draw(st.sampled_from(["message", "message", "call", "note"])),
                body=f"message {n}",
            )
        )
    return draw(st.permutations(made))


@given(_interactions(), st.integers(0, 10), st.booleans())
def test_recent_lines_follow_sequence_time_and_id(
    recent: list[Interaction], count: int, masked: bool
) -> None:
    spec = SummarySpec(recent=count)
    args: dict[str, Any] = {"for_channel": "sms", "now": T0 + timedelta(hours=1), "spec": spec}
    summary = build_summary(_JOURNEY, _CONTACT, recent, secrets_masked=masked, **args)
    said = sorted(
        (i for i in recent if i.kind in ("message", "call")), key=lambda i: (i.sequence, i.at, i.id)
    )
    expected = [(i.at, i.channel, i.author, i.body) for i in (said[-count:] if count else [])]
    assert [(line.at, line.channel, line.author, line.text) for line in summary.recent] == expected
