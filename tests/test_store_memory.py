"""The in-memory store: the conformance kit, plus what only this backend promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff.errors import ValidationError
from handoff.stores import Changeset, MemoryStore, open_store
from handoff.testing import StoreConformance
from handoff.testing.factories import append_changeset, make_contact, make_journey


class TestMemoryStore(StoreConformance):
    def make_store(self, directory: Path) -> MemoryStore:
        return MemoryStore()


def test_memory_url_gives_a_new_empty_store_each_time() -> None:
    first = open_store("memory://")
    contact = make_contact()
    first.commit(Changeset(contact=contact))
    second = open_store("memory://")
    assert isinstance(second, MemoryStore)
    assert second.find_contact(contact.identities[0]) is None
    assert first.find_contact(contact.identities[0]) == contact


def test_memory_url_takes_no_path() -> None:
    with pytest.raises(ValidationError) as caught:
        MemoryStore.from_url("memory://somewhere")
    assert caught.value.field == "url"


def test_reads_return_the_stored_objects_themselves() -> None:
    store = MemoryStore()
    contact = make_contact()
    journey = make_journey(contact)
    change = append_changeset(journey)
    store.commit(Changeset(contact=contact, journey=journey))
    store.commit(change)
    assert store.get_journey(journey.id) is change.journey
    assert store.interactions(journey.id)[0] is change.interactions[0]
