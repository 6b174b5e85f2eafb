"""``commit_many`` as set-based writes: a few statements per table per batch, not per journey.

A batch's contacts and journeys are copied (``COPY``) into temporary tables, then
written with one ``INSERT … SELECT`` for the new ones and one ``UPDATE … FROM`` for the
changed ones, which matches only rows still at the version the changeset expects.
The identity links of new contacts go in with one ``COPY``, those added to stored
contacts with one ``INSERT … ON CONFLICT`` (an identity another contact holds refuses the
batch), those removed with one ``DELETE``;
the appended rows go in with ``COPY`` (see :meth:`~handoff.stores.postgres._writes.Rows.copy_appended`).

Writing table by table gives the same result as writing the changesets in order only
when no contact or journey is written twice, no identity moves between two contacts of
the batch, and nothing points at a contact
or journey a later changeset creates; a backfill's coalesced batches always qualify.
Any other batch is written in order (:meth:`~handoff.stores.postgres._writes.Rows.write_versioned`).

A refused batch (a stale version, a violated constraint) is rolled back and written
again in order, which refuses it as the changesets one after another would, naming the
first culprit; refusals are rare in an import, and this keeps their wording in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from handoff.models import Contact, Journey
from handoff.stores.postgres._writes import Connection, Params, Rows
from handoff.stores.records import Changeset

__all__ = ["Refused", "set_based", "write_set"]


class Refused(Exception):
    """A record of the batch is not at the version its changeset expects."""


# The staging tables live as long as the session, their rows until the transaction ends;
# made when missing (a pooled session may be new) and emptied before use (a transaction
# may write two batches), in one round trip.
_STAGE = """
DO $$ BEGIN
    IF to_regclass('pg_temp.handoff_staged_contacts') IS NULL THEN
        CREATE TEMPORARY TABLE handoff_staged_contacts (
            id text NOT NULL, version integer NOT NULL, created_at timestamptz NOT NULL,
            data jsonb NOT NULL, expected integer NOT NULL
        ) ON COMMIT DELETE ROWS;
    END IF;
    IF to_regclass('pg_temp.handoff_staged_journeys') IS NULL THEN
        CREATE TEMPORARY TABLE handoff_staged_journeys (
            contact_id text NOT NULL, reference text NOT NULL, status text NOT NULL,
            version integer NOT NULL, opened_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL, data jsonb NOT NULL, id text NOT NULL,
            expected integer NOT NULL, written integer NOT NULL
        ) ON COMMIT DELETE ROWS;
    END IF;
END $$;
DELETE FROM pg_temp.handoff_staged_contacts;
DELETE FROM pg_temp.handoff_staged_journeys
"""
_COPY_CONTACTS = "COPY pg_temp.handoff_staged_contacts (id, version, created_at, data, expected) FROM STDIN"
_COPY_JOURNEYS = (
    "COPY pg_temp.handoff_staged_journeys"
    " (contact_id, reference, status, version, opened_at, updated_at, data, id, expected, written) FROM STDIN"
)
_INSERT_CONTACTS = (
    "INSERT INTO contacts (id, version, created_at, data)"
    " SELECT id, version, created_at, data FROM pg_temp.handoff_staged_contacts WHERE expected = 0"
)
_UPDATE_CONTACTS = (
    "UPDATE contacts SET version = s.version, created_at = s.created_at, data = s.data"
    " FROM pg_temp.handoff_staged_contacts AS s"
    " WHERE s.expected <> 0 AND contacts.id = s.id AND contacts.version = s.expected RETURNING contacts.id"
)
_COPY_IDENTITIES = "COPY identities (identity, contact_id, kind, data) FROM STDIN"
# Links added to stored contacts (four arrays: identity, contact id, kind, JSON); one that
# another contact holds is not touched, which the count of rows returned shows.
_ADD_LINKS = (
    "INSERT INTO identities (identity, contact_id, kind, data)"
    " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::jsonb[])"
    " ON CONFLICT (identity) DO UPDATE SET data = excluded.data"
    " WHERE identities.contact_id = excluded.contact_id RETURNING 1"
)
_DROP_LINKS = (
    "DELETE FROM identities USING unnest(%s::text[], %s::text[]) AS gone (identity, contact_id)"
    " WHERE identities.identity = gone.identity AND identities.contact_id = gone.contact_id"
)
# New journeys, and their record keys (id, reference) from what the insert returns.
_INSERT_JOURNEYS = (
    "WITH written AS (INSERT INTO journeys"
    " (contact_id, reference, status, version, opened_at, updated_at, data, id)"
    " SELECT contact_id, reference, status, version, opened_at, updated_at, data, id"
    " FROM pg_temp.handoff_staged_journeys WHERE expected = 0 ORDER BY written"  # positions in batch order
    " RETURNING id, reference, contact_id)"
    " INSERT INTO record_keys (key, kind, contact_id, record_id)"
    " SELECT id, 'journey', contact_id, id FROM written"
    " UNION ALL SELECT reference, 'reference', contact_id, id FROM written"
)
# Changed journeys; a reference an update changes moves its record key in the same
# statement (every part reads the journeys as they were before it).
_UPDATE_JOURNEYS = (
    "WITH moved AS (SELECT j.reference AS was, s.reference, s.contact_id, s.id"
    " FROM journeys AS j JOIN pg_temp.handoff_staged_journeys AS s"
    " ON j.id = s.id AND j.contact_id = s.contact_id WHERE s.expected <> 0 AND j.reference <> s.reference),"
    " dropped AS (DELETE FROM record_keys AS k USING moved"
    " WHERE k.kind = 'reference' AND k.key = moved.was),"
    " added AS (INSERT INTO record_keys (key, kind, contact_id, record_id)"
    " SELECT reference, 'reference', contact_id, id FROM moved)"
    " UPDATE journeys SET contact_id = s.contact_id, reference = s.reference, status = s.status,"
    " version = s.version, opened_at = s.opened_at, updated_at = s.updated_at, data = s.data"
    " FROM pg_temp.handoff_staged_journeys AS s"
    " WHERE s.expected <> 0 AND journeys.id = s.id AND journeys.contact_id = s.contact_id"
    " AND journeys.version = s.expected RETURNING journeys.id"
)


def set_based(batch: Sequence[Changeset], rows: Rows) -> bool:
    """Whether writing ``rows`` table by table writes what writing ``batch`` in order would."""
    keys = [(type(write.record), write.record.id) for write, _ in rows.versioned]
    if len(set(keys)) != len(keys):  # a contact or journey written twice
        return False
    owners: dict[str, str] = {}
    contacts: dict[str, int] = {}
    journeys: dict[str, int] = {}
    for n, changes in enumerate(batch):
        contact, journey = changes.contact, changes.journey
        if contact is not None:
            contacts.setdefault(contact.id, n)
            for identity in (*contact.identities, *(link.identity for link in changes.links)):
                if owners.setdefault(str(identity), contact.id) != contact.id:
                    return False  # an identity moving between contacts of the batch
        if journey is not None:
            journeys.setdefault(journey.id, n)
    for n, changes in enumerate(batch):
        if changes.journey is not None and contacts.get(changes.journey.contact_id, n) > n:
            return False
        for records in (changes.interactions, changes.handoffs, changes.notifications, changes.decisions):
            if any(journeys.get(record.journey_id, n) > n for record in records):
                return False
    return True


def write_set(conn: Connection, rows: Rows) -> None:
    """Write a batch :func:`set_based` accepted, inside the caller's transaction."""
    contacts: list[tuple[Contact, int, Params]] = []
    journeys: list[tuple[Journey, int, Params]] = []
    held: list[Params] = []  # the links of new contacts
    added: list[Params] = []  # links added to stored contacts
    gone: list[Params] = []
    for write, params in rows.versioned:
        record = write.record
        if isinstance(record, Contact):
            contacts.append((record, write.expected, params))
            _, identities, kinds, data = write.link_params()
            links = zip(identities, [record.id] * len(write.links), kinds, data, strict=True)
            (added if write.expected else held).extend(links)
            gone += ((str(identity), record.id) for identity in write.unlinks)
        else:
            journeys.append((record, write.expected, params))
    with conn.cursor() as cur:
        cur.execute(_STAGE)
        if contacts:
            _copy(cur, _COPY_CONTACTS, [(*params, expected) for _, expected, params in contacts])
            _versioned(cur, "contact", _INSERT_CONTACTS, _UPDATE_CONTACTS, contacts)
            _copy(cur, _COPY_IDENTITIES, held)
            if added:
                cur.execute(_ADD_LINKS, [list(column) for column in zip(*added, strict=True)])
                if len(cur.fetchall()) != len(added):
                    raise Refused("an identity a contact of the batch links belongs to another contact")
            if gone:
                cur.execute(_DROP_LINKS, [list(column) for column in zip(*gone, strict=True)])
        if journeys:
            staged = [(*params, expected, n) for n, (_, expected, params) in enumerate(journeys)]
            _copy(cur, _COPY_JOURNEYS, staged)
            _versioned(cur, "journey", _INSERT_JOURNEYS, _UPDATE_JOURNEYS, journeys)
    rows.copy_appended(conn)


def _copy(cur: psycopg.Cursor[tuple[object, ...]], statement: str, rows: Sequence[Params]) -> None:
    if rows:
        with cur.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)


def _versioned(
    cur: psycopg.Cursor[tuple[object, ...]],
    kind: str,
    insert: str,
    update: str,
    written: Sequence[tuple[Contact | Journey, int, Params]],
) -> None:
    """Insert the new records and update the changed ones; :class:`Refused` if one is stale."""
    if any(expected == 0 for _, expected, _ in written):
        cur.execute(insert)
    changed = [record.id for record, expected, _ in written if expected]
    if not changed:
        return
    cur.execute(update)
    if len(cur.fetchall()) != len(changed):
        raise Refused(f"a {kind} of the batch is not at the version its changeset expects")
