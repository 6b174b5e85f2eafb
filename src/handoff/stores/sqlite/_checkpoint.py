"""Checkpointing the WAL beside the writer, so no event pays for it.

By default SQLite copies the write-ahead log back into the database file inside the
commit that crosses 1,000 pages: every few hundred events one of them takes several
milliseconds longer. Here the writer's connection never checkpoints; a daemon thread
with its own connection runs passive checkpoints (which never block the writer) after
enough commits, or every second.

After an erasure the log must also be emptied, or it keeps images of the erased pages:
:func:`truncate_log` tries at once without waiting on readers, and if one pins the log
the checkpointer tries again every second until it can.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

__all__ = ["Checkpointer", "truncate_log"]

_TRUNCATE = "PRAGMA wal_checkpoint(TRUNCATE)"


def truncate_log(
    reading: Callable[[], AbstractContextManager[sqlite3.Connection]], busy_timeout: float
) -> bool:
    """Checkpoint the whole log and truncate it, on the connection ``reading`` lends,
    without waiting for readers (busy timeout 0 for the call); whether it could not."""
    with reading() as conn:
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            busy = conn.execute(_TRUNCATE).fetchone()[0]
        finally:
            conn.execute(f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}")
    return bool(busy)


_EVERY_COMMITS = 200
_EVERY_SECONDS = 1.0


class Checkpointer:
    def __init__(self, path: str, busy_timeout: float) -> None:
        self._path = path
        self._busy_timeout = busy_timeout
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._commits = 0
        self._truncate = threading.Event()
        self._thread = threading.Thread(target=self._run, name="handoff-sqlite-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """Count a commit; wake the checkpointer when enough log has built up."""
        self._commits += 1
        if self._commits >= _EVERY_COMMITS:
            self._commits = 0
            self._wake.set()

    def truncate_soon(self) -> None:
        """Empty the log as soon as no reader pins it (after an erasure)."""
        self._truncate.set()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, timeout=self._busy_timeout, isolation_level=None)
        except sqlite3.Error:
            return  # the writer still works; SQLite checkpoints when the last connection closes
        try:
            while not self._stop.is_set():
                self._wake.wait(_EVERY_SECONDS)
                self._wake.clear()
                if self._truncate.is_set():
                    conn.execute("PRAGMA busy_timeout = 0")  # never hold writers up waiting on readers
                    if not conn.execute(_TRUNCATE).fetchone()[0]:
                        self._truncate.clear()
                    conn.execute(f"PRAGMA busy_timeout = {round(self._busy_timeout * 1000)}")
                else:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            return  # a closed or vanished file: nothing left to checkpoint
        finally:
            conn.close()
