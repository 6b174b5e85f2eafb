"""Erasure that erases: it returns whatever readers do, never raises after deleting, and
says whether old copies may remain until a later checkpoint removes them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from handoff import FixedClock, Inbound, NotFound, Switchboard, ValidationError
from handoff.privacy import Erasure, erase_contact
from handoff.stores import MemoryStore, SQLiteStore, open_store
from handoff.stores.base import Store

T0 = datetime(2025, 2, 3, 10, 0, tzinfo=timezone.utc)
SECRET_NAME = "Zyxwvu Erasable"
SECRET_MAIL = "zyxwvu.erasable@example.com"


def _write(board: Switchboard, who: str, name: str, n: int) -> str:
    outcome = None
    for i in range(n):
        outcome = board.receive(
            Inbound(
                channel="chat",
                identity=f"email:{who}",
                body=f"Message {i} from {name}: where is my parcel?",
                at=T0 + timedelta(minutes=i),
                external_id=f"{who}-{i}",
                name=name,
            )
        )
    assert outcome is not None
    return outcome.contact.id


def _file_bytes(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_an_erasure_beside_a_reader_returns_and_a_later_checkpoint_removes_the_copies(tmp_path: Path) -> None:
    path = tmp_path / "pinned.db"
    store = SQLiteStore(path, busy_timeout=30)
    board = Switchboard(store, clock=FixedClock(T0))
    _write(board, "bo@example.com", "Bo", 40)
    ana = _write(board, SECRET_MAIL, SECRET_NAME, 40)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM interactions").fetchone()[0] == 80  # a snapshot, held
        result = board.erase_contact(ana)
        assert result == Erasure(ana, old_copies_may_remain=True)
        with pytest.raises(NotFound):
            board.contact(ana)
        with pytest.raises(NotFound):  # deleted by the first call, which did not raise
            board.erase_contact(ana)
        assert SECRET_NAME.encode() in _file_bytes(path)  # the reader's pages are still in the log
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    assert store.truncate_log() is False
    after = _file_bytes(path)
    assert SECRET_NAME.encode() not in after
    assert SECRET_MAIL.encode() not in after
    assert board.find_contact("email:bo@example.com") is not None
    board.close()


def test_an_erasure_without_readers_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "quiet.db"
    with Switchboard(SQLiteStore(path), clock=FixedClock(T0)) as board:
        _write(board, "bo@example.com", "Bo", 20)
        ana = _write(board, SECRET_MAIL, SECRET_NAME, 20)
        assert board.erase_contact(ana) == Erasure(ana, old_copies_may_remain=False)
        assert SECRET_NAME.encode() not in _file_bytes(path)


def test_the_checkpointer_empties_the_log_once_the_reader_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "later.db"
    store = SQLiteStore(path)
    board = Switchboard(store, clock=FixedClock(T0))
    ana = _write(board, SECRET_MAIL, SECRET_NAME, 10)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM contacts").fetchone()
    assert board.erase_contact(ana).old_copies_may_remain
    reader.execute("ROLLBACK")
    reader.close()
    board.close()  # closing checkpoints too: the last connection folds and deletes the log
    assert SECRET_NAME.encode() not in _file_bytes(path)


def test_memory_erasure_leaves_no_copies() -> None:
    board = Switchboard(MemoryStore(), clock=FixedClock(T0))
    ana = _write(board, SECRET_MAIL, SECRET_NAME, 3)
    assert board.erase_contact(ana) == Erasure(ana, old_copies_may_remain=False)


def _only_the_store_contract(inner: Store) -> Store:
    """``inner`` behind the plain Store contract, none of its optional capabilities."""

    def forward(name: str) -> Callable[..., Any]:
        return lambda self, *args, **kwargs: getattr(inner, name)(*args, **kwargs)

    methods = {name: forward(name) for name in Store.__abstractmethods__}
    plain: Store = type("PlainStore", (Store,), methods)()
    return plain


def test_a_store_that_cannot_tell_reports_that_copies_may_remain() -> None:
    inner = MemoryStore()
    board = Switchboard(inner, clock=FixedClock(T0))
    ana = _write(board, SECRET_MAIL, SECRET_NAME, 1)
    plain = _only_the_store_contract(inner)
    assert erase_contact(plain, ana) == Erasure(ana, old_copies_may_remain=True)
    with pytest.raises(NotFound):
        inner.get_contact(ana)


@pytest.mark.parametrize("vacuum", [True, False])
def test_postgres_erasure_vacuums_the_touched_tables_unless_told_not_to(
    postgres_url: str, vacuum: bool
) -> None:
    store = open_store(postgres_url)
    with Switchboard(store, clock=FixedClock(T0)) as board:
        _write(board, "bo@example.com", "Bo", 5)
        ana = _write(board, SECRET_MAIL, SECRET_NAME, 5)
        result = board.erase_contact(ana, vacuum=vacuum)
        assert result == Erasure(ana, old_copies_may_remain=True, vacuumed=vacuum)
        with pytest.raises(NotFound):
            board.contact(ana)
        assert board.find_contact("email:bo@example.com") is not None


def test_erase_refuses_a_vacuum_that_is_not_a_flag() -> None:
    board = Switchboard(MemoryStore(), clock=FixedClock(T0))
    ana = _write(board, SECRET_MAIL, SECRET_NAME, 1)
    with pytest.raises(ValidationError) as caught:
        board.erase_contact(ana, vacuum="yes")  # type: ignore[arg-type]
    assert caught.value.field == "vacuum"
    assert board.contact(ana).id == ana  # nothing erased
