"""The metrics read's four row streams, fetched a slice of the period at a time on a thread.

A cold report over a year is seconds of SQLite's own work (stepping the queries) and
seconds of Python's (each journey's tally, the fold). SQLite lets go of the GIL while it
steps, so a thread that runs the queries lets the two overlap on a second core. The
thread must not hand rows over one by one: stepping row by row, it would wait for the
GIL at every row while the other thread tallies. So the period is cut by opening time
into slices of about :data:`SLICE` journeys, and each stream of a slice comes as one
text, its rows' JSON arrays separated by NUL characters (which JSON text never holds
unescaped), made in one step: the four streams of a slice are handed over together, each
in journey id order, and the calling thread decodes a slice while the next one is read.

It decodes a slice a few kilobytes of rows at a time (:data:`_CHUNK`), as it tallies
them, not whole: a slice decoded at once is tens of thousands of lists alive together,
which the cyclic garbage collector would move to its oldest generation and traverse
again and again before they are dropped (half a second of a year's read); rows decoded
just before they are read are freed by their reference counts while still young.

The thread uses the store's own connection, inside the read's transaction, so it reads
the same snapshot; while it runs, nothing else may use the connection. The calling
thread has a second connection pinned to that snapshot (see
:func:`~handoff.stores.sqlite._connect.reader_beside`), for the look-ups a journey's legs
need (its earlier texts, fact index or a reply) and to read a slice itself when none is
ready: a quarter of one, so that it is soon back to tallying, and the two threads share
the reading without either waiting for the other. Slices are claimed in period order
under a lock; they are handed over in the order they are read, which a report does not
depend on.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any, cast

from handoff.stores.sql._metrics import Row

__all__ = ["SLICE", "SliceReader", "cores"]

SLICE = 10_000
"""Journeys per slice: enough for each step to outweigh its overhead, few enough that
the first slice arrives at once and two slices in flight hold a few megabytes."""

_IN_FLIGHT = 2
_DONE = object()


def cores() -> int:
    """The cores this process may run on: reading on a thread pays only with two."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _as_json_rows(sql: str, columns: int) -> str:
    """``sql`` giving one text: its rows as JSON arrays separated by NULs (None without rows)."""
    names = ", ".join(f"c{k}" for k in range(columns))
    return f"WITH t({names}) AS ({sql}) SELECT group_concat(json_array({names}), char(0)) FROM t"


_CHUNK = 8192
"""Characters of rows decoded at a time: enough to keep the decoder's calls few, few
enough that the rows are freed before the garbage collector's first generation fills."""


def _rows(text: str) -> Iterator[Row]:
    """The rows of a slice's text (see :func:`_as_json_rows`), decoded a chunk at a time."""
    start, size = 0, len(text)
    while start < size:
        cut = text.find("\0", start + _CHUNK)
        if cut < 0:
            cut = size
        yield from json.loads(f"[{text[start:cut].replace(chr(0), ',')}]")
        start = cut + 1


class SliceReader:
    """Runs ``queries`` (each giving rows of its number of columns) for every slice of
    the period from ``start`` to ``end`` on a thread of its own, and gives each query's
    rows, slice after slice, through :meth:`stream`. :meth:`close` stops it early.

    When the calling thread would wait for a slice, it reads the next one itself,
    through ``beside`` (a connection reading the same snapshot as ``conn``), so that
    neither thread waits for the other: the slices come in the order they are read,
    each with the rows of every query.

    ``cut`` gives where the slice from ``:start`` ends (before ``:end``) after about
    ``:size`` journeys; ``left`` counts the journeys from ``:start`` to ``:end``, up to
    ``:limit``. The first two slices and the last ones are a quarter of the others: the
    calling thread starts sooner, and what it has left to do once every slice is read
    is short."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        beside: sqlite3.Connection,
        queries: Sequence[tuple[str, int]],
        cut: str,
        left: str,
        params: dict[str, Any],
        size: int,
    ) -> None:
        self._conn = conn
        self._beside = beside
        # One statement per slice: the thread takes the GIL once a slice, not once a query.
        self._query = "SELECT " + ", ".join(f"({_as_json_rows(sql, columns)})" for sql, columns in queries)
        self._cut = cut
        self._left = left
        self._params = params
        self._size = size
        self._quarter = max(1, size // 4)
        self._claims = threading.Lock()
        self._start: int = params["start"]  # where the next slice to be claimed starts
        self._claimed = 0
        self._handed: queue.Queue[object] = queue.Queue(maxsize=_IN_FLIGHT)
        self._stop = threading.Event()
        self._parts: tuple[deque[str], ...] = tuple(deque() for _ in queries)
        self._thread = threading.Thread(target=self._run, name="handoff-metrics-reader", daemon=True)
        self.done = False
        """Whether every slice has been handed over (or the reader failed or stopped)."""
        self._thread.start()

    def _run(self) -> None:
        try:
            while (params := self._claim(self._conn, False)) is not None:
                self._hand(self._read(self._conn, params))
            self._hand(_DONE)
        except BaseException as exc:  # the reading thread raises it
            self._hand(exc)

    def _claim(self, conn: sqlite3.Connection, small: bool) -> dict[str, Any] | None:
        """The parameters of the next slice, claimed for the thread reading through
        ``conn``; None once every slice is claimed (or the reader is stopped)."""
        with self._claims:
            start, end = self._start, self._params["end"]
            if start >= end or self._stop.is_set():
                return None
            size = self._quarter if self._claimed < 2 or small else self._size
            self._start = cut = self._slice_end(conn, start, end, size)
            self._claimed += 1
        return {**self._params, "start": start, "end": cut}

    def _slice_end(self, conn: sqlite3.Connection, start: int, end: int, size: int) -> int:
        """Where the slice from ``start`` ends: after about ``size`` journeys, or a
        quarter of a slice once fewer than two slices are left."""
        limit = 2 * self._size + 1
        left = conn.execute(self._left, {"start": start, "end": end, "limit": limit}).fetchone()[0]
        if left <= self._quarter:
            return end
        if left < limit:
            size = self._quarter
        found: int = conn.execute(self._cut, {"start": start, "end": end, "size": size}).fetchone()[0]
        return found

    def _read(self, conn: sqlite3.Connection, params: dict[str, Any]) -> list[str | None]:
        """Each query's rows in the slice of ``params``, in one statement."""
        return list(conn.execute(self._query, params).fetchone())

    def _hand(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._handed.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def _next_slice(self) -> bool:
        if self.done:
            return False
        try:
            item = self._handed.get_nowait()
        except queue.Empty:  # rather than wait, read the next slice on this thread
            params = self._claim(self._beside, True)
            item = self._handed.get() if params is None else self._read(self._beside, params)
        if item is _DONE or isinstance(item, BaseException):
            self.done = True
            self._thread.join()
            if isinstance(item, BaseException):
                raise item
            return False
        for parts, text in zip(self._parts, cast(list[str | None], item), strict=True):
            if text is not None:  # None: no rows in the slice
                parts.append(text)
        return True

    def stream(self, k: int) -> Iterator[Row]:
        """The rows of query ``k``, slice after slice (each a list, as decoded: the read
        only indexes and unpacks its rows)."""
        parts = self._parts[k]
        while True:
            if parts:
                yield from _rows(parts.popleft())
            elif not self._next_slice():
                return

    def close(self) -> None:
        """Stop reading (interrupting the statement in progress) and wait for the thread."""
        if self._thread.is_alive():
            self._stop.set()
            self._conn.interrupt()
            self._thread.join()
        self.done = True
