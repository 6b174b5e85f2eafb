"""How the SQLite store writes a changeset, and explains what SQLite refused.

Kept apart from :mod:`handoff.stores.sqlite`, which owns the connection and the
transaction around these statements.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from handoff.clock import micros
from handoff.errors import ConcurrencyConflict, DuplicateInteraction, HandoffError, NotFound, StoreError
from handoff.models import DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.serde import to_json
from handoff.stores.records import Changeset
from handoff.stores.sqlite._callbacks import write_callbacks
from handoff.stores.sqlite._links import LinkRows, contact_head, write_links

Params = tuple[object, ...]

# Fixed SQL strings: sqlite3 keeps a prepared statement per distinct string.
_INSERT_CONTACT = "INSERT INTO contacts (id, version, data) VALUES (?, ?, ?)"
_UPDATE_CONTACT = "UPDATE contacts SET version = ?, data = ? WHERE id = ? AND version = ?"
_INSERT_JOURNEY = (
    "INSERT INTO journeys (contact_id, reference, status, version, opened_at, updated_at, data, id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_JOURNEY = (
    "UPDATE journeys SET contact_id = ?, reference = ?, status = ?, version = ?, opened_at = ?,"
    " updated_at = ?, data = ? WHERE id = ? AND version = ?"
)
# A journey nearly always keeps its owner, reference and opening (the key columns of two
# indexes): setting only what changes leaves those indexes alone, two pages fewer in the
# log per event. A journey whose key columns differ matches no row: a single write then
# runs the full UPDATE, a batch goes to the one-by-one writes.
_UPDATE_JOURNEY_STATE = (
    "UPDATE journeys SET status = ?, version = ?, updated_at = ?, data = ?"
    " WHERE id = ? AND version = ? AND contact_id = ? AND reference = ? AND opened_at = ?"
)
_INSERT_INTERACTION = (
    "INSERT INTO interactions (id, journey_id, contact_id, sequence, channel, author, kind, at,"
    " external_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_HANDOFF = (
    "INSERT INTO handoffs (id, journey_id, contact_id, at, from_channel, to_channel, initiated_by,"
    " reason, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_NOTIFICATION = (
    "INSERT INTO notifications (id, journey_id, contact_id, channel, purpose, status, send_at,"
    " created_at, data, provider_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_DECISION = "INSERT INTO decisions (id, journey_id, contact_id, at, data) VALUES (?, ?, ?, ?, ?)"


# Children first: foreign keys point from them to the journey and the contact.
_ERASE = (
    "DELETE FROM callbacks WHERE contact_id = ?",
    "DELETE FROM decisions WHERE journey_id IN (SELECT id FROM journeys WHERE contact_id = ?)",
    "DELETE FROM notifications WHERE journey_id IN (SELECT id FROM journeys WHERE contact_id = ?)",
    "DELETE FROM handoffs WHERE journey_id IN (SELECT id FROM journeys WHERE contact_id = ?)",
    "DELETE FROM interactions WHERE journey_id IN (SELECT id FROM journeys WHERE contact_id = ?)",
    "DELETE FROM journeys WHERE contact_id = ?",
    "DELETE FROM identities WHERE contact_id = ?",
)
_ERASE_CONTACT = "DELETE FROM contacts WHERE id = ?"


def erase(conn: sqlite3.Connection, contact_id: str) -> bool:
    """Delete the contact and everything of its journeys; False if there is no such contact."""
    for statement in _ERASE:
        conn.execute(statement, (contact_id,))
    return conn.execute(_ERASE_CONTACT, (contact_id,)).rowcount == 1


class Rows:
    """A changeset turned into statement parameters, and the writes that use them.

    A refused INSERT is explained by looking at the data still inside the failed
    transaction, which names the culprit better than SQLite's message does.
    """

    def __init__(self, changes: Changeset) -> None:
        self.changes = changes
        contact, journey = changes.contact, changes.journey
        self.contact: Params = (
            () if contact is None else (contact.id, contact.version, to_json(contact_head(contact)))
        )
        self.links = LinkRows(changes)
        self.journey: Params = () if journey is None else _journey_params(journey)
        self.interactions: list[Params] = [
            (
                i.id,
                i.journey_id,
                i.contact_id,
                i.sequence,
                i.channel,
                i.author,
                i.kind,
                micros(i.at),
                i.external_id,
                to_json(i),
            )
            for i in changes.interactions
        ]
        # A handoff's contact is the one its summary was written for.
        self.handoffs: list[Params] = [
            (
                h.id,
                h.journey_id,
                h.summary.contact.contact_id,
                micros(h.at),
                h.from_channel,
                h.to_channel,
                h.initiated_by,
                h.reason,
                to_json(h),
            )
            for h in changes.handoffs
        ]
        self.notifications: list[Params] = [
            (
                n.id,
                n.journey_id,
                n.contact_id,
                n.channel,
                n.purpose,
                n.status,
                micros(n.send_at),
                micros(n.created_at),
                to_json(n),
                n.provider_id,
            )
            for n in changes.notifications
        ]
        self.decisions: list[Params] = [
            (d.id, d.journey_id, d.contact_id, micros(d.at), to_json(d)) for d in changes.decisions
        ]

    def write(self, conn: sqlite3.Connection) -> None:
        """Contact, identities, journey, then the rows that reference them."""
        changes = self.changes
        if changes.contact is not None:
            _write_contact(conn, self)
        if changes.journey is not None:
            _write_journey(conn, changes.journey, changes.expected_journey_version, self.journey)
        for interaction, params in zip(changes.interactions, self.interactions, strict=True):
            try:
                conn.execute(_INSERT_INTERACTION, params)
            except sqlite3.IntegrityError as exc:
                raise _interaction_refused(conn, interaction) or _unexplained(exc) from exc
        for handoff, params in zip(changes.handoffs, self.handoffs, strict=True):
            try:
                conn.execute(_INSERT_HANDOFF, params)
            except sqlite3.IntegrityError as exc:
                raise _record_refused(conn, "handoff", handoff) or _unexplained(exc) from exc
        for notification, params in zip(changes.notifications, self.notifications, strict=True):
            try:
                conn.execute(_INSERT_NOTIFICATION, params)
            except sqlite3.IntegrityError as exc:
                raise _record_refused(conn, "notification", notification) or _unexplained(exc) from exc
        for decision, params in zip(changes.decisions, self.decisions, strict=True):
            try:
                conn.execute(_INSERT_DECISION, params)
            except sqlite3.IntegrityError as exc:
                raise _record_refused(conn, "decision", decision) or _unexplained(exc) from exc
        if changes.callbacks or changes.cancelled_notifications:
            write_callbacks(conn, changes)


def write_many(conn: sqlite3.Connection, batch: Sequence[Rows]) -> None:
    """Many changesets' rows in one transaction, one ``executemany`` per statement if it can.

    Grouping by table writes exactly what the changesets write one by one as long as no
    contact or journey is written twice and nothing points at one a later changeset
    creates (so :func:`~handoff._backfill.coalesce`'s batches qualify). Otherwise, and
    whenever SQLite refuses a grouped statement, the grouped writes are undone and the
    changesets are written one by one, which names the culprit as :meth:`Rows.write` does.
    """
    if len(batch) > 1 and _groupable(batch):
        conn.execute("SAVEPOINT grouped")
        try:
            written = _write_grouped(conn, batch)
        except (sqlite3.IntegrityError, UnicodeEncodeError):
            written = False
        if written:
            conn.execute("RELEASE grouped")
            return
        conn.execute("ROLLBACK TO grouped")
        conn.execute("RELEASE grouped")
    for rows in batch:
        rows.write(conn)


def _groupable(batch: Sequence[Rows]) -> bool:
    """Each contact and journey written once, and never after something that points at it."""
    contacts: dict[str, int] = {}
    journeys: dict[str, int] = {}
    for n, rows in enumerate(batch):
        contact, journey = rows.changes.contact, rows.changes.journey
        if contact is not None:
            if contact.id in contacts:
                return False
            contacts[contact.id] = n
        if journey is not None:
            if journey.id in journeys:
                return False
            journeys[journey.id] = n
    for n, rows in enumerate(batch):
        changes = rows.changes
        if changes.journey is not None and contacts.get(changes.journey.contact_id, n) > n:
            return False
        for records in (changes.interactions, changes.handoffs, changes.notifications, changes.decisions):
            if any(journeys.get(record.journey_id, n) > n for record in records):
                return False
        if changes.callbacks or changes.cancelled_notifications:
            return False  # written one by one, each checked against what is stored
    return True


def _write_grouped(conn: sqlite3.Connection, batch: Sequence[Rows]) -> bool:
    """Contacts, identities, journeys, then their rows; False if a version check failed."""
    changed = [(rows, rows.changes.contact) for rows in batch if rows.changes.contact is not None]
    conn.executemany(
        _INSERT_CONTACT, [r.contact for r, _ in changed if not r.changes.expected_contact_version]
    )
    updates = [
        (r.contact[1], r.contact[2], r.contact[0], r.changes.expected_contact_version)
        for r, _ in changed
        if r.changes.expected_contact_version
    ]
    if updates and conn.executemany(_UPDATE_CONTACT, updates).rowcount != len(updates):
        return False
    if not write_links(conn, [rows.links for rows, _ in changed]):
        return False
    moved = [rows for rows in batch if rows.changes.journey is not None]
    conn.executemany(_INSERT_JOURNEY, [r.journey for r in moved if not r.changes.expected_journey_version])
    versioned: list[Params] = [
        _state_params(r.journey, r.changes.expected_journey_version)
        for r in moved
        if r.changes.expected_journey_version
    ]
    if versioned and conn.executemany(_UPDATE_JOURNEY_STATE, versioned).rowcount != len(versioned):
        return False
    for sql, params in (
        (_INSERT_INTERACTION, [p for rows in batch for p in rows.interactions]),
        (_INSERT_HANDOFF, [p for rows in batch for p in rows.handoffs]),
        (_INSERT_NOTIFICATION, [p for rows in batch for p in rows.notifications]),
        (_INSERT_DECISION, [p for rows in batch for p in rows.decisions]),
    ):
        if params:
            conn.executemany(sql, params)
    return True


def _journey_params(journey: Journey) -> Params:
    """In the column order both journey statements share: the key comes last."""
    return (
        journey.contact_id,
        journey.reference,
        journey.status,
        journey.version,
        micros(journey.opened_at),
        micros(journey.updated_at),
        to_json(journey),
        journey.id,
    )


def _state_params(params: Params, expected: int) -> Params:
    """:data:`_UPDATE_JOURNEY_STATE`'s parameters from :func:`_journey_params`'."""
    contact_id, reference, status, version, opened_at, updated_at, data, journey_id = params
    return (status, version, updated_at, data, journey_id, expected, contact_id, reference, opened_at)


def _write_contact(conn: sqlite3.Connection, rows: Rows) -> None:
    """Insert or version-checked update, then the identity rows the changeset changes."""
    contact, expected, params = rows.changes.contact, rows.changes.expected_contact_version, rows.contact
    assert contact is not None
    if expected == 0:
        try:
            conn.execute(_INSERT_CONTACT, params)
        except sqlite3.IntegrityError as exc:
            raise ConcurrencyConflict(f"contact {contact.id!r} already exists") from exc
    elif conn.execute(_UPDATE_CONTACT, (contact.version, params[2], contact.id, expected)).rowcount != 1:
        raise ConcurrencyConflict(f"contact {contact.id!r} is not at version {expected}")
    rows.links.write(conn)


def _write_journey(conn: sqlite3.Connection, journey: Journey, expected: int, params: Params) -> None:
    """Insert when ``expected`` is 0, else update only if the stored version is ``expected``:
    its state alone when its key columns are unchanged, else every column."""
    try:
        if expected == 0:
            conn.execute(_INSERT_JOURNEY, params)
            return
        if conn.execute(_UPDATE_JOURNEY_STATE, _state_params(params, expected)).rowcount == 1:
            return
        updated = conn.execute(_UPDATE_JOURNEY, (*params, expected)).rowcount
    except sqlite3.IntegrityError as exc:
        raise _journey_refused(conn, journey, is_new=expected == 0) or _unexplained(exc) from exc
    if updated != 1:
        raise ConcurrencyConflict(f"journey {journey.id!r} is not at version {expected}")


def _exists(conn: sqlite3.Connection, sql: str, params: Params) -> bool:
    return conn.execute(sql, params).fetchone() is not None


def _journey_refused(conn: sqlite3.Connection, journey: Journey, *, is_new: bool) -> HandoffError | None:
    if is_new and _exists(conn, "SELECT 1 FROM journeys WHERE id = ?", (journey.id,)):
        return ConcurrencyConflict(f"journey {journey.id!r} already exists")
    if _exists(
        conn, "SELECT 1 FROM journeys WHERE reference = ? AND id <> ?", (journey.reference, journey.id)
    ):
        return ConcurrencyConflict(f"journey reference {journey.reference!r} is already taken")
    if not _exists(conn, "SELECT 1 FROM contacts WHERE id = ?", (journey.contact_id,)):
        return NotFound("contact", journey.contact_id)
    return None


def _interaction_refused(conn: sqlite3.Connection, interaction: Interaction) -> HandoffError | None:
    if _exists(conn, "SELECT 1 FROM interactions WHERE id = ?", (interaction.id,)):
        return DuplicateInteraction(f"interaction {interaction.id!r} is already stored")
    channel, external_id = interaction.channel, interaction.external_id
    if external_id is not None and _exists(
        conn, "SELECT 1 FROM interactions WHERE channel = ? AND external_id = ?", (channel, external_id)
    ):
        return DuplicateInteraction(
            f"an interaction from {channel} with external id {external_id!r} is already stored"
        )
    if not _exists(conn, "SELECT 1 FROM journeys WHERE id = ?", (interaction.journey_id,)):
        return NotFound("journey", interaction.journey_id)
    sql = "SELECT 1 FROM interactions WHERE journey_id = ? AND sequence = ?"
    if _exists(conn, sql, (interaction.journey_id, interaction.sequence)):
        return ConcurrencyConflict(
            f"journey {interaction.journey_id!r} already has interaction number {interaction.sequence}"
        )
    return None


def _record_refused(
    conn: sqlite3.Connection, kind: str, record: Handoff | Notification | DecisionRecord
) -> HandoffError | None:
    if _exists(conn, f"SELECT 1 FROM {kind}s WHERE id = ?", (record.id,)):
        return ConcurrencyConflict(f"{kind} {record.id!r} already exists")
    if isinstance(record, Notification) and record.provider_id is not None:
        taken = provider_holder(conn, record.provider_id, record.id)
        if taken is not None:
            return taken
    if not _exists(conn, "SELECT 1 FROM journeys WHERE id = ?", (record.journey_id,)):
        return NotFound("journey", record.journey_id)
    return None


def provider_holder(conn: sqlite3.Connection, provider_id: str, notification_id: str) -> HandoffError | None:
    """The conflict when another notification already holds ``provider_id``."""
    sql = "SELECT id FROM notifications WHERE provider_id = ? AND id <> ?"
    row = conn.execute(sql, (provider_id, notification_id)).fetchone()
    if row is None:
        return None
    return ConcurrencyConflict(f"provider id {provider_id!r} already belongs to notification {row[0]!r}")


def _unexplained(exc: sqlite3.Error) -> StoreError:
    return StoreError(f"SQLite refused a write: {exc}")
