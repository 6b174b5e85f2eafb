"""A store of the ten primitives only (each handed to a :class:`~handoff.stores.MemoryStore`).

Every other look-up is :class:`~handoff.stores.base.Store`'s own, and it offers no
optional capability: the reference a store's faster reads are compared with.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from handoff.identity import Identity
from handoff.models import Contact, DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.stores import Changeset, MemoryStore, Store


class PrimitivesOnly(Store):
    """Only the abstract methods, each delegated; nothing derived is overridden, and no
    optional capability offered: ``receive`` reads from it look-up by look-up."""

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
