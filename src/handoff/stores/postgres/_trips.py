"""Conversations with PostgreSQL written once, sent by a blocking or an asyncio connection.

A store operation that needs the server (``load_intake``, a commit, a claim) is written
as a generator: it yields a :data:`Trip`, the statements that go out together in one
round trip, and is sent back each statement's rows. It never touches a connection, so
the same text, parameters and decoding serve :class:`~handoff.stores.postgres.PostgresStore`
(over a ``psycopg.Connection``, :func:`run`) and the asyncio store (over a
``psycopg.AsyncConnection``, :func:`run_async`).

A trip of one statement is sent as it is; a trip of several is pipelined. A statement
with parameters is prepared on the connection and its rows come back; one without is a
command (``BEGIN``, ``COMMIT``): not prepared, and no rows. A first trip that opens a
transaction takes ``BEGIN`` along (:func:`send_begun`): a single statement then goes
with it as one query string, its parameters bound in the client.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import Any, TypeVar

from psycopg import AsyncClientCursor, AsyncConnection, ClientCursor, Connection

__all__ = [
    "Rows",
    "Statement",
    "Steps",
    "Trip",
    "run",
    "run_async",
    "send",
    "send_async",
    "send_begun",
    "send_begun_async",
]

T = TypeVar("T")
Statement = tuple[str, Sequence[Any] | Mapping[str, Any] | None]
Trip = list[Statement]
Rows = list[tuple[Any, ...]]
Steps = Generator[Trip, list[Rows], T]


def run(conn: Connection[Any], steps: Steps[T], *, begin: bool = False) -> T:
    """Drive ``steps`` on a blocking connection; what they return. ``begin``: ``BEGIN``
    goes out ahead of the first trip, in its round trip (see :func:`send_begun`)."""
    try:
        trip = next(steps)
        if begin:
            trip = steps.send(send_begun(conn, trip))
        while True:
            trip = steps.send(send(conn, trip))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def run_async(
    conn: AsyncConnection[Any], steps: Steps[T], lead: Trip | None = None, *, begin: bool = False
) -> T:
    """Drive ``steps`` on an asyncio connection; what they return. ``lead`` goes out
    ahead of the first trip, in its round trip (``BEGIN`` and a lock), its rows unread;
    ``begin``: ``BEGIN`` alone does (see :func:`send_begun`)."""
    try:
        trip = next(steps)
        if begin:
            trip = steps.send(await send_begun_async(conn, trip))
        elif lead:
            trip = steps.send((await send_async(conn, [*lead, *trip]))[len(lead) :])
        while True:
            trip = steps.send(await send_async(conn, trip))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def send(conn: Connection[Any], trip: Trip) -> list[Rows]:
    """One round trip: the rows of each statement (none for one that returns no rows)."""
    if len(trip) == 1:
        sql, params = trip[0]
        cursor = conn.execute(sql, params, prepare=params is not None)
        return [cursor.fetchall() if params is not None else []]
    with conn.pipeline():
        cursors = [conn.execute(sql, params, prepare=params is not None) for sql, params in trip]
    return [
        cursor.fetchall() if params is not None else []
        for cursor, (_, params) in zip(cursors, trip, strict=True)
    ]


def send_begun(conn: Connection[Any], trip: Trip) -> list[Rows]:
    """:func:`send` with ``BEGIN`` ahead, in the same round trip. A trip of one statement
    goes as one query string, ``BEGIN`` and the statement with its parameters bound in
    the client (psycopg's ``ClientCursor``): one message and one cursor instead of a
    pipeline of two, which is most of the client's work for a read this small."""
    if len(trip) != 1 or trip[0][1] is None:
        return send(conn, [("BEGIN", None), *trip])[1:]
    sql, params = trip[0]
    cursor = ClientCursor(conn)
    cursor.execute(f"BEGIN; {sql}", params)
    cursor.nextset()
    return [cursor.fetchall()]


async def send_begun_async(conn: AsyncConnection[Any], trip: Trip) -> list[Rows]:
    """:func:`send_begun` on an asyncio connection."""
    if len(trip) != 1 or trip[0][1] is None:
        return (await send_async(conn, [("BEGIN", None), *trip]))[1:]
    sql, params = trip[0]
    cursor = AsyncClientCursor(conn)
    await cursor.execute(f"BEGIN; {sql}", params)
    cursor.nextset()
    return [await cursor.fetchall()]


async def send_async(conn: AsyncConnection[Any], trip: Trip) -> list[Rows]:
    """:func:`send` on an asyncio connection."""
    if len(trip) == 1:
        sql, params = trip[0]
        cursor = await conn.execute(sql, params, prepare=params is not None)
        return [await cursor.fetchall() if params is not None else []]
    async with conn.pipeline():
        cursors = [await conn.execute(sql, params, prepare=params is not None) for sql, params in trip]
    return [
        await cursor.fetchall() if params is not None else []
        for cursor, (_, params) in zip(cursors, trip, strict=True)
    ]
