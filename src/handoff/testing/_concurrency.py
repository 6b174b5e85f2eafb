"""Conformance: concurrent writers lose nothing and duplicate nothing.

Writers do what the Switchboard does: read the journey, append the next interaction
with the version they read, and on a conflict read again and retry.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from handoff.errors import ConcurrencyConflict, DuplicateInteraction
from handoff.stores.base import Store
from handoff.stores.registry import open_store
from handoff.testing._kit import KitBase, seed
from handoff.testing.factories import T0, append_changeset

_JOURNEYS = 2
_THREADS = 4
_APPENDS_PER_THREAD = 25
_PROCESSES = 2
_APPENDS_PER_PROCESS = 15
_MAX_ATTEMPTS = 500
_JOIN_SECONDS = 60


def append_with_retry(store: Store, journey_id: str, external_id: str) -> int:
    """Append one interaction the way a real writer does; return the attempts it took."""
    for attempt in range(1, _MAX_ATTEMPTS + 1):
        journey = store.get_journey(journey_id)
        change = append_changeset(
            journey, external_id=external_id, at=T0 + timedelta(seconds=journey.version)
        )
        try:
            store.commit(change)
        except DuplicateInteraction:
            raise
        except ConcurrencyConflict:
            continue
        return attempt
    raise AssertionError(f"{external_id} still conflicted after {_MAX_ATTEMPTS} attempts")


def _write_from_process(url: str, journey_ids: Sequence[str], writer: str, count: int) -> None:
    """A child process's work; any exception makes its exit code non-zero."""
    with open_store(url) as store:
        for n in range(count):
            append_with_retry(store, journey_ids[n % len(journey_ids)], f"{writer}-{n}")


class ConcurrencyConformance(KitBase):
    def test_threads_append_without_loss_or_duplicates(self, store: Store) -> None:
        self.require("supports_concurrency")
        journeys = [seed(store)[1] for _ in range(_JOURNEYS)]
        start = threading.Barrier(_THREADS + 1)
        writers_done = threading.Event()
        failures: list[BaseException] = []

        def write(writer: int) -> None:
            start.wait()
            try:
                for n in range(_APPENDS_PER_THREAD):
                    append_with_retry(store, journeys[n % _JOURNEYS].id, f"w{writer}-{n}")
            except BaseException as exc:
                failures.append(exc)

        def read() -> None:
            start.wait()
            try:
                while not writers_done.is_set():
                    for journey in journeys:
                        sequences = [i.sequence for i in store.interactions(journey.id, last=5)]
                        contiguous = (
                            list(range(sequences[0], sequences[0] + len(sequences))) if sequences else []
                        )
                        assert sequences == contiguous, sequences
            except BaseException as exc:
                failures.append(exc)

        writers = [threading.Thread(target=write, args=(w,)) for w in range(_THREADS)]
        reader = threading.Thread(target=read)
        for thread in (*writers, reader):
            thread.start()
        for thread in writers:
            thread.join(_JOIN_SECONDS)
        writers_done.set()
        reader.join(_JOIN_SECONDS)
        assert not failures, failures
        expected = {f"w{w}-{n}" for w in range(_THREADS) for n in range(_APPENDS_PER_THREAD)}
        _assert_complete(store, [j.id for j in journeys], expected)

    def test_processes_append_without_loss_or_duplicates(self, tmp_path: Path) -> None:
        self.require("supports_multiprocess")
        url = self.store_url(tmp_path)
        with open_store(url) as store:
            journey_ids = [seed(store)[1].id for _ in range(_JOURNEYS)]
        context = multiprocessing.get_context("spawn")  # fork is unsafe with threads about
        children = [
            context.Process(
                target=_write_from_process, args=(url, journey_ids, f"p{p}", _APPENDS_PER_PROCESS)
            )
            for p in range(_PROCESSES)
        ]
        for child in children:
            child.start()
        for child in children:
            child.join(_JOIN_SECONDS)
        exit_codes = [child.exitcode for child in children]
        for child in children:
            if child.is_alive():  # hung: do not leave it behind
                child.kill()
                child.join()
        assert exit_codes == [0] * _PROCESSES
        expected = {f"p{p}-{n}" for p in range(_PROCESSES) for n in range(_APPENDS_PER_PROCESS)}
        with open_store(url) as store:
            _assert_complete(store, journey_ids, expected)


def _assert_complete(store: Store, journey_ids: Sequence[str], expected: set[str]) -> None:
    """Every append is there once; each journey's versions grew one by one from the seeded 1."""
    seen: list[str] = []
    for journey_id in journey_ids:
        interactions = store.interactions(journey_id)
        assert [i.sequence for i in interactions] == list(range(2, len(interactions) + 2))
        assert store.get_journey(journey_id).version == len(interactions) + 1
        seen.extend(str(i.external_id) for i in interactions)
    assert sorted(seen) == sorted(expected)
