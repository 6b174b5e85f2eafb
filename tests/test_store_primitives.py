"""The contract is ten primitives; everything else :class:`Store` derives from them.

A store that writes only the primitives (here each one handed to a
:class:`~handoff.stores.MemoryStore`, every other look-up inherited) passes the whole
conformance kit, the state machine included.
"""

from __future__ import annotations

from pathlib import Path

from handoff.stores import PRIMITIVES, MemoryStore, SQLiteStore, Store
from handoff.stores.base import Store as BaseStore
from handoff.testing import StoreConformance
from tests.plain_store import PrimitivesOnly as _PrimitivesOnly


class TestPrimitivesOnly(StoreConformance):
    def make_store(self, directory: Path) -> Store:
        return _PrimitivesOnly()


def test_the_primitives_are_the_abstract_methods() -> None:
    assert Store is BaseStore
    assert set(PRIMITIVES) == Store.__abstractmethods__
    assert len(PRIMITIVES) == 10
    overridden = set(vars(_PrimitivesOnly)) - {"__init__", "__module__", "__doc__", "__abstractmethods__"}
    assert overridden == set(PRIMITIVES) | {"_abc_impl"}


def test_every_derived_look_up_is_overridden_by_the_built_in_stores() -> None:
    """The built-in backends answer each look-up from an index, not by scanning journeys."""
    derived = {
        name
        for name, value in vars(Store).items()
        if callable(value) and not name.startswith("_") and name not in PRIMITIVES
    } - {"from_url", "close"}
    assert "journeys_of" in derived and "due_notifications" in derived
    for backend in (MemoryStore, SQLiteStore):
        inherited = {name for name in derived if getattr(backend, name) is getattr(Store, name)}
        assert inherited == set(), backend
