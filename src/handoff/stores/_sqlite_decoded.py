"""Decoded SQLite records, cached by their stored text.

Decoding a journey's JSON (its fact index, its path) costs more than reading it; the
cache lets the hot path skip it for records it has just written or read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TypeVar

from handoff.errors import StoreError, ValidationError
from handoff.serde import from_json

T = TypeVar("T")


def _decode(model: type[T], data: str) -> T:
    try:
        return from_json(model, data)
    except ValidationError as exc:
        raise StoreError(
            f"a stored {model.__name__} cannot be read ({exc}); the database is damaged or was "
            "written by a newer handoff"
        ) from exc


class Decoded:
    """Decoded records by their stored text, most recently used kept.

    Records are immutable once written, so one decoded copy per text is exact. The hot
    path re-reads the contact and journey it wrote on the previous event: remembering
    them at commit saves decoding a journey's fact index on every message.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._items: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def load(self, model: type[T], data: str) -> T:
        with self._lock:
            found = self._items.get(data)
            if found is not None and type(found) is model:
                self._items.move_to_end(data)
                return found
        decoded = _decode(model, data)
        self.remember(data, decoded)
        return decoded

    def clear(self) -> None:
        """Forget everything: after an erasure, not even this process keeps a copy."""
        with self._lock:
            self._items.clear()

    def remember(self, data: str, record: object) -> None:
        with self._lock:
            self._items[data] = record
            self._items.move_to_end(data)
            if len(self._items) > self._size:
                self._items.popitem(last=False)
