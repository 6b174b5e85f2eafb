"""A batched import reads what it needs for a whole batch at once.

Which of its customers the store knows: a new customer's contact is not looked up
again (:meth:`~handoff.stores.BulkImport.stored_identities`, which must answer as
:meth:`~handoff.stores.Store.find_contact` answers identity by identity). And the
notifications of the journeys it continues:

A channel switch asks the policy for its summary, and the policy reads the journey's
notifications (de-duplication, rate limits); with ``notify=True`` every event does. A
batch reads them for every stored journey of the customers it remembers in one query
(:meth:`~handoff.stores.BulkImport.notifications_of`), which must answer as
:meth:`~handoff.stores.Store.notifications` answers journey by journey.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import Inbound, Switchboard, parse_identity
from handoff.errors import ValidationError
from handoff.identity import Identity
from handoff.models import Contact, Notification
from handoff.stores import BulkImport, MemoryStore, Store
from tests.test_bulk_import import T0, _board, _everything, _inbound, _PlainStore
from tests.test_bulk_import import (
    store as store,  # the same four stores: memory, SQLite, PostgreSQL plain and partitioned
)

# Who writes in turn (see tests.test_bulk_import._PEOPLE): Ana on email then chat, her
# phone on sms then whatsapp, Bo and Cy once. The switches schedule notifications.
_LIVE = [0, 1, 2, 3, 4, 5]


def _live(board: Switchboard) -> list[str]:
    """Journeys received live, with the notifications their switches scheduled."""
    return list(
        dict.fromkeys(board.receive(_inbound(n, person)).journey.id for n, person in enumerate(_LIVE))
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.one_of(st.integers(0, 3), st.sampled_from(["jr_unknown", "", "jr_\x00"]))))
def test_notifications_of_answers_as_notifications_journey_by_journey(
    store: Store, picks: list[int | str]
) -> None:
    assert isinstance(store, BulkImport)
    journeys = [journey.id for journey in store.all_journeys()] or _live(_board(store))
    assert any(store.notifications(journey_id) for journey_id in journeys)
    asked = [journeys[pick % len(journeys)] if isinstance(pick, int) else pick for pick in picks]

    found = store.notifications_of(asked)

    expected = {j: store.notifications(j) for j in dict.fromkeys(asked) if "\x00" not in j}
    assert found == {j: stored for j, stored in expected.items() if stored}
    assert all(isinstance(n, Notification) for stored in found.values() for n in stored)


@pytest.mark.parametrize(
    ("journey_ids", "field"),
    [("jr_1", "journey_ids"), (None, "journey_ids"), (["jr_1", 7], "journey_ids[1]"), (b"jr", "journey_ids")],
)
def test_notifications_of_refuses_what_is_not_journey_ids(
    store: Store, journey_ids: object, field: str
) -> None:
    assert isinstance(store, BulkImport)
    with pytest.raises(ValidationError) as refused:
        store.notifications_of(journey_ids)  # type: ignore[arg-type]
    assert refused.value.field == field


class _CountingReads(MemoryStore):
    """Counts the notification reads: journey by journey, and batch by batch."""

    def __init__(self) -> None:
        super().__init__()
        self.one_by_one: list[str] = []
        self.at_once: list[Sequence[str]] = []

    def notifications(self, journey_id: str) -> list[Notification]:
        self.one_by_one.append(journey_id)
        return super().notifications(journey_id)

    def notifications_of(self, journey_ids: Sequence[str]) -> dict[str, list[Notification]]:
        self.at_once.append(list(journey_ids))
        found = {j: MemoryStore.notifications(self, j) for j in journey_ids}
        return {j: stored for j, stored in found.items() if stored}


def _written(offset: int, people: Sequence[int]) -> list[Inbound]:
    return [_inbound(100 + offset + n, person, minutes=600 + offset + n) for n, person in enumerate(people)]


@pytest.mark.parametrize("notify", [False, True])
def test_a_batch_reads_the_notifications_of_the_journeys_it_continues_at_once(notify: bool) -> None:
    counted = _CountingReads()
    reference: Store = MemoryStore() if notify else _PlainStore()
    for each in (counted, reference):
        _live(_board(each))
    # The first batch meets Ana and her phone on the channels they last used (the import
    # remembers them); the second switches both back to where they started.
    first, second = _written(0, (1, 3)), _written(10, (0, 2))
    board, one_by_one = _board(counted, seed=9), _board(reference, seed=9)
    if notify:
        expected = [one_by_one.receive(inbound) for inbound in [*first, *second]]
    else:
        expected = one_by_one.receive_many([*first, *second], notify=False)
    intake = board.bulk(batch_size=2, notify=notify)  # one import: what it met, it remembers
    got = [*intake.receive(first)]
    counted.one_by_one.clear()
    counted.at_once.clear()
    got += intake.receive(second)

    assert [o.handoff is not None for o in got] == [False, False, True, True]
    assert counted.one_by_one == []  # no journey read on its own
    assert len(counted.at_once) == 1
    assert {o.journey.id for o in got[len(first) :]} <= set(counted.at_once[0])
    assert got == expected
    contacts = [o.contact.id for o in expected]
    stored_reference = reference if notify else reference.inner  # type: ignore[attr-defined]
    assert _everything(counted, contacts) == _everything(stored_reference, contacts)


def test_a_journey_found_otherwise_is_read_when_planned() -> None:
    """A contact the import does not remember yet (its first message in this import) has
    its journey's notifications read as the message is planned."""
    counted = _CountingReads()
    _live(_board(counted))
    board = _board(counted, seed=9)
    counted.one_by_one.clear()
    switched = board.receive_many([_inbound(200, 0, minutes=700)], notify=False)

    assert switched[0].handoff is not None
    assert len(counted.one_by_one) == 1
    assert counted.at_once == []
    assert switched[0].journey.updated_at == T0 + timedelta(minutes=700)


_IDENTITIES = [
    "email:ana@example.com",
    "phone:+14155550100",
    "email:bo@example.com",
    "email:nobody@example.com",
    "phone:+14155550199",
    "twitter:@ana",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.sampled_from(_IDENTITIES)))
def test_stored_identities_answers_as_find_contact_identity_by_identity(
    store: Store, picks: list[str]
) -> None:
    assert isinstance(store, BulkImport)
    if not any(True for _ in store.all_journeys()):
        _live(_board(store))
    asked = [parse_identity(text) for text in picks]

    found = store.stored_identities(asked)

    assert found == {identity for identity in asked if store.find_contact(identity) is not None}


@pytest.mark.parametrize(
    ("identities", "field"),
    [
        ("email:ana@example.com", "identities"),
        (None, "identities"),
        ([parse_identity("email:ana@example.com"), "email:bo@example.com"], "identities[1]"),
    ],
)
def test_stored_identities_refuses_what_is_not_identities(
    store: Store, identities: object, field: str
) -> None:
    assert isinstance(store, BulkImport)
    with pytest.raises(ValidationError) as refused:
        store.stored_identities(identities)  # type: ignore[arg-type]
    assert refused.value.field == field


class _CountingLookups(MemoryStore):
    """Counts the contact look-ups by identity."""

    def __init__(self) -> None:
        super().__init__()
        self.looked_up: list[Identity] = []
        self.batches: list[list[Identity]] = []

    def find_contact(self, identity: Identity) -> Contact | None:
        self.looked_up.append(identity)
        return super().find_contact(identity)

    def stored_identities(self, identities: Sequence[Identity]) -> set[Identity]:
        self.batches.append(list(identities))
        return {i for i in identities if MemoryStore.find_contact(self, i) is not None}


def test_a_batch_looks_up_only_the_customers_the_store_knows() -> None:
    counted, reference = _CountingLookups(), _PlainStore()
    for each in (counted, reference):
        _board(each).receive(_inbound(0, 0))  # Ana is known; her phone, Bo and Cy are new
    inbounds = [_inbound(10 + n, person, minutes=60 + n) for n, person in enumerate((0, 2, 4, 5, 3))]
    counted.looked_up.clear()

    got = _board(counted, seed=9).receive_many(inbounds, batch_size=len(inbounds))

    assert got == _board(reference, seed=9).receive_many(inbounds)
    assert counted.batches == [[parse_identity(_inbound(0, p).identity) for p in (0, 2, 4, 5)]]
    assert counted.looked_up == [parse_identity("email:ana@example.com")]
    contacts = [o.contact.id for o in got]
    assert _everything(counted, contacts) == _everything(reference.inner, contacts)
