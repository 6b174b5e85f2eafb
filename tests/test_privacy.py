"""Export everything held about a person, and erase it without a trace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from handoff import FixedClock, Inbound, NotFound, SeededIds, Switchboard, ValidationError
from handoff.identity import parse_identity
from handoff.privacy import EXPORT_FORMAT, EXPORT_VERSION, read_export
from handoff.stores import Changeset, SQLiteStore
from handoff.testing.factories import make_decision

T0 = datetime(2025, 2, 3, 10, 0, tzinfo=timezone.utc)
ANA_EMAIL, ANA_PHONE = "ana.erasable@example.com", "+14155550199"


@pytest.fixture(params=["memory", "sqlite"])
def board(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Switchboard]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'privacy.db'}"
    with Switchboard.open(url, clock=FixedClock(T0), ids=SeededIds(5)) as made:
        yield made


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _ana(board: Switchboard) -> str:
    """Ana writes by email, then by SMS quoting her journey; an agent replies and resolves."""
    first = board.receive(
        Inbound(
            channel="email",
            identity=f"email:{ANA_EMAIL}",
            body=f"Order A-1042 is late. Call me on {ANA_PHONE} or mail {ANA_EMAIL}.",
            at=_at(0),
            external_id="<a1@mail>",
            name="Ana Kovač",
        )
    )
    board.receive(
        Inbound(
            channel="sms",
            identity=f"phone:{ANA_PHONE}",
            body="Any news on my order?",
            at=_at(30),
            external_id="SM-a2",
            journey_ref=first.journey.reference,
        )
    )
    board.link(first.contact.id, f"phone:{ANA_PHONE}", at=_at(31))
    board.reply(first.journey.id, agent="agent-7", body="It ships today.", at=_at(40))
    board.transfer(first.journey.id, to_channel="phone", reason="escalation", by="agent-7", at=_at(45))
    board.resolve(first.journey.id, by="agent-7", at=_at(60))
    return first.contact.id


def _bo(board: Switchboard, messages: int = 1, start: int = 0) -> str:
    outcome = None
    for n in range(start, start + messages):
        outcome = board.receive(
            Inbound(
                channel="chat",
                identity="email:bo@example.com",
                body=f"Question {n} about invoice {n}",
                at=_at(n),
                external_id=f"bo-{n}",
            )
        )
    assert outcome is not None
    return outcome.contact.id


def test_export_holds_everything_about_the_person_as_json(board: Switchboard) -> None:
    ana, bo = _ana(board), _bo(board)
    exported = board.export_contact(ana)
    assert (exported["format"], exported["version"]) == (EXPORT_FORMAT, EXPORT_VERSION)
    text = json.dumps(exported, ensure_ascii=False)
    records = read_export(json.loads(text))
    assert records == board.store.contact_records(ana)
    assert records.contact.identities == (
        parse_identity(f"email:{ANA_EMAIL}"),
        parse_identity(f"phone:{ANA_PHONE}"),
    )
    (journey,) = records.journeys
    assert [i.channel for i in records.interactions] == ["email", "sms", "sms", "phone", "phone"]
    assert records.interactions == tuple(board.store.interactions(journey.id))
    assert records.handoffs == tuple(board.handoffs(journey.id))
    assert len(records.handoffs) == 2
    assert records.notifications == tuple(board.store.notifications(journey.id))
    assert "bo@example.com" not in text
    assert board.export_contact(bo)["contact"]["id"] == bo


def test_erasure_removes_the_person_and_frees_the_identities(board: Switchboard) -> None:
    ana, bo = _ana(board), _bo(board)
    kept = board.store.contact_records(bo)
    journey = board.journeys(ana)[0]
    board.erase_contact(ana)
    with pytest.raises(NotFound):
        board.contact(ana)
    with pytest.raises(NotFound):
        board.export_contact(ana)
    with pytest.raises(NotFound):
        board.erase_contact(ana)
    with pytest.raises(NotFound):
        board.journey(journey.reference)
    assert board.find_contact(f"email:{ANA_EMAIL}") is None
    assert board.find_contact(f"phone:{ANA_PHONE}") is None
    assert board.store.find_interaction("email", "<a1@mail>") is None
    assert all(n.contact_id != ana for n in board.store.due_notifications(T0 + timedelta(days=60)))
    assert board.store.contact_records(bo) == kept
    # The same address writing again is a stranger: a new contact, a new journey.
    again = board.receive(
        Inbound(
            channel="email", identity=f"email:{ANA_EMAIL}", body="Hello?", at=_at(90), external_id="<a1@mail>"
        )
    )
    assert not again.duplicate
    assert again.contact.id != ana
    assert again.journey.id != journey.id


def test_unknown_contacts_are_not_found(board: Switchboard) -> None:
    with pytest.raises(NotFound):
        board.export_contact("ct_nobody")
    with pytest.raises(NotFound):
        board.erase_contact("ct_nobody")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "$"),
        ({"format": "something else", "version": 1}, "$.format"),
        ({"format": EXPORT_FORMAT, "version": 99}, "$.version"),
        ({"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "contact": 5}, "$.contact"),
    ],
)
def test_read_export_refuses_what_is_not_an_export(data: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        read_export(data)
    assert caught.value.field.startswith(field)


def _file_bytes(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_no_trace_of_an_erased_person_remains_in_the_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "erase.db"
    traces = (
        ANA_EMAIL.encode(),
        ANA_PHONE.encode(),
        ANA_PHONE[2:].encode(),
        "Kovač".encode(),
        b"decided-for-ana",
    )
    store = SQLiteStore(path)
    with Switchboard(store, clock=FixedClock(T0), ids=SeededIds(9)) as board:
        _bo(board, messages=150)  # enough rows that the erased ones share pages with others
        ana = _ana(board)
        # A logged decision quoting her identities, as a policy trace would.
        journey = store.journeys_of(ana)[0]
        data = {"why": "decided-for-ana", "to": [f"email:{ANA_EMAIL}", f"phone:{ANA_PHONE}"]}
        decision = make_decision(journey, id="dc_ana_only", data=data)
        store.commit(Changeset(decisions=(decision,)))
        _bo(board, messages=10, start=150)  # and rows written after hers
        before = _file_bytes(path)
        assert all(trace in before for trace in traces)  # the check below can fail
        board.erase_contact(ana)
        after = _file_bytes(path)
        assert [trace for trace in traces if trace in after] == []
        assert board.find_contact("email:bo@example.com") is not None
        with pytest.raises(NotFound):
            store.get_decision(decision.id)
    reopened = SQLiteStore(path)
    try:
        assert reopened.find_contact(parse_identity(f"email:{ANA_EMAIL}")) is None
        bo = reopened.find_contact(parse_identity("email:bo@example.com"))
        assert bo is not None
        assert len(reopened.contact_records(bo.id).interactions) == 160
    finally:
        reopened.close()
