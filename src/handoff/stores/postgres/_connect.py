"""Reaching the PostgreSQL server: connection strings, the pool, and psycopg's errors.

Everything here is about the connection rather than the data, so that
:mod:`handoff.stores.postgres` reads as the storage contract and little else.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import errors as pgerrors
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolClosed, PoolTimeout

from handoff.errors import ConcurrencyConflict, HandoffError, StoreError, StoreUnavailable, ValidationError
from handoff.stores.postgres import _schema
from handoff.stores.postgres._writes import Connection

Pool = ConnectionPool[Connection]
AsyncConnection = psycopg.AsyncConnection[tuple[object, ...]]
AsyncPool = AsyncConnectionPool[AsyncConnection]

_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_URL_SCHEMES = ("postgresql://", "postgres://")
_CONNECT_TIMEOUT = 10
_OWN_OPTIONS = ("schema", "partitions")
_MOST_PARTITIONS = 1024


def split_url(url: object) -> tuple[str, str | None]:
    """``postgresql://...?schema=x`` as a libpq URL without handoff's own options, and the schema named."""
    rest, schema, _ = split_url_options(url)
    return rest, schema


def split_url_options(url: object) -> tuple[str, str | None, str | None]:
    """``postgresql://...?schema=x&partitions=8`` as a libpq URL without ``schema`` and
    ``partitions``, and the values given for them (the last of each), as text."""
    if not isinstance(url, str) or not url.startswith(_URL_SCHEMES):
        raise ValidationError("url", f"expected postgresql://user@host:port/dbname, got {url!r}")
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    ours = {key: value for key, value in query if key in _OWN_OPTIONS}
    # libpq decodes %XX but not "+": a space must stay %20 (options=-c%20name%3Dvalue).
    rest = urlencode([(key, value) for key, value in query if key not in _OWN_OPTIONS], quote_via=quote)
    return urlunsplit(parts._replace(query=rest)), ours.get("schema"), ours.get("partitions")


def url_options(url: object) -> tuple[str, dict[str, Any]]:
    """A ``postgresql://`` URL as a libpq URL, and the keyword options of a store's
    ``open`` it names (``schema``, ``partitions`` checked)."""
    conninfo, schema, partitions = split_url_options(url)
    options: dict[str, Any] = {}
    if schema is not None:
        options["schema"] = schema
    if partitions is not None:
        options["partitions"] = parse_partitions(partitions)
    return conninfo, options


def parse_partitions(value: object) -> int:
    """The ``partitions`` URL option (or argument): how many hash partitions a new schema gets."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MOST_PARTITIONS:
        raise ValidationError(
            "partitions", f"expected a whole number from 0 (none) to {_MOST_PARTITIONS}, got {value!r}"
        )
    return value


def check_settings(schema: object, min_size: object, max_size: object, timeout: object) -> None:
    """Refuse a bad schema name or pool size before anything connects."""
    if not isinstance(schema, str) or not _SCHEMA_RE.match(schema):
        raise ValidationError(
            "schema", f"expected a lower-case SQL name such as 'handoff' (at most 63), got {schema!r}"
        )
    _check_count("min_size", min_size, minimum=0)
    _check_count("max_size", max_size, minimum=max(1, min_size) if isinstance(min_size, int) else 1)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValidationError("timeout", f"expected seconds > 0, got {timeout!r}")


def _check_count(field: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(field, f"expected a whole number >= {minimum}, got {value!r}")


def parse_conninfo(conninfo: object) -> tuple[str, str]:
    """The connection string with a connect timeout, and where it points (without the password)."""
    if not isinstance(conninfo, str):
        raise ValidationError(
            "conninfo", f"expected a libpq connection string, got {type(conninfo).__name__}"
        )
    try:
        params: dict[str, str | int | None] = dict(conninfo_to_dict(conninfo))
    except psycopg.Error as exc:
        raise ValidationError("conninfo", f"not a valid connection string: {first_line(exc)}") from exc
    params.setdefault("connect_timeout", _CONNECT_TIMEOUT)  # libpq would wait forever
    host = params.get("host") or params.get("hostaddr") or "localhost"
    user = f"{params['user']}@" if params.get("user") else ""
    where = f"postgresql://{user}{host}:{params.get('port') or 5432}/{params.get('dbname') or ''}"
    return make_conninfo("", **params), where


def migrate(conninfo: str, where: str, schema: str, partitions: int = 0) -> int:
    """Apply the schema migrations ``schema`` lacks, over a connection of its own; a new
    schema's per-contact tables are hash-partitioned in ``partitions`` parts when it is not
    0. How many partitions the schema's tables have (0: none).

    A plain connection, so that a wrong password or a server that is down is reported
    with libpq's own words, not as a pool timeout.
    """
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            return _schema.migrate(conn, schema, partitions)
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(f"cannot connect to {where}: {first_line(exc)}") from exc
    except psycopg.Error as exc:
        raise StoreError(f"cannot prepare schema {schema!r} on {where}: {first_line(exc)}") from exc


def open_pool(
    conninfo: str,
    where: str,
    schema: str,
    min_size: int,
    max_size: int,
    timeout: float,
    *,
    partitions: int = 0,
) -> Pool:
    """Migrate the schema (see :func:`migrate`), then open the pool."""
    settings = _settings(schema, migrate(conninfo, where, schema, partitions))

    def configure(conn: Connection) -> None:
        """Every pooled connection reads unqualified table names from our schema."""
        conn.execute(settings)

    options = _pool_options(f"handoff.{schema}", min_size, max_size, timeout)
    pool: Pool = ConnectionPool(conninfo, configure=configure, **options)
    try:
        pool.open(wait=True, timeout=timeout)
    except psycopg.Error as exc:
        pool.close()
        raise _unavailable(where, exc) from exc
    return pool


async def open_async_pool(
    conninfo: str,
    where: str,
    schema: str,
    min_size: int,
    max_size: int,
    timeout: float,
    *,
    partitions: int = 0,
) -> AsyncPool:
    """:func:`open_pool` for asyncio: the migrations run on a thread, and the pool is
    psycopg_pool's ``AsyncConnectionPool`` of ``AsyncConnection`` objects."""
    settings = _settings(schema, await asyncio.to_thread(migrate, conninfo, where, schema, partitions))

    async def configure(conn: AsyncConnection) -> None:
        await conn.execute(settings)

    options = _pool_options(f"handoff.{schema}.async", min_size, max_size, timeout)
    pool: AsyncPool = AsyncConnectionPool(
        conninfo, connection_class=psycopg.AsyncConnection[tuple[object, ...]], configure=configure, **options
    )
    try:
        await pool.open(wait=True, timeout=timeout)
    except psycopg.Error as exc:
        await pool.close()
        raise _unavailable(where, exc) from exc
    return pool


def _pool_options(name: str, min_size: int, max_size: int, timeout: float) -> dict[str, Any]:
    """What both pools are made with: autocommit connections, opened by the caller."""
    return {
        "min_size": min_size,
        "max_size": max_size,
        "timeout": timeout,
        "kwargs": {"autocommit": True},
        "name": name,
        "open": False,
    }


def _unavailable(where: str, exc: psycopg.Error) -> StoreUnavailable:
    return StoreUnavailable(f"cannot open connections to {where}: {first_line(exc)}")


def _settings(schema: str, partitions: int) -> sql.Composed:
    """What every pooled connection sets: unqualified table names are read from our schema,
    and, when its tables are partitioned, each prepared statement keeps one generic plan.

    A custom plan (what PostgreSQL otherwise picks for a statement on partitioned tables)
    is planned afresh at every execution, which costs more than the statement itself: a
    commit's, or a foreign key's check. A generic plan is made once per connection, and
    the partition its parameters name is chosen as it starts, every other one left
    unopened."""
    path = sql.SQL("SET search_path TO {}").format(sql.Identifier(schema))
    if not partitions:
        return path
    return sql.Composed([path, sql.SQL("; SET plan_cache_mode = force_generic_plan")])


@contextmanager
def translated(doing: str, where: str) -> Iterator[None]:
    """psycopg's exceptions, raised inside, come out as handoff's."""
    try:
        yield
    except HandoffError:
        raise
    except PoolClosed as exc:
        raise StoreError(f"the store for {where} is closed") from exc
    except PoolTimeout as exc:
        raise StoreUnavailable(f"could not {doing}: no connection to {where} became free ({exc})") from exc
    except (pgerrors.SerializationFailure, pgerrors.DeadlockDetected) as exc:
        raise ConcurrencyConflict(f"could not {doing}: {first_line(exc)}; try again") from exc
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(f"could not {doing} on {where}: {first_line(exc)}") from exc
    except psycopg.Error as exc:
        raise StoreError(f"could not {doing} on {where}: {first_line(exc)}") from exc
    except UnicodeEncodeError as exc:
        raise ValidationError(
            "text", f"cannot be stored: it is not valid Unicode ({exc.reason} at {exc.start})"
        ) from exc


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
