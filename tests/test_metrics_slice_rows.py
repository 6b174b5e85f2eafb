"""A slice's rows as the reading thread hands them over: one text, decoded a chunk at a time.

Whatever its rows hold (text with NULs, commas, brackets, quotes or any script, whole
numbers, nothing) and wherever the chunks are cut, the calling thread gets back the rows
SQLite was given, in order.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff.stores.sqlite import _reader

_VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40),
    st.sampled_from(["\0", "],[", '"]\0[', ",", "\\", "\u2028", "名前"]),
)
_COLUMNS = 3
_ROWS = st.lists(st.lists(_VALUES, min_size=_COLUMNS, max_size=_COLUMNS), max_size=30)


def _slice_text(rows: list[list[Any]]) -> str | None:
    """The text the reading thread gets for ``rows`` (a query selecting them in order)."""
    with closing(sqlite3.connect(":memory:")) as conn:
        conn.execute("CREATE TABLE r (k INTEGER PRIMARY KEY, a, b, c)")
        conn.executemany("INSERT INTO r (a, b, c) VALUES (?, ?, ?)", rows)
        query = _reader._as_json_rows("SELECT a, b, c FROM r ORDER BY k", _COLUMNS)
        text: str | None = conn.execute(query).fetchone()[0]
        return text


@given(rows=_ROWS, chunk=st.integers(min_value=0, max_value=200))
def test_a_slice_decoded_in_chunks_gives_its_rows_in_order(rows: list[list[Any]], chunk: int) -> None:
    text = _slice_text(rows)
    if not rows:
        assert text is None  # the reader skips a slice without rows
        return
    assert text is not None
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(_reader, "_CHUNK", chunk)
        assert list(_reader._rows(text)) == rows


def test_a_chunk_ends_only_between_rows() -> None:
    """A row longer than a chunk is decoded whole; the next chunk starts at the next row."""
    rows = [["x" * 50, 1, None], ["a\0b", 2, "],["], ["", 3, "z" * 20]]
    text = _slice_text(rows)
    assert text is not None and text.count("\0") == len(rows) - 1
    decoded: list[list[Any]] = []

    def counted(chunk: str) -> Any:
        decoded.append(json.loads(chunk))
        return decoded[-1]

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(_reader, "_CHUNK", 10)
        patched.setattr(_reader, "json", SimpleNamespace(loads=counted))
        assert list(_reader._rows(text)) == rows
    assert [len(chunk) for chunk in decoded] == [1, 1, 1]
