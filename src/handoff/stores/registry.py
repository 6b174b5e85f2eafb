"""From a URL to a store: ``open_store("sqlite:///handoff.db")``.

A scheme is resolved, in this order, through stores registered at run time with
:func:`register_store`, the built-in backends (imported only when asked for, so a
missing driver costs nothing until it is needed), and the ``handoff.stores``
entry-point group, where a plugin package names its class::

    [project.entry-points."handoff.stores"]
    redis = "handoff_redis:RedisStore"

Every store class opens itself with its ``from_url(url)`` classmethod.
"""

from __future__ import annotations

import importlib
import re
import threading
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType

from attrs import define

from handoff.errors import HandoffError, StoreError, StoreUnavailable, ValidationError
from handoff.stores.base import Store

__all__ = ["BUILTIN_STORES", "BuiltinStore", "open_store", "register_store"]

ENTRY_POINT_GROUP = "handoff.stores"
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*$")


@define(frozen=True)
class BuiltinStore:
    """Where a built-in backend lives (``module:Class``) and how to install what it needs."""

    target: str
    install_hint: str | None = None


_POSTGRES = BuiltinStore("handoff.stores.postgres:PostgresStore", "pip install 'channel-handoff[postgres]'")

BUILTIN_STORES: MappingProxyType[str, BuiltinStore] = MappingProxyType(
    {
        "memory": BuiltinStore("handoff.stores.memory:MemoryStore"),
        "sqlite": BuiltinStore("handoff.stores.sqlite:SQLiteStore"),
        "postgresql": _POSTGRES,
        "postgres": _POSTGRES,
    }
)

_registered: dict[str, type[Store]] = {}
_registered_lock = threading.Lock()


def open_store(url: str | Store) -> Store:
    """The store a URL names; a :class:`Store` object is returned as it is.

    Raises :class:`~handoff.errors.StoreUnavailable` for an unknown scheme or a backend
    that cannot be imported, with what to do about it in the message.
    """
    if isinstance(url, Store):
        return url
    if not isinstance(url, str):
        raise ValidationError(
            "url", f"expected a store URL such as 'sqlite:///handoff.db', got {type(url).__name__}"
        )
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()  # schemes are case-insensitive
    if not sep or not _SCHEME_RE.match(scheme):
        raise ValidationError(
            "url", f"expected scheme://..., such as 'sqlite:///handoff.db' or 'memory://', got {url!r}"
        )
    url = f"{scheme}://{rest}"
    store_class = _resolve(scheme)
    try:
        store = store_class.from_url(url)
    except HandoffError:
        raise
    except Exception as exc:
        raise StoreError(f"{store_class.__name__} could not open {url!r}: {exc}") from exc
    if not isinstance(store, Store):
        raise StoreUnavailable(
            f"{store_class.__name__}.from_url returned {type(store).__name__}, not a Store"
        )
    return store


def register_store(scheme: str, cls: type[Store], *, replace: bool = False) -> None:
    """Make ``scheme://`` URLs open with ``cls`` (a :class:`Store` with ``from_url``).

    A scheme already known (built in, from an entry point or registered before) is
    refused unless ``replace`` is true; a registration then wins over the others.
    """
    if not isinstance(scheme, str) or not _SCHEME_RE.match(scheme):
        raise ValidationError("scheme", f"expected a lower-case URL scheme such as 'redis', got {scheme!r}")
    if not isinstance(cls, type) or not issubclass(cls, Store):
        raise ValidationError("cls", f"expected a subclass of handoff.stores.Store, got {cls!r}")
    with _registered_lock:
        if not replace and (scheme in _registered or scheme in BUILTIN_STORES or _entry_point(scheme)):
            raise ValidationError(
                "scheme", f"{scheme!r} is already registered; pass replace=True to override it"
            )
        _registered[scheme] = cls


def _resolve(scheme: str) -> type[Store]:
    with _registered_lock:
        registered = _registered.get(scheme)
    if registered is not None:
        return registered
    builtin = BUILTIN_STORES.get(scheme)
    if builtin is not None:
        return _import_builtin(scheme, builtin)
    found = _entry_point(scheme)
    if found is not None:
        return _load_entry_point(scheme, found)
    known = sorted({*BUILTIN_STORES, *_registered, *(ep.name for ep in _entry_points())})
    raise StoreUnavailable(
        f"no store is known for {scheme}:// URLs (known: {', '.join(known)}); install the package "
        f"that provides it (it registers the {ENTRY_POINT_GROUP!r} entry point) or call register_store()"
    )


def _import_builtin(scheme: str, builtin: BuiltinStore) -> type[Store]:
    module_name, _, class_name = builtin.target.partition(":")
    hint = f"; install it with: {builtin.install_hint}" if builtin.install_hint else ""
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise StoreUnavailable(
            f"the {scheme}:// store needs {builtin.target}, which cannot be imported ({exc}){hint}"
        ) from exc
    found = getattr(module, class_name, None)
    return _checked(scheme, builtin.target, found)


def _entry_points() -> tuple[EntryPoint, ...]:
    return tuple(entry_points(group=ENTRY_POINT_GROUP))


def _entry_point(scheme: str) -> EntryPoint | None:
    return next((ep for ep in _entry_points() if ep.name == scheme), None)


def _load_entry_point(scheme: str, entry: EntryPoint) -> type[Store]:
    try:
        loaded = entry.load()
    except Exception as exc:
        raise StoreUnavailable(
            f"the {scheme}:// store from entry point {entry.value!r} failed to load ({exc}); "
            "reinstall the package that provides it"
        ) from exc
    return _checked(scheme, entry.value, loaded)


def _checked(scheme: str, target: str, found: object) -> type[Store]:
    if not isinstance(found, type) or not issubclass(found, Store):
        raise StoreUnavailable(f"the {scheme}:// store {target!r} is not a handoff.stores.Store subclass")
    return found
