"""Inbounds that name journeys every way a customer can (reference, quoted reference,
thread, redelivery), played on two boards side by side: receive must decide the same."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from attrs import evolve
from hypothesis import strategies as st

from handoff import Inbound, JourneyOutcome, Switchboard

Step = tuple[int, str, str, int]

STEP = st.tuples(
    st.integers(0, 2),  # which person
    st.sampled_from(["email", "chat", "sms", "whatsapp"]),
    st.sampled_from(["plain", "plain", "ref", "quote", "thread", "again"]),
    st.integers(0, 7),  # which earlier journey or message it names
)


def play_side_by_side(
    tested: Switchboard,
    plain: Switchboard,
    steps: Sequence[Step],
    *,
    start: datetime,
    gap: timedelta,
    tag: int = 0,
) -> None:
    """Receive each step's inbound on both boards and assert identical outcomes.

    ``tag`` keeps identities and external ids apart when several examples share a store.
    """
    sent: list[Inbound] = []
    seen: list[JourneyOutcome] = []
    for n, (person, channel, how, pick) in enumerate(steps):
        phone = channel in ("sms", "whatsapp")
        identity = f"phone:+1415{tag * 10 + person:07d}" if phone else f"email:p{person}-{tag}@x.co"
        inbound = Inbound(
            channel=channel,
            identity=identity,
            body=f"message {n}",
            at=start + gap * n,
            external_id=f"{tag}-{n}",
        )
        if seen and how == "ref":
            inbound = evolve(inbound, journey_ref=seen[pick % len(seen)].journey.reference.lower())
        elif seen and how == "quote":
            inbound = evolve(inbound, body=f"my reference is {seen[pick % len(seen)].journey.reference}")
        elif sent and how == "thread":
            inbound = evolve(inbound, thread_ref=[f"{tag}-none", str(sent[pick % len(sent)].external_id)])
        elif sent and how == "again":
            inbound = sent[pick % len(sent)]
        loaded, expected = tested.receive(inbound), plain.receive(inbound)
        assert (loaded.journey, loaded.interaction, loaded.contact, loaded.duplicate) == (
            expected.journey,
            expected.interaction,
            expected.contact,
            expected.duplicate,
        )
        assert (loaded.handoff, loaded.notifications, loaded.trace) == (
            expected.handoff,
            expected.notifications,
            expected.trace,
        )
        sent.append(inbound)
        seen.append(loaded)
