"""``sqlite:///path.db``: the embedded default backend, on the standard library's sqlite3.

One connection per store, shared by all threads under one lock: simple to close,
and the only way an in-memory database can be shared at all. Several processes may
open the same file; WAL lets readers run beside the writer, ``busy_timeout`` makes a
writer wait its turn, and a write transaction that still finds the file busy is retried a few times.

Erasure leaves no trace in the file: ``secure_delete`` zeroes every deleted or
overwritten record as it goes, and after an erasure the write-ahead log is
checkpointed into the database and truncated, so not even old page images remain.

Every sqlite3 exception is translated at this boundary: constraint failures become
the domain's conflicts, anything else a :class:`~handoff.errors.StoreError`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import TypeVar

from handoff.clock import micros
from handoff.errors import NotFound, StoreError, ValidationError
from handoff.identity import Identity
from handoff.models import Contact, DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.serde import to_json
from handoff.stores.capabilities import (
    BulkImport,
    ErasureScrub,
    IntakeReads,
    IntakeRecords,
    OutboxLeases,
    SerializedWrites,
)
from handoff.stores.records import Changeset, ContactRecords, Erasure
from handoff.stores.rules import (
    check_active_limit,
    check_audience,
    check_batch,
    check_changeset,
    check_claim,
    check_identities,
    check_identity,
    check_keys,
    check_lock_key,
    check_mark,
    check_refs,
    check_text,
    marked,
)
from handoff.stores.sql._decoded import Decoded
from handoff.stores.sql._pages import PageStatements, SQLPages
from handoff.stores.sql._reads import SQLReads, Statements
from handoff.stores.sqlite._callbacks import SQLiteCallbacks
from handoff.stores.sqlite._checkpoint import Checkpointer, truncate_log
from handoff.stores.sqlite._connect import begin, connect, rollback, store_error, unicode_error
from handoff.stores.sqlite._intake import Briefs, intake_params, load_intake
from handoff.stores.sqlite._leases import claim
from handoff.stores.sqlite._links import contact_head, owner_of, read_contact
from handoff.stores.sqlite._metrics import SQLiteMetrics
from handoff.stores.sqlite._writes import Params, Rows, erase, provider_holder, write_many

__all__ = ["SQLiteStore"]

T = TypeVar("T")

_TRUNCATE_ATTEMPTS = 5  # at most ~60 ms of waiting in all: an erasure never waits on readers
_MAX_BUSY_TIMEOUT = (2**31 - 1) // 1000  # the most whole seconds whose milliseconds fit 32 bits
# Where Rows keeps the stored JSON text of the contact and of the journey.
_CONTACT_DATA = 2
_JOURNEY_DATA = 6
_URL_FORMS = "sqlite:///relative/path.db, sqlite:////absolute/path.db or sqlite://:memory:"

# Fixed SQL strings: sqlite3 keeps a prepared statement per distinct string.
_MARK_NOTIFICATION = "UPDATE notifications SET status = ?, provider_id = ?, data = ? WHERE id = ?"
# Named on its own too: the upgrade tests check that its plan uses the provider_id index.
_FIND_NOTIFICATION = "SELECT data FROM notifications WHERE provider_id = ?"
_READS = Statements(
    get_contact="SELECT data FROM contacts WHERE id = ?",
    find_contact=(
        "SELECT contacts.data FROM identities JOIN contacts ON contacts.id = identities.contact_id"
        " WHERE identities.identity = ?"
    ),
    get_journey="SELECT data FROM journeys WHERE id = ?",
    find_journey="SELECT data FROM journeys WHERE reference = ?",
    journeys_of="SELECT data FROM journeys WHERE contact_id = ? ORDER BY opened_at, rowid",
    all_journeys="SELECT data FROM journeys ORDER BY opened_at, rowid",
    find_interaction="SELECT data FROM interactions WHERE channel = ? AND external_id = ?",
    interactions="SELECT data FROM interactions WHERE journey_id = ? ORDER BY sequence",
    last_interactions=(
        "SELECT data FROM (SELECT data, sequence FROM interactions WHERE journey_id = ?"
        " ORDER BY sequence DESC LIMIT ?) ORDER BY sequence"
    ),
    handoffs="SELECT data FROM handoffs WHERE journey_id = ? ORDER BY at, rowid",
    get_notification="SELECT data FROM notifications WHERE id = ?",
    find_notification=_FIND_NOTIFICATION,
    notifications="SELECT data FROM notifications WHERE journey_id = ? ORDER BY created_at, rowid",
    due=(
        "SELECT data FROM notifications WHERE status = 'pending' AND send_at <= ?"
        " ORDER BY send_at, rowid LIMIT ?"
    ),
    get_decision="SELECT data FROM decisions WHERE id = ?",
    decisions="SELECT data FROM decisions WHERE journey_id = ? ORDER BY at, rowid",
)
# Two walks of journeys_active (status, updated_at, id), merged: no sort, and LIMIT stops early.
_ACTIVE = (
    "SELECT data, updated_at, id FROM journeys WHERE status = 'open' UNION ALL"
    " SELECT data, updated_at, id FROM journeys WHERE status = 'pending' ORDER BY 2, 3 LIMIT ?"
)
_THREAD = (
    "SELECT at, interactions.rowid, journeys.data FROM interactions"
    " JOIN journeys ON journeys.id = interactions.journey_id"
    " WHERE interactions.external_id IN ({marks}) ORDER BY at DESC, interactions.rowid DESC LIMIT 1"
)
_THREAD_CHUNK = 200
_EXTERNAL = "SELECT channel, external_id, data FROM interactions WHERE external_id IN ({marks})"
_STORED_IDENTITIES = "SELECT identity FROM identities WHERE identity IN ({marks})"


def _create_private(path: str) -> None:
    """Create a new database file readable by its owner only (SQLite gives its ``-wal`` and
    ``-shm`` files the same mode): it holds what customers wrote. An existing file keeps
    whatever mode its operator chose."""
    # Any other failure (no such directory...) is left for sqlite3 to report when it opens.
    with suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _check_busy_timeout(seconds: object) -> float:
    """Finite seconds that SQLite can keep: ``PRAGMA busy_timeout`` takes 32-bit milliseconds
    and silently turns a larger number into 0, no waiting at all."""
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not 0 <= seconds <= _MAX_BUSY_TIMEOUT
    ):
        raise ValidationError(
            "busy_timeout",
            f"expected a finite number of seconds from 0 to {_MAX_BUSY_TIMEOUT} (24 days), got {seconds!r}",
        )
    return float(seconds)


class SQLiteStore(
    SQLReads,
    BulkImport,
    IntakeReads,
    SerializedWrites,
    SQLiteMetrics,
    OutboxLeases,
    ErasureScrub,
    SQLPages,
    SQLiteCallbacks,
):
    """A store in one SQLite file (or in memory with ``":memory:"``).

    URLs follow the usual convention: ``sqlite:///handoff.db`` is relative to the
    working directory, ``sqlite:////var/lib/handoff.db`` is absolute, and
    ``sqlite://`` or ``sqlite://:memory:`` is a private in-memory database.
    """

    _sql = _READS
    _pages = PageStatements(
        interactions_after=(
            "SELECT data FROM interactions WHERE journey_id = ? AND sequence > ? ORDER BY sequence LIMIT ?"
        ),
    )

    def __init__(self, path: str | os.PathLike[str] = ":memory:", *, busy_timeout: float = 5.0) -> None:
        if isinstance(path, os.PathLike):
            path = os.fspath(path)
        if not isinstance(path, str) or not path:
            raise ValidationError("path", f"expected a file path or ':memory:', got {path!r}")
        busy_timeout = _check_busy_timeout(busy_timeout)
        self._path = path
        plain_file = path != ":memory:" and not path.startswith("file:")
        # What the store's other connections open: a file by its absolute path, so that
        # the process changing its directory does not point them at another file.
        self._file = os.path.abspath(path) if plain_file else path
        self._busy_timeout = busy_timeout
        self._lock = threading.RLock()
        self._decoded = Decoded()
        self._briefs = Briefs()
        if plain_file:
            _create_private(path)
        self._conn: sqlite3.Connection | None = connect(path, busy_timeout)
        self._serializing = False  # inside serialized(): one open write transaction
        self._checkpointer: Checkpointer | None = None
        if plain_file:
            self._conn.execute("PRAGMA wal_autocheckpoint = 0")
            self._checkpointer = Checkpointer(self._file, busy_timeout)

    @property
    def path(self) -> str:
        """The database file, or ``":memory:"``."""
        return self._path

    @classmethod
    def from_url(cls, url: str) -> SQLiteStore:
        """Open ``sqlite:///relative.db``, ``sqlite:////absolute.db`` or an in-memory database."""
        if not isinstance(url, str) or not url.startswith("sqlite://"):
            raise ValidationError("url", f"expected {_URL_FORMS}, got {url!r}")
        rest = url[len("sqlite://") :]
        if "?" in rest:  # else "x.db?mode=ro" would quietly become a new file of that name
            raise ValidationError(
                "url",
                f"sqlite URLs take no query parameters, got {url!r}; pass options as keyword "
                "arguments to SQLiteStore instead, e.g. SQLiteStore('x.db', busy_timeout=10)",
            )
        if rest in ("", ":memory:", "/:memory:"):
            return cls(":memory:")
        if not rest.startswith("/") or rest == "/":
            raise ValidationError("url", f"expected {_URL_FORMS}, got {url!r}")
        return cls(rest[1:])

    def __repr__(self) -> str:
        return f"SQLiteStore({self._path!r})"

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            checkpointer, self._checkpointer = self._checkpointer, None
            if checkpointer is not None:
                checkpointer.stop()
            if conn is not None:
                try:
                    conn.close()
                except sqlite3.Error as exc:
                    raise StoreError(f"closing {self._path!r} failed: {exc}") from exc

    # -- writes ----------------------------------------------------------------------
    def commit(self, changes: Changeset) -> None:
        changes = check_changeset(changes)
        rows = Rows(changes)  # serialized before taking the lock
        with self._transaction("commit a changeset") as conn:
            rows.write(conn)
        self._committed((rows,))
        # The next channel switch of the journey shows its recent messages: keep them decoded.
        remember = self._decoded.remember
        for params, interaction in zip(rows.interactions, changes.interactions, strict=True):
            remember(str(params[-1]), interaction)

    def commit_many(self, changes: Sequence[Changeset]) -> None:
        batch = [Rows(change) for change in check_batch(changes)]
        with self._transaction("commit a batch of changesets") as conn:
            write_many(conn, batch)
        self._committed(batch)

    def _committed(self, batch: Sequence[Rows]) -> None:
        """Keep what was just written decoded: the next event on the journey reads it back."""
        if self._checkpointer is not None:
            self._checkpointer.committed()
        remember = self._decoded.remember
        for rows in batch:  # keyed by the stored text, as reads look records up
            contact, journey = rows.changes.contact, rows.changes.journey
            if contact is not None:
                remember(str(rows.contact[_CONTACT_DATA]), contact_head(contact))
            if journey is not None:
                remember(str(rows.journey[_JOURNEY_DATA]), journey)

    def mark_notification(
        self, notification_id: str, status: str, at: datetime, *, provider_id: str | None = None
    ) -> Notification:
        notification_id, status, at, provider_id = check_mark(notification_id, status, at, provider_id)
        with self._transaction("mark a notification") as conn:
            row = conn.execute(_READS.get_notification, (notification_id,)).fetchone()
            if row is None:
                raise NotFound("notification", notification_id)
            current = self._decoded.load(Notification, row[0])
            updated = marked(current, status, at, provider_id)
            if updated == current:
                return current
            if updated.provider_id is not None:
                taken = provider_holder(conn, updated.provider_id, notification_id)
                if taken is not None:
                    raise taken
            params = (updated.status, updated.provider_id, to_json(updated), notification_id)
            conn.execute(_MARK_NOTIFICATION, params)
        return updated

    def claim_notifications(
        self, worker: str, now: datetime, *, limit: int, lease: timedelta, audience: str | None = None
    ) -> list[Notification]:
        worker, now, limit, lease = check_claim(worker, now, limit, lease)
        audience = check_audience(audience)
        with self._transaction("claim due notifications") as conn:
            claimed = claim(conn, worker, now, limit, lease, audience)
        return [self._decoded.load(Notification, data) for data in claimed]

    # -- contacts: the links are rows of their own -----------------------------------
    def get_contact(self, contact_id: str) -> Contact:
        return self._contact(check_text(contact_id, "contact_id"), brief=False)

    def get_contact_brief(self, contact_id: str) -> Contact:
        return self._contact(check_text(contact_id, "contact_id"), brief=True)

    def find_contact(self, identity: Identity) -> Contact | None:
        return self._owner(check_identity(identity), brief=False)

    def find_contact_brief(self, identity: Identity) -> Contact | None:
        return self._owner(check_identity(identity), brief=True)

    def _contact(self, contact_id: str, *, brief: bool) -> Contact:
        with self._snapshot() as conn:
            found = read_contact(conn, self._decoded.load, contact_id, brief=brief)
        if found is None:
            raise NotFound("contact", contact_id)
        return found

    def _owner(self, identity: Identity, *, brief: bool) -> Contact | None:
        with self._snapshot() as conn:
            owner = owner_of(conn, identity)
            if owner is None:
                return None
            return read_contact(conn, self._decoded.load, owner, brief=brief, identity=identity)

    # -- journeys (the plainer look-ups are SQLReads') ---------------------------------
    def active_journeys(self, *, limit: int | None = None) -> list[Journey]:
        limit = check_active_limit(limit)
        return self._all(Journey, _ACTIVE, (-1 if limit is None else limit,))

    def find_interactions(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Interaction]:
        wanted = check_keys(keys)
        ids = list(dict.fromkeys(external_id for _, external_id in wanted))
        rows: list[tuple[str, str, str]] = []
        with self._reading() as conn:
            for start in range(0, len(ids), _THREAD_CHUNK):
                chunk = ids[start : start + _THREAD_CHUNK]
                rows += conn.execute(_EXTERNAL.format(marks=", ".join("?" * len(chunk))), chunk).fetchall()
        keep = set(wanted)
        return {(c, e): self._decoded.load(Interaction, data) for c, e, data in rows if (c, e) in keep}

    def stored_identities(self, identities: Sequence[Identity]) -> set[Identity]:
        wanted = {str(identity): identity for identity in check_identities(identities)}
        keys = list(wanted)
        found: set[Identity] = set()
        with self._reading() as conn:
            for start in range(0, len(keys), _THREAD_CHUNK):
                chunk = keys[start : start + _THREAD_CHUNK]
                rows = conn.execute(_STORED_IDENTITIES.format(marks=", ".join("?" * len(chunk))), chunk)
                found.update(wanted[str(key)] for (key,) in rows)
        return found

    def find_journey_by_thread(self, refs: Sequence[str]) -> Journey | None:
        wanted = check_refs(refs)
        best: tuple[int, int, str] | None = None
        with self._reading() as conn:
            for start in range(0, len(wanted), _THREAD_CHUNK):
                chunk = wanted[start : start + _THREAD_CHUNK]
                sql = _THREAD.format(marks=", ".join("?" * len(chunk)))
                row = conn.execute(sql, chunk).fetchone()
                if row is not None and (best is None or tuple(row) > best):
                    best = (row[0], row[1], row[2])
        return None if best is None else self._decoded.load(Journey, best[2])

    def load_intake(
        self,
        identity: Identity,
        channel: str,
        external_id: str | None,
        references: Sequence[str],
        thread_refs: Sequence[str],
        since: datetime,
    ) -> IntakeRecords:
        """Everything ``receive`` reads, from one snapshot: one statement in the usual case."""
        params, wanted, refs = intake_params(identity, channel, external_id, references, thread_refs, since)
        with self._snapshot() as conn:
            by_thread = self.find_journey_by_thread(refs) if refs else None
            return load_intake(conn, self._decoded.load, self._briefs, identity, params, wanted, by_thread)

    # -- privacy ---------------------------------------------------------------------
    def contact_records(self, contact_id: str) -> ContactRecords:
        check_text(contact_id, "contact_id")
        load = self._decoded.load
        with self._snapshot() as conn:
            contact = read_contact(conn, load, contact_id)
            if contact is None:
                raise NotFound("contact", contact_id)
            journeys = [load(Journey, r[0]) for r in conn.execute(_READS.journeys_of, (contact_id,))]
            ids = [(journey.id,) for journey in journeys]
            return ContactRecords(
                contact=contact,
                journeys=journeys,
                interactions=[
                    load(Interaction, r[0]) for i in ids for r in conn.execute(_READS.interactions, i)
                ],
                handoffs=[load(Handoff, r[0]) for i in ids for r in conn.execute(_READS.handoffs, i)],
                notifications=[
                    load(Notification, r[0]) for i in ids for r in conn.execute(_READS.notifications, i)
                ],
                decisions=[
                    load(DecisionRecord, r[0]) for i in ids for r in conn.execute(_READS.decisions, i)
                ],
            )

    def erase_contact(self, contact_id: str) -> None:
        self.erase_contact_scrubbed(contact_id)

    def erase_contact_scrubbed(self, contact_id: str, *, vacuum: bool = True) -> Erasure:
        """Delete the contact's rows (``secure_delete`` zeroes their space in the file), then
        empty the write-ahead log unless a reader pins it; then the checkpointer retries
        until it can (or :meth:`truncate_log` does)."""
        check_text(contact_id, "contact_id")
        with self._transaction("erase a contact") as conn:
            if not erase(conn, contact_id):
                raise NotFound("contact", contact_id)
        self._decoded.clear()
        self._briefs.clear()
        remains = True
        for attempt in range(_TRUNCATE_ATTEMPTS):  # the checkpointer may be mid-checkpoint
            try:
                remains = self.truncate_log()
            except StoreError:
                remains = True  # deleted all the same: a later checkpoint removes the copies
            if not remains:
                break
            time.sleep(0.002 * 2**attempt)
        if remains and self._checkpointer is not None:
            self._checkpointer.truncate_soon()
        return Erasure(contact_id, old_copies_may_remain=remains)

    def truncate_log(self) -> bool:
        """Copy the write-ahead log into the database file and truncate it, without waiting
        on other connections; whether old page images may remain in it (a reader still
        reads from it)."""
        if self._path == ":memory:":
            return False
        return truncate_log(self._reading, self._busy_timeout)

    # -- plumbing --------------------------------------------------------------------
    def _timestamp(self, at: datetime) -> int:
        return micros(at)  # the columns hold integer microseconds since the epoch

    def _one(self, model: type[T], sql: str, params: Params) -> T | None:
        with self._reading() as conn:
            row = conn.execute(sql, params).fetchone()
        return None if row is None else self._decoded.load(model, row[0])

    def _all(self, model: type[T], sql: str, params: Params) -> list[T]:
        with self._reading() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [self._decoded.load(model, row[0]) for row in rows]

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the store for {self._path!r} is closed")
        return self._conn

    @contextmanager
    def serialized(self, key: str) -> Iterator[None]:
        """Hold the file's write lock (``BEGIN IMMEDIATE``) around this thread's reads and
        commit: SQLite has one writer at a time, so every key is serialised, across
        processes too (a writer waits up to ``busy_timeout`` for its turn)."""
        check_lock_key(key)
        with self._lock:
            if self._serializing:
                yield
                return
            with self._transaction("serialise a write") as conn:
                self._serializing = True
                try:
                    yield
                finally:
                    self._serializing = False
                del conn

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._connection()
            except sqlite3.Error as exc:
                raise store_error(self._path, "read", exc) from exc
            except UnicodeEncodeError as exc:
                raise unicode_error(exc) from exc

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: several queries see one consistent state of the file.
        (:meth:`_reading`'s lock and translation written out: every receive comes here.)"""
        with self._lock:
            conn = self._connection()
            try:
                if self._serializing:  # the open write transaction is the snapshot
                    yield conn
                    return
                conn.execute("BEGIN")
                try:
                    yield conn
                finally:
                    rollback(conn)
            except sqlite3.Error as exc:
                raise store_error(self._path, "read", exc) from exc
            except UnicodeEncodeError as exc:
                raise unicode_error(exc) from exc

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; any error rolls everything back. Inside
        :meth:`serialized` the open transaction is joined instead (it commits at the end)."""
        with self._lock:
            conn = self._connection()
            if self._serializing:
                try:
                    yield conn
                except sqlite3.Error as exc:
                    raise store_error(self._path, doing, exc) from exc
                except UnicodeEncodeError as exc:
                    raise unicode_error(exc) from exc
                return
            try:
                begin(conn)
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    rollback(conn)
                    raise
            except sqlite3.Error as exc:
                raise store_error(self._path, doing, exc) from exc
            except UnicodeEncodeError as exc:
                raise unicode_error(exc) from exc
