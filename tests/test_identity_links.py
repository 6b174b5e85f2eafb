"""A contact with more identities than a brief holds: every verb still sees each of them.

The write path reads a brief (the first links of each kind, and the one looked up by);
what a user reads (``board.contact``, exports) holds every identity, and linking,
unlinking, receiving from and erasing any of them works wherever it sits.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from handoff import FixedClock, Inbound, SeededIds, Switchboard, parse_identity
from handoff.aio import AsyncSwitchboard
from handoff.errors import NotFound, ValidationError
from handoff.privacy import read_export
from handoff.stores import BRIEF_LINKS, brief_contact
from tests.pgserver import BACKENDS, backend_url

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)
MANY = BRIEF_LINKS * 2 + 3


@pytest.fixture(params=["memory", "sqlite", *BACKENDS])
def board(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Switchboard]:
    if request.param in BACKENDS:
        url = backend_url(request, request.param)
    else:
        url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'support.db'}"
    with Switchboard.open(url, clock=FixedClock(T0), ids=SeededIds(3)) as opened:
        yield opened


def _many(board: Switchboard) -> tuple[str, list[str]]:
    """A contact who first wrote by email, then got MANY more emails and one phone linked."""
    first = board.receive(Inbound(channel="email", identity="email:ana@example.com", body="Hi", at=T0))
    contact_id = first.contact.id
    linked = [f"email:ana{n}@example.com" for n in range(MANY)] + ["phone:+14155550100"]
    for n, identity in enumerate(linked):
        board.link(contact_id, identity, at=T0 + timedelta(minutes=n + 1))
    return contact_id, ["email:ana@example.com", *linked]


def test_every_identity_is_read_exported_and_found(board: Switchboard) -> None:
    contact_id, identities = _many(board)
    contact = board.contact(contact_id)
    assert [str(i) for i in contact.identities] == identities
    assert [link.confirmed for link in contact.links] == [True] * len(identities)
    for identity in identities:
        assert board.find_contact(identity) == contact
    records = read_export(board.export_contact(contact_id))
    assert records.contact == contact
    # The write path reads the brief: the phone, linked last, is in it.
    assert board.store.get_contact_brief(contact_id) == brief_contact(contact)
    assert "phone:+14155550100" in [str(i) for i in brief_contact(contact).identities]


def test_a_message_from_an_identity_outside_the_brief_joins_the_contact(board: Switchboard) -> None:
    contact_id, identities = _many(board)
    late = identities[-2]  # an email far past the brief's first few
    assert parse_identity(late) not in brief_contact(board.contact(contact_id)).identities
    outcome = board.receive(
        Inbound(channel="email", identity=late, body="Any news?", at=T0 + timedelta(hours=1))
    )
    assert outcome.contact.id == contact_id
    assert outcome.contact.link_for(parse_identity(late)) is not None
    assert len(board.journeys(contact_id)) == 1


def test_link_and_unlink_anywhere_in_the_list(board: Switchboard) -> None:
    contact_id, identities = _many(board)
    late = parse_identity(identities[-2])
    returned = board.unlink(contact_id, late)
    assert returned.link_for(late) is None
    assert board.find_contact(late) is None
    assert [str(i) for i in board.contact(contact_id).identities] == [i for i in identities if i != str(late)]
    with pytest.raises(NotFound):
        board.unlink(contact_id, late)
    again = board.link(contact_id, late, at=T0 + timedelta(days=1))
    assert again.link_for(late) is not None
    assert board.contact(contact_id).identities[-1] == late  # linked again: last
    # Linking what is already confirmed changes nothing, not even the version.
    version = board.contact(contact_id).version
    board.link(contact_id, late)
    assert board.contact(contact_id).version == version


def test_an_unconfirmed_link_is_confirmed_in_its_place(board: Switchboard) -> None:
    first = board.receive(Inbound(channel="email", identity="email:bo@example.com", body="Hi", at=T0))
    ref = first.journey.reference
    moved = board.receive(
        Inbound(channel="chat", identity="email:bo.chat@example.com", body="me", at=T0, journey_ref=ref)
    )
    assert moved.contact.id == first.contact.id
    chat = parse_identity("email:bo.chat@example.com")
    board.link(first.contact.id, "phone:+14155550199")
    assert board.contact(first.contact.id).link_for(chat).confirmed is False  # type: ignore[union-attr]
    board.link(first.contact.id, chat)
    links = board.contact(first.contact.id).links
    assert [str(link.identity) for link in links] == [
        "email:bo@example.com",
        "email:bo.chat@example.com",
        "phone:+14155550199",
    ]
    assert links[1].confirmed and links[1].source == "journey_ref"


def test_someone_elses_identity_and_the_last_one_are_refused(board: Switchboard) -> None:
    contact_id, identities = _many(board)
    other = board.receive(Inbound(channel="email", identity="email:cy@example.com", body="Hi", at=T0))
    with pytest.raises(ValidationError):
        board.link(other.contact.id, identities[-2])
    with pytest.raises(ValidationError):
        board.unlink(other.contact.id, "email:cy@example.com")
    with pytest.raises(NotFound):
        board.unlink(other.contact.id, identities[-2])  # not theirs
    assert board.contact(contact_id).identities == tuple(parse_identity(i) for i in identities)


def test_erasure_frees_every_identity(board: Switchboard) -> None:
    contact_id, identities = _many(board)
    board.erase_contact(contact_id)
    for identity in identities:
        assert board.find_contact(identity) is None
    fresh = board.receive(Inbound(channel="email", identity=identities[-2], body="Hello again", at=T0))
    assert fresh.contact.id != contact_id
    assert [str(i) for i in fresh.contact.identities] == [identities[-2]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_the_asyncio_postgres_board_reads_links_as_rows(postgres_url: str) -> None:
    """The native asyncio path reads the same briefs and whole contacts as the blocking one."""
    async with await AsyncSwitchboard.open(postgres_url, clock=FixedClock(T0), ids=SeededIds(4)) as board:
        first = await board.receive(
            Inbound(channel="email", identity="email:di@example.com", body="Hi", at=T0)
        )
        linked = [f"email:di{n}@example.com" for n in range(MANY)]
        for identity in linked:
            await board.link(first.contact.id, identity)
        late = linked[-1]
        later = T0 + timedelta(hours=1)
        outcome = await board.receive(Inbound(channel="email", identity=late, body="News?", at=later))
        assert outcome.contact.id == first.contact.id
        assert outcome.contact.link_for(parse_identity(late)) is not None
        whole = await board.find_contact(late)
        assert whole is not None
        assert [str(i) for i in whole.identities] == ["email:di@example.com", *linked]
        assert board.store.get_contact_brief(first.contact.id) == brief_contact(whole)  # the blocking store
