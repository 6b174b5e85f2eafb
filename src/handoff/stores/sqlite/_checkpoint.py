"""Checkpointing the WAL beside the writer, so no event pays for it.

By default SQLite copies the write-ahead log back into the database file inside the
commit that crosses 1,000 pages: every few hundred events one of them takes several
milliseconds longer. Here the writer's connection never checkpoints; a daemon thread
with its own connection runs passive checkpoints (which never block the writer) after
enough commits, or every second.
"""

from __future__ import annotations

import sqlite3
import threading

__all__ = ["Checkpointer"]

_EVERY_COMMITS = 200
_EVERY_SECONDS = 1.0


class Checkpointer:
    def __init__(self, path: str, busy_timeout: float) -> None:
        self._path = path
        self._busy_timeout = busy_timeout
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._commits = 0
        self._thread = threading.Thread(target=self._run, name="handoff-sqlite-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """Count a commit; wake the checkpointer when enough log has built up."""
        self._commits += 1
        if self._commits >= _EVERY_COMMITS:
            self._commits = 0
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
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            return  # a closed or vanished file: nothing left to checkpoint
        finally:
            conn.close()
