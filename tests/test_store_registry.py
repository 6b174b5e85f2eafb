"""open_store and register_store: from a URL to a store, and how schemes are found."""

from __future__ import annotations

import sys
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import ClassVar

import pytest

from handoff.errors import StoreError, StoreUnavailable, ValidationError
from handoff.stores import MemoryStore, SQLiteStore, open_store, register_store, registry


class _CustomStore(MemoryStore):
    """A backend as a plugin would write it: a Store with from_url."""

    opened: ClassVar[list[str]] = []

    @classmethod
    def from_url(cls, url: str) -> _CustomStore:
        cls.opened.append(url)
        return cls()


class _NoUrlStore(MemoryStore):
    @classmethod
    def from_url(cls, url: str) -> MemoryStore:
        # The contract's default, skipping MemoryStore's own: it raises StoreUnavailable.
        return super(MemoryStore, cls).from_url(url)  # type: ignore[return-value]


@pytest.fixture(autouse=True)
def _fresh_registrations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_registered", {})


def _entry_points(*entries: EntryPoint) -> object:
    def fake(*, group: str) -> tuple[EntryPoint, ...]:
        return entries if group == registry.ENTRY_POINT_GROUP else ()

    return fake


@pytest.fixture
def no_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "entry_points", _entry_points())


@pytest.fixture
def opened() -> list[str]:
    _CustomStore.opened = []
    return _CustomStore.opened


def test_memory_url() -> None:
    assert isinstance(open_store("memory://"), MemoryStore)


def test_sqlite_file_url(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'h.db'}") as store:
        assert isinstance(store, SQLiteStore)
        assert store.path == str(tmp_path / "h.db")
    assert (tmp_path / "h.db").exists()


def test_scheme_is_case_insensitive() -> None:
    assert isinstance(open_store("MEMORY://"), MemoryStore)


def test_a_store_object_is_returned_as_it_is() -> None:
    store = MemoryStore()
    assert open_store(store) is store


@pytest.mark.usefixtures("no_plugins")
def test_unknown_scheme_says_what_to_do() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        open_store("redis://localhost/0")
    message = str(caught.value)
    assert "redis://" in message
    assert "register_store" in message
    assert "memory" in message and "sqlite" in message


@pytest.mark.parametrize("url", ["postgresql://db/handoff", "postgres://db/handoff"])
def test_postgres_without_its_driver_gives_the_install_hint(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if psycopg were not installed: the backend module fails to import.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    for name in [m for m in sys.modules if m.partition("._")[0] == "handoff.stores.postgres"]:
        monkeypatch.delitem(sys.modules, name)  # the package and its modules
    with pytest.raises(StoreUnavailable) as caught:
        open_store(url)
    assert "pip install 'channel-handoff[postgres]'" in str(caught.value)
    assert "handoff.stores.postgres" in str(caught.value)


@pytest.mark.parametrize("url", ["", "memory", "sqlite:relative.db", "1abc://x", 42])
def test_malformed_urls_are_validation_errors(url: object) -> None:
    with pytest.raises(ValidationError) as caught:
        open_store(url)  # type: ignore[arg-type]
    assert caught.value.field == "url"


@pytest.mark.usefixtures("no_plugins")
def test_register_store_makes_a_scheme_open(opened: list[str]) -> None:
    register_store("custom", _CustomStore)
    store = open_store("custom://anything?x=1")
    assert isinstance(store, _CustomStore)
    assert opened == ["custom://anything?x=1"]


@pytest.mark.usefixtures("no_plugins")
def test_register_store_refuses_a_known_scheme_without_replace(opened: list[str]) -> None:
    register_store("custom", _CustomStore)
    for scheme in ("custom", "memory", "sqlite", "postgresql"):
        with pytest.raises(ValidationError) as caught:
            register_store(scheme, MemoryStore)
        assert caught.value.field == "scheme"
    assert isinstance(open_store("custom://"), _CustomStore)
    register_store("memory", _CustomStore, replace=True)
    assert isinstance(open_store("memory://"), _CustomStore)


@pytest.mark.parametrize(
    ("scheme", "cls", "field"),
    [
        ("Bad Scheme", MemoryStore, "scheme"),
        ("", MemoryStore, "scheme"),
        ("ok", dict, "cls"),
        ("ok", None, "cls"),
    ],
)
def test_register_store_checks_its_arguments(scheme: str, cls: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        register_store(scheme, cls)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_store_without_from_url_is_unavailable() -> None:
    register_store("nourl", _NoUrlStore)
    with pytest.raises(StoreUnavailable, match="_NoUrlStore"):
        open_store("nourl://")


def test_an_unexpected_failure_in_from_url_becomes_a_store_error() -> None:
    class Exploding(MemoryStore):
        @classmethod
        def from_url(cls, url: str) -> MemoryStore:
            raise ConnectionError("connection refused")

    register_store("boom", Exploding)
    with pytest.raises(StoreError, match="connection refused") as caught:
        open_store("boom://")
    assert isinstance(caught.value.__cause__, ConnectionError)


def test_entry_point_provides_a_scheme(monkeypatch: pytest.MonkeyPatch, opened: list[str]) -> None:
    entry = EntryPoint("plugin", f"{__name__}:_CustomStore", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", _entry_points(entry))
    store = open_store("plugin://cluster")
    assert isinstance(store, _CustomStore)
    assert opened == ["plugin://cluster"]
    with pytest.raises(ValidationError):
        register_store("plugin", MemoryStore)


def test_entry_point_that_fails_to_import(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = EntryPoint("broken", "handoff_no_such_plugin:Store", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", _entry_points(entry))
    with pytest.raises(StoreUnavailable, match="handoff_no_such_plugin") as caught:
        open_store("broken://")
    assert isinstance(caught.value.__cause__, ImportError)


def test_entry_point_that_is_not_a_store(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = EntryPoint("notastore", "pathlib:Path", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", _entry_points(entry))
    with pytest.raises(StoreUnavailable, match=r"not a handoff\.stores\.Store"):
        open_store("notastore://")


def test_builtin_schemes_win_over_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = EntryPoint("memory", f"{__name__}:_CustomStore", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", _entry_points(entry))
    store = open_store("memory://")
    assert type(store) is MemoryStore


def test_builtin_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        registry.BUILTIN_STORES["x"] = registry.BUILTIN_STORES["memory"]  # type: ignore[index]
