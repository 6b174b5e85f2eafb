"""SQLite's one-statement ``load_intake`` answers what the plain look-ups answer.

Generated stores: contacts with few or many links of several kinds (more than the
statement brings whole, so the brief is read on its own), several journeys opened in any
order, notifications on either side of ``since``, redeliveries of another contact's
message, references and threads. And ``receive`` decides the same on SQLite (one
statement) as on the memory store (look-up by look-up).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from handoff import FixedClock, Inbound, SeededIds, Switchboard
from handoff.errors import ValidationError
from handoff.identity import parse_identity
from handoff.models import Interaction
from handoff.stores.base import Changeset
from handoff.stores.sqlite import SQLiteStore
from handoff.testing import StoreConformance  # noqa: F401 - the kit's asserts rewritten before its parts load
from handoff.testing._intake import _comparable, plain_intake
from handoff.testing.factories import T0, append_changeset, make_contact, make_journey, make_notification
from tests.intake_steps import STEP, Step, play_side_by_side
from tests.plain_store import PrimitivesOnly

_KINDS = ("email", "twitter", "phone")


def _identity(kind: str, contact: int, n: int) -> str:
    if kind == "email":
        return f"email:c{contact}-{n}@example.com"
    if kind == "twitter":
        return f"twitter:@c{contact}_{n}"
    return f"phone:+1415{contact:03d}{n:04d}"


_CONTACT = st.tuples(
    st.lists(st.sampled_from(_KINDS), min_size=1, max_size=80),  # the kind of each link, in order
    st.lists(st.integers(0, 600), max_size=4),  # each journey's opening, minutes after T0
    st.lists(st.tuples(st.integers(0, 3), st.integers(-90, 90)), max_size=6),  # notifications
)


@given(
    contacts=st.lists(_CONTACT, min_size=1, max_size=3),
    asked=st.tuples(st.integers(0, 2), st.integers(0, 79)),  # whose link, which one
    seen=st.none() | st.tuples(st.integers(0, 2), st.integers(0, 3)),  # a message of whose journey
    named=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3)), max_size=2),  # references
    threads=st.booleans(),
)
@example(  # more links than the statement brings whole: the brief is read on its own
    contacts=[(["email"] * 70 + ["twitter"] * 3, [30, 0], [(0, 5), (1, -5)]), (["phone"], [10], [])],
    asked=(0, 65),
    seen=(1, 0),
    named=[(1, 0)],
    threads=True,
)
@settings(max_examples=60, deadline=None)
def test_one_statement_reads_what_the_plain_look_ups_read(
    contacts: list[tuple[list[str], list[int], list[tuple[int, int]]]],
    asked: tuple[int, int],
    seen: tuple[int, int] | None,
    named: list[tuple[int, int]],
    threads: bool,
) -> None:
    since = T0 + timedelta(hours=5)
    store = SQLiteStore()
    journeys = []
    messages: list[Interaction] = []
    identities = []
    for c, (kinds, openings, notes) in enumerate(contacts):
        linked = [_identity(kind, c, n) for n, kind in enumerate(kinds)]
        identities.append(linked)
        contact = make_contact(*linked, id=f"ct_{c}")
        owned = [
            make_journey(
                contact, id=f"jr_{c}_{j}", reference=f"J-{c}{j}AAA", opened_at=T0 + timedelta(minutes=m)
            )
            for j, m in enumerate(openings)
        ]
        store.commit(Changeset(contact=contact))
        for journey in owned:
            store.commit(Changeset(journey=journey))
            change = append_changeset(journey, external_id=f"m-{journey.id}")
            store.commit(change)
            messages.extend(change.interactions)
        journeys.append(owned)
        for k, (j, minutes) in enumerate(notes):
            if owned:
                journey = owned[j % len(owned)]
                note = make_notification(
                    journey, id=f"nt_{c}_{k}", created_at=since + timedelta(minutes=minutes)
                )
                store.commit(Changeset(notifications=(note,)))
    who, which = asked
    linked = identities[who % len(identities)]
    identity = parse_identity(linked[which % len(linked)])
    external_id, channel = None, "email"
    if seen is not None and journeys[seen[0] % len(journeys)]:
        owned = journeys[seen[0] % len(journeys)]
        message = next(m for m in messages if m.journey_id == owned[seen[1] % len(owned)].id)
        external_id, channel = message.external_id, message.channel
    references = [
        journeys[c % len(journeys)][j % len(journeys[c % len(journeys)])].reference
        for c, j in named
        if journeys[c % len(journeys)]
    ] + ["J-NONE1"]
    thread_refs = [m.external_id or "" for m in messages[:2]] if threads else []
    args = (identity, channel, external_id, references, thread_refs, since)
    assert _comparable(store.load_intake(*args)) == _comparable(plain_intake(store, *args))


@given(steps=st.lists(STEP, min_size=2, max_size=10))
@settings(max_examples=40, deadline=None)
def test_receive_on_sqlite_decides_as_the_plain_reads_do(steps: list[Step]) -> None:
    """References, quotes, threads and redeliveries: the same journey, contact,
    notifications and trace from SQLite's one statement as from look-up by look-up."""
    tested, plain = (
        Switchboard(s, clock=FixedClock(T0 + timedelta(days=2)), ids=SeededIds(7))
        for s in (SQLiteStore(), PrimitivesOnly())
    )
    play_side_by_side(tested, plain, steps, start=T0, gap=timedelta(minutes=10))


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("email:a@example.com", "sms", None, (), (), T0), "identity"),
        ((None, 5, None, (), (), T0), "channel"),
        ((None, "sms", 5, (), (), T0), "external_id"),
        ((None, "sms", None, "J-1", (), T0), "references"),
        ((None, "sms", None, (None,), (), T0), "references[0]"),
        ((None, "sms", None, (), "m-1", T0), "thread_refs"),
        ((None, "sms", None, (), (None,), T0), "thread_refs[0]"),
        ((None, "sms", None, (), (), datetime(2026, 1, 1)), "since"),
    ],
)
def test_bad_arguments_name_the_field(args: tuple[Any, ...], field: str) -> None:
    store = SQLiteStore()
    identity = parse_identity("email:a@example.com")
    call = tuple(identity if i == 0 and a is None else a for i, a in enumerate(args))
    with pytest.raises(ValidationError) as raised:
        store.load_intake(*call)
    assert raised.value.field == field


@pytest.mark.parametrize("url", ["memory://", "sqlite://"])
def test_an_agents_inbound_clears_a_breach_alerted_more_than_a_day_before(url: str) -> None:
    """The pooled read brings the last day's notifications, all a customer's message looks
    at; an agent's message arriving through ``receive`` (a help desk's webhook) may meet an
    SLA whose breach was alerted earlier, and still clears it."""
    with Switchboard.open(url, clock=FixedClock(T0), ids=SeededIds(7)) as board:
        customer = "phone:+14155550100"
        board.receive(Inbound(channel="chat", identity=customer, body="Order A-77 is late", at=T0))
        (breach,) = board.tick(T0 + timedelta(minutes=61)).alerts
        assert breach.purpose == "sla_breach"
        later = T0 + timedelta(days=2)
        out = board.receive(
            Inbound(channel="chat", identity=customer, body="Sorry!", at=later, author="agent", agent="alice")
        )
        assert [(a.purpose, a.rule) for a in out.alerts] == [("sla_cleared", "sla.first_response")]
