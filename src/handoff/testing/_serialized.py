"""Conformance for the optional :class:`~handoff.stores.capabilities.SerializedWrites` capability.

Writers that read a journey and append to it inside ``serialized(key)`` with the same
key must never meet a version conflict, from threads and (where the store supports it)
from processes; a block that raises keeps nothing; a stale write inside a block is still
refused; nesting joins the open block.
"""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

from handoff.errors import ConcurrencyConflict, ValidationError
from handoff.stores.base import Store
from handoff.stores.capabilities import SerializedWrites
from handoff.stores.registry import open_store
from handoff.testing._kit import KitBase, seed
from handoff.testing.factories import append_changeset, new_id

_THREADS, _APPENDS = 4, 25


def _append_serialized(store: Store, journey_id: str, key: str) -> None:
    """Read the journey and append one interaction to it, inside ``serialized(key)``."""
    assert isinstance(store, SerializedWrites)
    with store.serialized(key):
        store.commit(append_changeset(store.get_journey(journey_id), external_id=new_id("msg")))


def _append_from_process(url: str, journey_id: str, key: str, count: int) -> int:
    with open_store(url) as store:
        for _ in range(count):
            _append_serialized(store, journey_id, key)
    return count


class SerializedWritesConformance(KitBase):
    def serialized_store(self, store: Store) -> SerializedWrites:
        """The store as SerializedWrites, or a visible skip if it is not one."""
        if not isinstance(store, SerializedWrites):
            pytest.skip(f"{type(store).__name__} is not SerializedWrites (optional capability)")
        return store

    def test_serialized_writers_of_one_key_never_conflict(self, store: Store) -> None:
        self.serialized_store(store)
        self.require("supports_concurrency")
        contact, journey = seed(store, "email:hot@example.com")
        failures: list[BaseException] = []

        def writer() -> None:
            try:
                for _ in range(_APPENDS):
                    _append_serialized(store, journey.id, contact.id)
            except BaseException as exc:  # reported below, with the rest
                failures.append(exc)

        threads = [threading.Thread(target=writer) for _ in range(_THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        total = _THREADS * _APPENDS
        assert store.get_journey(journey.id).version == journey.version + total
        sequences = [i.sequence for i in store.interactions(journey.id)][-total:]
        assert sequences == list(range(journey.version + 1, journey.version + total + 1))

    def test_serialized_writers_in_other_processes_never_conflict(self, tmp_path: Path) -> None:
        self.require("supports_multiprocess")
        url = self.store_url(tmp_path)
        with open_store(url) as store:
            self.serialized_store(store)
            contact, journey = seed(store, "email:hot-processes@example.com")
        context = multiprocessing.get_context("spawn")
        with context.Pool(3) as pool:
            done = pool.starmap(_append_from_process, [(url, journey.id, contact.id, 20)] * 3)
        with open_store(url) as store:
            assert store.get_journey(journey.id).version == journey.version + sum(done)
            assert sum(done) == 60

    def test_a_block_that_raises_lets_go_of_its_key(self, store: Store) -> None:
        serialized = self.serialized_store(store)
        contact, journey = seed(store, "email:undo@example.com")

        def failing_plan() -> None:
            with serialized.serialized(contact.id):
                store.get_journey(journey.id)
                raise RuntimeError("planning failed")

        with pytest.raises(RuntimeError):
            failing_plan()
        assert store.get_journey(journey.id) == journey
        done = threading.Thread(target=_append_serialized, args=(store, journey.id, contact.id))
        done.start()  # another thread: a lock kept by this one would block it
        done.join(timeout=30)
        assert not done.is_alive()
        assert store.get_journey(journey.id).version == journey.version + 1

    def test_a_stale_write_inside_a_block_is_still_refused(self, store: Store) -> None:
        serialized = self.serialized_store(store)
        contact, journey = seed(store, "email:stale@example.com")
        store.commit(append_changeset(journey))
        with pytest.raises(ConcurrencyConflict), serialized.serialized(contact.id):
            store.commit(append_changeset(journey))  # read before the block: one version behind
        assert store.get_journey(journey.id).version == journey.version + 1
        _append_serialized(store, journey.id, contact.id)
        assert store.get_journey(journey.id).version == journey.version + 2

    def test_a_nested_block_joins_the_open_one(self, store: Store) -> None:
        serialized = self.serialized_store(store)
        contact, journey = seed(store, "email:nested@example.com")
        with serialized.serialized(contact.id), serialized.serialized("another key"):
            store.commit(append_changeset(store.get_journey(journey.id)))
        assert store.get_journey(journey.id).version == journey.version + 1

    def test_a_key_must_be_text(self, store: Store) -> None:
        serialized = self.serialized_store(store)
        for bad in ("", 7, None):
            with pytest.raises(ValidationError) as caught, serialized.serialized(bad):  # type: ignore[arg-type]
                pass
            assert caught.value.field == "key"
