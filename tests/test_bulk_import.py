"""``Switchboard.receive_many``: batched backfills that follow exactly the rules of ``receive``."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from handoff import FixedClock, Inbound, SeededIds, Switchboard, ValidationError
from handoff.cli import main
from handoff.errors import ConcurrencyConflict, HandoffError, NotFound
from handoff.events import Outcome
from handoff.flow.bulk.coalesce import coalesce
from handoff.flow.bulk.overlay import Overlay
from handoff.flow.run import Flow
from handoff.identity import Identity, parse_identity
from handoff.models import Contact, DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.serde import to_json
from handoff.stores import (
    BulkImport,
    Changeset,
    ContactRecords,
    MemoryStore,
    SQLiteStore,
    Store,
    open_store,
)
from tests.pgserver import BACKENDS, backend_url

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)

_PEOPLE = (
    ("email", "email:ana@example.com"),
    ("chat", "email:ana@example.com"),
    ("sms", "phone:+14155550100"),
    ("whatsapp", "phone:+14155550100"),
    ("email", "email:bo@example.com"),
    ("chat", "email:cy@example.com"),
)


def _inbound(n: int, person: int = 0, *, minutes: float | None = None, **overrides: object) -> Inbound:
    channel, identity = _PEOPLE[person]
    fields: dict[str, object] = {
        "channel": channel,
        "identity": identity,
        "body": f"Message {n}: where is order A-{1000 + n}?",
        "at": T0 + timedelta(minutes=n if minutes is None else minutes),
        "external_id": f"m{n}",
    }
    return Inbound(**(fields | overrides))  # type: ignore[arg-type]


def _board(store: Store, seed: int = 7) -> Switchboard:
    return Switchboard(store, clock=FixedClock(T0 + timedelta(days=400)), ids=SeededIds(seed))


@pytest.fixture(params=["memory", "sqlite", *BACKENDS])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param in BACKENDS:
        made = open_store(backend_url(request, request.param))
    else:
        made = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "bulk.db")
    yield made
    made.close()


def _everything(store: Store, contact_ids: Sequence[str]) -> list[ContactRecords]:
    return [store.contact_records(contact_id) for contact_id in sorted(set(contact_ids))]


# -- the same rules as receive ------------------------------------------------------------------
_events = st.lists(
    st.tuples(
        st.integers(0, len(_PEOPLE) - 1),  # who writes, on which channel
        st.integers(0, 11),  # external id: small, so redeliveries happen
        st.integers(0, 3000),  # minutes after T0: out of order, sometimes past the reopen window
        st.booleans(),  # quote the thread of the previous message
    ),
    min_size=1,
    max_size=25,
)


def _history(events: list[tuple[int, int, int, bool]]) -> list[Inbound]:
    """Inbounds for drawn ``events``; a threaded one replies to the message before it."""
    inbounds = []
    for n, (person, external, minutes, threaded) in enumerate(events):
        thread = (f"m{events[n - 1][1]}",) if threaded and n else ()
        inbounds.append(
            _inbound(external, person, minutes=minutes, thread_ref=thread, external_id=f"m{external}")
        )
    return inbounds


# Two messages with the same external id at the same instant, on two contacts' journeys,
# then an email quoting that id: the tie goes to the later arrival, in a batch as one by one.
_TIED = [(2, 1, 0, False), (1, 0, 0, False), (2, 0, 0, False), (0, 0, 0, True)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=_events, batch_size=st.integers(1, 6), notify=st.booleans())
@example(events=_TIED, batch_size=3, notify=True)
@example(events=_TIED, batch_size=3, notify=False)
def test_receive_many_stores_what_receive_one_by_one_stores(
    events: list[tuple[int, int, int, bool]], batch_size: int, notify: bool
) -> None:
    inbounds = _history(events)
    # The reference commits one inbound at a time: ``receive`` itself, or for a silent
    # backfill the same planner without the batch overlay (a store without BulkImport).
    reference, batched = _board(MemoryStore() if notify else _PlainStore()), _board(MemoryStore())
    if notify:
        expected = [reference.receive(inbound) for inbound in inbounds]
    else:
        expected = reference.receive_many(inbounds, notify=False)
    got = batched.receive_many(inbounds, batch_size=batch_size, notify=notify)

    assert got == expected
    contacts = [o.contact.id for o in expected]
    assert _everything(batched.store, contacts) == _everything(reference.store, contacts)
    if not notify:
        assert all(o.notifications == () for o in got)


class _CountingIds:
    """Ids numbered per kind, so a live receive (which also numbers notifications) and a
    backfill give the same journey, interaction and handoff the same id."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def new_id(self, prefix: str) -> str:
        self.counts[prefix] = self.counts.get(prefix, 0) + 1
        return f"{prefix}_{self.counts[prefix]}"

    def new_reference(self) -> str:
        self.counts["J"] = self.counts.get("J", 0) + 1
        return f"J-{self.counts['J']:05d}"


def _records(store: Store, contact_ids: Sequence[str]) -> list[tuple[object, ...]]:
    """What a backfill must store exactly as live receives do: all but the outbox and decisions."""
    return [(r.contact, r.journeys, r.interactions, r.handoffs) for r in _everything(store, contact_ids)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=_events, batch_size=st.integers(1, 8))
@example(events=_TIED, batch_size=3)
def test_a_backfill_stores_what_live_receives_store(
    events: list[tuple[int, int, int, bool]], batch_size: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    inbounds = _history(events)
    clock = FixedClock(T0 + timedelta(days=400))
    live = Switchboard(MemoryStore(), clock=clock, ids=_CountingIds())
    expected = [live.receive(inbound) for inbound in inbounds]
    db = tmp_path_factory.mktemp("backfill") / "b.db"
    with SQLiteStore(db) as stored:
        backfill = Switchboard(stored, clock=clock, ids=_CountingIds())
        got = backfill.receive_many(inbounds, batch_size=batch_size)
        assert [(o.journey, o.interaction, o.handoff, o.duplicate) for o in got] == [
            (o.journey, o.interaction, o.handoff, o.duplicate) for o in expected
        ]
        contacts = [o.contact.id for o in expected]
        assert _records(stored, contacts) == _records(live.store, contacts)
        assert all(not r.notifications and not r.decisions for r in _everything(stored, contacts))


@pytest.mark.parametrize("notify", [False, True])
def test_a_batch_breaks_thread_ties_by_arrival_as_receive_does(store: Store, notify: bool) -> None:
    """Equal instants on two journeys: the batch stores its rows in the order it planned
    them, so the next batch's thread look-up picks the journey one-by-one receives pick."""
    inbounds = _history(_TIED)
    reference = _board(MemoryStore() if notify else _PlainStore())
    if notify:
        expected = [reference.receive(inbound) for inbound in inbounds]
    else:
        expected = reference.receive_many(inbounds, notify=False)
    got = _board(store).receive_many(inbounds, batch_size=3, notify=notify)
    assert [(o.journey.id, o.interaction.id) for o in got] == [
        (o.journey.id, o.interaction.id) for o in expected
    ]
    assert got[3].journey.id == got[2].journey.id != got[1].journey.id
    assert store.find_journey_by_thread(["m0"]) == reference.store.find_journey_by_thread(["m0"])


class _Recording(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[Sequence[Changeset]] = []

    def commit_many(self, changes: Sequence[Changeset]) -> None:
        self.batches.append(changes)
        super().commit_many(changes)


def test_merged_changesets_store_what_the_changesets_store(tmp_path: Path) -> None:
    """New and known contacts, a second journey, links made later in the batch: merged per
    journey, the batch stores exactly what its changesets store one by one."""
    board = _board(MemoryStore())
    first = board.receive(_inbound(0))
    board.resolve(first.journey.id, by="alice", at=T0 + timedelta(hours=1))
    overlay = Overlay(board.store)
    flow = Flow(overlay, board.policy, board.ids, notify=False)
    later = 60 * 24 * 30  # past the reopen window: ana's next message opens a new journey
    for inbound in [
        _inbound(1, 4),  # bo: a new contact
        _inbound(2, 0, minutes=later),
        _inbound(3, 5, thread_ref=("m1",)),  # cy answers bo's thread: linked to bo
        _inbound(4, 1, minutes=later + 1),  # ana on chat: a handoff
        _inbound(5, 2, minutes=later + 2, thread_ref=("m2",)),  # ana's phone, linked to her
    ]:
        flow.receive(inbound, parse_identity(inbound.identity), board.clock.now())
    merged = coalesce(overlay.changes)
    assert len(merged) == 2 < len(overlay.changes)
    stores = SQLiteStore(tmp_path / "one.db"), SQLiteStore(tmp_path / "batch.db")
    before = board.store.contact_records(first.contact.id)
    for target in stores:
        target.commit(
            Changeset(contact=before.contact, journey=before.journeys[0], interactions=before.interactions)
        )
    for change in overlay.changes:
        stores[0].commit(change)
    stores[1].commit_many(merged)
    contacts = [c.contact.id for c in overlay.changes if c.contact is not None]
    assert len(set(contacts)) == 2
    assert _everything(stores[1], contacts) == _everything(stores[0], contacts)


def test_a_batch_writes_each_journey_once() -> None:
    store = _Recording()
    board = _board(store)
    board.receive(_inbound(0, 0))
    inbounds = [_inbound(n, n % 3) for n in range(1, 10)]  # ana by email and chat, and by sms
    outcomes = board.receive_many(inbounds, batch_size=100)
    (batch,) = store.batches
    assert len(batch) == len({o.journey.id for o in outcomes}) == 2
    # A journey's interactions may ride in a later changeset (rows keep their planned order).
    written = [interaction for change in batch for interaction in change.interactions]
    assert [i.id for i in written] == [o.interaction.id for o in outcomes]
    for change in batch:
        assert change.journey is not None
        own = [i for i in written if i.journey_id == change.journey.id]
        assert change.journey.version == own[-1].sequence
        assert store.get_journey(change.journey.id) == change.journey
    assert [o.interaction.sequence for o in outcomes if o.contact.id == outcomes[0].contact.id] == list(
        range(2, 8)
    )


def test_a_batch_sees_its_own_writes(store: Store) -> None:
    board = _board(store)
    first = _inbound(1, 0)
    outcomes = board.receive_many(
        [first, _inbound(2, 0), first, _inbound(3, 1), _inbound(4, 4)], batch_size=10
    )
    opened, joined, again, switched, other = outcomes
    assert joined.journey.id == opened.journey.id
    assert joined.interaction.sequence == 2
    assert again.duplicate and again.interaction == opened.interaction
    assert switched.journey.id == opened.journey.id
    assert switched.handoff is not None
    assert (switched.handoff.from_channel, switched.handoff.to_channel) == ("email", "chat")
    assert other.contact.id != opened.contact.id
    journey = store.get_journey(opened.journey.id)
    assert journey.version == 3 == len(store.interactions(journey.id))
    assert store.handoffs(journey.id) == [switched.handoff]


def test_already_stored_messages_are_duplicates(store: Store) -> None:
    board = _board(store)
    stored = board.receive(_inbound(1))
    outcomes = board.receive_many([_inbound(1), _inbound(2)])
    assert outcomes[0].duplicate and outcomes[0].interaction == stored.interaction
    assert outcomes[1].journey.id == stored.journey.id
    assert store.get_journey(stored.journey.id).version == 2


def test_a_backfill_notifies_nobody_and_says_so(store: Store) -> None:
    board = _board(store)
    outcomes = board.receive_many([_inbound(1, 0), _inbound(2, 1)])
    assert outcomes[1].handoff is not None
    assert all(o.notifications == () for o in outcomes)
    assert all(any(v.rule == "backfill" and not v.matched for v in o.trace) for o in outcomes)
    assert store.notifications(outcomes[0].journey.id) == []
    live = _board(MemoryStore()).receive_many([_inbound(1, 0), _inbound(2, 1)], notify=True)
    assert not any(v.rule == "backfill" for o in live for v in o.trace)


def test_progress_counts_inbounds_after_each_batch(store: Store) -> None:
    seen: list[int] = []
    _board(store).receive_many([_inbound(n, n % 3) for n in range(7)], batch_size=3, progress=seen.append)
    assert seen == [3, 6, 7]


def test_input_is_streamed_one_batch_at_a_time(store: Store) -> None:
    board = _board(store)
    pulled: list[int] = []

    def source() -> Iterator[Inbound]:
        for n in range(9):
            if n == 6:  # two batches of three are committed before the seventh is even read
                assert sum(len(store.interactions(j.id)) for j in _journeys_of_bo(store)) == 6
            pulled.append(n)
            yield _inbound(n, 4)

    outcomes = board.bulk(batch_size=3).receive(source())
    assert next(outcomes).interaction.external_id == "m0"
    assert pulled == [0, 1, 2]
    assert len(list(outcomes)) == 8


def _journeys_of_bo(store: Store) -> list[Journey]:
    contact = store.find_contact(Identity("email", "bo@example.com"))
    return [] if contact is None else store.journeys_of(contact.id)


def test_a_refused_inbound_raises_and_its_batch_is_not_written(store: Store) -> None:
    board = _board(store)
    bad = _inbound(5, 0, identity="phone:+14155550100")  # a phone cannot write an email
    with pytest.raises(ValidationError) as caught:
        board.receive_many([_inbound(1), _inbound(2), _inbound(3), _inbound(4), bad], batch_size=3)
    assert caught.value.field == "identity"
    assert [store.find_interaction("email", f"m{n}") is not None for n in range(1, 5)] == [True] * 3 + [False]


def test_refused_inbounds_can_be_reported_and_skipped(store: Store) -> None:
    board = _board(store)
    refused: list[tuple[Inbound, HandoffError]] = []
    bad = [_inbound(2, 0, identity="phone:+14155550100"), _inbound(3, 0, journey_ref="J-NOPE42")]
    good = [_inbound(1), _inbound(4)]
    outcomes = list(
        board.bulk(on_error=lambda i, e: refused.append((i, e))).receive([good[0], *bad, good[1]])
    )
    assert [o.interaction.external_id for o in outcomes] == ["m1", "m4"]
    assert [inbound for inbound, _ in refused] == bad
    assert store.get_journey(outcomes[0].journey.id).version == 2


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": True}, "batch_size"),
        ({"notify": "no"}, "notify"),
        ({"progress": 5}, "progress"),
        ({"progress": "print"}, "progress"),
    ],
)
def test_bad_arguments_are_refused(arguments: dict[str, object], field: str) -> None:
    store = MemoryStore()
    with pytest.raises(ValidationError) as caught:
        _board(store).receive_many([_inbound(1)], **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert store.find_interaction("email", "m1") is None  # refused before anything is written


def test_an_error_handler_that_cannot_be_called_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        _board(MemoryStore()).bulk(on_error=5)  # type: ignore[arg-type]
    assert caught.value.field == "on_error"


@pytest.mark.parametrize("inbounds", [_inbound(1), "m1", 42])
def test_inbounds_must_be_an_iterable_of_inbounds(inbounds: object) -> None:
    with pytest.raises(ValidationError) as caught:
        _board(MemoryStore()).receive_many(inbounds)  # type: ignore[arg-type]
    assert caught.value.field in ("inbounds", "inbound")


# -- conflicts with other writers ---------------------------------------------------------------
class _Interloper(MemoryStore):
    """Another writer appends to the same journey just before each of the first batches commits."""

    def __init__(self, rivals: int) -> None:
        super().__init__()
        self.rivals = rivals
        self.attempts = 0

    def commit_many(self, changes: Sequence[Changeset]) -> None:
        self.attempts += 1
        if self.rivals:
            self.rivals -= 1
            _board(self, seed=self.rivals + 100).receive(_inbound(500 + self.rivals, 0))
        super().commit_many(changes)


def test_a_conflicting_batch_is_planned_again() -> None:
    store = _Interloper(rivals=2)
    board = _board(store)
    board.receive(_inbound(0))
    outcomes = board.receive_many([_inbound(n) for n in range(1, 5)], batch_size=10)
    assert store.attempts == 3
    journey = store.get_journey(outcomes[0].journey.id)
    assert journey.version == 7 == len(store.interactions(journey.id))
    assert [i.sequence for i in store.interactions(journey.id)] == list(range(1, 8))
    assert [o.interaction.sequence for o in outcomes] == [4, 5, 6, 7]


def test_a_journey_changed_between_batches_is_read_again(store: Store) -> None:
    """What the import remembers from one batch is dropped when another writer moved on."""
    board = _board(store)
    rival = _board(store, seed=99)
    seen: list[int] = []

    def between(done: int) -> None:  # after the first batch, a live message on the same journey
        seen.append(done)
        if done == 2:
            rival.receive(_inbound(100, 0))

    outcomes = board.receive_many([_inbound(n) for n in range(4)], batch_size=2, progress=between)
    journey = store.get_journey(outcomes[0].journey.id)
    assert journey.version == 5 == len(store.interactions(journey.id))
    assert [i.sequence for i in store.interactions(journey.id)] == [1, 2, 3, 4, 5]
    assert [o.interaction.sequence for o in outcomes] == [1, 2, 4, 5]
    assert seen == [2, 4]


def test_a_known_contact_opens_a_new_journey_inside_a_batch(store: Store) -> None:
    board = _board(store)
    first = board.receive(_inbound(0))
    board.resolve(first.journey.id, by="alice", at=T0 + timedelta(hours=1))
    later = T0 + timedelta(days=30)  # past the reopen window: a new issue
    inbounds = [_inbound(n, n % 2, minutes=(later - T0).total_seconds() / 60 + n) for n in range(1, 6)]
    outcomes = board.receive_many(inbounds, batch_size=3)
    journeys = store.journeys_of(first.contact.id)
    assert journeys[0].id == first.journey.id
    assert len(journeys) == 2 and journeys[1].version == 5
    assert {o.journey.id for o in outcomes} == {journeys[1].id}
    assert store.get_journey(first.journey.id).status == "resolved"


def test_conflicts_beyond_the_retry_budget_are_raised() -> None:
    store = _Interloper(rivals=10)
    board = Switchboard(store, clock=FixedClock(T0), ids=SeededIds(3), max_retries=2)
    board.receive(_inbound(0))
    with pytest.raises(ConcurrencyConflict):
        board.receive_many([_inbound(1)])
    assert store.find_interaction("email", "m1") is None


# -- a store without BulkImport gets one commit per inbound -----------------------------------------
class _PlainStore(Store):
    """A store that is not a BulkImport: every call goes to a MemoryStore, commits are counted."""

    def __init__(self) -> None:
        self.inner = MemoryStore()
        self.commits = 0

    def commit(self, changes: Changeset) -> None:
        self.commits += 1
        self.inner.commit(changes)

    def mark_notification(
        self, notification_id: str, status: str, at: datetime, *, provider_id: str | None = None
    ) -> Notification:
        return self.inner.mark_notification(notification_id, status, at, provider_id=provider_id)

    def find_notification(self, provider_id: str) -> Notification | None:
        return self.inner.find_notification(provider_id)

    def get_decision(self, decision_id: str) -> DecisionRecord:
        return self.inner.get_decision(decision_id)

    def active_journeys(self, *, limit: int | None = None) -> list[Journey]:
        return self.inner.active_journeys(limit=limit)

    def get_contact(self, contact_id: str) -> Contact:
        return self.inner.get_contact(contact_id)

    def find_contact(self, identity: Identity) -> Contact | None:
        return self.inner.find_contact(identity)

    def get_journey(self, journey_id: str) -> Journey:
        return self.inner.get_journey(journey_id)

    def find_journey_by_reference(self, reference: str) -> Journey | None:
        return self.inner.find_journey_by_reference(reference)

    def journeys_of(self, contact_id: str) -> list[Journey]:
        return self.inner.journeys_of(contact_id)

    def find_journey_by_thread(self, refs: Sequence[str]) -> Journey | None:
        return self.inner.find_journey_by_thread(refs)

    def find_interaction(self, channel: str, external_id: str) -> Interaction | None:
        return self.inner.find_interaction(channel, external_id)

    def interactions(self, journey_id: str, *, last: int | None = None) -> list[Interaction]:
        return self.inner.interactions(journey_id, last=last)

    def handoffs(self, journey_id: str) -> list[Handoff]:
        return self.inner.handoffs(journey_id)

    def get_notification(self, notification_id: str) -> Notification:
        return self.inner.get_notification(notification_id)

    def notifications(self, journey_id: str) -> list[Notification]:
        return self.inner.notifications(journey_id)

    def due_notifications(self, now: datetime, *, limit: int = 100) -> list[Notification]:
        return self.inner.due_notifications(now, limit=limit)

    def contact_records(self, contact_id: str) -> ContactRecords:
        return self.inner.contact_records(contact_id)

    def all_journeys(self) -> Iterator[Journey]:
        return self.inner.all_journeys()

    def decisions(self, journey_id: str) -> list[DecisionRecord]:
        return self.inner.decisions(journey_id)

    def erase_contact(self, contact_id: str) -> None:
        self.inner.erase_contact(contact_id)


def test_a_store_without_bulk_import_gets_one_commit_per_inbound() -> None:
    store = _PlainStore()
    assert not isinstance(store, BulkImport)
    seen: list[int] = []
    inbounds = [_inbound(1), _inbound(2), _inbound(1), _inbound(3, 1), _inbound(4, 4)]
    outcomes: list[Outcome] = _board(store).receive_many(inbounds, batch_size=2, progress=seen.append)
    assert store.commits == 4
    assert [o.duplicate for o in outcomes] == [False, False, True, False, False]
    assert outcomes[3].handoff is not None and outcomes[3].notifications == ()
    assert seen == [2, 4, 5]
    expected = _board(MemoryStore()).receive_many(inbounds)
    assert [o.interaction for o in outcomes] == [o.interaction for o in expected]


def test_without_bulk_import_a_refused_inbound_leaves_those_before_it_written() -> None:
    """One commit per inbound, as with ``receive`` in a loop: what came before stays."""
    store = _PlainStore()
    bad = _inbound(5, 0, journey_ref="J-NOPE42")
    with pytest.raises(NotFound):
        _board(store).receive_many([_inbound(1), _inbound(2, 4), bad, _inbound(3)], batch_size=10)
    found = [
        store.find_interaction(channel, f"m{n}") for n, channel in ((1, "email"), (2, "email"), (3, "email"))
    ]
    assert [i is not None for i in found] == [True, True, False]


# -- the command line ---------------------------------------------------------------------------
def _jsonl(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_cli_import_is_idempotent_and_reports_bad_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = [to_json(_inbound(n, n % 3)) for n in range(6)]
    lines = [
        good[0],
        good[1],
        "{not json",
        "",
        to_json(_inbound(9, 0)).replace('"email:ana@example.com"', '"phone:+14155550100"'),
        *good[2:],
        to_json(_inbound(8, 0, journey_ref="J-NOPE42")),
        good[0],
    ]
    source = _jsonl(tmp_path / "history.jsonl", lines)
    db = tmp_path / "import.db"
    argv = ["import", "--db", str(db), "--batch-size", "2", "--progress", str(source)]
    assert main(argv, stream=io.StringIO()) == 1
    err = capsys.readouterr().err
    for number in (3, 5, 10):
        assert f"history.jsonl:{number}: " in err
    assert "history.jsonl:4:" not in err  # a blank line is not an error
    assert f"] {len(lines)}/{len(lines)} lines" in err
    out = io.StringIO()
    assert main(argv, stream=out) == 1
    assert "imported 0 new interactions" in out.getvalue()
    with SQLiteStore(db) as store:
        for n in range(6):
            assert store.find_interaction(_PEOPLE[n % 3][0], f"m{n}") is not None
        for n in (8, 9):
            assert store.find_interaction("email", f"m{n}") is None


def test_cli_import_of_a_clean_file_succeeds(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "clean.jsonl", [to_json(_inbound(n, 4)) for n in range(5)])
    out = io.StringIO()
    assert main(["import", "--db", str(tmp_path / "c.db"), "--no-progress", str(source)], stream=out) == 0
    assert "imported 5 new interactions" in out.getvalue()


def test_cli_import_refuses_a_missing_file_and_bad_batch_size(tmp_path: Path) -> None:
    assert main(["import", "--db", str(tmp_path / "x.db"), str(tmp_path / "missing.jsonl")]) == 2
    with pytest.raises(SystemExit):
        main(["import", "--db", str(tmp_path / "x.db"), "--batch-size", "0", str(tmp_path / "f.jsonl")])


def test_cli_import_reports_undecodable_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "latin1.jsonl"
    source.write_bytes(to_json(_inbound(1)).encode() + b"\n\xff\xfe broken\n")
    assert main(["import", "--db", str(tmp_path / "l.db"), str(source)], stream=io.StringIO()) == 1
    assert "latin1.jsonl:2: $: not UTF-8 text" in capsys.readouterr().err


def test_cli_import_reports_a_line_nested_too_deeply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [to_json(_inbound(1)), "[" * 100_000, to_json(_inbound(2))]
    source = _jsonl(tmp_path / "deep.jsonl", lines)
    db = tmp_path / "d.db"
    assert main(["import", "--db", str(db), "--no-progress", str(source)], stream=io.StringIO()) == 1
    assert "deep.jsonl:2: $: not valid JSON: nested too deeply" in capsys.readouterr().err
    with SQLiteStore(db) as store:
        assert all(store.find_interaction("email", f"m{n}") is not None for n in (1, 2))
