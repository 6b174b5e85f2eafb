"""Due notifications to claim, and the workers that drain them from another process."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handoff.models import Notification
from handoff.stores import open_store
from handoff.stores.base import Changeset, Store
from handoff.stores.capabilities import OutboxLeases
from handoff.testing._kit import seed
from handoff.testing.factories import T0, make_notification, new_id

NOW = T0 + timedelta(days=1)


def fill(store: Store, count: int, *, per_journey: int = 50) -> list[Notification]:
    """``count`` notifications due one second apart (before ``NOW``), in journeys of ``per_journey``."""
    made: list[Notification] = []
    while len(made) < count:
        _, journey = seed(store, f"email:{new_id('lease')}@example.com", opened_at=T0)
        batch = [
            make_notification(journey, send_at=T0 + timedelta(seconds=len(made) + i), created_at=T0)
            for i in range(min(per_journey, count - len(made)))
        ]
        store.commit(Changeset(notifications=tuple(batch)))
        made += batch
    return made


def drain(url: str, worker: str, batch: int, start: Any, results: Any) -> None:
    """Claim and acknowledge until nothing is left; put (worker, the ids it claimed) on ``results``.

    ``start`` is a barrier every worker waits at twice: before its first claim, so that
    they all drain at once, and after it, so that every worker holds a lease while the
    others claim.
    """
    claimed: list[str] = []
    try:
        store = open_store(url)
        assert isinstance(store, OutboxLeases)
        start.wait(timeout=120)
        found = store.claim_notifications(worker, NOW, limit=batch, lease=timedelta(minutes=5))
        start.wait(timeout=120)
        while found:
            for notification in found:
                claimed.append(notification.id)
                store.mark_notification(notification.id, "sent", NOW)
            found = store.claim_notifications(worker, NOW, limit=batch, lease=timedelta(minutes=5))
        store.close()
    finally:
        results.put((worker, claimed))
