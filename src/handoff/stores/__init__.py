"""Storage backends: the :class:`Store` contract, the built-in stores and :func:`open_store`."""

from handoff.stores.base import BulkImport, Changeset, ContactRecords, Store
from handoff.stores.memory import MemoryStore
from handoff.stores.registry import open_store, register_store
from handoff.stores.sqlite import SQLiteStore

__all__ = [
    "BulkImport",
    "Changeset",
    "ContactRecords",
    "MemoryStore",
    "SQLiteStore",
    "Store",
    "open_store",
    "register_store",
]
