"""Decoded records, cached by their stored text (SQLite) or by id and version (PostgreSQL).

Decoding a journey's JSON (its fact index, its path) costs more than reading it; the
cache lets the hot path skip it for records it has just written or read.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from handoff.errors import StoreError, ValidationError
from handoff.serde import from_json

T = TypeVar("T")
_MAX_KEPT_TEXT = 4096
"""Longer stored texts are kept by a digest: a contact with thousands of identities would
otherwise pin a copy of its text for every version the cache holds."""


def _short(key: Hashable) -> Hashable:
    if isinstance(key, str) and len(key) > _MAX_KEPT_TEXT:
        return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=20).digest()
    return key


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

    def __init__(self, size: int = 1024, decode: Callable[[type[Any], str], Any] = _decode) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self._decode = decode

    def load(self, model: type[T], data: str, key: Hashable | None = None) -> T:
        """``data`` decoded as ``model``; ``key`` (default: the text) names that exact state."""
        key = _short(data if key is None else key)
        with self._lock:
            found = self._items.get(key)
            if found is not None and type(found) is model:
                self._items.move_to_end(key)
                return found
        decoded: T = self._decode(model, data)
        self.remember(key, decoded)
        return decoded

    def clear(self) -> None:
        """Forget everything: after an erasure, not even this process keeps a copy."""
        with self._lock:
            self._items.clear()

    def remember(self, key: Hashable, record: object) -> None:
        key = _short(key)
        with self._lock:
            self._items[key] = record
            self._items.move_to_end(key)
            if len(self._items) > self._size:
                self._items.popitem(last=False)
