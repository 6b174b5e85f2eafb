"""``memory://``: the store in plain dicts, for tests, demos and single-process tools."""

from handoff.stores.memory._store import MemoryStore

__all__ = ["MemoryStore"]
