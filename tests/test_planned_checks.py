"""A changeset the write path planned is checked only for what it takes from outside:
the store's answer must be the one the full check gives.

Every changeset ``receive`` and an agent's reply commit is checked both ways (the planned
object, and a copy that the store checks in full) on hostile input: NUL in an external
id (an inbound's or a reply's) or an email identity, secrets, channel switches, agents'
messages.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff import FixedClock, Inbound, SeededIds, Switchboard
from handoff.errors import ValidationError
from handoff.stores._planned import vouched
from handoff.stores.base import Changeset
from handoff.stores.memory import MemoryStore
from handoff.stores.rules import check_changeset
from handoff.testing.factories import T0, append_changeset, make_contact, make_journey

_checked: list[tuple[bool, object]] = []


def _verdict(changes: Changeset) -> object:
    try:
        check_changeset(changes)
    except ValidationError as exc:
        return (exc.field, exc.problem)
    return "accepted"


class _BothWays(MemoryStore):
    """Checks each changeset as planned and as a copy, then commits it."""

    def commit(self, changes: Changeset) -> None:
        copy = evolve(changes)
        assert not vouched(copy)
        _checked.append((vouched(changes), _verdict(changes)))
        assert _verdict(changes) == _verdict(copy)
        super().commit(changes)


_TEXT = st.sampled_from(["", "a", "\x00", "card 4242 4242 4242 4242", "A-1042", "é", "J-AAAAA"])
_INBOUND = st.tuples(
    st.sampled_from(["email", "chat", "sms", "whatsapp"]),
    st.lists(_TEXT, min_size=1, max_size=3).map("".join),  # the email's local part
    st.none() | st.lists(_TEXT, min_size=1, max_size=3).map("".join),  # the external id
    st.lists(_TEXT, max_size=4).map(" ".join),  # the body
    st.sampled_from(["customer", "customer", "agent"]),
)


@given(inbounds=st.lists(_INBOUND, min_size=1, max_size=8))
@settings(max_examples=80, deadline=None)
def test_a_planned_changeset_is_refused_exactly_when_the_full_check_refuses_it(
    inbounds: list[tuple[str, str, str | None, str, str]],
) -> None:
    _checked.clear()
    board = Switchboard(_BothWays(), clock=FixedClock(T0 + timedelta(days=1)), ids=SeededIds(3))
    for n, (channel, local, external_id, body, author) in enumerate(inbounds):
        phone = channel in ("sms", "whatsapp")
        identity = "phone:+14155550100" if phone else f"email:{local or 'x'}@example.com"
        try:
            inbound = Inbound(
                channel=channel,
                identity=identity,
                body=body or "hello",
                at=T0 + timedelta(minutes=n),
                external_id=external_id or None,
                author=author,  # type: ignore[arg-type]
                agent="alice" if author == "agent" else None,
            )
            outcome = board.receive(inbound)
            if not outcome.duplicate and n % 3 == 0:
                reply = None if external_id is None else f"reply-{external_id}"
                board.reply(outcome.journey.id, agent="bob", body=body or "ok", external_id=reply)
        except ValidationError:
            continue  # refused before or by the store: both checks agreed (asserted above)
    assert all(planned for planned, _ in _checked)


def test_a_changeset_built_elsewhere_is_checked_in_full() -> None:
    """Only the planned object is trusted: an ``evolve`` of it that breaks a rule is refused."""
    board = Switchboard(MemoryStore(), clock=FixedClock(T0), ids=SeededIds(3))
    planned: list[Changeset] = []
    store = board.store
    commit = store.commit

    def keep(changes: Changeset) -> None:
        planned.append(changes)
        commit(changes)

    store.commit = keep  # type: ignore[method-assign]
    board.receive(Inbound(channel="email", identity="email:a@x.co", body="hi", at=T0, external_id="m-1"))
    assert vouched(planned[0])
    journey = planned[0].journey
    assert journey is not None
    broken = evolve(planned[0], expected_journey_version=journey.version)  # the version must grow
    with pytest.raises(ValidationError, match=r"journey\.version"):
        check_changeset(broken)
    again = append_changeset(make_journey(make_contact()))
    assert not vouched(again)
    with pytest.raises(ValidationError, match="interactions"):
        check_changeset(evolve(again, interactions=(*again.interactions, again.interactions[0])))
