"""Blocking store calls, run off the event loop on threads of their own.

A :class:`Worker` owns a small thread pool and awaits a blocking call made on it, so a
coroutine waiting for SQLite or PostgreSQL lets every other task of the loop run. With
one thread (memory, SQLite) every call happens on that thread, in the order the calls
were made: one writer, as those stores want.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from handoff.errors import StoreError, ValidationError

__all__ = ["Worker"]

P = ParamSpec("P")
T = TypeVar("T")


class Worker:
    """``threads`` threads that run blocking calls for coroutines."""

    def __init__(self, threads: int = 1) -> None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValidationError("workers", f"expected a whole number >= 1, got {threads!r}")
        self.threads = threads
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="handoff-aio")
        self._closed = False

    async def run(self, call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``call(*args, **kwargs)`` on a worker thread; its result or its exception.

        Cancelling the awaiting task does not stop a call already started: a write
        either commits whole or not at all, whoever is still waiting for it.
        """
        if self._closed:
            raise StoreError("the asyncio switchboard is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(call, *args, **kwargs))

    async def close(self, last: Callable[[], None]) -> None:
        """Let every call already made finish, stop the threads, then run ``last`` (closing
        the store). Calls made afterwards raise :class:`~handoff.errors.StoreError`."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, functools.partial(self._pool.shutdown, wait=True))
        finally:
            await loop.run_in_executor(None, last)
