"""``postgresql://``: the production backend, on psycopg 3 and a psycopg_pool connection pool.

Install it with ``pip install 'channel-handoff[postgres]'``. Opening a store applies the schema
migrations it lacks, in one transaction under an advisory lock, so several processes
may open a new database at once. Each commit is one statement, and so one transaction
and one round trip (see :mod:`handoff.stores.postgres._commit`): a version-checked update
that matches no row fails the statement on the server, and nothing of it is written.
``commit_many`` writes a whole batch set-based: a few statements per table, appended
rows by ``COPY`` (see :mod:`handoff.stores.postgres._bulk`).

Records live in ``jsonb`` ``data`` columns written by :mod:`handoff.serde`, next to
the indexed columns queries need; timestamps are ``timestamptz``.

Distributing by contact
-----------------------
Every per-customer table is keyed by contact (see :mod:`handoff.stores.postgres._layout`),
so one person's rows can live on one node of a Citus cluster, or in one hash partition
(``?partitions=8``). Values unique across contacts (identities, record ids, journey
references, external and provider ids) are looked up through ``identities`` and
``record_keys``, written in the same transaction as the records they name. The
scaling guide shows the DDL (``handoff schema --dialect citus``) and what runs where.

Every psycopg exception is translated at this boundary: violated constraints become
the domain's conflicts or NotFound, a server that cannot be reached
:class:`~handoff.errors.StoreUnavailable`, anything else a :class:`~handoff.errors.StoreError`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import TypeVar, overload

import psycopg
from psycopg import errors as pgerrors
from psycopg.pq import TransactionStatus

from handoff.errors import (
    HandoffError,
    NotFound,
    StoreError,
    StoreUnavailable,
)
from handoff.identity import Identity
from handoff.models import Contact, DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.stores.capabilities import (
    BulkImport,
    ErasureScrub,
    IntakeReads,
    IntakeRecords,
    OutboxLeases,
    SerializedWrites,
)
from handoff.stores.postgres import _bulk as bulk
from handoff.stores.postgres import _commit as one
from handoff.stores.postgres import _connect as connect
from handoff.stores.postgres import _intake as intake
from handoff.stores.postgres import _links as links
from handoff.stores.postgres import _marks as marks
from handoff.stores.postgres import _writes as writes
from handoff.stores.postgres._callbacks import PostgresCallbacks, write_callbacks
from handoff.stores.postgres._decoded_rows import DecodedRows
from handoff.stores.postgres._leases import claim
from handoff.stores.postgres._metrics import PostgresMetrics
from handoff.stores.postgres._schema import PARTITIONS as _PARTITIONS
from handoff.stores.records import Changeset, ContactRecords, Erasure
from handoff.stores.rules import (
    check_active_limit,
    check_audience,
    check_batch,
    check_changeset,
    check_claim,
    check_identities,
    check_identity,
    check_journey_ids,
    check_keys,
    check_lock_key,
    check_refs,
    check_text,
)
from handoff.stores.sql._pages import PageStatements, SQLPages
from handoff.stores.sql._reads import SQLReads, Statements

__all__ = ["PostgresStore"]

T = TypeVar("T")
Connection = writes.Connection

# Every read by a look-up key goes through a schema function that reads the key's row
# first and then the contact's rows by the contact id it gave, in one round trip: the
# read starts on one partition (one shard on Citus), never joining a look-up table to
# a per-contact one.
_KEYED_JOURNEY = "SELECT json, row_id, row_version FROM keyed_journeys(ARRAY[%s::text], '{}')"
# A journey's records of one table, by the journey's id: see journey_rows.
_JOURNEY_ROWS = "SELECT {} FROM journey_rows(%s, '{}', NULL, NULL) ORDER BY rank"
# Named on its own too: the upgrade tests check the plans of its steps use their indexes.
_FIND_NOTIFICATION = "SELECT json FROM keyed_record('provider', %s)"

# The columns after the JSON name the exact state of the record: its id and, for the
# records that change, its version. The store decodes each state once (see _decoded_rows).
_READS = Statements(
    get_contact="SELECT data::text, id, version FROM contacts WHERE id = %s",
    # The contact alone; the store reads it with its links instead (_links.read_statement).
    find_contact="SELECT json, row_id, rank::integer FROM identity_contact(%s, NULL) WHERE part = 0",
    get_journey=_KEYED_JOURNEY.format("journey"),
    find_journey=_KEYED_JOURNEY.format("reference"),
    journeys_of=(
        "SELECT data::text, id, version FROM journeys WHERE contact_id = %s ORDER BY opened_at, position"
    ),
    all_journeys="SELECT data::text, id, version FROM journeys ORDER BY opened_at, position",
    find_interaction="SELECT json, row_id FROM keyed_record('external:' || %s, %s)",
    interactions=_JOURNEY_ROWS.format("json, row_id", "interactions"),
    last_interactions="SELECT json, row_id FROM last_interactions(%s, %s) ORDER BY row_sequence",
    handoffs=_JOURNEY_ROWS.format("json, row_id", "handoffs"),
    get_notification="SELECT json FROM keyed_record('notification', %s)",
    find_notification=_FIND_NOTIFICATION,
    notifications=_JOURNEY_ROWS.format("json", "notifications"),
    due=(
        "SELECT data::text FROM notifications WHERE status = 'pending' AND send_at <= %s"
        " ORDER BY send_at, position LIMIT %s"
    ),
    get_decision="SELECT json, row_id FROM keyed_record('decision', %s)",
    decisions=_JOURNEY_ROWS.format("json, row_id", "decisions"),
)
_LOCK_CONTACT = "SELECT 1 FROM contacts WHERE id = %s FOR UPDATE"
# The notification's row stays locked until the caller's transaction ends.
_LOCK_NOTIFICATION = "SELECT json FROM locked_notification(%s)"
# Writers of one key (a contact id or an identity) queue here until their transaction
# ends; the first number keeps handoff's locks apart from other advisory locks.
_LOCK_CLASS = 0x48_4F
_LOCK_KEY = "SELECT pg_advisory_xact_lock(%s, hashtext(%s))"
# Two walks of journeys_active (status, updated_at, id), merged; LIMIT NULL means no limit.
_ACTIVE = (
    "SELECT data::text FROM ("
    "(SELECT data, updated_at, id FROM journeys WHERE status = 'open' ORDER BY updated_at, id LIMIT %s)"
    " UNION ALL "
    "(SELECT data, updated_at, id FROM journeys WHERE status = 'pending' ORDER BY updated_at, id LIMIT %s)"
    ") AS active ORDER BY updated_at, id LIMIT %s"
)
_THREAD = intake.THREAD  # with id and version, so a known journey is not decoded again

_EXTERNAL = "SELECT channel, external_id, data::text, id FROM interactions WHERE external_id = ANY(%s)"
_STORED_IDENTITIES = "SELECT identity FROM identities WHERE identity = ANY(%s)"
# Several journeys' notifications at once (a backfill's batch), each journey's in the
# order journey_rows gives them.
_NOTIFICATIONS_OF = (
    "SELECT journey_id, data::text FROM notifications WHERE journey_id = ANY(%s)"
    " ORDER BY journey_id, created_at, position"
)

# A contact's records, journey by journey; ``%s`` is the contact id.
_OF_CONTACT = "contact_id = %s"  # a record's contact is its journey's (their foreign key says so)
_RECORDS_OF = (
    "SELECT r.data::text FROM {table} AS r"
    " JOIN journeys AS j ON j.id = r.journey_id AND j.contact_id = r.contact_id"
    " WHERE j.contact_id = %s ORDER BY j.opened_at, j.position, {order}"
)
_RECORD_ORDER = (
    ("interactions", "r.sequence"),
    ("handoffs", "r.at, r.position"),
    ("notifications", "r.created_at, r.position"),
    ("decisions", "r.at, r.position"),
)
_ERASE = (
    "DELETE FROM callbacks WHERE contact_id = %s",
    f"DELETE FROM decisions WHERE {_OF_CONTACT}",
    f"DELETE FROM interactions WHERE {_OF_CONTACT}",
    f"DELETE FROM handoffs WHERE {_OF_CONTACT}",
    f"DELETE FROM notifications WHERE {_OF_CONTACT}",
    "DELETE FROM record_keys WHERE contact_id = %s",
    "DELETE FROM journeys WHERE contact_id = %s",
    "DELETE FROM identities WHERE contact_id = %s",
    "DELETE FROM contacts WHERE id = %s",
)


# Every table an erasure deletes from; the pool's connections are in autocommit mode.
_VACUUM_ERASED = (
    "VACUUM contacts, identities, record_keys, journeys, interactions, handoffs, notifications, decisions,"
    " callbacks"
)


class PostgresStore(
    SQLReads,
    BulkImport,
    IntakeReads,
    SerializedWrites,
    PostgresMetrics,
    OutboxLeases,
    ErasureScrub,
    SQLPages,
    PostgresCallbacks,
):
    """A store in one schema of a PostgreSQL database (``handoff`` unless told otherwise).

    ``conninfo`` is anything libpq accepts: ``"host=db dbname=support user=app"`` or
    ``"postgresql://app@db/support"``. The pool keeps ``min_size`` to ``max_size``
    connections; a caller waits at most ``timeout`` seconds for one.
    """

    _sql = _READS
    _pages = PageStatements(
        interactions_after="SELECT json, row_id FROM journey_rows(%s, 'interactions', %s, %s) ORDER BY rank",
    )

    def __init__(
        self,
        conninfo: str,
        *,
        min_size: int = 1,
        max_size: int = 8,
        schema: str = "handoff",
        timeout: float = 30.0,
        partitions: int = 0,
    ) -> None:
        conninfo, self._where = connect.parse_conninfo(conninfo)
        connect.check_settings(schema, min_size, max_size, timeout)
        partitions = connect.parse_partitions(partitions)
        self._schema = schema
        self._closed = False
        self._session = threading.local()  # this thread's serialized() transaction, if any
        self._pool = connect.open_pool(
            conninfo, self._where, schema, min_size, max_size, float(timeout), partitions=partitions
        )
        with self._connection("read the schema's layout") as conn:
            row = conn.execute(_PARTITIONS, (schema,)).fetchone()
        self._partitions = 0 if row is None else int(str(row[0]))
        self._decoded = DecodedRows()

    @classmethod
    def from_url(cls, url: str) -> PostgresStore:
        """Open ``postgresql://user:password@host:port/dbname?schema=name&partitions=8``
        (or ``postgres://``).

        ``schema`` and ``partitions`` are handoff's own parameters; every other query
        parameter goes to libpq. ``partitions`` applies when the schema is created: its
        per-contact tables are then ``PARTITION BY HASH (contact_id)`` in that many parts.
        An existing schema keeps its layout; asking it for another number of partitions
        raises :class:`~handoff.errors.ValidationError` naming ``partitions``.
        """
        conninfo, options = connect.url_options(url)
        return cls(conninfo, **options)

    @property
    def schema(self) -> str:
        """The PostgreSQL schema holding the tables."""
        return self._schema

    @property
    def partitions(self) -> int:
        """How many hash partitions (by contact) the per-contact tables have; 0 for none."""
        return self._partitions

    def __repr__(self) -> str:
        return f"PostgresStore({self._where!r}, schema={self._schema!r})"

    def close(self) -> None:
        self._closed = True
        self._pool.close()

    # -- writes ----------------------------------------------------------------------
    def commit(self, changes: Changeset) -> None:
        changes = check_changeset(changes)
        batch = (changes,)
        rows = writes.Rows(batch)  # serialized before a connection is taken
        # Callbacks are checked against the stored row: a transaction of statements.
        statement = None if changes.callbacks or changes.cancelled_notifications else one.statement(rows)
        if statement is None:  # callbacks, or too many rows for one statement: as a batch of one
            self._commit_rows("commit a changeset", batch, rows)
            return
        with self._writing("commit a changeset", batch) as conn:
            # Outside a transaction block: the statement commits (or fails) as a whole.
            if self._ends_session(conn):  # inside serialized(): COMMIT goes with the statement
                with conn.pipeline():
                    conn.execute(*statement, prepare=True)
                    conn.execute("COMMIT")
                self._session_ended()
            else:
                conn.execute(*statement, prepare=True)
        self._decoded.written(batch)

    def commit_many(self, changes: Sequence[Changeset]) -> None:
        """Commit the changesets in order in one transaction, set-based where that writes the
        same (see :mod:`~handoff.stores.postgres._bulk`); appended rows go in by ``COPY``."""
        batch = check_batch(changes)
        if batch:
            rows = writes.Rows(batch, numbered=True)
            self._commit_rows("import changesets", batch, rows, by_table=bulk.set_based(batch, rows))

    def _commit_rows(
        self, doing: str, batch: Sequence[Changeset], rows: writes.Rows, *, by_table: bool = False
    ) -> None:
        with self._writing(doing, batch) as conn:
            written = False
            if by_table:
                try:
                    with conn.transaction():
                        bulk.write_set(conn, rows)
                        write_callbacks(conn, batch)
                    written = True
                except (bulk.Refused, pgerrors.IntegrityError):
                    pass  # undone; written in order below, which names the culprit
            if not written:
                with conn.transaction():
                    rows.write_versioned(conn)
                    rows.copy_appended(conn)
                    write_callbacks(conn, batch)
            if self._ends_session(conn):
                conn.execute("COMMIT")
                self._session_ended()
        self._decoded.written(batch)

    def mark_notification(
        self, notification_id: str, status: str, at: datetime, *, provider_id: str | None = None
    ) -> Notification:
        mark = marks.check_marking(notification_id, status, at, provider_id)
        with self._writing("mark a notification", ()) as conn, conn.transaction():
            row = conn.execute(_LOCK_NOTIFICATION, (mark[0],)).fetchone()
            updated, statements = marks.marking(row, mark)
            for statement in statements:
                conn.execute(*statement)
        return updated

    def claim_notifications(
        self, worker: str, now: datetime, *, limit: int, lease: timedelta, audience: str | None = None
    ) -> list[Notification]:
        worker, now, limit, lease = check_claim(worker, now, limit, lease)
        audience = check_audience(audience)
        with self._connection("claim due notifications") as conn:
            claimed = claim(conn, worker, now, limit, lease, audience)
        return [writes.decode(Notification, data) for data in claimed]

    # -- journeys (the plainer look-ups are SQLReads') ---------------------------------
    def active_journeys(self, *, limit: int | None = None) -> list[Journey]:
        limit = check_active_limit(limit)
        return self._all(Journey, _ACTIVE, (limit, limit, limit))

    def find_interactions(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Interaction]:
        wanted = [key for key in check_keys(keys) if not writes.has_nul(key)]
        if not wanted:
            return {}
        ids = list(dict.fromkeys(external_id for _, external_id in wanted))
        with self._connection("read") as conn:
            rows = conn.execute(_EXTERNAL, (ids,)).fetchall()
        keep = set(wanted)
        found: dict[tuple[str, str], Interaction] = {}
        row = self._decoded.row
        for channel, external_id, data, interaction_id in rows:
            if (channel, external_id) in keep:
                found[(str(channel), str(external_id))] = row(Interaction, (data, interaction_id))
        return found

    def stored_identities(self, identities: Sequence[Identity]) -> set[Identity]:
        wanted = {str(identity): identity for identity in check_identities(identities)}
        keys = [key for key in wanted if "\x00" not in key]
        if not keys:
            return set()
        with self._connection("read") as conn:
            rows = conn.execute(_STORED_IDENTITIES, (keys,)).fetchall()
        return {wanted[str(key)] for (key,) in rows}

    def notifications_of(self, journey_ids: Sequence[str]) -> dict[str, list[Notification]]:
        wanted = [journey_id for journey_id in check_journey_ids(journey_ids) if "\x00" not in journey_id]
        if not wanted:
            return {}
        with self._connection("read") as conn:
            rows = conn.execute(_NOTIFICATIONS_OF, (wanted,)).fetchall()
        found: dict[str, list[Notification]] = {}
        row = self._decoded.row
        for journey_id, data in rows:
            found.setdefault(str(journey_id), []).append(row(Notification, (data,)))
        return found

    def find_journey_by_thread(self, refs: Sequence[str]) -> Journey | None:
        wanted = [ref for ref in check_refs(refs) if "\x00" not in ref]
        return self._one(Journey, _THREAD, (wanted,)) if wanted else None

    # -- contacts: the links are rows of their own -----------------------------------
    def get_contact(self, contact_id: str) -> Contact:
        return self._contact(check_text(contact_id, "contact_id"), None, brief=False)

    def get_contact_brief(self, contact_id: str) -> Contact:
        return self._contact(check_text(contact_id, "contact_id"), None, brief=True)

    def find_contact(self, identity: Identity) -> Contact | None:
        return self._contact(None, check_identity(identity), brief=False)

    def find_contact_brief(self, identity: Identity) -> Contact | None:
        return self._contact(None, check_identity(identity), brief=True)

    @overload
    def _contact(self, contact_id: str, identity: None, *, brief: bool) -> Contact: ...
    @overload
    def _contact(self, contact_id: None, identity: Identity, *, brief: bool) -> Contact | None: ...
    def _contact(self, contact_id: str | None, identity: Identity | None, *, brief: bool) -> Contact | None:
        """The contact (by id, else by identity) with all its links or its brief, in one statement."""
        params = {"contact": contact_id, "identity": None if identity is None else str(identity)}
        found = None
        if not writes.has_nul(params.values()):
            sql = links.read_statement(by_identity=contact_id is None, brief=brief)
            with self._connection("read") as conn:
                rows = conn.execute(sql, params, prepare=True).fetchall()
                found = links.assembled(rows, self._decoded.row, self._decoded.load)
        if found is None and contact_id is not None:
            raise NotFound("contact", contact_id)
        return found

    def load_intake(
        self,
        identity: Identity,
        channel: str,
        external_id: str | None,
        references: Sequence[str],
        thread_refs: Sequence[str],
        since: datetime,
    ) -> IntakeRecords:
        """Everything ``receive`` reads, pipelined: one round trip in the usual case."""
        params = intake.intake_params(identity, channel, external_id, references, thread_refs, since)
        lock = self._lock_to_take()
        with self._connection("read", begins=lock is not None) as conn:
            return intake.load_intake(conn, params, self._decoded, lock)

    # -- privacy ---------------------------------------------------------------------
    def contact_records(self, contact_id: str) -> ContactRecords:
        """Everything held about the contact, read from one snapshot."""
        check_text(contact_id, "contact_id")
        if writes.has_nul([contact_id]):
            raise NotFound("contact", contact_id)
        with self._connection("export a contact") as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            contact = links.assembled(
                conn.execute(
                    links.read_statement(by_identity=False, brief=False),
                    {"contact": contact_id, "identity": None},
                ).fetchall(),
                self._decoded.row,
                self._decoded.load,
            )
            if contact is None:
                raise NotFound("contact", contact_id)
            journeys = conn.execute(_READS.journeys_of, (contact_id,)).fetchall()
            found = {
                table: conn.execute(_records_of(table, order), (contact_id,)).fetchall()
                for table, order in _RECORD_ORDER
            }
        return ContactRecords(
            contact=contact,
            journeys=[writes.decode(Journey, r[0]) for r in journeys],
            interactions=[writes.decode(Interaction, r[0]) for r in found["interactions"]],
            handoffs=[writes.decode(Handoff, r[0]) for r in found["handoffs"]],
            notifications=[writes.decode(Notification, r[0]) for r in found["notifications"]],
            decisions=[writes.decode(DecisionRecord, r[0]) for r in found["decisions"]],
        )

    def erase_contact(self, contact_id: str) -> None:
        """Delete every row of the contact in one transaction, children first."""
        self.erase_contact_scrubbed(contact_id, vacuum=False)

    def erase_contact_scrubbed(self, contact_id: str, *, vacuum: bool = True) -> Erasure:
        """Delete every row of the contact in one transaction, children first; then, unless
        ``vacuum`` is false, ``VACUUM`` the tables it touched so the dead row versions are
        freed. The WAL keeps the erased values until its segments are recycled, so old
        copies may always remain (see the privacy guide)."""
        self._erase(contact_id)
        vacuumed = False
        if vacuum:
            try:
                with self._connection("vacuum after an erasure") as conn:
                    conn.execute(_VACUUM_ERASED)
                vacuumed = True
            except HandoffError:
                pass  # the rows are gone all the same; autovacuum frees them later
        return Erasure(contact_id, old_copies_may_remain=True, vacuumed=vacuumed)

    def _erase(self, contact_id: str) -> None:
        check_text(contact_id, "contact_id")
        if writes.has_nul([contact_id]):
            raise NotFound("contact", contact_id)
        with self._connection("erase a contact") as conn, conn.transaction():
            # The row lock makes a concurrent write to this contact wait, then fail cleanly.
            if conn.execute(_LOCK_CONTACT, (contact_id,)).fetchone() is None:
                raise NotFound("contact", contact_id)
            with conn.pipeline():
                for statement in _ERASE:
                    conn.execute(statement, (contact_id,))
        self._decoded.clear()  # not even this process keeps a copy

    # -- plumbing --------------------------------------------------------------------
    def _timestamp(self, at: datetime) -> datetime:
        return at  # timestamptz: psycopg passes an aware datetime as it is

    def _one(self, model: type[T], sql: str, params: tuple[object, ...]) -> T | None:
        if writes.has_nul(params):
            return None
        with self._connection("read") as conn:
            row = conn.execute(sql, params).fetchone()
        return None if row is None else self._decoded.row(model, row)

    def _all(self, model: type[T], sql: str, params: tuple[object, ...]) -> list[T]:
        if writes.has_nul(params):
            return []
        with self._connection("read") as conn:
            rows = conn.execute(sql, params).fetchall()
        return [self._decoded.row(model, row) for row in rows]

    @contextmanager
    def serialized(self, key: str) -> Iterator[None]:
        """One transaction on one pooled connection for this thread's reads and commit,
        behind a transaction-scoped advisory lock on ``key``.

        ``BEGIN`` and the lock go out with the block's first read (in the same round trip
        as :meth:`load_intake`), ``COMMIT`` with its commit statement, so a serialised
        ``receive`` costs no round trip more than an unserialised one. The lock is let go
        when the transaction ends, after what it wrote is visible: the next writer of
        the key reads it. Writers of other keys run side by side."""
        check_lock_key(key)
        if getattr(self._session, "conn", None) is not None:
            yield
            return
        with self._connection("serialise a write") as conn:
            session = self._session
            session.conn, session.key, session.begun = conn, key, False
            ok = False
            try:
                yield
                ok = True
            finally:
                begun = session.begun
                session.conn = session.key = None
                session.begun = False
                if begun or conn.info.transaction_status != TransactionStatus.IDLE:
                    try:
                        conn.execute("COMMIT" if ok else "ROLLBACK")
                    except BaseException:
                        conn.close()  # the server ends a closed session's transaction
                        raise

    def _lock_first(self, conn: Connection) -> None:
        """Queue ``BEGIN`` and the advisory lock of :meth:`serialized` ahead of its first read."""
        session = self._session
        if getattr(session, "conn", None) is conn and not session.begun:
            conn.execute("BEGIN")
            conn.execute(_LOCK_KEY, (_LOCK_CLASS, session.key), prepare=True)
            session.begun = True

    def _lock_to_take(self) -> tuple[int, str] | None:
        """The advisory lock (class, key) a read must take itself: :meth:`serialized`'s,
        when the read is the block's first; otherwise None."""
        session = self._session
        if getattr(session, "conn", None) is None or session.begun:
            return None
        return (_LOCK_CLASS, str(session.key))

    def _ends_session(self, conn: Connection) -> bool:
        """Whether a commit on ``conn`` ends :meth:`serialized`'s transaction (it then
        sends ``COMMIT`` itself, in the commit's own round trip)."""
        session = self._session
        return getattr(session, "conn", None) is conn and bool(session.begun)

    def _session_ended(self) -> None:
        self._session.begun = False

    @contextmanager
    def _connection(
        self, doing: str, *, lock_pipelined: bool = True, begins: bool = False
    ) -> Iterator[Connection]:
        """A pooled connection; psycopg's errors come out as handoff's. Inside
        :meth:`serialized`, the block's connection, with ``BEGIN`` and the lock sent ahead
        of the caller's first statement (``begins``: the caller sends ``BEGIN`` and takes
        the lock itself)."""
        if self._closed:
            raise StoreError(f"the store for {self._where} is closed")
        joined = getattr(self._session, "conn", None)
        if joined is not None:  # inside serialized(): the block's connection, locked first
            with connect.translated(doing, self._where):
                if self._session.begun:
                    yield joined
                elif begins:  # the caller sends BEGIN, and its first statement takes the lock
                    self._session.begun = True
                    yield joined
                elif lock_pipelined:  # BEGIN and the lock go out with the caller's first statement
                    with joined.pipeline():
                        self._lock_first(joined)
                        yield joined
                else:
                    self._lock_first(joined)
                    yield joined
            return
        try:
            with connect.translated(doing, self._where), self._pool.connection() as conn:
                yield conn
        except StoreUnavailable:
            # After a server restart every idle connection is dead: drop them now, so
            # that only this call fails rather than one call per pooled connection.
            with suppress(psycopg.Error):
                self._pool.check()
            raise

    @contextmanager
    def _writing(self, doing: str, batch: Sequence[Changeset]) -> Iterator[Connection]:
        """Like :meth:`_connection`, explaining a refused write in the domain's terms."""
        with self._connection(doing, lock_pipelined=False) as conn:
            try:
                yield conn
            except pgerrors.IntegrityError as exc:
                if conn.info.transaction_status == TransactionStatus.INERROR:
                    conn.execute("ROLLBACK")  # serialized(): explained outside its failed transaction
                    self._session_ended()
                raise writes.explained(conn, batch, exc) from exc


def _records_of(table: str, order: str) -> str:
    return _RECORDS_OF.format(table=table, order=order)
