"""The PostgreSQL schema as an ordered list of migrations, and the code that applies them.

Migration ``n`` (1-based) takes a schema from version ``n - 1`` to ``n``; a later
release appends steps and never edits a published one. Each applied step is recorded
in ``schema_migrations`` with its description and when it ran.

Every table carries ``contact_id`` (``contacts`` calls it ``id``), the column a
distributed deployment shards by; ``position`` (an identity column) keeps insertion
order where timestamps tie. Constraints have explicit names because the store maps
a violated constraint to the domain error it means. ``decisions.data`` is ``json``,
not ``jsonb``: it is opaque and must come back digit for digit (``jsonb`` would
rewrite ``6.4e16`` as an integer).

Since migration 6 every per-customer table is keyed by contact (see
:mod:`~handoff.stores.postgres._layout`); a table added by a later step must be too:
``contact_id`` in its primary key, in each unique constraint and in each foreign key
to another per-customer table. A new schema starts from the layout that
:data:`~handoff.stores.postgres._layout.BASELINE_VERSION` leaves and replays only the
steps after it.
"""

from __future__ import annotations

import hashlib

import psycopg
from psycopg import sql

from handoff.errors import StoreError, ValidationError
from handoff.stores.postgres._layout import BASELINE_VERSION, create_statements

MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "contacts, identities, journeys, interactions, handoffs and notifications",
        (
            """CREATE TABLE contacts (
                id text NOT NULL CONSTRAINT contacts_pkey PRIMARY KEY,
                version integer NOT NULL,
                created_at timestamptz NOT NULL,
                data jsonb NOT NULL
            )""",
            """CREATE TABLE identities (
                identity text NOT NULL CONSTRAINT identities_pkey PRIMARY KEY,
                contact_id text NOT NULL CONSTRAINT identities_contact_fk REFERENCES contacts (id)
            )""",
            "CREATE INDEX identities_by_contact ON identities (contact_id)",
            """CREATE TABLE journeys (
                id text NOT NULL CONSTRAINT journeys_pkey PRIMARY KEY,
                contact_id text NOT NULL CONSTRAINT journeys_contact_fk REFERENCES contacts (id),
                reference text NOT NULL CONSTRAINT journeys_reference_key UNIQUE,
                status text NOT NULL,
                version integer NOT NULL,
                opened_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                position bigint GENERATED ALWAYS AS IDENTITY,
                data jsonb NOT NULL
            )""",
            "CREATE INDEX journeys_by_contact ON journeys (contact_id, opened_at, position)",
            """CREATE TABLE interactions (
                id text NOT NULL CONSTRAINT interactions_pkey PRIMARY KEY,
                journey_id text NOT NULL CONSTRAINT interactions_journey_fk REFERENCES journeys (id),
                contact_id text NOT NULL,
                sequence integer NOT NULL,
                channel text NOT NULL,
                author text NOT NULL,
                kind text NOT NULL,
                at timestamptz NOT NULL,
                external_id text,
                position bigint GENERATED ALWAYS AS IDENTITY,
                data jsonb NOT NULL,
                CONSTRAINT interactions_external_key UNIQUE (channel, external_id),
                CONSTRAINT interactions_sequence_key UNIQUE (journey_id, sequence)
            )""",
            "CREATE INDEX interactions_by_external_id ON interactions (external_id, at DESC, position DESC)",
            """CREATE TABLE handoffs (
                id text NOT NULL CONSTRAINT handoffs_pkey PRIMARY KEY,
                journey_id text NOT NULL CONSTRAINT handoffs_journey_fk REFERENCES journeys (id),
                contact_id text NOT NULL,
                at timestamptz NOT NULL,
                from_channel text NOT NULL,
                to_channel text NOT NULL,
                initiated_by text NOT NULL,
                reason text NOT NULL,
                position bigint GENERATED ALWAYS AS IDENTITY,
                data jsonb NOT NULL
            )""",
            "CREATE INDEX handoffs_by_journey ON handoffs (journey_id, at, position)",
            """CREATE TABLE notifications (
                id text NOT NULL CONSTRAINT notifications_pkey PRIMARY KEY,
                journey_id text NOT NULL CONSTRAINT notifications_journey_fk REFERENCES journeys (id),
                contact_id text NOT NULL,
                channel text NOT NULL,
                purpose text NOT NULL,
                status text NOT NULL,
                send_at timestamptz NOT NULL,
                created_at timestamptz NOT NULL,
                position bigint GENERATED ALWAYS AS IDENTITY,
                data jsonb NOT NULL
            )""",
            "CREATE INDEX notifications_due ON notifications (send_at, position) WHERE status = 'pending'",
            "CREATE INDEX notifications_by_journey ON notifications (journey_id, created_at, position)",
        ),
    ),
    (
        "decision log, provider ids of sent notifications, index of active journeys",
        (
            "ALTER TABLE notifications ADD COLUMN provider_id text",
            "ALTER TABLE notifications ADD CONSTRAINT notifications_provider_key UNIQUE (provider_id)",
            "CREATE INDEX journeys_active ON journeys (status, updated_at, id)",
            """CREATE TABLE decisions (
                id text NOT NULL CONSTRAINT decisions_pkey PRIMARY KEY,
                journey_id text NOT NULL CONSTRAINT decisions_journey_fk REFERENCES journeys (id),
                contact_id text NOT NULL,
                at timestamptz NOT NULL,
                position bigint GENERATED ALWAYS AS IDENTITY,
                data json NOT NULL
            )""",
            "CREATE INDEX decisions_by_journey ON decisions (journey_id, at, position)",
        ),
    ),
    (
        "written_once: a version-checked write that matched no row fails its transaction",
        (
            # A commit sends all its statements before reading any answer, so an UPDATE
            # that found another version must fail the transaction on the server.
            """CREATE FUNCTION written_once(written bigint, problem text) RETURNS bigint
            LANGUAGE plpgsql AS $$
            BEGIN
                IF written <> 1 THEN
                    RAISE EXCEPTION USING ERRCODE = '23V01', MESSAGE = problem;
                END IF;
                RETURN written;
            END
            $$""",
        ),
    ),
    (
        "journey tallies kept between metrics reports; journeys by opening time",
        (
            """CREATE TABLE journey_tallies (
                journey_id text NOT NULL CONSTRAINT journey_tallies_pkey PRIMARY KEY
                    CONSTRAINT journey_tallies_journey_fk REFERENCES journeys (id),
                contact_id text NOT NULL,
                form integer NOT NULL,
                version integer NOT NULL,
                entry_channel text NOT NULL,
                agent text,
                first_reply_at bigint,
                waits bytea NOT NULL,
                first_resolved_at bigint,
                resolved_at bigint,
                resolved_channel text,
                reopens integer NOT NULL,
                handoffs text,
                csat bytea,
                nps bytea,
                ces bytea
            )""",
            "CREATE INDEX journeys_by_opening ON journeys (opened_at, id)"
            " INCLUDE (version, contact_id, position)",
        ),
    ),
    (
        "outbox leases, so several senders never claim the same notification",
        (
            "ALTER TABLE notifications ADD COLUMN lease_worker text",
            "ALTER TABLE notifications ADD COLUMN lease_until timestamptz",
        ),
    ),
    (
        "keyed by contact: contact_id in every key of a per-customer table; record keys looked up by value",
        (
            """CREATE TABLE record_keys (
                key text NOT NULL,
                kind text NOT NULL,
                contact_id text NOT NULL,
                record_id text NOT NULL,
                CONSTRAINT record_keys_pkey PRIMARY KEY (key, kind),
                CONSTRAINT record_keys_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id)
            )""",
            *(
                "INSERT INTO record_keys (key, kind, contact_id, record_id)"
                f" SELECT id, '{kind}', contact_id, id FROM {table}"
                for kind, table in (
                    ("journey", "journeys"),
                    ("interaction", "interactions"),
                    ("handoff", "handoffs"),
                    ("notification", "notifications"),
                    ("decision", "decisions"),
                )
            ),
            "INSERT INTO record_keys (key, kind, contact_id, record_id)"
            " SELECT reference, 'reference', contact_id, id FROM journeys",
            "INSERT INTO record_keys (key, kind, contact_id, record_id)"
            " SELECT external_id, 'external:' || channel, contact_id, id FROM interactions"
            " WHERE external_id IS NOT NULL",
            "INSERT INTO record_keys (key, kind, contact_id, record_id)"
            " SELECT provider_id, 'provider', contact_id, id FROM notifications"
            " WHERE provider_id IS NOT NULL",
            "CREATE INDEX record_keys_by_contact ON record_keys (contact_id)",
            *(
                f"ALTER TABLE {table} DROP CONSTRAINT {table}_journey_fk"
                for table in ("interactions", "handoffs", "notifications", "decisions", "journey_tallies")
            ),
            "ALTER TABLE journeys DROP CONSTRAINT journeys_pkey, DROP CONSTRAINT journeys_reference_key,"
            " ADD CONSTRAINT journeys_pkey PRIMARY KEY (id, contact_id)",
            "ALTER TABLE interactions DROP CONSTRAINT interactions_pkey,"
            " DROP CONSTRAINT interactions_external_key, DROP CONSTRAINT interactions_sequence_key,"
            " ADD CONSTRAINT interactions_pkey PRIMARY KEY (id, contact_id),"
            " ADD CONSTRAINT interactions_sequence_key UNIQUE (journey_id, sequence, contact_id)",
            "ALTER TABLE handoffs DROP CONSTRAINT handoffs_pkey,"
            " ADD CONSTRAINT handoffs_pkey PRIMARY KEY (id, contact_id)",
            "ALTER TABLE notifications DROP CONSTRAINT notifications_pkey,"
            " DROP CONSTRAINT notifications_provider_key,"
            " ADD CONSTRAINT notifications_pkey PRIMARY KEY (id, contact_id)",
            "ALTER TABLE decisions DROP CONSTRAINT decisions_pkey,"
            " ADD CONSTRAINT decisions_pkey PRIMARY KEY (id, contact_id)",
            "ALTER TABLE journey_tallies DROP CONSTRAINT journey_tallies_pkey,"
            " ADD CONSTRAINT journey_tallies_pkey PRIMARY KEY (journey_id, contact_id)",
            *(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_journey_fk FOREIGN KEY (journey_id, contact_id)"
                " REFERENCES journeys (id, contact_id)"
                for table in ("interactions", "handoffs", "notifications", "decisions", "journey_tallies")
            ),
        ),
    ),
    (
        "identity links as rows of their own, no longer in the contact's JSON",
        (
            # Linking one more identity writes one row. The rows are rebuilt in each
            # contact's link order (``position`` is that order), then the contacts'
            # copies are emptied; ``kind`` serves the brief read of the write path.
            "ALTER TABLE identities ADD COLUMN kind text NOT NULL DEFAULT ''",
            "ALTER TABLE identities ADD COLUMN data jsonb NOT NULL DEFAULT '{}'",
            "ALTER TABLE identities ADD COLUMN position bigint GENERATED ALWAYS AS IDENTITY",
            "DELETE FROM identities",
            """INSERT INTO identities (identity, contact_id, kind, data)
                SELECT link.value ->> 'identity', contacts.id,
                    split_part(link.value ->> 'identity', ':', 1), link.value
                FROM contacts CROSS JOIN LATERAL jsonb_array_elements(contacts.data -> 'links')
                    WITH ORDINALITY AS link (value, n)
                ORDER BY contacts.created_at, contacts.id, link.n""",
            "UPDATE contacts SET data = jsonb_set(data, '{links}', '[]'::jsonb)",
            "CREATE INDEX identities_by_kind ON identities (contact_id, kind, position)",
            "CREATE INDEX identities_in_order ON identities (contact_id, position)",
        ),
    ),
    (
        "scheduled callbacks, keyed by contact",
        (
            """CREATE TABLE callbacks (
                contact_id text NOT NULL,
                id text NOT NULL,
                journey_id text NOT NULL,
                status text NOT NULL,
                at timestamptz NOT NULL,
                data jsonb NOT NULL,
                CONSTRAINT callbacks_pkey PRIMARY KEY (contact_id, id)
            )""",
            "CREATE INDEX callbacks_by_id ON callbacks (id)",
            "CREATE INDEX callbacks_by_journey ON callbacks (journey_id, at, id)",
            "CREATE INDEX callbacks_by_time ON callbacks (at, id)",
            "CREATE INDEX callbacks_scheduled ON callbacks (at, id) WHERE status = 'scheduled'",
        ),
    ),
    (
        "receive's first read and reads by record key: the contact first, then its rows by its id",
        (
            # One round trip. The look-ups (identities, record_keys) come first, each by
            # its own key; every per-contact statement after them filters on the contact
            # id they gave, a parameter of a plan made once per session: PostgreSQL picks
            # the one partition as the statement starts, opening no other, and on Citus
            # each is a router query to one shard. Rows: (part, JSON, id, version, rank);
            # part 0 the stored message, 1 the identity's contact, 2 its journeys, 3 their
            # notifications created since, 4 the contact's brief links.
            """CREATE FUNCTION intake_rows(
                identity_key text,
                channel_name text,
                external_key text,
                since timestamptz,
                brief_links integer
            ) RETURNS TABLE (part integer, json text, row_id text, row_version integer, rank bigint)
            LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
            DECLARE
                owner text;
                holder text;
                seen text;
            BEGIN
                SELECT k.contact_id, k.record_id INTO holder, seen FROM record_keys AS k
                WHERE k.key = external_key AND k.kind = 'external:' || channel_name;
                IF FOUND THEN
                    RETURN QUERY SELECT 0, i.data::text, i.id, NULL::integer, 0::bigint
                    FROM interactions AS i WHERE i.contact_id = holder AND i.id = seen;
                END IF;
                SELECT l.contact_id INTO owner FROM identities AS l WHERE l.identity = identity_key;
                IF NOT FOUND THEN
                    RETURN;
                END IF;
                RETURN QUERY SELECT 1, c.data::text, c.id, c.version, 0::bigint
                FROM contacts AS c WHERE c.id = owner;
                RETURN QUERY SELECT 2, j.data::text, j.id, j.version,
                    row_number() OVER (ORDER BY j.opened_at, j.position)
                FROM journeys AS j WHERE j.contact_id = owner;
                RETURN QUERY SELECT 3, n.data::text, n.journey_id, NULL::integer,
                    row_number() OVER (ORDER BY n.journey_id, n.created_at, n.position)
                FROM notifications AS n WHERE n.contact_id = owner AND n.journey_id = ANY(ARRAY(
                    SELECT j.id FROM journeys AS j WHERE j.contact_id = owner
                )) AND n.created_at >= since;
                RETURN QUERY SELECT 4, b.data, NULL::text, NULL::integer, b.position FROM (
                    WITH RECURSIVE kinds (kind) AS (
                        SELECT min(l.kind) FROM identities AS l WHERE l.contact_id = owner
                        UNION ALL
                        SELECT (
                            SELECT min(l.kind) FROM identities AS l
                            WHERE l.contact_id = owner AND l.kind > kinds.kind
                        ) FROM kinds WHERE kinds.kind IS NOT NULL
                    )
                    SELECT first.position, first.data::text AS data FROM kinds CROSS JOIN LATERAL (
                        SELECT l.position, l.data FROM identities AS l
                        WHERE l.contact_id = owner AND l.kind = kinds.kind
                        ORDER BY l.position LIMIT brief_links
                    ) AS first
                    UNION
                    SELECT l.position, l.data::text FROM identities AS l
                    WHERE l.identity = identity_key AND l.contact_id = owner
                ) AS b;
            END
            $$""",
            # The same two steps for the journeys that record keys name (ids or
            # references), in no particular order: (JSON, id, version) rows.
            """CREATE FUNCTION keyed_journeys(keys text[], key_kind text)
            RETURNS TABLE (json text, row_id text, row_version integer)
            LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
            DECLARE
                named record;
            BEGIN
                FOR named IN
                    SELECT k.contact_id, k.record_id FROM record_keys AS k
                    WHERE k.key = ANY(keys) AND k.kind = key_kind
                LOOP
                    RETURN QUERY SELECT j.data::text, j.id, j.version FROM journeys AS j
                    WHERE j.contact_id = named.contact_id AND j.id = named.record_id;
                END LOOP;
            END
            $$""",
            # And the last interactions of a journey by its id: (JSON, id, sequence) rows.
            """CREATE FUNCTION last_interactions(journey_key text, how_many bigint)
            RETURNS TABLE (json text, row_id text, row_sequence integer)
            LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
            DECLARE
                holder text;
                journey text;
            BEGIN
                SELECT k.contact_id, k.record_id INTO holder, journey FROM record_keys AS k
                WHERE k.key = journey_key AND k.kind = 'journey';
                IF FOUND THEN
                    RETURN QUERY SELECT i.data::text, i.id, i.sequence FROM interactions AS i
                    WHERE i.contact_id = holder AND i.journey_id = journey
                    ORDER BY i.sequence DESC LIMIT how_many;
                END IF;
            END
            $$""",
        ),
    ),
    (
        "every read by a look-up key: the look-up row first, then the contact's rows by its id",
        (
            # A record by its record key (a notification's id or provider id, a
            # decision's id, a message's external id on its channel): (JSON, id) rows.
            """CREATE FUNCTION keyed_record(key_kind text, record_key text)
            RETURNS TABLE (json text, row_id text)
            LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
            DECLARE
                holder text;
                named text;
            BEGIN
                SELECT k.contact_id, k.record_id INTO holder, named FROM record_keys AS k
                WHERE k.key = record_key AND k.kind = key_kind;
                IF NOT FOUND THEN
                    RETURN;
                ELSIF key_kind IN ('notification', 'provider') THEN
                    RETURN QUERY SELECT n.data::text, n.id FROM notifications AS n
                    WHERE n.contact_id = holder AND n.id = named;
                ELSIF key_kind = 'decision' THEN
                    RETURN QUERY SELECT d.data::text, d.id FROM decisions AS d
                    WHERE d.contact_id = holder AND d.id = named;
                ELSIF key_kind LIKE 'external:%' THEN
                    RETURN QUERY SELECT i.data::text, i.id FROM interactions AS i
                    WHERE i.contact_id = holder AND i.id = named;
                END IF;
            END
            $$""",
            # A notification by its id, its row locked until the caller's transaction
            # ends (delivery reports and acknowledgements): (JSON) rows.
            """CREATE FUNCTION locked_notification(notification_key text)
            RETURNS TABLE (json text)
            LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
            DECLARE
                holder text;
                named text;
            BEGIN
                SELECT k.contact_id, k.record_id INTO holder, named FROM record_keys AS k
                WHERE k.key = notification_key AND k.kind = 'notification';
                IF FOUND THEN
                    RETURN QUERY SELECT n.data::text FROM notifications AS n
                    WHERE n.contact_id = holder AND n.id = named FOR UPDATE;
                END IF;
            END
            $$""",
            # A journey's records of one table by the journey's id, ranked in the order
            # they are read in: (JSON, id, rank) rows. Interactions after a sequence
            # number and at most how_many of them (NULL: from the first, all).
            """CREATE FUNCTION journey_rows(
                journey_key text, record_table text, after_sequence bigint, how_many bigint
            ) RETURNS TABLE (json text, row_id text, rank bigint)
            LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
            DECLARE
                holder text;
                journey text;
            BEGIN
                SELECT k.contact_id, k.record_id INTO holder, journey FROM record_keys AS k
                WHERE k.key = journey_key AND k.kind = 'journey';
                IF NOT FOUND THEN
                    RETURN;
                ELSIF record_table = 'interactions' THEN
                    RETURN QUERY SELECT i.data::text, i.id, i.sequence::bigint FROM interactions AS i
                    WHERE i.contact_id = holder AND i.journey_id = journey
                    AND i.sequence > coalesce(after_sequence, -1)
                    ORDER BY i.sequence LIMIT how_many;
                ELSIF record_table = 'handoffs' THEN
                    RETURN QUERY SELECT h.data::text, h.id, row_number() OVER (ORDER BY h.at, h.position)
                    FROM handoffs AS h WHERE h.contact_id = holder AND h.journey_id = journey;
                ELSIF record_table = 'notifications' THEN
                    RETURN QUERY SELECT n.data::text, n.id,
                        row_number() OVER (ORDER BY n.created_at, n.position)
                    FROM notifications AS n WHERE n.contact_id = holder AND n.journey_id = journey;
                ELSIF record_table = 'decisions' THEN
                    RETURN QUERY SELECT d.data::text, d.id, row_number() OVER (ORDER BY d.at, d.position)
                    FROM decisions AS d WHERE d.contact_id = holder AND d.journey_id = journey;
                END IF;
            END
            $$""",
            # A contact by an identity it holds: part 0 its row (JSON, id, version), part 1
            # its links (JSON, position): all of them, or when brief_links is not NULL its
            # brief (the first links of each kind and the identity's own).
            """CREATE FUNCTION identity_contact(identity_key text, brief_links integer)
            RETURNS TABLE (part integer, json text, row_id text, rank bigint)
            LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
            DECLARE
                owner text;
            BEGIN
                SELECT l.contact_id INTO owner FROM identities AS l WHERE l.identity = identity_key;
                IF NOT FOUND THEN
                    RETURN;
                END IF;
                RETURN QUERY SELECT 0, c.data::text, c.id, c.version::bigint
                FROM contacts AS c WHERE c.id = owner;
                IF brief_links IS NULL THEN
                    RETURN QUERY SELECT 1, l.data::text, NULL::text, l.position
                    FROM identities AS l WHERE l.contact_id = owner;
                    RETURN;
                END IF;
                RETURN QUERY SELECT 1, b.data, NULL::text, b.position FROM (
                    WITH RECURSIVE kinds (kind) AS (
                        SELECT min(l.kind) FROM identities AS l WHERE l.contact_id = owner
                        UNION ALL
                        SELECT (
                            SELECT min(l.kind) FROM identities AS l
                            WHERE l.contact_id = owner AND l.kind > kinds.kind
                        ) FROM kinds WHERE kinds.kind IS NOT NULL
                    )
                    SELECT first.position, first.data::text AS data FROM kinds CROSS JOIN LATERAL (
                        SELECT l.position, l.data FROM identities AS l
                        WHERE l.contact_id = owner AND l.kind = kinds.kind
                        ORDER BY l.position LIMIT brief_links
                    ) AS first
                    UNION
                    SELECT l.position, l.data::text FROM identities AS l
                    WHERE l.identity = identity_key AND l.contact_id = owner
                ) AS b;
            END
            $$""",
        ),
    ),
    (
        "receive's first read takes the writer's lock itself; a journey's rows by contact read by index",
        (
            # A serialised writer's first read: the transaction-scoped advisory lock on
            # its key (the one PostgresStore.serialized takes) and then intake_rows,
            # in one statement. VOLATILE, so the reads take their snapshot after the
            # lock is granted and see what the writer before committed.
            """CREATE FUNCTION intake_rows_locked(
                lock_class integer,
                lock_key text,
                identity_key text,
                channel_name text,
                external_key text,
                since timestamptz,
                brief_links integer
            ) RETURNS TABLE (part integer, json text, row_id text, row_version integer, rank bigint)
            LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock(lock_class, hashtext(lock_key));
                RETURN QUERY SELECT r.part, r.json, r.row_id, r.row_version, r.rank
                FROM intake_rows(identity_key, channel_name, external_key, since, brief_links) AS r;
            END
            $$""",
            # Every receive updates its journey, and each update leaves a dead row
            # version behind until vacuum runs. A bitmap scan of a contact's journeys
            # visits every one of them, again at every read of a busy journey; an index
            # scan marks the dead index entries it meets, and the next read skips them.
            "ALTER FUNCTION intake_rows(text, text, text, timestamptz, integer) SET enable_bitmapscan = off",
        ),
    ),
    (
        "no kept metrics tallies: a first report reads the history itself, within the target",
        ("DROP TABLE journey_tallies",),
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)

CREATE_LEDGER = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer NOT NULL PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
_CURRENT = "SELECT coalesce(max(version), 0) FROM schema_migrations"
# How many partitions the journeys table has: 0 when it is a plain table.
PARTITIONS = (
    "SELECT count(*) FROM pg_inherits JOIN pg_class AS parent ON parent.oid = pg_inherits.inhparent"
    " JOIN pg_namespace ON pg_namespace.oid = parent.relnamespace"
    " WHERE pg_namespace.nspname = %s AND parent.relname = 'journeys'"
)
_RECORD = "INSERT INTO schema_migrations (version, description) VALUES (%s, %s)"


def lock_key(schema: str) -> int:
    """The advisory lock that serializes migrations of one schema (a signed 64-bit number)."""
    digest = hashlib.blake2b(f"handoff.schema:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def migrate(conn: psycopg.Connection[tuple[object, ...]], schema: str, partitions: int = 0) -> int:
    """Create or upgrade ``schema`` in one transaction; return how many hash partitions
    its per-contact tables have (0: not partitioned).

    The advisory lock is taken before anything is read, so processes opening a new
    database at the same moment take turns instead of creating the tables twice. A new
    schema is created from :data:`~handoff.stores.postgres._layout.TABLES` (split in
    ``partitions`` when asked) and the migrations after its baseline; an existing one
    keeps its layout, and asking it for another number of partitions is refused.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(schema),))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        conn.execute(CREATE_LEDGER)
        row = conn.execute(_CURRENT).fetchone()
        current = int(str(row[0])) if row is not None else 0
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"schema {schema!r} is at version {current} but this handoff knows only up to "
                f"{SCHEMA_VERSION}; upgrade handoff to open it"
            )
        if current == 0 and SCHEMA_VERSION >= BASELINE_VERSION:
            for statement in create_statements(partitions):
                conn.execute(statement)
            for number in range(1, BASELINE_VERSION + 1):
                conn.execute(_RECORD, (number, MIGRATIONS[number - 1][0]))
            current = BASELINE_VERSION
        for number in range(current + 1, SCHEMA_VERSION + 1):
            description, statements = MIGRATIONS[number - 1]
            for statement in statements:
                conn.execute(statement)
            conn.execute(_RECORD, (number, description))
        row = conn.execute(PARTITIONS, (schema,)).fetchone()
        found = int(str(row[0])) if row is not None else 0
    if partitions and found != partitions:
        raise ValidationError(
            "partitions",
            f"schema {schema!r} exists with {found or 'no'} hash partitions, not {partitions}: "
            "the layout is chosen when a schema is created",
        )
    return found
