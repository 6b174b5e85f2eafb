"""A contact's identity links as rows of their own: written one by one, read whole or brief.

The contact's JSON carries no links (``links`` is empty there); each link is a row of
``identities`` with its JSON in ``data`` and its kind, and the row's ``rowid`` is its
place among the contact's links. Linking one identity to a contact with thousands
writes one row; the write path reads a brief (the first links of each kind), never
all of them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from attrs import evolve

from handoff.errors import ConcurrencyConflict
from handoff.identity import Identity
from handoff.models import Contact, IdentityLink
from handoff.serde import to_json
from handoff.stores.records import BRIEF_LINKS, Changeset

__all__ = ["LinkRows", "contact_head", "owner_of", "read_contact", "taken"]

Params = tuple[Any, ...]
Load = Callable[[type[Any], str], Any]

_CONTACT = "SELECT data FROM contacts WHERE id = ?"
_OWNER = "SELECT contact_id FROM identities WHERE identity = ?"
_ALL = "SELECT data FROM identities WHERE contact_id = ? ORDER BY rowid"
# The first few of each kind: a walk of identities_by_kind from kind to kind, then each
# kind's first rows; the identity asked about besides. Bounded whatever the contact holds.
_BRIEF = """
WITH RECURSIVE kinds (kind) AS (
    SELECT min(kind) FROM identities WHERE contact_id = ?1
    UNION ALL
    SELECT (SELECT min(kind) FROM identities WHERE contact_id = ?1 AND kind > kinds.kind)
    FROM kinds WHERE kinds.kind IS NOT NULL
)
SELECT identities.rowid, identities.data FROM kinds JOIN identities ON identities.rowid IN (
    SELECT rowid FROM identities WHERE contact_id = ?1 AND kind = kinds.kind ORDER BY rowid LIMIT ?2
)
UNION
SELECT rowid, data FROM identities WHERE identity = ?3 AND contact_id = ?1
ORDER BY 1
"""
_INSERT = "INSERT INTO identities (identity, contact_id, kind, data) VALUES (?, ?, ?, ?)"
# A link replaced keeps its row, so its place; one held by another contact is not touched.
_UPSERT = (
    "INSERT INTO identities (identity, contact_id, kind, data) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (identity) DO UPDATE SET data = excluded.data"
    " WHERE identities.contact_id = excluded.contact_id"
)
_DELETE = "DELETE FROM identities WHERE identity = ? AND contact_id = ?"


def contact_head(contact: Contact) -> Contact:
    """The contact as its row keeps it: without its links."""
    return contact if not contact.links else evolve(contact, links=())


def _row(contact_id: str, link: IdentityLink) -> Params:
    return (str(link.identity), contact_id, link.identity.kind, to_json(link))


class LinkRows:
    """The identity rows one changeset adds, replaces and removes."""

    def __init__(self, changes: Changeset) -> None:
        contact = changes.contact
        self.inserted: list[Params] = []
        self.upserted: list[Params] = []
        self.deleted: list[Params] = []
        if contact is None:
            return
        added = [_row(contact.id, link) for link in changes.links]
        if changes.expected_contact_version == 0:
            self.inserted = [_row(contact.id, link) for link in contact.links] + added
        else:
            self.upserted = added
        self.deleted = [(str(identity), contact.id) for identity in changes.unlinks]

    def write(self, conn: sqlite3.Connection) -> None:
        """Write them, in order; ConcurrencyConflict for an identity another contact holds."""
        for params in self.inserted:
            try:
                conn.execute(_INSERT, params)
            except sqlite3.IntegrityError as exc:
                raise taken(conn, str(params[0])) from exc
        for params in self.upserted:
            if conn.execute(_UPSERT, params).rowcount != 1:
                raise taken(conn, str(params[0]))
        conn.executemany(_DELETE, self.deleted)


def write_links(conn: sqlite3.Connection, batch: Sequence[LinkRows]) -> bool:
    """The identity rows of a batch grouped by statement; False (or SQLite's
    IntegrityError) when one is refused, for the caller to write them one by one."""
    conn.executemany(_INSERT, [params for rows in batch for params in rows.inserted])
    upserted = [params for rows in batch for params in rows.upserted]
    if upserted and conn.executemany(_UPSERT, upserted).rowcount != len(upserted):
        return False
    conn.executemany(_DELETE, [params for rows in batch for params in rows.deleted])
    return True


def taken(conn: sqlite3.Connection, identity: Identity | str) -> ConcurrencyConflict:
    """The refusal of an identity another contact holds, naming it."""
    row = conn.execute(_OWNER, (str(identity),)).fetchone()
    owner = "another contact" if row is None else f"contact {row[0]!r}"
    return ConcurrencyConflict(f"identity {identity} already belongs to {owner}")


def owner_of(conn: sqlite3.Connection, identity: Identity) -> str | None:
    """The id of the contact holding ``identity``, if any."""
    row = conn.execute(_OWNER, (str(identity),)).fetchone()
    return None if row is None else str(row[0])


def read_contact(
    conn: sqlite3.Connection,
    load: Load,
    contact_id: str,
    *,
    brief: bool = False,
    identity: Identity | None = None,
) -> Contact | None:
    """The contact with every link, or its brief (``identity``'s link among them); None
    if there is no such contact. Links a stored contact's JSON still carries are not
    read: the rows are the links."""
    row = conn.execute(_CONTACT, (contact_id,)).fetchone()
    if row is None:
        return None
    head: Contact = load(Contact, row[0])
    if brief:
        key = None if identity is None else str(identity)
        rows = conn.execute(_BRIEF, (contact_id, BRIEF_LINKS, key)).fetchall()
        texts = [r[1] for r in rows]
    else:
        texts = [r[0] for r in conn.execute(_ALL, (contact_id,))]
    return evolve(head, links=tuple(load(IdentityLink, text) for text in texts))
