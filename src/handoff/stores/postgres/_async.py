"""PostgreSQL for asyncio hosts: the write path's store on psycopg's ``AsyncConnectionPool``.

:class:`AsyncPostgresStore` answers, as coroutines, what one event of the write path
asks of a store (:mod:`handoff.flow.read`): ``load_intake`` and the other look-ups,
``commit``, and the outbox's ``due``, ``claim`` and ``mark``. It is not a
:class:`~handoff.stores.base.Store`: the rest (exports, erasure, reports, bulk import)
stays with :class:`~handoff.stores.postgres.PostgresStore` on the same schema.

Nothing here is PostgreSQL written a second time. The statements are the blocking
store's; ``load_intake`` and ``claim`` are the conversations of
:mod:`~handoff.stores.postgres._intake` and :mod:`~handoff.stores.postgres._leases`
(sent by :func:`~handoff.stores.postgres._trips.run_async`); a commit is the one
statement :mod:`~handoff.stores.postgres._commit` builds. :meth:`serialized` is the
blocking store's too: ``BEGIN`` and a transaction-scoped advisory lock go out with
the first read, ``COMMIT`` with the commit statement, so ``receive`` costs two round
trips here as there; writers of one key queue on the server, not in this process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import TypeVar

import psycopg
from attrs import define
from psycopg import errors as pgerrors
from psycopg.pq import TransactionStatus

from handoff.clock import ensure_aware
from handoff.errors import (
    ConcurrencyConflict,
    HandoffError,
    NotFound,
    StoreError,
    StoreUnavailable,
)
from handoff.identity import Identity
from handoff.models import Contact, Interaction, Journey, Notification
from handoff.stores.capabilities import IntakeRecords
from handoff.stores.postgres import _commit as one
from handoff.stores.postgres import _connect as connect
from handoff.stores.postgres import _intake as intake
from handoff.stores.postgres import _links as links
from handoff.stores.postgres import _marks as marks
from handoff.stores.postgres import _store as blocking
from handoff.stores.postgres import _trips as trips
from handoff.stores.postgres import _writes as writes
from handoff.stores.postgres._decoded_rows import DecodedRows
from handoff.stores.postgres._layout import parent_constraint
from handoff.stores.postgres._leases import claim_steps
from handoff.stores.records import Changeset
from handoff.stores.rules import (
    check_audience,
    check_changeset,
    check_claim,
    check_identity,
    check_last,
    check_limit,
    check_lock_key,
    check_refs,
    check_text,
)

__all__ = ["AsyncPostgresStore"]

T = TypeVar("T")
_READS = blocking._READS


@define
class _Session:
    """One task's :meth:`AsyncPostgresStore.serialized` transaction."""

    conn: connect.AsyncConnection
    key: str
    begun: bool = False


class AsyncPostgresStore:
    """The asyncio side of a PostgreSQL store: open it with :meth:`open`, close it with
    :meth:`close`. Arguments are checked, and refused, as the blocking store checks them."""

    def __init__(self, pool: connect.AsyncPool, where: str, schema: str) -> None:
        self._pool = pool
        self._where = where
        self._schema = schema
        self._closed = False
        self._session: ContextVar[_Session | None] = ContextVar(f"handoff-{id(self)}", default=None)
        self._decoded = DecodedRows()

    @classmethod
    async def open(
        cls,
        conninfo: str,
        *,
        min_size: int = 1,
        max_size: int = 8,
        schema: str = "handoff",
        timeout: float = 30.0,
        partitions: int = 0,
    ) -> AsyncPostgresStore:
        """Apply the migrations the schema lacks and open the pool (the arguments are
        :class:`~handoff.stores.postgres.PostgresStore`'s)."""
        conninfo, where = connect.parse_conninfo(conninfo)
        connect.check_settings(schema, min_size, max_size, timeout)
        partitions = connect.parse_partitions(partitions)
        pool = await connect.open_async_pool(
            conninfo, where, schema, min_size, max_size, float(timeout), partitions=partitions
        )
        return cls(pool, where, schema)

    @classmethod
    async def from_url(cls, url: str) -> AsyncPostgresStore:
        """Open ``postgresql://user:password@host:port/dbname?schema=name&partitions=8``
        (or ``postgres://``); the options are :meth:`PostgresStore.from_url`'s."""
        conninfo, options = connect.url_options(url)
        return await cls.open(conninfo, **options)

    @property
    def schema(self) -> str:
        return self._schema

    def __repr__(self) -> str:
        return f"AsyncPostgresStore({self._where!r}, schema={self._schema!r})"

    async def close(self) -> None:
        self._closed = True
        await self._pool.close()

    def forget(self) -> None:
        """Drop every decoded record this store keeps (after an erasure elsewhere)."""
        self._decoded.clear()

    # -- one event's transaction ---------------------------------------------------------
    @asynccontextmanager
    async def serialized(self, key: str) -> AsyncIterator[None]:
        """This task's reads and commit in one transaction on one pooled connection,
        behind a transaction-scoped advisory lock on ``key`` (see
        :meth:`~handoff.stores.postgres.PostgresStore.serialized`)."""
        check_lock_key(key)
        if self._session.get() is not None:
            yield
            return
        async with self._connection("serialise a write", joined=False) as conn:
            session = _Session(conn, key)
            token = self._session.set(session)
            ok = False
            try:
                yield
                ok = True
            finally:
                self._session.reset(token)
                if session.begun or conn.info.transaction_status != TransactionStatus.IDLE:
                    try:
                        await conn.execute("COMMIT" if ok else "ROLLBACK")
                    except BaseException:
                        await conn.close()  # the server ends a closed session's transaction
                        raise

    def _lead(self) -> trips.Trip:
        """``BEGIN`` and the advisory lock, once, ahead of a serialised task's first statement."""
        session = self._session.get()
        if session is None or session.begun:
            return []
        session.begun = True
        return [("BEGIN", None), (blocking._LOCK_KEY, (blocking._LOCK_CLASS, session.key))]

    # -- the write path's reads ------------------------------------------------------------
    async def load_intake(
        self,
        identity: Identity,
        channel: str,
        external_id: str | None,
        references: Sequence[str],
        thread_refs: Sequence[str],
        since: datetime,
    ) -> IntakeRecords:
        """Everything ``receive`` reads, pipelined: one round trip in the usual case."""
        params = intake.intake_params(identity, channel, external_id, references, thread_refs, since)
        session = self._session.get()
        if session is None or session.begun:
            return await self._ask("read", intake.intake_steps(params, self._decoded))
        # A serialised task's first read takes the advisory lock itself, after BEGIN.
        steps = intake.intake_steps(params, self._decoded, (blocking._LOCK_CLASS, session.key))
        async with self._connection("read") as conn:
            session.begun = True
            return await trips.run_async(conn, steps, begin=True)

    # A contact's links are rows of their own (see PostgresStore.get_contact).
    async def get_contact(self, contact_id: str) -> Contact:
        return await self._by_id(check_text(contact_id, "contact_id"), brief=False)

    async def get_contact_brief(self, contact_id: str) -> Contact:
        return await self._by_id(check_text(contact_id, "contact_id"), brief=True)

    async def find_contact(self, identity: Identity) -> Contact | None:
        return await self._contact(None, check_identity(identity), brief=False)

    async def find_contact_brief(self, identity: Identity) -> Contact | None:
        return await self._contact(None, check_identity(identity), brief=True)

    async def _by_id(self, contact_id: str, *, brief: bool) -> Contact:
        found = await self._contact(contact_id, None, brief=brief)
        if found is None:
            raise NotFound("contact", contact_id)
        return found

    async def _contact(
        self, contact_id: str | None, identity: Identity | None, *, brief: bool
    ) -> Contact | None:
        params = {"contact": contact_id, "identity": None if identity is None else str(identity)}
        if writes.has_nul(params.values()):
            return None
        sql = links.read_statement(by_identity=contact_id is None, brief=brief)
        async with self._connection("read") as conn:
            lead = self._lead()
            rows = (await trips.send_async(conn, [*lead, (sql, params)]))[-1]
        return links.assembled(rows, self._decoded.row, self._decoded.load)

    async def get_journey(self, journey_id: str) -> Journey:
        return await self._get(Journey, "journey", _READS.get_journey, check_text(journey_id, "journey_id"))

    async def find_journey_by_reference(self, reference: str) -> Journey | None:
        return await self._one(Journey, _READS.find_journey, (check_text(reference, "reference"),))

    async def find_journey_by_thread(self, refs: Sequence[str]) -> Journey | None:
        wanted = [ref for ref in check_refs(refs) if "\x00" not in ref]
        return await self._one(Journey, intake.THREAD, (wanted,)) if wanted else None

    async def journeys_of(self, contact_id: str) -> list[Journey]:
        return await self._all(Journey, _READS.journeys_of, (check_text(contact_id, "contact_id"),))

    async def find_interaction(self, channel: str, external_id: str) -> Interaction | None:
        key = (check_text(channel, "channel"), check_text(external_id, "external_id"))
        return await self._one(Interaction, _READS.find_interaction, key)

    async def interactions(self, journey_id: str, *, last: int | None = None) -> list[Interaction]:
        check_text(journey_id, "journey_id")
        last = check_last(last)
        if last is None:
            return await self._all(Interaction, _READS.interactions, (journey_id,))
        return await self._all(Interaction, _READS.last_interactions, (journey_id, last)) if last else []

    async def notifications(self, journey_id: str) -> list[Notification]:
        return await self._all(Notification, _READS.notifications, (check_text(journey_id, "journey_id"),))

    # -- the write ---------------------------------------------------------------------------
    async def commit(self, changes: Changeset) -> None:
        """Write the changeset as one statement (see :mod:`~handoff.stores.postgres._commit`);
        inside :meth:`serialized`, ``COMMIT`` goes with it in the same round trip."""
        changes = check_changeset(changes)
        if changes.callbacks or changes.cancelled_notifications:  # not a CallbackBook
            raise StoreUnavailable("the asyncio PostgreSQL store keeps no callbacks; the blocking store does")
        batch = (changes,)
        rows = writes.Rows(batch)  # serialized before a connection is taken
        statement = one.statement(rows) or one.statement(rows, most=None)
        assert statement is not None
        async with self._connection("commit a changeset") as conn:
            session = self._session.get()
            ending = session is not None
            trip: trips.Trip = [*self._lead(), statement, *([("COMMIT", None)] if ending else [])]
            try:
                await trips.send_async(conn, trip)
            except pgerrors.IntegrityError as exc:
                if conn.info.transaction_status == TransactionStatus.INERROR:
                    await conn.execute("ROLLBACK")  # explained outside the failed transaction
                raise await _explained(conn, batch, exc) from exc
            finally:
                if session is not None:
                    session.begun = False
        self._decoded.written(batch)

    # -- the outbox ------------------------------------------------------------------------
    async def get_notification(self, notification_id: str) -> Notification:
        key = check_text(notification_id, "notification_id")
        return await self._get(Notification, "notification", _READS.get_notification, key)

    async def due_notifications(self, now: datetime, *, limit: int = 100) -> list[Notification]:
        cutoff = ensure_aware(now, "now")
        limit = check_limit(limit)
        return await self._all(Notification, _READS.due, (cutoff, limit)) if limit else []

    async def claim_notifications(
        self, worker: str, now: datetime, *, limit: int, lease: timedelta, audience: str | None = None
    ) -> list[Notification]:
        worker, now, limit, lease = check_claim(worker, now, limit, lease)
        audience = check_audience(audience)
        steps = claim_steps(worker, now, limit, lease, audience)
        claimed = await self._ask("claim due notifications", steps)
        return [writes.decode(Notification, data) for data in claimed]

    async def mark_notification(
        self, notification_id: str, status: str, at: datetime, *, provider_id: str | None = None
    ) -> Notification:
        mark = marks.check_marking(notification_id, status, at, provider_id)
        async with self._connection("mark a notification") as conn, conn.transaction():
            cursor = await conn.execute(blocking._LOCK_NOTIFICATION, (mark[0],))
            updated, statements = marks.marking(await cursor.fetchone(), mark)
            for statement in statements:
                await conn.execute(*statement)
        return updated

    # -- plumbing ----------------------------------------------------------------------------
    async def _ask(self, doing: str, steps: trips.Steps[T]) -> T:
        async with self._connection(doing) as conn:
            return await trips.run_async(conn, steps, self._lead())

    async def _get(self, model: type[T], kind: str, sql: str, key: str) -> T:
        found = await self._one(model, sql, (key,))
        if found is None:
            raise NotFound(kind, key)
        return found

    async def _one(self, model: type[T], sql: str, params: tuple[object, ...]) -> T | None:
        rows = await self._rows(sql, params)
        return self._decoded.row(model, rows[0]) if rows else None

    async def _all(self, model: type[T], sql: str, params: tuple[object, ...]) -> list[T]:
        return [self._decoded.row(model, row) for row in await self._rows(sql, params)]

    async def _rows(self, sql: str, params: tuple[object, ...]) -> trips.Rows:
        if writes.has_nul(params):
            return []
        async with self._connection("read") as conn:
            lead = self._lead()
            return (await trips.send_async(conn, [*lead, (sql, params)]))[-1]

    @asynccontextmanager
    async def _connection(self, doing: str, *, joined: bool = True) -> AsyncIterator[connect.AsyncConnection]:
        """The task's serialised connection (``joined``), else a pooled one; psycopg's
        errors come out as handoff's."""
        if self._closed:
            raise StoreError(f"the store for {self._where} is closed")
        session = self._session.get() if joined else None
        if session is not None:
            with connect.translated(doing, self._where):
                yield session.conn
            return
        try:
            with connect.translated(doing, self._where):
                async with self._pool.connection() as conn:
                    yield conn
        except StoreUnavailable:
            # After a server restart every idle connection is dead: drop them now.
            with suppress(psycopg.Error):
                await self._pool.check()
            raise


async def _explained(
    conn: connect.AsyncConnection, batch: Sequence[Changeset], exc: psycopg.Error
) -> HandoffError:
    """``_writes.explained`` on an asyncio connection: the same reading of the refusal."""
    known = writes.refused(exc)
    if known is not None:
        return known
    kind = writes.FOREIGN_KEYS.get(parent_constraint(getattr(exc.diag, "constraint_name", None) or ""))
    if kind is None:
        return writes.unexplained(exc)
    wanted = writes.referenced(batch, kind)
    cursor = await conn.execute(writes._EXISTING[kind], (wanted,))
    existing = {row[0] for row in await cursor.fetchall()}
    missing = [key for key in wanted if key not in existing]
    if missing:
        return NotFound(kind, str(missing[0]))
    return ConcurrencyConflict(f"a {kind} the write refers to was removed meanwhile")
