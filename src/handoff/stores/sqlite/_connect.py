"""Opening an SQLite file and taking its write lock, with sqlite3's errors translated.

Everything here is about the connection rather than the data, so that
:mod:`handoff.stores.sqlite` reads as the storage contract and little else.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress

from handoff.errors import StoreError, ValidationError
from handoff.stores.sqlite import _schema as schema

_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
_BEGIN_ATTEMPTS = 4


def connect(path: str, busy_timeout: float) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise store_error(path, "open", exc) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")
        # A larger page cache (64 MiB) keeps index look-ups of big databases in memory.
        conn.execute("PRAGMA cache_size = -65536")
        if schema.schema_version(conn) != schema.SCHEMA_VERSION:
            begin(conn)
            try:
                schema.migrate(conn)
                conn.execute("COMMIT")
            except BaseException:
                rollback(conn)
                raise
    except sqlite3.Error as exc:
        conn.close()
        raise store_error(path, "open", exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def begin(conn: sqlite3.Connection) -> None:
    """Take the write lock now, so no statement inside the transaction meets a busy file."""
    for attempt in range(_BEGIN_ATTEMPTS):
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or attempt == _BEGIN_ATTEMPTS - 1:
                raise
            time.sleep(0.005 * 2**attempt)


_FIRST_READ = "SELECT 1 FROM journeys LIMIT 1"


@contextmanager
def reader_beside(
    path: str, busy_timeout: float, conn: sqlite3.Connection
) -> Iterator[sqlite3.Connection | None]:
    """A second connection to the file at ``path``, in a read transaction that sees the
    snapshot ``conn``'s sees: ``conn`` has begun its transaction and read nothing yet.
    Both take their snapshot while a third connection holds the file's write lock, so
    that no commit falls between them. None if a writer holds the lock (it is not
    waited for) or it cannot be taken."""
    other = _pinned(path, busy_timeout, conn)
    try:
        yield other
    finally:
        if other is not None:
            rollback(other)
            other.close()


def _pinned(path: str, busy_timeout: float, conn: sqlite3.Connection) -> sqlite3.Connection | None:
    with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as lock:
        try:
            lock.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # a writer at work, or a file this process cannot lock
            return None
        try:
            conn.execute(_FIRST_READ).fetchall()
            other = connect(path, busy_timeout)
            try:
                other.execute("BEGIN")
                other.execute(_FIRST_READ).fetchall()
            except BaseException:
                other.close()
                raise
        finally:
            rollback(lock)
    return other


def rollback(conn: sqlite3.Connection) -> None:
    """Undo the transaction; the error that got us here is the one worth reporting."""
    if conn.in_transaction:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in _BUSY


def store_error(path: str, doing: str, exc: sqlite3.Error) -> StoreError:
    if _is_busy(exc):
        return StoreError(f"could not {doing} {path!r}: the database stayed busy (another writer); try again")
    return StoreError(f"could not {doing} {path!r}: {exc}")


def unicode_error(exc: UnicodeEncodeError) -> ValidationError:
    return ValidationError("text", f"cannot be stored: it is not valid Unicode ({exc.reason} at {exc.start})")
