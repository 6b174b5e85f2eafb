"""``sqlite:///path.db``: the embedded default backend, on the standard library's sqlite3."""

from handoff.stores.sqlite._store import SQLiteStore

__all__ = ["SQLiteStore"]
