"""The contract is ten primitives; everything else :class:`Store` derives from them.

A store that writes only the primitives (here each one handed to a
:class:`~handoff.stores.MemoryStore`, every other look-up inherited) passes the whole
conformance kit, the state machine included.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from handoff.identity import Identity
from handoff.models import Contact, DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.stores import PRIMITIVES, Changeset, MemoryStore, SQLiteStore, Store
from handoff.stores.base import Store as BaseStore
from handoff.testing import StoreConformance


class _PrimitivesOnly(Store):
    """Only the abstract methods, each delegated; nothing derived is overridden."""

    def __init__(self) -> None:
        self.inner = MemoryStore()

    def commit(self, changes: Changeset) -> None:
        self.inner.commit(changes)

    def mark_notification(
        self, notification_id: str, status: str, at: datetime, *, provider_id: str | None = None
    ) -> Notification:
        return self.inner.mark_notification(notification_id, status, at, provider_id=provider_id)

    def erase_contact(self, contact_id: str) -> None:
        self.inner.erase_contact(contact_id)

    def get_contact(self, contact_id: str) -> Contact:
        return self.inner.get_contact(contact_id)

    def find_contact(self, identity: Identity) -> Contact | None:
        return self.inner.find_contact(identity)

    def all_journeys(self) -> Iterator[Journey]:
        return self.inner.all_journeys()

    def interactions(self, journey_id: str, *, last: int | None = None) -> list[Interaction]:
        return self.inner.interactions(journey_id, last=last)

    def handoffs(self, journey_id: str) -> list[Handoff]:
        return self.inner.handoffs(journey_id)

    def notifications(self, journey_id: str) -> list[Notification]:
        return self.inner.notifications(journey_id)

    def decisions(self, journey_id: str) -> list[DecisionRecord]:
        return self.inner.decisions(journey_id)


class TestPrimitivesOnly(StoreConformance):
    def make_store(self, directory: Path) -> Store:
        return _PrimitivesOnly()


def test_the_primitives_are_the_abstract_methods() -> None:
    assert Store is BaseStore
    assert set(PRIMITIVES) == Store.__abstractmethods__
    assert len(PRIMITIVES) == 10
    overridden = set(vars(_PrimitivesOnly)) - {"__init__", "__module__", "__doc__", "__abstractmethods__"}
    assert overridden == set(PRIMITIVES) | {"_abc_impl"}


def test_every_derived_look_up_is_overridden_by_the_built_in_stores() -> None:
    """The built-in backends answer each look-up from an index, not by scanning journeys."""
    derived = {
        name
        for name, value in vars(Store).items()
        if callable(value) and not name.startswith("_") and name not in PRIMITIVES
    } - {"from_url", "close"}
    assert "journeys_of" in derived and "due_notifications" in derived
    for backend in (MemoryStore, SQLiteStore):
        inherited = {name for name in derived if getattr(backend, name) is getattr(Store, name)}
        assert inherited == set(), backend
