"""Outbox leases: several senders drain one outbox and each notification goes to one of them."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from handoff import FixedClock, Switchboard
from handoff.errors import StoreError, ValidationError
from handoff.outbox import Outbox
from handoff.stores import MemoryStore, SQLiteStore, open_store
from handoff.stores.base import Store
from handoff.stores.capabilities import OutboxLeases
from tests.outbox_fill import NOW, drain, fill
from tests.pgserver import BACKENDS, backend_url

LEASE = timedelta(minutes=5)


@pytest.fixture(params=["memory", "sqlite", *BACKENDS])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        made: Store = MemoryStore()
    elif request.param == "sqlite":
        made = SQLiteStore(tmp_path / "leases.db")
    else:
        made = open_store(backend_url(request, request.param))
    yield made
    made.close()


def _outbox(store: Store) -> Outbox:
    return Outbox(store, FixedClock(NOW))


def test_a_claimed_notification_goes_to_no_other_worker_until_its_lease_expires(store: Store) -> None:
    made = fill(store, 5)
    outbox = _outbox(store)
    first = outbox.claim("a", limit=3, lease=LEASE)
    assert [n.id for n in first] == [n.id for n in made[:3]]  # earliest first
    assert [n.id for n in outbox.claim("b", lease=LEASE)] == [n.id for n in made[3:]]
    assert outbox.claim("b", lease=LEASE) == []
    assert outbox.claim("a", lease=LEASE) == []  # the holder itself gets nothing twice either
    outbox.ack(first[0].id, NOW)
    outbox.fail(first[1].id, NOW)
    later = NOW + LEASE
    again = outbox.claim("c", lease=LEASE, now=later)
    assert [n.id for n in again] == [made[2].id, *(n.id for n in made[3:])]  # acked and failed ones end
    assert outbox.claim("a", lease=LEASE, now=later) == []


def test_claim_respects_send_at_and_limit(store: Store) -> None:
    made = fill(store, 4)
    outbox = _outbox(store)
    early = outbox.claim("a", now=made[1].send_at, lease=timedelta(days=2))
    assert [n.id for n in early] == [n.id for n in made[:2]]
    assert [n.id for n in outbox.claim("b", limit=1, lease=LEASE)] == [made[2].id]


def test_cancelled_and_erased_notifications_are_never_claimed(store: Store) -> None:
    made = fill(store, 2, per_journey=1)
    outbox = _outbox(store)
    outbox.cancel(made[0].id, NOW)
    store.erase_contact(made[1].contact_id)
    assert outbox.claim("a", lease=LEASE) == []


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"worker": ""}, "worker"),
        ({"worker": 7}, "worker"),
        ({"worker": "x" * 201}, "worker"),
        ({"worker": "a\x00b"}, "worker"),
        ({"limit": 0}, "limit"),
        ({"limit": True}, "limit"),
        ({"limit": 10_001}, "limit"),
        ({"lease": timedelta(0)}, "lease"),
        ({"lease": 300}, "lease"),
        ({"lease": timedelta(days=8)}, "lease"),
        ({"now": NOW.replace(tzinfo=None)}, "now"),
    ],
)
def test_bad_claims_are_refused_naming_the_argument(arguments: dict[str, Any], field: str) -> None:
    store = MemoryStore()
    fill(store, 1)
    call: dict[str, Any] = {"worker": "a", "lease": LEASE, **arguments}
    worker = call.pop("worker")
    with pytest.raises(ValidationError) as caught:
        _outbox(store).claim(worker, **call)
    assert caught.value.field == field
    assert len(store.due_notifications(NOW)) == 1


def test_a_store_without_leases_says_so() -> None:
    board = Switchboard(MemoryStore(), clock=FixedClock(NOW))
    assert isinstance(board.store, OutboxLeases)

    class Plain:
        pass

    outbox = Outbox(Plain(), FixedClock(NOW))  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="cannot lease"):
        outbox.claim("a")


# -- several processes at once ------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", *BACKENDS])
def test_four_processes_claim_each_of_a_thousand_notifications_exactly_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'drain.db'}" if backend == "sqlite" else backend_url(request, backend)
    store = open_store(url)
    try:
        made = fill(store, 1_000)
    finally:
        store.close()
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(4), context.Queue()
    workers = [
        context.Process(target=drain, args=(url, f"worker-{n}", 7 + n, start, results)) for n in range(4)
    ]
    for process in workers:
        process.start()
    claimed = [results.get(timeout=300)[1] for _ in workers]
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0
    every = [notification_id for ids in claimed for notification_id in ids]
    assert len(every) == len(set(every)) == 1_000
    assert set(every) == {n.id for n in made}
    assert all(claimed)  # every worker held a lease while the others claimed
    store = open_store(url)
    try:
        assert store.due_notifications(NOW) == []
    finally:
        store.close()


# -- against a model ----------------------------------------------------------------------------


class LeaseMachine(RuleBasedStateMachine):
    """Claims, acknowledgements and the passing of time, against a dict of leases."""

    def __init__(self) -> None:
        super().__init__()
        self.store: Store = MemoryStore()
        self.now = NOW
        self.status: dict[str, str] = {}
        self.lease: dict[str, tuple[str, Any]] = {}  # id -> (worker, until)
        self.order: list[str] = []

    @initialize(count=st.integers(0, 12), sqlite=st.booleans())
    def start(self, count: int, sqlite: bool) -> None:
        if sqlite:
            self.store.close()
            self.store = SQLiteStore(":memory:")
        made = fill(self.store, count, per_journey=5)
        self.order = [n.id for n in made]
        self.status = dict.fromkeys(self.order, "pending")

    def teardown(self) -> None:
        self.store.close()

    @rule(worker=st.sampled_from(["a", "b", "c"]), limit=st.integers(1, 5), minutes=st.integers(1, 10))
    def claim(self, worker: str, limit: int, minutes: int) -> None:
        assert isinstance(self.store, OutboxLeases)
        got = self.store.claim_notifications(worker, self.now, limit=limit, lease=timedelta(minutes=minutes))
        free = [
            i
            for i in self.order
            if self.status[i] == "pending" and (i not in self.lease or self.lease[i][1] <= self.now)
        ]
        assert [n.id for n in got] == free[:limit]
        for n in got:
            self.lease[n.id] = (worker, self.now + timedelta(minutes=minutes))

    @rule(data=st.data(), status=st.sampled_from(["sent", "failed", "cancelled"]))
    def end(self, data: st.DataObject, status: str) -> None:
        if not self.order:
            return
        notification_id = data.draw(st.sampled_from(self.order))
        if self.status[notification_id] != "pending":
            return
        self.store.mark_notification(notification_id, status, self.now)
        self.status[notification_id] = status

    @rule(minutes=st.integers(0, 12))
    def wait(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @invariant()
    def due_is_every_pending_one(self) -> None:
        due = [n.id for n in self.store.due_notifications(self.now, limit=1000)]
        assert due == [i for i in self.order if self.status[i] == "pending"]


TestLeaseMachine = LeaseMachine.TestCase
TestLeaseMachine.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
