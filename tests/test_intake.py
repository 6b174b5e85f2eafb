"""``receive`` through ``load_intake`` when a store leaves out a journey's owner.

The :class:`~handoff.stores.base.IntakeRecords` contract says the owner of every journey
found is there; a store that breaks it must still decide as the plain look-ups do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff import FixedClock, Inbound, SeededIds, Switchboard
from handoff.identity import Identity
from handoff.stores import MemoryStore
from handoff.stores.base import IntakeReads, IntakeRecords
from handoff.testing._intake import plain_intake
from handoff.testing.factories import T0
from tests.intake_steps import STEP, Step, play_side_by_side
from tests.plain_store import PrimitivesOnly


class _OwnersLeftOut(MemoryStore, IntakeReads):
    """Answers ``load_intake`` with the identity's own contact only: the owner of a journey
    named by reference, thread or redelivery, its journeys and their notifications are missing."""

    def load_intake(
        self,
        identity: Identity,
        channel: str,
        external_id: str | None,
        references: Sequence[str],
        thread_refs: Sequence[str],
        since: datetime,
    ) -> IntakeRecords:
        full = plain_intake(self, identity, channel, external_id, references, thread_refs, since)
        own = () if full.contact is None else (full.contact.id,)
        journeys = {key: full.journeys[key] for key in own if key in full.journeys}
        kept = {journey.id for owned in journeys.values() for journey in owned}
        return evolve(
            full,
            contacts={key: full.contacts[key] for key in own},
            journeys=journeys,
            notifications={key: value for key, value in full.notifications.items() if key in kept},
        )


def test_a_reference_to_another_contacts_journey_keeps_its_recent_notifications() -> None:
    """Three new identities name one journey within minutes: the move is confirmed once, not
    three times, though the store gave no records of the journey's owner."""
    board = Switchboard(_OwnersLeftOut(), clock=FixedClock(T0 + timedelta(hours=1)), ids=SeededIds(7))
    first = board.receive(
        Inbound(channel="email", identity="email:a@x.co", body="hi", at=T0, external_id="m-0")
    )
    moves = [
        board.receive(
            Inbound(
                channel=channel,
                identity=identity,
                body="it is me again",
                at=T0 + timedelta(minutes=5 * n),
                external_id=f"m-{n}",
                journey_ref=first.journey.reference,
            )
        )
        for n, (channel, identity) in enumerate(
            [("sms", "phone:+14155550001"), ("whatsapp", "phone:+14155550002"), ("chat", "email:b@x.co")],
            start=1,
        )
    ]
    assert all(move.journey.id == first.journey.id for move in moves)
    assert [len(move.notifications) for move in moves] == [1, 0, 0]
    assert any(verdict.rule == "deduplicate" and verdict.matched for verdict in moves[1].trace)


@given(steps=st.lists(STEP, min_size=2, max_size=10))
@settings(max_examples=60, deadline=None)
def test_a_store_leaving_out_the_owner_decides_as_the_plain_reads_do(steps: list[Step]) -> None:
    """Another contact's journey named by reference or thread: same journey, contact,
    notifications and trace as look-up by look-up, even without that contact's records."""
    tested, plain = (
        Switchboard(s, clock=FixedClock(T0 + timedelta(days=2)), ids=SeededIds(7))
        for s in (_OwnersLeftOut(), PrimitivesOnly())
    )
    play_side_by_side(tested, plain, steps, start=T0, gap=timedelta(minutes=10))


@given(steps=st.lists(STEP, min_size=2, max_size=10))
@settings(max_examples=60, deadline=None)
def test_the_memory_stores_intake_decides_as_the_plain_reads_do(steps: list[Step]) -> None:
    """The memory store's one-call ``load_intake`` against look-up by look-up."""
    tested, plain = (
        Switchboard(s, clock=FixedClock(T0 + timedelta(days=2)), ids=SeededIds(7))
        for s in (MemoryStore(), PrimitivesOnly())
    )
    play_side_by_side(tested, plain, steps, start=T0, gap=timedelta(minutes=10))
