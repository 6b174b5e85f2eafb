"""``handoff schema``: the DDL of a store's schema, for PostgreSQL, Citus or SQLite.

``--dialect citus`` prints the PostgreSQL tables followed by the calls that distribute
them by contact (``create_distributed_table``); ``--dialect postgresql --partitions 8``
the tables as a store opened with ``?partitions=8`` creates them. The script comes from
the definitions the store itself uses, so it cannot drift from what the store expects.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from handoff.errors import StoreError, ValidationError
from handoff.stores.sqlite._schema import MIGRATIONS as SQLITE_MIGRATIONS

__all__ = ["add_schema_parser", "run_schema"]

_DIALECTS = ("postgresql", "citus", "sqlite")


def add_schema_parser(sub: Any) -> None:
    schema = sub.add_parser(
        "schema", help="print the DDL of the store's tables (Citus: distributed by contact)"
    )
    schema.add_argument("--dialect", choices=_DIALECTS, default="postgresql", help="SQL dialect")
    schema.add_argument(
        "--partitions",
        type=int,
        default=0,
        metavar="N",
        help="postgresql: hash-partition the per-contact tables by contact in N parts",
    )
    schema.add_argument("--schema", default="handoff", help="postgresql, citus: the schema to create")


def run_schema(args: argparse.Namespace, out: TextIO) -> int:
    if args.partitions and args.dialect != "postgresql":
        raise ValidationError("partitions", f"applies to --dialect postgresql, not {args.dialect}")
    if args.dialect == "sqlite":
        statements = [statement.strip() for step in SQLITE_MIGRATIONS for statement in step]
        print("".join(f"{statement};\n\n" for statement in statements), end="", file=out)
        return 0
    try:  # psycopg is optional: only this dialect's script needs the PostgreSQL store
        from handoff.stores.postgres._connect import parse_partitions
        from handoff.stores.postgres._ddl import ddl
    except ImportError as exc:
        raise StoreError(
            f"the PostgreSQL schema needs psycopg ({exc}); pip install 'channel-handoff[postgres]'"
        ) from exc
    print(ddl(args.dialect, parse_partitions(args.partitions), schema=args.schema), end="", file=out)
    return 0
