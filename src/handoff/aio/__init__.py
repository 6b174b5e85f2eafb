"""asyncio hosts: :class:`AsyncSwitchboard`, the :class:`~handoff.Switchboard` with awaited verbs.

On PostgreSQL, ``receive``, ``ingest``, the agent verbs and the outbox run on psycopg's
asyncio connection pool, reading, planning and committing exactly as the sync board
does; every other verb, and every verb on memory and SQLite, runs the sync board's on a
worker thread.

>>> from handoff.aio import AsyncSwitchboard
>>> async def main() -> None:
...     async with await AsyncSwitchboard.open("sqlite:///support.db") as board:
...         outcome = await board.receive(inbound)
...         for n in await board.outbox.due():
...             await board.outbox.ack(n.id, provider_id=await send(n))
"""

from handoff.aio._board import AsyncSwitchboard
from handoff.aio._outbox import AsyncOutbox

__all__ = ["AsyncOutbox", "AsyncSwitchboard"]
