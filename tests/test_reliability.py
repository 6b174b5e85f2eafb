"""Nothing lost, nothing doubled: concurrent writers, crashes mid-import, redelivery storms."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from handoff import Inbound, Switchboard, open_store, parse_identity
from handoff.serde import to_json
from handoff.stores import MemoryStore, SQLiteStore, Store
from tests.pgserver import BACKENDS, backend_url

T0 = datetime(2025, 4, 7, 8, 0, tzinfo=timezone.utc)


def _message(person: int, n: int, external_id: str, at: datetime) -> Inbound:
    """Person ``person`` writes, alternating between two channels (so journeys switch)."""
    if person % 2:
        identity, pair = f"phone:+1415555{person:04d}", ("sms", "whatsapp")
    else:
        identity, pair = f"email:person{person}@example.com", ("email", "chat")
    return Inbound(
        channel=pair[(n // 7) % 2],
        identity=identity,
        body=f"Message {n}: still waiting for my parcel",
        at=at,
        external_id=external_id,
    )


def _check_store(db: Path) -> dict[str, int]:
    """Integrity, then every journey's version equals its interaction count and sequences
    run 1..n without a gap. Returns interactions per (channel, external id)."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        journeys = conn.execute("SELECT id, version FROM journeys").fetchall()
        for journey_id, version in journeys:
            sequences = [
                row[0]
                for row in conn.execute(
                    "SELECT sequence FROM interactions WHERE journey_id = ? ORDER BY sequence", (journey_id,)
                )
            ]
            assert sequences == list(range(1, version + 1)), journey_id
        rows = conn.execute(
            "SELECT channel, external_id, COUNT(*) FROM interactions GROUP BY 1, 2"
        ).fetchall()
        return {f"{channel}/{external_id}": count for channel, external_id, count in rows}
    finally:
        conn.close()


# -- several processes writing the same journeys ------------------------------------------------
_WORKERS, _CALLS, _SHARED_EVERY, _PEOPLE = 8, 500, 5, 4


def _inbounds_of(worker: int) -> Iterator[Inbound]:
    """A worker's messages; every fifth is one that every worker delivers (a redelivery race)."""
    for n in range(_CALLS):
        if n % _SHARED_EVERY == 0:
            yield _message(n % _PEOPLE, n, f"shared-{n}", T0 + timedelta(seconds=n))
        else:
            at = T0 + timedelta(seconds=n, milliseconds=worker)
            yield _message((n + worker) % _PEOPLE, n, f"w{worker}-{n}", at)


def _work(url: str, worker: int) -> int:
    with Switchboard.open(url, max_retries=200) as board:
        return sum(not board.receive(inbound).duplicate for inbound in _inbounds_of(worker))


@pytest.mark.slow
def test_processes_receiving_on_the_same_journeys_lose_and_double_nothing(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    SQLiteStore(db).close()  # create the schema once, before the race
    context = multiprocessing.get_context("spawn")
    with context.Pool(_WORKERS) as pool:
        stored = pool.starmap(_work, [(f"sqlite:///{db}", worker) for worker in range(_WORKERS)])
    expected = {
        f"{inbound.channel}/{inbound.external_id}" for w in range(_WORKERS) for inbound in _inbounds_of(w)
    }
    assert len(expected) == _WORKERS * (_CALLS - _CALLS // _SHARED_EVERY) + _CALLS // _SHARED_EVERY
    counts = _check_store(db)
    assert counts == dict.fromkeys(expected, 1)
    assert sum(stored) == len(expected)  # each shared message was new to exactly one worker
    with SQLiteStore(db) as store:
        conn = sqlite3.connect(db)
        contacts = [row[0] for row in conn.execute("SELECT id FROM contacts")]
        conn.close()
        assert len(contacts) == _PEOPLE
        assert all(len(store.journeys_of(contact)) == 1 for contact in contacts)


@pytest.mark.slow
def test_processes_receiving_on_postgresql_lose_and_double_nothing(postgres_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(_WORKERS) as pool:
        stored = pool.starmap(_work, [(postgres_url, worker) for worker in range(_WORKERS)])
    expected = {
        f"{inbound.channel}/{inbound.external_id}" for w in range(_WORKERS) for inbound in _inbounds_of(w)
    }
    assert sum(stored) == len(expected)  # each shared message was new to exactly one worker
    seen: Counter[str] = Counter()
    with open_store(postgres_url) as store:
        for person in range(_PEOPLE):
            contact = store.find_contact(parse_identity(_message(person, 0, "x", T0).identity))
            assert contact is not None
            journeys = store.journeys_of(contact.id)
            assert len(journeys) == 1
            interactions = store.interactions(journeys[0].id)
            assert [i.sequence for i in interactions] == list(range(1, len(interactions) + 1))
            assert journeys[0].version == len(interactions)
            seen.update(f"{i.channel}/{i.external_id}" for i in interactions)
    assert seen == dict.fromkeys(expected, 1)


# -- a hot journey: one customer's burst of webhooks from several processes --------------------
_HOT_CALLS = 500


def _hot_work(url: str, worker: int) -> list[str]:
    """``_HOT_CALLS`` messages from one customer, default retries: the errors raised, if any."""
    errors = []
    with Switchboard.open(url) as board:
        for n in range(_HOT_CALLS):
            inbound = Inbound(
                channel="whatsapp",
                identity="phone:+14155550123",
                body=f"still waiting ({worker}/{n})",
                at=T0 + timedelta(seconds=n, milliseconds=worker),
                external_id=f"hot-{worker}-{n}",
            )
            try:
                board.receive(inbound)
            except Exception as exc:  # counted, not raised: the test wants them all
                errors.append(f"{type(exc).__name__}: {exc}")
    return errors


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", *BACKENDS])
def test_a_hot_journey_never_fails_its_callers(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """8 processes x 500 receives to one contact and one journey with the default retries:
    writers of one journey wait their turn, so none fails, none is lost or doubled, and
    the sequence numbers run without a gap."""
    url = f"sqlite:///{tmp_path / 'hot.db'}" if backend == "sqlite" else backend_url(request, backend)
    open_store(url).close()  # the schema, once, before the race
    context = multiprocessing.get_context("spawn")
    with context.Pool(_WORKERS) as pool:
        errors = pool.starmap(_hot_work, [(url, worker) for worker in range(_WORKERS)])
    assert [e for worker in errors for e in worker] == []
    with open_store(url) as store:
        contact = store.find_contact(parse_identity("phone:+14155550123"))
        assert contact is not None
        (journey,) = store.journeys_of(contact.id)
        interactions = store.interactions(journey.id)
    assert [i.sequence for i in interactions] == list(range(1, _WORKERS * _HOT_CALLS + 1))
    assert journey.version == _WORKERS * _HOT_CALLS
    assert Counter(i.external_id for i in interactions) == {
        f"hot-{w}-{n}": 1 for w in range(_WORKERS) for n in range(_HOT_CALLS)
    }


# -- kill -9 in the middle of a bulk import ---------------------------------------------------------
_KILLS = 20


def _history(path: Path, start: int, count: int) -> set[str]:
    """Append ``count`` lines of a help-desk export; every tenth repeats an earlier line."""
    rng = random.Random(start)
    written: list[str] = []
    keys: set[str] = set()
    with path.open("a", encoding="utf-8") as out:
        for n in range(start, start + count):
            if n % 10 == 9:
                line = written[rng.randrange(len(written))]
            else:
                inbound = _message(rng.randrange(40), n, f"h{n}", T0 + timedelta(minutes=n))
                line = to_json(inbound)
                keys.add(f"{inbound.channel}/{inbound.external_id}")
            written.append(line)
            out.write(line + "\n")
    return keys


def _import(db: Path, source: Path, *, errors: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "handoff", "import", "--db", str(db), "--batch-size", "100"]
    return subprocess.Popen(
        [*command, "--no-progress", str(source)], stdout=subprocess.DEVNULL, stderr=errors
    )


def _wait_for_growth(db: Path, stored: int, process: subprocess.Popen[bytes]) -> bool:
    """Wait until the import has committed more than ``stored`` interactions; False if it ended first."""
    while process.poll() is None:
        try:
            with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
                if conn.execute("SELECT COUNT(*) FROM interactions").fetchone()[0] > stored:
                    return True
        except sqlite3.OperationalError:
            pass  # not created yet, or busy for a moment
        time.sleep(0.02)
    return False


@pytest.mark.slow
def test_an_import_killed_at_random_points_resumes_without_duplicates(tmp_path: Path) -> None:
    db, source = tmp_path / "crash.db", tmp_path / "history.jsonl"
    expected = _history(source, 0, 3_000)
    rng = random.Random(int(os.environ.get("HANDOFF_KILL_SEED", "20")))
    stored, kills, more = 0, 0, 0
    while kills < _KILLS:
        process = _import(db, source)
        # Kill at a random moment once this run is writing new rows, however fast the machine.
        if _wait_for_growth(db, stored, process):
            time.sleep(rng.uniform(0, 0.25))
            process.send_signal(signal.SIGKILL)
            kills += process.wait() == -signal.SIGKILL
        else:  # it finished first: there is more history to import
            more += 1
            expected |= _history(source, 3_000 * more, 3_000)
        SQLiteStore(db).close()  # it opens
        counts = _check_store(db)
        assert set(counts.values()) == {1}
        assert set(counts) <= expected
        assert len(counts) >= stored  # a crash never loses what was committed
        stored = len(counts)
    finished = _import(db, source, errors=subprocess.PIPE)
    _, err = finished.communicate(timeout=300)
    assert finished.returncode == 0, err.decode()
    assert _check_store(db) == dict.fromkeys(expected, 1)


# -- webhook redelivery storms --------------------------------------------------------------------
def _storm() -> tuple[list[Inbound], set[str]]:
    """1,000 distinct inbounds from 50 people, each delivered five times, shuffled."""
    distinct = [
        _message(n % 50, n, f"wh-{n}", T0 + timedelta(minutes=n // 50, seconds=n % 50)) for n in range(1000)
    ]
    deliveries = distinct * 5
    random.Random(11).shuffle(deliveries)
    return deliveries, {f"{i.channel}/{i.external_id}" for i in distinct}


def _stored(store: Store, board: Switchboard, identities: set[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for identity in identities:
        contact = board.find_contact(identity)
        assert contact is not None
        for journey in store.journeys_of(contact.id):
            interactions = store.interactions(journey.id)
            assert [i.sequence for i in interactions] == list(range(1, journey.version + 1))
            counts.update(f"{i.channel}/{i.external_id}" for i in interactions)
    return counts


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "storm.db")
    yield made
    made.close()


@pytest.mark.parametrize("how", ["receive", "receive_many"])
def test_a_redelivery_storm_stores_each_message_once(store: Store, how: str) -> None:
    deliveries, expected = _storm()
    board = Switchboard(store)
    if how == "receive":
        outcomes = [board.receive(inbound) for inbound in deliveries]
    else:
        outcomes = board.receive_many(deliveries, batch_size=250)
    assert sum(not o.duplicate for o in outcomes) == 1000
    identities = {str(inbound.identity) for inbound in deliveries}
    assert _stored(store, board, identities) == Counter(dict.fromkeys(expected, 1))
