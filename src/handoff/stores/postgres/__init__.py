"""``postgresql://...``: the production backend, on psycopg 3.

Install it with ``pip install 'channel-handoff[postgres]'``.
"""

from handoff.stores.postgres._store import PostgresStore

__all__ = ["PostgresStore"]
