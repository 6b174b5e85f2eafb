"""The metrics read's four row streams, fetched a slice of the period at a time on a thread.

A cold report over a year is seconds of SQLite's own work (stepping the queries) and
seconds of Python's (each journey's tally, the fold). SQLite lets go of the GIL while it
steps, so a thread that runs the queries lets the two overlap on a second core. The
thread must not hand rows over one by one: stepping row by row, it would wait for the
GIL at every row while the other thread tallies. So the period is cut by opening time
into slices of about :data:`SLICE` journeys, and each stream of a slice comes as one JSON
array of its rows (``json_group_array``), made in one step: the streams keep their
order (by slice, then by journey id within it, the same for all four), and the reading
thread decodes a slice while the next one is read.

The thread uses the store's own connection, inside the read's transaction, so it reads
the same snapshot; while it runs, nothing else may use the connection. (The look-ups a
journey's legs need, its earlier texts, fact index or a reply, go to a second
connection pinned to that snapshot: see :func:`~handoff.stores.sqlite._connect.reader_beside`.)
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
    names = ", ".join(f"c{k}" for k in range(columns))
    return f"WITH t({names}) AS ({sql}) SELECT json_group_array(json_array({names})) FROM t"


class SliceReader:
    """Runs ``queries`` (each giving rows of its number of columns) for every slice of
    the period from ``start`` to ``end`` on a thread of its own, and gives each query's
    rows, slice after slice, through :meth:`stream`. :meth:`close` stops it early.

    ``cut`` gives where the slice from ``:start`` ends (before ``:end``) after about
    ``:size`` journeys. The first slice is a quarter of the others, so that the calling
    thread starts sooner."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        queries: Sequence[tuple[str, int]],
        cut: str,
        params: dict[str, Any],
        size: int,
    ) -> None:
        self._conn = conn
        # One statement per slice: the thread takes the GIL once a slice, not once a query.
        self._query = "SELECT " + ", ".join(f"({_as_json_rows(sql, columns)})" for sql, columns in queries)
        self._cut = cut
        self._params = params
        self._size = size
        self._handed: queue.Queue[object] = queue.Queue(maxsize=_IN_FLIGHT)
        self._stop = threading.Event()
        self._parts: tuple[deque[str], ...] = tuple(deque() for _ in queries)
        self._thread = threading.Thread(target=self._run, name="handoff-metrics-reader", daemon=True)
        self.done = False
        """Whether every slice has been handed over (or the reader failed or stopped)."""
        self._thread.start()

    def _run(self) -> None:
        try:
            start, end = self._params["start"], self._params["end"]
            size = max(1, self._size // 4)
            while start < end and not self._stop.is_set():
                cut = self._conn.execute(self._cut, {"start": start, "end": end, "size": size}).fetchone()[0]
                params = {**self._params, "start": start, "end": cut}
                self._hand(list(self._conn.execute(self._query, params).fetchone()))
                start, size = cut, self._size
            self._hand(_DONE)
        except BaseException as exc:  # the reading thread raises it
            self._hand(exc)

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
        item = self._handed.get()
        if item is _DONE or isinstance(item, BaseException):
            self.done = True
            self._thread.join()
            if isinstance(item, BaseException):
                raise item
            return False
        for parts, text in zip(self._parts, cast(list[str], item), strict=True):
            parts.append(text)
        return True

    def stream(self, k: int) -> Iterator[Row]:
        """The rows of query ``k``, slice after slice (each a list, as decoded: the read
        only indexes and unpacks its rows)."""
        parts = self._parts[k]
        while True:
            if parts:
                yield from json.loads(parts.popleft())
            elif not self._next_slice():
                return

    def close(self) -> None:
        """Stop reading (interrupting the statement in progress) and wait for the thread."""
        if self._thread.is_alive():
            self._stop.set()
            self._conn.interrupt()
            self._thread.join()
        self.done = True
