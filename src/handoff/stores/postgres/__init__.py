"""``postgresql://...``: the production backend, on psycopg 3 (``pip install 'handoff[postgres]'``)."""

from handoff.stores.postgres._store import PostgresStore

__all__ = ["PostgresStore"]
