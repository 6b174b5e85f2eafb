"""Storage backends: the :class:`Store` contract, the built-in stores and :func:`open_store`."""

from handoff.stores.base import Changeset, Store
from handoff.stores.memory import MemoryStore
from handoff.stores.registry import open_store, register_store
from handoff.stores.sqlite import SQLiteStore

__all__ = ["Changeset", "MemoryStore", "SQLiteStore", "Store", "open_store", "register_store"]
