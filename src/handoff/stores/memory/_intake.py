"""The memory store's ``load_intake``: what ``receive`` reads, in one call under one lock.

Answered from the store's own maps, so that a receive takes the lock once instead of
once per look-up, and reads only the notifications of the last day (the keys of a
journey's notifications are in creation order, so they are found by bisection).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from handoff._records import builder
from handoff.clock import micros
from handoff.identity import Identity
from handoff.models import Contact, Journey, Notification
from handoff.stores.capabilities import IntakeReads, IntakeRecords
from handoff.stores.rules import check_intake

__all__ = ["MemoryIntake"]

_records = builder(IntakeRecords)


class MemoryIntake(IntakeReads):
    """:class:`~handoff.stores.capabilities.IntakeReads` over the memory store's maps."""

    def load_intake(
        self,
        identity: Identity,
        channel: str,
        external_id: str | None,
        references: Sequence[str],
        thread_refs: Sequence[str],
        since: datetime,
    ) -> IntakeRecords:
        identity, channel, external_id, wanted, refs, since = check_intake(
            identity, channel, external_id, references, thread_refs, since
        )
        store = cast(Any, self)  # a MemoryStore: its maps are read under its lock
        journeys_by_id: dict[str, Journey] = store._journeys
        with store._lock:
            seen = None if external_id is None else store._by_external.get((channel, external_id))
            owner: str | None = store._owners.get(identity)
            known: Contact | None = None
            if owner is not None:
                known = store._brief(store._contacts[owner], identity)
            by_reference: dict[str, Journey] = {}
            for reference in wanted:
                found = store._by_reference.get(reference)
                if found is not None:
                    by_reference[reference] = journeys_by_id[found]
            by_thread: Journey | None = store.find_journey_by_thread(refs) if refs else None
            anchors = [*by_reference.values(), *([by_thread] if by_thread is not None else [])]
            if seen is not None:
                anchors.append(journeys_by_id[seen.journey_id])
            owners: dict[str, None] | tuple[str, ...]
            if anchors:
                owners = dict.fromkeys(
                    [*([owner] if owner is not None else []), *(j.contact_id for j in anchors)]
                )
            else:  # the usual message: no reference, thread or redelivery, only its sender
                owners = (owner,) if owner is not None else ()
            contacts: dict[str, Contact] = {}
            journeys: dict[str, tuple[Journey, ...]] = {}
            notifications: dict[str, tuple[Notification, ...]] = {}
            after = (micros(since),)  # before every key of a notification created at or after since
            for contact_id in owners:
                contacts[contact_id] = (
                    known
                    if contact_id == owner and known is not None
                    else store._brief(store._contacts[contact_id], None)
                )
                owned = tuple([journeys_by_id[key[2]] for key in store._journeys_of.get(contact_id, ())])
                journeys[contact_id] = owned
                for journey in owned:
                    keys = store._notifications_of.get(journey.id, ())
                    recent = keys[bisect.bisect_left(keys, after) :]
                    if recent:
                        notifications[journey.id] = tuple([store._notifications[key[2]] for key in recent])
        return _records(  # its maps made here, in the shapes its converters would give them
            seen=seen,
            contact=known,
            by_reference=by_reference,
            by_thread=by_thread,
            contacts=contacts,
            journeys=journeys,
            notifications=notifications,
        )
