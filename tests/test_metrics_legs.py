"""Where a handoff's leg starts and when the new channel answered, as the database
finds them: the same as the walk over the records, also for handoffs the Switchboard
never writes (imported ones whose anchoring message is unknown, or anchored before an
earlier handoff's, so that their leg would run backwards)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from handoff import Inbound
from handoff.clock import FixedClock, SeededIds
from handoff.errors import StoreError
from handoff.metrics import BusinessCalendar, journey_records, kpis, tally
from handoff.metrics.journeys import compact
from handoff.stores import MemoryStore, SQLiteStore, open_store
from handoff.stores.base import MetricsSource, Store
from handoff.stores.sql import _metrics as sql_metrics
from handoff.stores.sql._metrics import Cursors, Replies
from handoff.switchboard import Switchboard
from tests.metrics_build import T0
from tests.pgserver import BACKENDS, PgServer, backend_url

START, END = T0 - timedelta(days=1), T0 + timedelta(days=40)
HOURS = BusinessCalendar.weekly("Europe/Madrid", {"mon-fri": "09:00-17:00"})


_SAID = ("Order A-12345 is late", "About order A-12345", "Order A-12345, and my email is ana@example.com")


def _story(store: Store, said: tuple[str, str, str] = _SAID) -> tuple[str, list[str]]:
    """Email, a switch to chat, a switch back to email, each answered; the customer's
    messages are ``said``: by default an order number said at first and again after each
    switch. Returns the journey and its messages."""
    board = Switchboard(store, clock=FixedClock(T0), ids=SeededIds(5))
    ana = "email:ana@example.com"
    first = board.receive(Inbound(channel="email", identity=ana, body=said[0], at=T0))
    jid, ref = first.journey.id, first.journey.reference
    board.reply(jid, agent="sam", body="Checking", at=T0 + timedelta(minutes=5))
    second = board.receive(
        Inbound(
            channel="chat",
            identity=ana,
            body=said[1],
            at=T0 + timedelta(minutes=30),
            journey_ref=ref,
        )
    )
    board.reply(jid, agent="lee", body="Found it", channel="chat", at=T0 + timedelta(minutes=31))
    third = board.receive(
        Inbound(
            channel="email",
            identity=ana,
            body=said[2],
            at=T0 + timedelta(minutes=50),
            journey_ref=ref,
        )
    )
    board.reply(jid, agent="sam", body="Sent", at=T0 + timedelta(minutes=55))
    return jid, [first.interaction.id, second.interaction.id, third.interaction.id]


def _anchor(path: Path, handoff: int, interaction_id: str) -> None:
    """Point the ``handoff``-th handoff (in time order) at another interaction, as an
    import might have written it."""
    with closing(sqlite3.connect(path)) as conn, conn:
        (hid,) = conn.execute(
            "SELECT id FROM handoffs ORDER BY at, rowid LIMIT 1 OFFSET ?", (handoff,)
        ).fetchone()
        conn.execute(
            "UPDATE handoffs SET data = json_set(data, '$.interaction_id', ?) WHERE id = ?",
            (interaction_id, hid),
        )


def _anchor_postgres(server: PgServer, schema: str, handoff: int, interaction_id: str) -> None:
    """:func:`_anchor` in a PostgreSQL store's schema."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        row = conn.execute(
            "SELECT id FROM handoffs ORDER BY at, position LIMIT 1 OFFSET %s", (handoff,)
        ).fetchone()
        assert row is not None
        conn.execute(
            "UPDATE handoffs SET data = jsonb_set(data, '{interaction_id}', to_jsonb(%s::text))"
            " WHERE id = %s",
            (interaction_id, row[0]),
        )


ANCHORS = [
    {},  # as written: each handoff anchored at the message that made it
    {1: 0},  # the second handoff anchored before the first's: its leg cannot run backwards
    {0: "nowhere"},  # an unknown anchor: the leg starts at the handoff's own time
    {0: "nowhere", 1: "nowhere"},
    {0: 2},  # the first handoff anchored after the second's: the second's leg is empty
]
# Where a leg starts later than its own handoff's key, the reply is looked up again.
LOOKED_UP = [False, True, False, False, False]


def _check(store: Store, jid: str, looked_up: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(store, MetricsSource)
    records = list(journey_records(store, START, END))
    walked = {r.journey.id: tally(compact(r)).handoffs for r in records}
    lookups: list[tuple[object, ...]] = []
    starts = sql_metrics._starts

    def counted(jid: str, handoffs: list[Any], replies_from: Replies) -> Any:
        def looked_up(*args: Any) -> int | None:
            lookups.append(args)
            return replies_from(*args)

        return starts(jid, handoffs, looked_up)

    monkeypatch.setattr(sql_metrics, "_starts", counted)
    made = list(store.metric_tallies(START, END))
    assert all(t.legs is None for t in made)
    read = {t.id: t.handoffs for t in made}
    assert read == walked
    assert bool(lookups) is looked_up
    assert len(walked[jid]) == 2 and sum(h.restated for h in walked[jid]) >= 1
    for by in [("channel",), ("path", "reason")]:
        for hours in (None, HOURS):
            expected = kpis(records, START, END, by=by, business_hours=hours)
            got = kpis(store, START, END, by=by, business_hours=hours)
            assert got.rows == expected.rows
            assert got.total == expected.total


@pytest.mark.parametrize(("anchors", "looked_up"), list(zip(ANCHORS, LOOKED_UP, strict=True)))
def test_the_legs_the_database_finds_are_the_walks(
    anchors: dict[int, object], looked_up: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "legs.db"
    with SQLiteStore(path) as store:
        jid, messages = _story(store)
    for handoff, to in anchors.items():
        _anchor(path, handoff, messages[to] if isinstance(to, int) else str(to))
    with SQLiteStore(path) as store:
        _check(store, jid, looked_up, monkeypatch)


@pytest.mark.parametrize(("anchors", "looked_up"), list(zip(ANCHORS, LOOKED_UP, strict=True)))
def test_the_legs_postgres_finds_are_the_walks(
    anchors: dict[int, object],
    looked_up: bool,
    postgres: PgServer,
    postgres_schema: str,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with open_store(postgres_url) as store:
        jid, messages = _story(store)
    for handoff, to in anchors.items():
        _anchor_postgres(postgres, postgres_schema, handoff, messages[to] if isinstance(to, int) else str(to))
    with open_store(postgres_url) as store:
        _check(store, jid, looked_up, monkeypatch)


def _transferred(store: Store, *, then_said: str | None) -> str:
    """A chat the agent moves to a call; the call answers, and the customer then says
    nothing, or writes ``then_said`` in the chat, which moves the journey back."""
    board = Switchboard(store, clock=FixedClock(T0), ids=SeededIds(9))
    ana = "visitor:ana-77"
    first = board.receive(Inbound(channel="chat", identity=ana, body="Order A-12345 is late", at=T0))
    jid = first.journey.id
    board.reply(jid, agent="sam", body="Let me call you", at=T0 + timedelta(minutes=2))
    board.transfer(jid, to_channel="phone", reason="complex", by="sam", at=T0 + timedelta(minutes=3))
    board.reply(jid, agent="lee", body="Hello", channel="phone", at=T0 + timedelta(minutes=9))
    if then_said is not None:
        board.receive(Inbound(channel="chat", identity=ana, body=then_said, at=T0 + timedelta(minutes=20)))
    return jid


@pytest.fixture(params=["sqlite", *BACKENDS])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = backend_url(request, request.param) if request.param in BACKENDS else None
    with open_store(url) if url else SQLiteStore(tmp_path / "fresh.db") as store:
        yield store


@pytest.mark.parametrize(
    ("then_said", "restated"),
    [(None, [0]), ("Again: order A-12345", [0, 1]), ("And order B-77777 is late too", [0, 0])],
)
def test_the_handoffs_come_complete_from_the_read(
    fresh: Store, then_said: str | None, restated: list[int]
) -> None:
    """Whether the customer said nothing after the handoff (nothing can be restated),
    restated a fact or gave a new one, the tally carries its handoffs as the walk finds
    them, the reply on the new channel and the facts restated included, and no legs for
    the KPIs to read."""
    jid = _transferred(fresh, then_said=then_said)
    assert isinstance(fresh, MetricsSource)
    walked = {r.journey.id: tally(compact(r)).handoffs for r in journey_records(fresh, START, END)}
    (made,) = list(fresh.metric_tallies(START, END))
    assert made.id == jid
    assert walked[jid][0].reply_at == made.opened_at + 9 * 60_000_000
    assert [h.restated for h in walked[jid]] == restated
    assert made.legs is None
    assert made.handoffs == walked[jid]


def test_a_fact_said_in_an_earlier_leg_is_restated_without_the_fact_index(tmp_path: Path) -> None:
    """With the journey's fact index emptied (as an import may leave it), a leg still
    restates what the customer said in an earlier leg: the store reads the messages
    before the first switch, and has those after it in the read already."""
    said = ("Hello, I need some help", "Order A-12345 is late", "Writing again about order A-12345")
    memory = MemoryStore()
    jid, _ = _story(memory, said)
    walked = {r.journey.id: tally(compact(r)) for r in journey_records(memory, START, END)}
    assert [h.restated for h in walked[jid].handoffs] == [0, 1]  # the order, said in the first leg
    path = tmp_path / "emptied.db"
    with SQLiteStore(path) as store:
        _story(store, said)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE journeys SET data = json_set(data, '$.facts', json('[]'))")
    with SQLiteStore(path) as store:
        made = {t.id: t.handoffs for t in store.metric_tallies(START, END)}
    assert made == {jid: t.handoffs for jid, t in walked.items()}


def test_rows_out_of_order_are_a_store_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A backend whose streams disagree on the journeys' order would lose handoffs
    silently: the read refuses it, naming the journey."""
    with SQLiteStore(tmp_path / "order.db") as store:
        _transferred(store, then_said=None)
        opened = SQLiteStore._metric_cursors

        @contextmanager
        def shuffled(self: SQLiteStore, *args: Any) -> Iterator[Cursors]:
            with opened(self, *args) as cursors:
                handoffs = [("jr_elsewhere", *row[1:]) for row in cursors.handoffs]
                yield cursors._replace(handoffs=handoffs)

        monkeypatch.setattr(SQLiteStore, "_metric_cursors", shuffled)
        with pytest.raises(StoreError, match="jr_elsewhere"):
            list(store.metric_tallies(START, END))


@pytest.mark.parametrize("index", ['[{"kind": "order"}]', '["A-12345"]', "{broken"])
def test_an_unreadable_fact_index_is_a_store_error(tmp_path: Path, index: str) -> None:
    """A restated fact sends the read to the journey's fact index: one a tool broke is a
    StoreError naming the journey, not a bare KeyError or TypeError."""
    path = tmp_path / "index.db"
    with SQLiteStore(path) as store:
        jid = _transferred(store, then_said="Again: order A-12345")
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE journeys SET data = json_set(data, '$.facts', ?) WHERE id = ?", (index, jid))
    with SQLiteStore(path) as store, pytest.raises(StoreError, match=jid):
        list(store.metric_tallies(START, END))
