"""How a backfill's batches are written and what the import remembers between them.

Neither may change what is stored: a batch written a table at a time stores (or refuses)
exactly what its changesets store one after another, and a handoff summary built from
the interactions the import remembers is the one built from the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from attrs import evolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import FixedClock, SeededIds, Switchboard
from handoff.errors import ConcurrencyConflict, HandoffError, NotFound
from handoff.flow.bulk import memo as _memo
from handoff.flow.bulk.coalesce import coalesce
from handoff.flow.bulk.overlay import Overlay
from handoff.models import Callback, Contact, Interaction, Journey
from handoff.stores import Changeset, MemoryStore, SQLiteStore, Store
from handoff.stores.sqlite import _writes as writes
from handoff.testing import StoreConformance
from handoff.testing.factories import (
    appended,
    make_contact,
    make_handoff,
    make_journey,
    make_link,
    make_notification,
)
from tests.test_bulk_import import T0, _CountingIds, _events, _history, _inbound, _records

# -- SQLite: a batch a table at a time ---------------------------------------------------------
# Mostly writes that succeed, so that many batches are written whole.
_OPS = ("append",) * 6 + ("new",) * 5 + ("contact_update",) * 2
_OPS += ("stale", "duplicate", "dangling", "identity_taken")
OP = st.tuples(st.sampled_from(_OPS), st.integers(0, 5), st.booleans())


def seeded() -> list[tuple[Contact, Journey, Interaction]]:
    """Six contacts, each with a journey holding one message."""
    seeds = []
    for _ in range(6):
        contact = make_contact()
        journey, interaction = appended(make_journey(contact, version=0), external_id=f"seed-{contact.id}")
        seeds.append((contact, journey, interaction))
    return seeds


def change(
    op: str, seed: tuple[Contact, Journey, Interaction], extras: bool, others: list[Contact]
) -> Changeset:
    contact, journey, interaction = seed
    if op == "new":
        contact = make_contact()
        journey = make_journey(contact, version=0)
    elif op == "stale":  # read at a version the store never held
        journey = evolve(journey, version=journey.version + 1)
    elif op == "dangling":  # a message of a journey nobody stored
        return Changeset(interactions=(appended(make_journey(make_contact()))[1],))
    elif op == "identity_taken":
        fresh = make_contact(others[0].identities[0])
        return Changeset(contact=fresh, journey=make_journey(fresh))
    elif op == "contact_update":
        updated = evolve(contact, version=contact.version + 1)
        return Changeset(contact=updated, expected_contact_version=contact.version, links=(make_link(),))
    external = interaction.external_id if op == "duplicate" else None
    after, message = appended(journey, external_id=external)
    return Changeset(
        contact=contact if op == "new" else None,
        journey=after,
        expected_journey_version=journey.version,
        interactions=(message,),
        handoffs=(make_handoff(after, interaction_id=message.id),) if extras else (),
        notifications=(make_notification(after),) if extras else (),
    )


def outcome(store: Store, batch: list[Changeset]) -> tuple[type, str] | None:
    try:
        store.commit_many(batch)
    except HandoffError as exc:
        return type(exc), str(exc)
    return None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OP, min_size=1, max_size=8))
def test_a_batch_a_table_at_a_time_stores_what_one_changeset_after_another_stores(
    ops: list[tuple[str, int, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds = seeded()
    contacts = [contact for contact, _, _ in seeds]
    batch = [change(op, seeds[n], extras, contacts[n + 1 :] + contacts[: n + 1]) for op, n, extras in ops]
    grouped, one_by_one = SQLiteStore(), SQLiteStore()
    for store in (grouped, one_by_one):
        for contact, journey, interaction in seeds:
            store.commit(Changeset(contact=contact, journey=journey, interactions=(interaction,)))
    expected = None
    with monkeypatch.context() as patch:
        patch.setattr(writes, "_groupable", lambda batch: False)
        expected = outcome(one_by_one, batch)
    assert outcome(grouped, batch) == expected
    everyone = {c.contact.id for c in batch if c.contact is not None} | {c.id for c in contacts}
    for contact_id in everyone:
        stored = [contact_records(store, contact_id) for store in (grouped, one_by_one)]
        assert stored[0] == stored[1]


def contact_records(store: Store, contact_id: str) -> object:
    try:
        return store.contact_records(contact_id)
    except NotFound:
        return None


def test_a_stale_journey_in_the_middle_of_a_batch_is_named_and_nothing_is_written() -> None:
    seeds = seeded()
    store = SQLiteStore()
    for contact, journey, interaction in seeds:
        store.commit(Changeset(contact=contact, journey=journey, interactions=(interaction,)))
    batch = [
        change(op, seed, True, []) for op, seed in zip(("append", "stale", "append"), seeds, strict=False)
    ]
    with pytest.raises(ConcurrencyConflict, match=f"journey '{seeds[1][1].id}' is not at version 2"):
        store.commit_many(batch)
    for _, journey, interaction in seeds:
        assert store.get_journey(journey.id) == journey
        assert store.interactions(journey.id) == [interaction]
        assert store.handoffs(journey.id) == [] == store.notifications(journey.id)


# -- what the import remembers: each journey's last interactions ---------------------------------
class _CountingReads(SQLiteStore):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.timelines_read = 0

    def interactions(self, journey_id: str, *, last: int | None = None) -> list[Interaction]:
        self.timelines_read += 1
        return super().interactions(journey_id, last=last)


def test_a_switch_in_a_later_batch_reads_no_message_the_import_wrote(tmp_path: Path) -> None:
    store = _CountingReads(tmp_path / "reads.db")
    board = Switchboard(store, clock=FixedClock(T0 + timedelta(days=400)), ids=SeededIds(4))
    # ana by email, chat, email and chat; a phone by sms, whatsapp and sms: one journey each
    people = [0, 2, 1, 3, 0, 2, 1]
    outcomes = board.receive_many([_inbound(n, person) for n, person in enumerate(people)], batch_size=2)
    switches = [o.handoff for o in outcomes if o.handoff is not None]
    assert len(switches) == 5
    assert store.timelines_read == 0
    assert [line.text for line in switches[-1].summary.recent][-1] == "Message 6: where is order A-1006?"
    store.close()


@pytest.fixture
def small_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    """A memo that keeps one or two interactions per journey and a handful in all."""
    monkeypatch.setattr(_memo, "MEMO_RECENT", 2)
    monkeypatch.setattr(_memo, "MEMO_RECENT_ROWS", 3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=_events, batch_size=st.integers(1, 5), stored_first=st.integers(0, 6))
def test_summaries_from_remembered_interactions_are_the_ones_read_from_the_store(
    events: list[tuple[int, int, int, bool]],
    batch_size: int,
    stored_first: int,
    small_memo: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Whatever the memo keeps or forgets, and for journeys received live before the import too."""
    inbounds = _history(events)
    clock = FixedClock(T0 + timedelta(days=400))
    live = Switchboard(MemoryStore(), clock=clock, ids=_CountingIds())
    expected = [live.receive(inbound) for inbound in inbounds]
    with SQLiteStore(tmp_path_factory.mktemp("memo") / "m.db") as stored:
        board = Switchboard(stored, clock=clock, ids=_CountingIds())
        got = [board.receive(inbound) for inbound in inbounds[:stored_first]]
        got += board.receive_many(inbounds[stored_first:], batch_size=batch_size)
        assert [o.handoff for o in got] == [o.handoff for o in expected]
        contacts = [o.contact.id for o in expected]
        assert _records(stored, contacts) == _records(live.store, contacts)


class _GroupedByJourney(MemoryStore):
    """Writes a batch journey by journey: each journey's rows together, in order of first appearance."""

    def commit_many(self, changes: Sequence[Changeset]) -> None:
        first: dict[str | None, int] = {}
        for n, change in enumerate(changes):
            first.setdefault(None if change.journey is None else change.journey.id, n)
        super().commit_many(
            sorted(changes, key=lambda change: first[None if change.journey is None else change.journey.id])
        )


def test_the_kit_fails_a_bulk_import_that_groups_rows_by_journey() -> None:
    with pytest.raises(AssertionError, match="another way in a batch"):
        StoreConformance().test_rows_of_a_batch_arrive_in_order_across_journeys(_GroupedByJourney())


_CHANNELS = ("email", "chat", "sms", "whatsapp")
_threads = st.lists(
    st.tuples(
        st.integers(0, 2),  # which journey
        st.integers(0, len(_CHANNELS) - 1),
        st.sampled_from(["x", "y"]),  # external id: few, so they tie
        st.integers(0, 1),  # minutes after T0: few, so instants tie
        st.integers(1, 2),  # interactions in the changeset
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(events=_threads, stored=st.integers(0, 12))
def test_the_overlay_answers_thread_look_ups_as_the_store_would(
    events: list[tuple[int, int, str, int, int]], stored: int
) -> None:
    """The batch's own messages, the stored ones before them, equal instants across
    journeys: a thread look-up picks the journey the store picks once it holds them all."""
    base, reference = MemoryStore(), MemoryStore()
    journeys = []
    for _ in range(3):
        contact = make_contact()
        journey = make_journey(contact)
        for target in (base, reference):
            target.commit(Changeset(contact=contact, journey=journey))
        journeys.append(journey)
    overlay = Overlay(base)
    used: set[tuple[str, str]] = set()
    for n, (which, channel, external, minutes, count) in enumerate(events):
        journey, rows = journeys[which], []
        for k in range(count):
            key = (
                _CHANNELS[(channel + k) % len(_CHANNELS)],
                external if k == 0 else {"x": "y", "y": "x"}[external],
            )
            if key in used:
                continue
            used.add(key)
            journey, interaction = appended(
                journey, channel=key[0], external_id=key[1], at=T0 + timedelta(minutes=minutes)
            )
            rows.append(interaction)
        if not rows:
            continue
        change = Changeset(
            journey=journey, expected_journey_version=journeys[which].version, interactions=tuple(rows)
        )
        journeys[which] = journey
        (base if n < stored else overlay).commit(change)
        reference.commit(change)
    for refs in (["x"], ["y"], ["x", "y"], ["y", "x"]):
        found, expected = overlay.find_journey_by_thread(refs), reference.find_journey_by_thread(refs)
        assert found == expected


def test_merged_changesets_keep_callbacks_and_cancellations_in_order() -> None:
    contact = make_contact()
    journeys = [make_journey(contact), make_journey(contact)]
    batch = []
    for n, which in enumerate([0, 1, 0]):
        after, interaction = appended(journeys[which], at=T0 + timedelta(minutes=n))
        callback = Callback(
            id=f"cb{n}",
            journey_id=after.id,
            contact_id=contact.id,
            at=T0 + timedelta(days=1),
            number="+14155550100",
            created_at=T0,
        )
        batch.append(
            Changeset(
                journey=after,
                expected_journey_version=journeys[which].version,
                interactions=(interaction,),
                callbacks=(callback,),
                cancelled_notifications=(f"nt{n}",),
            )
        )
        journeys[which] = after
    merged = coalesce(batch)
    assert len(merged) == 2
    assert [c.id for m in merged for c in m.callbacks] == ["cb0", "cb1", "cb2"]
    assert [i for m in merged for i in m.cancelled_notifications] == ["nt0", "nt1", "nt2"]
    assert [i for m in merged for i in m.interactions] == [i for c in batch for i in c.interactions]
