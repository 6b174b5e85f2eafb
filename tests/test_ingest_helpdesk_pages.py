"""Help-desk adapters read the providers' own API responses, page by page, in any order."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.clock import FixedClock, SeededIds
from handoff.errors import IngestError
from handoff.ingest import freshdesk, intercom, zammad, zendesk
from handoff.ingest.base import Parsed
from handoff.switchboard import Switchboard
from tests.fuzzing import fuzz, json_values, keys_of, mutated, reads_or_rejects

FIXTURES = Path(__file__).parent / "fixtures"
PROVIDERS: dict[str, ModuleType] = {
    "zendesk": zendesk,
    "freshdesk": freshdesk,
    "zammad": zammad,
    "intercom": intercom,
}
# Every page of each provider's fixtures, with what parse needs besides the body.
PAGES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "zendesk": [
        ("tickets_list.json", {}),
        ("audits_7101_page1.json", {}),
        ("audits_7101_page2.json", {}),
        ("comments_7102.json", {"ticket_id": 7102}),
        ("request_7103.json", {}),
        ("request_7103_comments.json", {}),
        ("incremental_tickets_cursor.json", {}),
        ("incremental_ticket_events.json", {}),
    ],
    "freshdesk": [
        ("tickets_list.json", {}),
        ("conversations_7501.json", {}),
        ("ticket_7502_with_conversations.json", {}),
    ],
    "zammad": [
        ("tickets_list_expanded.json", {}),
        ("articles_8201.json", {}),
        ("ticket_8202_all.json", {}),
    ],
    "intercom": [
        ("conversations_list_page1.json", {}),
        ("conversations_search_page2.json", {}),
        ("conversation_5501.json", {}),
    ],
}
T0 = datetime(2025, 6, 1, tzinfo=UTC)


def page(provider: str, name: str, **options: Any) -> Parsed:
    body = (FIXTURES / provider / "pages" / name).read_bytes()
    parsed: Parsed = PROVIDERS[provider].parse(body, **options)
    return parsed


def ids(parsed: Parsed) -> list[str | None]:
    return [inbound.external_id for inbound in parsed.inbounds]


ALL_PAGES = [(provider, name, options) for provider, pages in PAGES.items() for name, options in pages]


@pytest.mark.parametrize(("provider", "name", "options"), ALL_PAGES)
def test_every_page_is_read_without_errors(provider: str, name: str, options: dict[str, Any]) -> None:
    parsed = page(provider, name, **options)
    assert parsed.errors == ()
    assert parsed.inbounds or parsed.skipped
    raw = json.loads((FIXTURES / provider / "pages" / name).read_text("utf-8"))
    assert PROVIDERS[provider].parse(raw, **options) == parsed  # decoded JSON reads the same


# Zendesk


def test_a_zendesk_ticket_list_opens_each_ticket_from_its_description() -> None:
    parsed = page("zendesk", "tickets_list.json")
    assert ids(parsed) == ["zendesk:ticket:7101", "zendesk:ticket:7102"]
    kettle, chat = parsed.inbounds
    assert (kettle.identity, kettle.name) == ("email:wanjiru@example.ke", "Wanjiru Kamau")
    assert kettle.channel == "email"
    assert kettle.body == "My kettle leaks from the base."
    assert (chat.identity, chat.channel) == ("email:tomas.ruiz@example.es", "chat")


def test_zendesk_audit_pages_open_the_ticket_only_from_the_audit_that_created_it() -> None:
    first = page("zendesk", "audits_7101_page1.json")
    second = page("zendesk", "audits_7101_page2.json")
    assert ids(first) == ["zendesk:ticket:7101", "zendesk:comment:90011"]
    assert ids(second) == ["zendesk:comment:90021", "zendesk:comment:90031"]
    assert {inbound.identity for inbound in first.inbounds + second.inbounds} == {"email:wanjiru@example.ke"}
    customer, note = second.inbounds
    assert customer.author == "customer"
    assert (note.kind, note.author, note.agent) == ("note", "agent", "Priya Nair")
    assert "pending to open" in second.skipped[0].reason


def test_a_zendesk_comments_page_needs_its_ticket_id() -> None:
    body = (FIXTURES / "zendesk" / "pages" / "comments_7102.json").read_bytes()
    with pytest.raises(IngestError) as caught:
        zendesk.parse(body)
    assert caught.value.field == "$.ticket"
    parsed = zendesk.parse(body, ticket_id="7102")
    assert ids(parsed) == ["zendesk:ticket:7102", "zendesk:comment:91002"]
    with pytest.raises(IngestError) as bad:
        zendesk.parse(body, ticket_id="  ")
    assert bad.value.field == "ticket_id"


def test_a_later_page_of_zendesk_comments_opens_nothing() -> None:
    raw = json.loads((FIXTURES / "zendesk" / "pages" / "comments_7102.json").read_text("utf-8"))
    raw["previous_page"] = "https://acme.zendesk.com/api/v2/tickets/7102/comments.json?page=1"
    assert ids(zendesk.parse(raw, ticket_id=7102)) == ["zendesk:comment:91001", "zendesk:comment:91002"]


def test_zendesk_requests_and_their_comments_are_the_ticket_and_its_comments() -> None:
    request = page("zendesk", "request_7103.json")
    comments = page("zendesk", "request_7103_comments.json")
    exported = page("zendesk", "incremental_tickets_cursor.json")
    assert ids(request) == ids(exported) == ["zendesk:ticket:7103"]
    assert ids(comments) == ["zendesk:ticket:7103", "zendesk:comment:92002"]
    assert comments.inbounds[1].metadata["attachments"] == "invoice-2025-118.pdf"
    assert "solved" in exported.skipped[0].reason


def test_zendesk_incremental_ticket_events_carry_the_comments() -> None:
    parsed = page("zendesk", "incremental_ticket_events.json")
    opening, note = parsed.inbounds
    assert opening.external_id == "zendesk:ticket:7104"
    assert opening.identity == "portal:zendesk-504"
    assert opening.metadata["original_channel"] == "email"
    assert (note.kind, note.author) == ("note", "agent")


def test_an_empty_zendesk_page_says_so() -> None:
    parsed = zendesk.parse({"tickets": [], "next_page": None, "count": 0})
    assert parsed.inbounds == ()
    assert parsed.skipped[0].reason.startswith("an empty page")


# Freshdesk, Zammad, Intercom


def test_freshdesk_lists_of_tickets_and_of_conversations() -> None:
    tickets = page("freshdesk", "tickets_list.json")
    conversations = page("freshdesk", "conversations_7501.json")
    assert ids(tickets) == ["freshdesk:ticket:7501"]
    assert [s.path for s in tickets.skipped] == ["$[1].status", "$[1]"]
    assert "without its description" in tickets.skipped[1].reason
    assert ids(conversations) == ["freshdesk:conversation:8801", "freshdesk:conversation:8802"]
    assert {i.identity for i in tickets.inbounds + conversations.inbounds} == {"email:olu@example.ng"}
    assert conversations.inbounds[1].author == "customer"


def test_a_freshdesk_ticket_with_its_conversations_included() -> None:
    parsed = page("freshdesk", "ticket_7502_with_conversations.json")
    assert ids(parsed) == ["freshdesk:ticket:7502", "freshdesk:conversation:8901"]
    assert {i.channel for i in parsed.inbounds} == {"chat"}


def test_a_zammad_ticket_without_articles_says_why_it_gives_nothing() -> None:
    parsed = page("zammad", "tickets_list_expanded.json")
    assert parsed.inbounds == ()
    (skipped,) = parsed.skipped
    assert skipped.path == "$[0]"
    assert "without its articles (2 articles)" in skipped.reason
    assert "/ticket_articles/by_ticket/8201" in skipped.reason


def test_zammad_articles_and_all_assets() -> None:
    articles = page("zammad", "articles_8201.json")
    assert ids(articles) == ["zammad:ticket:8201", "zammad:article:9302"]
    assert articles.inbounds[0].body == "The router drops Wi-Fi every hour."
    assets = page("zammad", "ticket_8202_all.json")
    assert ids(assets) == ["zammad:ticket:8202", "zammad:article:9402"]
    assert assets.inbounds[0].name == "Kofi Boateng"
    assert assets.inbounds[1].kind == "note"


def test_a_single_zammad_article_never_claims_to_open_its_ticket() -> None:
    raw = json.loads((FIXTURES / "zammad" / "pages" / "articles_8201.json").read_text("utf-8"))
    assert ids(zammad.parse(raw[1])) == ["zammad:article:9301"]


def test_intercom_list_and_search_pages_carry_the_opening_messages() -> None:
    first = page("intercom", "conversations_list_page1.json")
    second = page("intercom", "conversations_search_page2.json")
    full = page("intercom", "conversation_5501.json")
    assert ids(first) == ["intercom:conversation:5501"]
    assert ids(second) == ["intercom:conversation:5502"]
    assert ids(full) == ["intercom:conversation:5501", "intercom:part:701", "intercom:part:702"]
    assert first.inbounds[0] == full.inbounds[0]
    assert second.inbounds[0].channel == "email"


def test_an_empty_intercom_list_says_so() -> None:
    parsed = intercom.parse({"type": "conversation.list", "conversations": [], "pages": {"type": "pages"}})
    assert parsed.skipped[0].reason.startswith("an empty page")


# Any order, twice: the same journeys


def journeys(provider: str, order: list[int]) -> tuple[frozenset[frozenset[str]], int]:
    """Feed the pages in ``order``; the journeys as sets of external ids, and the interactions stored."""
    pages = PAGES[provider]
    parsed = [page(provider, name, **options) for name, options in pages]
    with Switchboard.open("memory://", clock=FixedClock(T0), ids=SeededIds(5)) as board:
        for index in order:
            board.receive_many(parsed[index].inbounds)
        groups: dict[str, set[str]] = {}
        for inbound in (i for p in parsed for i in p.inbounds):
            assert inbound.external_id is not None
            stored = board.store.find_interaction(inbound.channel, inbound.external_id)
            assert stored is not None
            groups.setdefault(stored.journey_id, set()).add(inbound.external_id)
        count = sum(len(board.store.interactions(journey_id)) for journey_id in groups)
    return frozenset(frozenset(group) for group in groups.values()), count


@pytest.mark.parametrize("provider", PAGES)
@given(data=st.data())
@settings(max_examples=15, deadline=None)
def test_pages_fed_in_any_order_twice_give_the_same_journeys(provider: str, data: st.DataObject) -> None:
    indexes = list(range(len(PAGES[provider])))
    baseline, stored = journeys(provider, indexes)
    first = data.draw(st.permutations(indexes))
    again = data.draw(st.permutations(indexes))
    assert journeys(provider, [*first, *again]) == (baseline, stored)
    every = [page(provider, name, **options) for name, options in PAGES[provider]]
    distinct = {inbound.external_id for parsed in every for inbound in parsed.inbounds}
    assert stored == len(distinct)  # nothing stored twice


# Fuzzing: hostile or broken pages only ever raise IngestError.

ORIGINALS = {
    provider: [json.loads((FIXTURES / provider / "pages" / name).read_text("utf-8")) for name, _ in pages]
    for provider, pages in PAGES.items()
}
JSON = json_values(keys_of(doc for docs in ORIGINALS.values() for doc in docs))
MUTATED = {provider: mutated(ORIGINALS[provider], JSON) for provider in PROVIDERS}


@pytest.mark.parametrize("provider", PROVIDERS)
@fuzz()
@given(data=st.data())
def test_mutated_pages_only_raise_ingest_errors(provider: str, data: st.DataObject) -> None:
    parsed = reads_or_rejects(PROVIDERS[provider].parse, data.draw(MUTATED[provider]))
    times = [inbound.at for inbound in parsed.inbounds] if parsed else []
    assert times == sorted(times)


@pytest.mark.parametrize("provider", PROVIDERS)
@fuzz()
@given(data=st.data())
def test_random_arrays_and_objects_only_raise_ingest_errors(provider: str, data: st.DataObject) -> None:
    payload = data.draw(st.lists(JSON, max_size=4) | JSON)
    reads_or_rejects(PROVIDERS[provider].parse, payload)
