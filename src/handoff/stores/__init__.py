"""Storage backends: the :class:`Store` contract, its rules and capabilities, the built-in
stores and :func:`open_store`.

:mod:`handoff.stores.base` is the contract, :mod:`handoff.stores.capabilities` the
optional extras, :mod:`handoff.stores.rules` the checks every backend makes; the
backends live in :mod:`handoff.stores.memory`, :mod:`handoff.stores.sqlite` and
:mod:`handoff.stores.postgres` (imported only when asked for).
"""

from handoff.stores import rules
from handoff.stores.base import PRIMITIVES, Changeset, ContactRecords, Store
from handoff.stores.capabilities import (
    BulkImport,
    CallbackBook,
    IntakeReads,
    IntakeRecords,
    JourneyIndex,
    MetricsSource,
    SerializedWrites,
)
from handoff.stores.memory import MemoryStore
from handoff.stores.records import BRIEF_LINKS, brief_contact, linked_contact
from handoff.stores.registry import open_store, register_store
from handoff.stores.sqlite import SQLiteStore

__all__ = [
    "BRIEF_LINKS",
    "PRIMITIVES",
    "BulkImport",
    "CallbackBook",
    "Changeset",
    "ContactRecords",
    "IntakeReads",
    "IntakeRecords",
    "JourneyIndex",
    "MemoryStore",
    "MetricsSource",
    "SQLiteStore",
    "SerializedWrites",
    "Store",
    "brief_contact",
    "linked_contact",
    "open_store",
    "register_store",
    "rules",
]
