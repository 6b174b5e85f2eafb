"""``load_intake`` for SQLite: the look-ups of ``receive`` in one statement.

Every statement costs sqlite3 a step through its cache, a bind and a fetch, and SQLite
a walk of its indexes. One ``UNION ALL`` finds the stored message and, through the
identity, the contact's brief (its head and first links of each kind), its journeys and
their recent notifications, each row tagged with the part it answers. Look-ups by
reference or thread, and the contacts they lead to when those are not the identity's,
are rare: they run as the plain look-ups do, inside the same snapshot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from handoff._records import replace
from handoff.clock import micros
from handoff.identity import Identity
from handoff.models import Contact, IdentityLink, Interaction, Journey, Notification
from handoff.stores.capabilities import IntakeRecords
from handoff.stores.records import BRIEF_LINKS
from handoff.stores.rules import check_intake
from handoff.stores.sqlite._links import read_contact

__all__ = ["Briefs", "IntakeParams", "intake_params", "load_intake"]

T = TypeVar("T")
Load = Callable[[type[Any], str], Any]

# Parts of the statement's rows, in the order ORDER BY puts them.
_SEEN, _CONTACT, _LINK, _JOURNEY, _NOTIFICATION = range(5)
_OWNER = "(SELECT contact_id FROM identities WHERE identity = :identity)"
# A contact's links come whole up to a bound (the brief is cut from them in Python); a
# contact holding more has its brief read on its own (handoff.stores.sqlite._links).
# The rows carry their sort keys: sorting a handful of rows here is cheaper than SQLite's
# temporary B-trees for an ORDER BY over the compound. The notifications come through a
# join with the contact's journeys, not ``journey_id IN (...)``, which would build a
# temporary table of the journeys' ids on every call.
_INTAKE = f"""
SELECT {_SEEN}, 0, 0, data FROM interactions WHERE channel = :channel AND external_id = :external_id
UNION ALL
SELECT {_CONTACT}, 0, 0, data FROM contacts WHERE id = {_OWNER}
UNION ALL
SELECT {_LINK}, rowid, 0, data FROM (
    SELECT rowid, data FROM identities WHERE contact_id = {_OWNER} ORDER BY rowid LIMIT :links
)
UNION ALL
SELECT {_JOURNEY}, opened_at, rowid, data FROM journeys WHERE contact_id = {_OWNER}
UNION ALL
SELECT {_NOTIFICATION}, notifications.created_at, notifications.rowid, notifications.data
FROM journeys JOIN notifications ON notifications.journey_id = journeys.id
AND notifications.created_at >= :since WHERE journeys.contact_id = {_OWNER}
"""
_WHOLE_LINKS = 64
_BY_REFERENCE = "SELECT data FROM journeys WHERE reference = ?"
_JOURNEYS_OF = "SELECT data FROM journeys WHERE contact_id = ? ORDER BY opened_at, rowid"
_NOTIFICATIONS_OF = (
    "SELECT data FROM notifications WHERE journey_id IN (SELECT id FROM journeys WHERE contact_id = ?)"
    " AND created_at >= ? ORDER BY created_at, rowid"
)

IntakeParams = dict[str, Any]


def intake_params(
    identity: Identity,
    channel: str,
    external_id: str | None,
    references: Sequence[str],
    thread_refs: Sequence[str],
    since: datetime,
) -> tuple[IntakeParams, tuple[str, ...], tuple[str, ...]]:
    """The statement's parameters, the references and the thread references, checked
    as the plain look-ups check them."""
    identity, channel, external_id, wanted, refs, since = check_intake(
        identity, channel, external_id, references, thread_refs, since
    )
    params = {
        "identity": str(identity),
        "channel": channel,
        "external_id": external_id,
        "links": _WHOLE_LINKS + 1,
        "since": micros(since),
    }
    return params, wanted, refs


class Briefs:
    """Briefs cut from a contact's rows, by the rows' text and the identity asked about:
    the write path reads the same contact on every event of a conversation. Used under
    the store's lock; :meth:`clear` after an erasure."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: dict[tuple[str, ...], Contact] = {}

    def brief(self, load: Load, head: str, links: Sequence[str], identity: Identity) -> Contact:
        key = (str(identity), head, *links)
        found = self._items.get(key)
        if found is None:
            if len(self._items) >= self._size:
                self._items.clear()  # a new working set: simpler than an LRU, as good here
            found = self._items[key] = _brief(load, head, links, identity)
        return found

    def clear(self) -> None:
        self._items.clear()


def load_intake(
    conn: sqlite3.Connection,
    load: Load,
    briefs: Briefs,
    identity: Identity,
    params: IntakeParams,
    references: Sequence[str],
    by_thread: Journey | None,
) -> IntakeRecords:
    """What ``receive`` reads, on ``conn`` inside one snapshot: one statement, and one
    look-up per reference and per other contact a reference, a thread or a redelivery
    leads to. ``by_thread`` is the journey the inbound's thread references found."""
    rows: list[tuple[int, int, int, str]] = conn.execute(_INTAKE, params).fetchall()
    rows.sort()  # by part, then in each part's order
    parts: list[list[str]] = [[], [], [], [], []]
    for part, _, _, data in rows:
        parts[part].append(data)
    contacts: dict[str, Contact] = {}
    journeys: dict[str, list[Journey]] = {}
    notifications: dict[str, list[Notification]] = {}
    known: Contact | None = None
    if parts[_CONTACT]:
        known = briefs.brief(load, parts[_CONTACT][0], parts[_LINK], identity)
        if len(parts[_LINK]) > _WHOLE_LINKS:  # too many to cut the brief from: read it
            known = read_contact(conn, load, known.id, brief=True, identity=identity)
        assert known is not None  # its row was read in this snapshot
        contacts[known.id] = known
        journeys[known.id] = [load(Journey, data) for data in parts[_JOURNEY]]
        for data in parts[_NOTIFICATION]:
            notification: Notification = load(Notification, data)
            notifications.setdefault(notification.journey_id, []).append(notification)
    seen: Interaction | None = load(Interaction, parts[_SEEN][0]) if parts[_SEEN] else None
    by_reference: dict[str, Journey] = {}
    for reference in references:
        row = conn.execute(_BY_REFERENCE, (reference,)).fetchone()
        if row is not None:
            by_reference[reference] = load(Journey, row[0])
    others = [j.contact_id for j in (*by_reference.values(), *([by_thread] if by_thread else []))]
    if seen is not None and not any(j.id == seen.journey_id for j in journeys.get(seen.contact_id, ())):
        others.append(seen.contact_id)
    for contact_id in dict.fromkeys(others):
        if contact_id in contacts:
            continue
        other = read_contact(conn, load, contact_id, brief=True)
        if other is None:
            continue
        contacts[contact_id] = other
        journeys[contact_id] = [load(Journey, r[0]) for r in conn.execute(_JOURNEYS_OF, (contact_id,))]
        for r in conn.execute(_NOTIFICATIONS_OF, (contact_id, params["since"])):
            notification = load(Notification, r[0])
            notifications.setdefault(notification.journey_id, []).append(notification)
    return IntakeRecords(
        seen=seen,
        contact=known,
        by_reference=by_reference,
        by_thread=by_thread,
        contacts=contacts,
        journeys=journeys,
        notifications=notifications,
    )


def _brief(load: Load, head: str, links: Sequence[str], identity: Identity) -> Contact:
    """The contact's brief from its row and its links' rows in link order (all of them,
    or else the caller reads the brief instead)."""
    contact: Contact = load(Contact, head)  # both decoded from rows the store wrote
    kept: list[IdentityLink] = []
    seen: dict[str, int] = {}
    for text in links:
        link: IdentityLink = load(IdentityLink, text)
        kind = link.identity.kind
        if seen.get(kind, 0) < BRIEF_LINKS or link.identity == identity:
            seen[kind] = seen.get(kind, 0) + 1
            kept.append(link)
    return replace(contact, links=tuple(kept))
