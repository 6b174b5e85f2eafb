"""The SQLite schema as an ordered list of migrations, and the code that applies them.

Migration ``n`` (1-based) takes a database from schema version ``n - 1`` to ``n``; a
later release adds steps at the end and never edits a published one. Tables are keyed
so that they could be distributed by contact: every row knows its contact.

Indexed timestamps are integer UTC microseconds, so ordering and range queries are
right whatever offsets the datetimes were written with; the full record is JSON in
``data``.
"""

from __future__ import annotations

import sqlite3

from handoff.errors import StoreError

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE contacts (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            data TEXT NOT NULL
        )""",
        """CREATE TABLE identities (
            identity TEXT PRIMARY KEY,
            contact_id TEXT NOT NULL REFERENCES contacts (id)
        )""",
        "CREATE INDEX identities_by_contact ON identities (contact_id)",
        """CREATE TABLE journeys (
            id TEXT PRIMARY KEY,
            contact_id TEXT NOT NULL REFERENCES contacts (id),
            reference TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            version INTEGER NOT NULL,
            opened_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX journeys_by_contact ON journeys (contact_id, opened_at)",
        """CREATE TABLE interactions (
            id TEXT PRIMARY KEY,
            journey_id TEXT NOT NULL REFERENCES journeys (id),
            contact_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            channel TEXT NOT NULL,
            author TEXT NOT NULL,
            kind TEXT NOT NULL,
            at INTEGER NOT NULL,
            external_id TEXT,
            data TEXT NOT NULL,
            UNIQUE (channel, external_id)
        )""",
        "CREATE UNIQUE INDEX interactions_by_journey ON interactions (journey_id, sequence)",
        "CREATE INDEX interactions_by_external_id ON interactions (external_id)",
        """CREATE TABLE handoffs (
            id TEXT PRIMARY KEY,
            journey_id TEXT NOT NULL REFERENCES journeys (id),
            contact_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            from_channel TEXT NOT NULL,
            to_channel TEXT NOT NULL,
            initiated_by TEXT NOT NULL,
            reason TEXT NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX handoffs_by_journey ON handoffs (journey_id, at)",
        """CREATE TABLE notifications (
            id TEXT PRIMARY KEY,
            journey_id TEXT NOT NULL REFERENCES journeys (id),
            contact_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            purpose TEXT NOT NULL,
            status TEXT NOT NULL,
            send_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX notifications_due ON notifications (status, send_at)",
        "CREATE INDEX notifications_by_journey ON notifications (journey_id, created_at)",
    ),
    # 2: the decision log, provider ids of sent notifications, the tick's index.
    (
        "ALTER TABLE notifications ADD COLUMN provider_id TEXT",
        "CREATE UNIQUE INDEX notifications_by_provider ON notifications (provider_id)"
        " WHERE provider_id IS NOT NULL",
        "CREATE INDEX journeys_active ON journeys (status, updated_at, id)",
        """CREATE TABLE decisions (
            id TEXT PRIMARY KEY,
            journey_id TEXT NOT NULL REFERENCES journeys (id),
            contact_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX decisions_by_journey ON decisions (journey_id, at)",
    ),
    # 3: the metrics read one index, not every record: the two JSON fields it needs of
    # most rows become virtual columns (computed on write, kept only in the index).
    (
        "ALTER TABLE interactions ADD COLUMN event_head TEXT GENERATED ALWAYS AS"
        " (CASE WHEN kind = 'event' THEN substr(json_extract(data, '$.body'), 1, 11) END) VIRTUAL",
        "ALTER TABLE interactions ADD COLUMN reply_agent TEXT GENERATED ALWAYS AS"
        " (CASE WHEN author = 'agent' AND kind IN ('message', 'call') THEN json_extract(data, '$.agent') END)"
        " VIRTUAL",
        "CREATE INDEX interactions_for_metrics ON interactions"
        " (journey_id, at, sequence, author, kind, channel, event_head, reply_agent)",
    ),
    # 4: each journey's metrics tally, kept between reports; the period's journeys with
    # the columns that say whether a tally is current, in one index.
    (
        """CREATE TABLE journey_tallies (
            journey_id TEXT PRIMARY KEY REFERENCES journeys (id),
            contact_id TEXT NOT NULL,
            form INTEGER NOT NULL,
            version INTEGER NOT NULL,
            entry_channel TEXT NOT NULL,
            agent TEXT,
            first_reply_at INTEGER,
            waits BLOB NOT NULL,
            first_resolved_at INTEGER,
            resolved_at INTEGER,
            resolved_channel TEXT,
            reopens INTEGER NOT NULL,
            handoffs TEXT,
            csat BLOB,
            nps BLOB,
            ces BLOB
        ) WITHOUT ROWID""",
        "CREATE INDEX journeys_by_opening ON journeys (opened_at, id, version, contact_id)",
    ),
    # 5: outbox leases, so several senders never claim the same notification.
    (
        "ALTER TABLE notifications ADD COLUMN lease_worker TEXT",
        "ALTER TABLE notifications ADD COLUMN lease_until INTEGER",
    ),
    # 6: identity links are rows of their own (the link's JSON in ``data``, its kind for
    # the brief read), no longer carried in the contact's JSON: linking one more identity
    # to a contact writes one row. The rows are rebuilt in each contact's link order
    # (their rowid is that order), then the contacts' copies are emptied.
    (
        "ALTER TABLE identities ADD COLUMN kind TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE identities ADD COLUMN data TEXT NOT NULL DEFAULT '{}'",
        "DELETE FROM identities",
        """INSERT INTO identities (identity, contact_id, kind, data)
            SELECT json_extract(link.value, '$.identity'), contacts.id,
                substr(json_extract(link.value, '$.identity'), 1,
                       instr(json_extract(link.value, '$.identity'), ':') - 1),
                link.value
            FROM contacts, json_each(contacts.data, '$.links') AS link
            ORDER BY contacts.rowid, link.key""",
        "UPDATE contacts SET data = json_set(data, '$.links', json('[]'))",
        "CREATE INDEX identities_by_kind ON identities (contact_id, kind)",
    ),
    # 7: scheduled callbacks, one row each, keyed like every per-customer table.
    (
        """CREATE TABLE callbacks (
            id TEXT PRIMARY KEY,
            contact_id TEXT NOT NULL REFERENCES contacts (id),
            journey_id TEXT NOT NULL REFERENCES journeys (id),
            status TEXT NOT NULL,
            at INTEGER NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX callbacks_by_journey ON callbacks (journey_id, at, id)",
        "CREATE INDEX callbacks_by_time ON callbacks (at, id)",
        "CREATE INDEX callbacks_scheduled ON callbacks (at, id) WHERE status = 'scheduled'",
    ),
    # 8: the metrics read a journey's own fields and its handoffs from indexes, not from
    # their records. A journey's five fields become one virtual column (the JSON array
    # of its entry channel, current channel, resolution time, reopen count and assignee,
    # computed with one parse on write and kept only in the index), beside the columns
    # journeys_by_opening held, which it replaces; a handoff's anchoring interaction and
    # queue become virtual columns of an index with the rest the metrics read of it.
    (
        "ALTER TABLE journeys ADD COLUMN metric_fields TEXT GENERATED ALWAYS AS (json_extract(data,"
        " '$.path[0].channel', '$.current_channel', '$.resolved_at', '$.reopen_count', '$.assignee'))"
        " VIRTUAL",
        "CREATE INDEX journeys_for_metrics ON journeys (opened_at, id, version, contact_id, metric_fields)",
        "DROP INDEX IF EXISTS journeys_by_opening",
        "ALTER TABLE handoffs ADD COLUMN anchor_id TEXT GENERATED ALWAYS AS"
        " (json_extract(data, '$.interaction_id')) VIRTUAL",
        "ALTER TABLE handoffs ADD COLUMN queue TEXT GENERATED ALWAYS AS (json_extract(data, '$.queue'))"
        " VIRTUAL",
        "CREATE INDEX handoffs_for_metrics ON handoffs"
        " (journey_id, at, from_channel, to_channel, reason, anchor_id, queue)",
    ),
    # 9: a survey's id and answers (the JSON array of its CSAT, NPS and CES) become a
    # virtual column of the metrics index, so that reducing a history reads no record:
    # a year's tens of thousands of surveys were as many look-ups of their rows.
    (
        "ALTER TABLE interactions ADD COLUMN survey_answers TEXT GENERATED ALWAYS AS"
        " (CASE WHEN kind = 'survey' THEN id || ' ' || json_extract(data, '$.metadata.csat',"
        " '$.metadata.nps', '$.metadata.ces') END) VIRTUAL",
        "DROP INDEX interactions_for_metrics",
        "CREATE INDEX interactions_for_metrics ON interactions"
        " (journey_id, at, sequence, author, kind, channel, event_head, reply_agent, survey_answers)",
    ),
    # 10: no kept metrics tallies: a first report reads the history itself, within its
    # target, so the derived copy (and what keeps it current) went.
    ("DROP TABLE journey_tallies",),
)

SCHEMA_VERSION = len(MIGRATIONS)

_SET_VERSION = (
    "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


def schema_version(conn: sqlite3.Connection) -> int:
    """The version recorded in ``meta``; 0 for a database handoff never touched."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is None:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    try:
        return 0 if row is None else int(row[0])
    except (TypeError, ValueError):
        raise StoreError(f"the database records an unreadable schema version: {row[0]!r}") from None


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date inside the caller's write transaction.

    The version is read again under the write lock, so two processes opening a new
    file at once do not both create the tables.
    """
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"the database has schema version {current} but this handoff knows only up to "
            f"{SCHEMA_VERSION}; upgrade handoff to open it"
        )
    for number in range(current + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[number - 1]:
            conn.execute(statement)
        conn.execute(_SET_VERSION, (str(number),))
