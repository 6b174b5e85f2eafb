"""Help-desk exports (Zendesk, Freshdesk, Zammad, Intercom): backfilling history as journeys."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.channels import get as get_channel
from handoff.clock import FixedClock, SeededIds
from handoff.errors import IngestError
from handoff.identity import parse_identity
from handoff.ingest import freshdesk, intercom, zammad, zendesk
from handoff.ingest.base import Parsed
from handoff.ingest.helpdesk import pick_identity
from handoff.switchboard import Switchboard
from tests.fuzzing import cut_short, fuzz, json_values, keys_of, mutated, reads_or_rejects

FIXTURES = Path(__file__).parent / "fixtures"
PROVIDERS: dict[str, ModuleType] = {
    "zendesk": zendesk,
    "freshdesk": freshdesk,
    "zammad": zammad,
    "intercom": intercom,
}
EXPORTS = sorted(
    (provider, path.name) for provider in PROVIDERS for path in (FIXTURES / provider).glob("*.json")
)


def fixture(provider: str, name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / provider / name).read_text("utf-8"))


def parse(provider: str, name: str) -> Parsed:
    result: Parsed = PROVIDERS[provider].parse(fixture(provider, name))
    return result


def ids(parsed: Parsed) -> list[str | None]:
    return [inbound.external_id for inbound in parsed.inbounds]


# Rules every provider follows.


@pytest.mark.parametrize(("provider", "name"), EXPORTS)
def test_messages_come_in_true_time_order(provider: str, name: str) -> None:
    times = [inbound.at for inbound in parse(provider, name).inbounds]
    assert times == sorted(times)
    assert all(when.utcoffset() == timedelta(0) for when in times)


@pytest.mark.parametrize(("provider", "name"), EXPORTS)
def test_one_ticket_lands_in_one_journey(provider: str, name: str) -> None:
    """The first message carries the ticket's id and every message refers to it."""
    parsed = parse(provider, name)
    anchor = parsed.inbounds[0].external_id
    assert anchor is not None
    assert anchor.startswith(f"{provider}:")
    assert all(inbound.thread_ref == (anchor,) for inbound in parsed.inbounds)
    assert len(set(ids(parsed))) == len(parsed.inbounds)
    assert all(external_id and external_id.startswith(f"{provider}:") for external_id in ids(parsed))


@pytest.mark.parametrize(("provider", "name"), EXPORTS)
def test_every_message_of_a_ticket_is_on_the_customers_identity(provider: str, name: str) -> None:
    parsed = parse(provider, name)
    identities = {inbound.identity for inbound in parsed.inbounds}
    assert len(identities) == 1
    (identity,) = identities
    parsed_identity = parse_identity(str(identity))
    assert str(parsed_identity) == identity
    assert all(
        parsed_identity.kind in get_channel(inbound.channel).identity_kinds for inbound in parsed.inbounds
    )
    for inbound in parsed.inbounds:
        if inbound.author == "customer":
            assert inbound.agent is None
        elif inbound.author == "agent":
            assert inbound.agent
        assert inbound.metadata["helpdesk"] == provider


@pytest.mark.parametrize(("provider", "name"), EXPORTS)
def test_importing_twice_gives_the_same_records(provider: str, name: str) -> None:
    assert parse(provider, name) == PROVIDERS[provider].parse(copy.deepcopy(fixture(provider, name)))


# Zendesk


def test_zendesk_comments_are_sorted_and_classified() -> None:
    parsed = parse("zendesk", "ticket_email.json")
    assert ids(parsed) == [
        "zendesk:ticket:48213",
        "zendesk:comment:5002",
        "zendesk:comment:5007",
        "zendesk:comment:5003",
        "zendesk:comment:5004",
        "zendesk:comment:5005",
        "zendesk:comment:5006",
    ]
    opening, reply, cc, again, note, call, automated = parsed.inbounds
    assert opening.identity == "email:marta.lindqvist@example.org"
    assert opening.name == "Marta Lindqvist"
    assert (opening.author, opening.channel, opening.kind) == ("customer", "email", "message")
    assert opening.metadata["zendesk_id"] == "comment:5001"
    assert opening.metadata["attachments"] == "crack.jpg"
    assert (reply.author, reply.agent, reply.channel) == ("agent", "Arjun Mehta", "email")
    assert cc.author == "customer"
    assert cc.body == "[attachment: invoice.pdf]"
    assert cc.metadata["author_name"] == "Leif Berg"
    assert again.body == "It cracked again with the loaner jug."
    assert (note.kind, note.author, note.agent) == ("note", "agent", "Arjun Mehta")
    assert (call.kind, call.channel, call.author) == ("call", "email", "customer")
    assert call.metadata["original_channel"] == "phone"
    assert call.at == datetime(2024, 10, 3, 9, 0, tzinfo=UTC)
    assert "4 min 5 s" in call.body
    assert call.metadata["recording_url"] == "https://voice.example/rec/5005"
    assert automated.author == "bot"


def test_zendesk_solved_ticket_is_reported_not_invented() -> None:
    parsed = parse("zendesk", "ticket_email.json")
    assert {inbound.kind for inbound in parsed.inbounds} <= {"message", "note", "call"}
    assert [skipped.path for skipped in parsed.skipped] == ["$.ticket.status"]
    assert all(inbound.metadata["ticket_status"] == "solved" for inbound in parsed.inbounds)


def test_zendesk_audits_stand_in_for_comments() -> None:
    parsed = parse("zendesk", "ticket_audits.json")
    assert [inbound.body for inbound in parsed.inbounds] == [
        "I returned the toaster two weeks ago.",
        "The refund was issued today.",
    ]
    assert parsed.inbounds[0].identity == "portal:zendesk-9100"
    assert parsed.inbounds[1].author == "agent"
    assert any("open to solved" in skipped.reason for skipped in parsed.skipped)


def test_zendesk_identity_follows_the_tickets_channel() -> None:
    parsed = parse("zendesk", "ticket_whatsapp.json")
    assert {inbound.identity for inbound in parsed.inbounds} == {"phone:+447700900789"}
    assert {inbound.channel for inbound in parsed.inbounds} == {"whatsapp"}


def test_zendesk_twitter_direct_messages_and_a_bare_ticket() -> None:
    export = fixture("zendesk", "ticket_whatsapp.json")
    export["ticket"]["via"] = {"channel": "twitter", "source": {"rel": "direct_message"}}
    del export["comments"]
    export["ticket"]["description"] = "Sparks again."
    (only,) = zendesk.parse(export).inbounds
    assert (only.channel, only.metadata["original_channel"]) == ("portal", "twitter_dm")
    assert only.body == "Sparks again."
    assert only.external_id == "zendesk:ticket:48300"


def test_zendesk_bad_comment_is_reported_and_the_rest_kept() -> None:
    export = fixture("zendesk", "ticket_email.json")
    export["comments"][1]["created_at"] = "yesterday"
    parsed = zendesk.parse(export)
    assert len(parsed.inbounds) == 6
    assert [error.field for error in parsed.errors] == ["$.comments[1].created_at"]


def test_a_later_export_adds_only_what_is_new() -> None:
    first = parse("zendesk", "ticket_email.json")
    export = fixture("zendesk", "ticket_email.json")
    export["comments"].append(
        {"id": 5010, "author_id": 9001, "body": "Replacement arrived!", "created_at": "2024-10-06T08:00:00Z"}
    )
    later = zendesk.parse(export)
    assert ids(later)[: len(first.inbounds)] == ids(first)
    assert ids(later)[-1] == "zendesk:comment:5010"


# Freshdesk


def test_freshdesk_description_opens_and_conversations_follow() -> None:
    parsed = parse("freshdesk", "ticket_email.json")
    assert ids(parsed) == [
        "freshdesk:ticket:7301",
        "freshdesk:conversation:9101",
        "freshdesk:conversation:9102",
        "freshdesk:conversation:9103",
        "freshdesk:conversation:9104",
    ]
    opening, reply, note, call, thanks = parsed.inbounds
    assert opening.body == "The grinder jams on fine settings."
    assert opening.identity == "email:aiko.tanaka@example.jp"
    assert (reply.author, reply.agent) == ("agent", "support@grinders.example")
    assert (note.kind, note.metadata["attachments"]) == ("note", "batch7.xlsx")
    assert (call.kind, call.channel, call.author) == ("call", "email", "customer")
    assert call.metadata["original_channel"] == "phone"
    assert call.body == "Customer called: brush missing from box."
    assert thanks.author == "customer"
    reasons = {skipped.path: skipped.reason for skipped in parsed.skipped}
    assert reasons["$.conversations[4]"] == "deleted conversation"
    assert "resolved" in reasons["$.ticket.status"]


def test_freshdesk_anonymous_chat_with_a_bot_greeting() -> None:
    parsed = parse("freshdesk", "ticket_chat.json")
    opening, greeting, customer, agent = parsed.inbounds
    assert opening.external_id == "freshdesk:ticket:7400"
    assert opening.at == greeting.at
    assert greeting.author == "bot"
    assert customer.author == "customer"
    assert agent.agent == "freshdesk agent 2202"
    assert {inbound.identity for inbound in parsed.inbounds} == {"portal:freshdesk-3400"}
    assert {inbound.channel for inbound in parsed.inbounds} == {"chat"}
    assert opening.name is None


def test_freshdesk_outbound_email_is_opened_by_an_agent() -> None:
    export = fixture("freshdesk", "ticket_email.json")
    export["ticket"]["source"] = 10
    assert freshdesk.parse(export).inbounds[0].author == "agent"


# Zammad


def test_zammad_articles_are_sorted_and_classified() -> None:
    parsed = parse("zammad", "ticket_expanded.json")
    assert ids(parsed) == [
        "zammad:ticket:8120",
        "zammad:article:302",
        "zammad:article:303",
        "zammad:article:304",
        "zammad:article:305",
    ]
    opening, reply, call, note, closing = parsed.inbounds
    assert opening.identity == "email:nora.vik@example.net"
    assert opening.name == "Nora Vik"
    assert opening.body.startswith("The lid hinge snapped.\nCan you help?")
    assert opening.metadata["message_id"] == "<abc123@mail.example.net>"
    assert reply.author == "agent"
    assert (call.kind, call.channel, call.agent) == ("call", "email", "Ola Nordmann")
    assert call.metadata["original_channel"] == "phone"
    assert (note.kind, note.author) == ("note", "agent")
    assert closing.author == "bot"
    assert [skipped.path for skipped in parsed.skipped] == ["$.ticket.state"]


def test_zammad_without_expand_reads_ids_and_the_senders_number() -> None:
    parsed = parse("zammad", "ticket_ids.json")
    opening, reply = parsed.inbounds
    assert (opening.channel, opening.author) == ("sms", "customer")
    assert opening.identity == "phone:+4741234567"
    assert (reply.author, reply.agent) == ("agent", "Support")
    assert parsed.skipped == ()


# Intercom


def test_intercom_parts_are_sorted_and_classified() -> None:
    parsed = parse("intercom", "conversation_chat.json")
    assert ids(parsed) == [
        "intercom:conversation:4410",
        "intercom:part:201",
        "intercom:part:203",
        "intercom:part:206",
        "intercom:part:204",
        "intercom:part:205",
    ]
    opening, bot, note, redacted, customer, closing = parsed.inbounds
    assert opening.identity == "email:lucia.ortega@example.es"
    assert (opening.channel, opening.author, opening.body) == (
        "chat",
        "customer",
        "My air fryer shows error E4.",
    )
    assert (bot.author, bot.agent) == ("bot", "Fin")
    assert (note.kind, note.author) == ("note", "agent")
    assert redacted.body == "[redacted]"
    assert customer.author == "customer"
    assert (closing.author, closing.body) == ("agent", "Glad it works! Closing this.")
    paths = [skipped.path for skipped in parsed.skipped]
    assert "$.conversation_parts.conversation_parts[3]" in paths
    assert "$.state" in paths


def test_intercom_wrapped_with_full_contacts_uses_the_phone_for_whatsapp() -> None:
    parsed = parse("intercom", "conversation_whatsapp.json")
    opening, reply, photo = parsed.inbounds
    assert {inbound.identity for inbound in parsed.inbounds} == {"phone:+447700900321"}
    assert opening.channel == "whatsapp"
    assert reply.agent == "Ines Duarte"
    assert photo.body == "[attachment: lid.jpg]"


# Backfilling a switchboard


T0 = datetime(2024, 11, 1, 9, 0, tzinfo=UTC)


def test_backfilled_tickets_become_one_journey_each_and_reimports_add_nothing() -> None:
    tickets = [parse("zendesk", "ticket_email.json"), parse("freshdesk", "ticket_email.json")]
    with Switchboard.open("memory://", clock=FixedClock(T0), ids=SeededIds(7)) as board:
        journeys = []
        for ticket in tickets:
            (journey_id,) = {outcome.journey.id for outcome in board.receive_many(ticket.inbounds)}
            stored = board.store.interactions(journey_id)
            assert [item.external_id for item in stored] == ids(ticket)
            assert [item.author for item in stored] == [inbound.author for inbound in ticket.inbounds]
            journeys.append(journey_id)
        assert len(set(journeys)) == 2
        again = board.receive_many([inbound for ticket in tickets for inbound in ticket.inbounds])
        assert all(outcome.duplicate for outcome in again)
        assert [len(board.store.interactions(journey_id)) for journey_id in journeys] == [
            len(ticket.inbounds) for ticket in tickets
        ]


def test_a_later_export_of_the_same_ticket_joins_the_same_journey() -> None:
    export = fixture("zendesk", "ticket_whatsapp.json")
    first = zendesk.parse(export)
    export["comments"].append(
        {"id": 6003, "author_id": 9200, "body": "Unplugged. Now what?", "created_at": "2024-10-09T07:00:00Z"}
    )
    with Switchboard.open("memory://", clock=FixedClock(T0), ids=SeededIds(8)) as board:
        (journey_id,) = {outcome.journey.id for outcome in board.receive_many(first.inbounds)}
        board.resolve(journey_id, by="Arjun Mehta", at=datetime(2024, 10, 8, 9, 0, tzinfo=UTC))
        later = board.receive_many(zendesk.parse(export).inbounds)
        assert {outcome.journey.id for outcome in later} == {journey_id}
        assert [outcome.duplicate for outcome in later] == [True, True, False]


# Envelopes and shared pieces


@pytest.mark.parametrize("provider", ["zendesk", "freshdesk", "zammad"])
def test_an_export_without_a_ticket_is_an_ingest_error(provider: str) -> None:
    with pytest.raises(IngestError) as caught:
        PROVIDERS[provider].parse({"comments": []})
    assert caught.value.field == "$.ticket"


def test_an_intercom_export_without_an_id_is_an_ingest_error() -> None:
    with pytest.raises(IngestError) as caught:
        intercom.parse({"type": "conversation", "created_at": 1})
    assert caught.value.field == "$.id"


@given(st.permutations(fixture("zendesk", "ticket_email.json")["comments"]))
@settings(max_examples=50, deadline=None)
def test_zendesk_export_order_does_not_matter(comments: list[dict[str, Any]]) -> None:
    export = fixture("zendesk", "ticket_email.json")
    baseline = zendesk.parse(export)
    export["comments"] = comments
    assert ids(zendesk.parse(export)) == ids(baseline)


@given(st.permutations(fixture("freshdesk", "ticket_chat.json")["conversations"]))
@settings(max_examples=20, deadline=None)
def test_freshdesk_export_order_does_not_matter(conversations: list[dict[str, Any]]) -> None:
    export = fixture("freshdesk", "ticket_chat.json")
    baseline = freshdesk.parse(export)
    export["conversations"] = conversations
    assert ids(freshdesk.parse(export)) == ids(baseline)


def test_the_identity_that_reaches_the_channel_wins() -> None:
    both = {"emails": ["Ana@Example.com"], "phones": ["+14155550100"], "fallback": "x-1"}
    assert pick_identity("email", **both) == "email:ana@example.com"
    assert pick_identity("sms", **both) == "phone:+14155550100"
    assert pick_identity("twitter", **both) == "email:ana@example.com"
    assert (
        pick_identity("sms", emails=["not an address"], phones=["0415 555"], fallback="x-1") == "portal:x-1"
    )


# Fuzzing: hostile or broken exports only ever raise IngestError.

ORIGINALS = {
    provider: [fixture(provider, name) for p, name in EXPORTS if p == provider] for provider in PROVIDERS
}
# Built once: making a strategy per example would cost more than running it.
JSON = json_values(keys_of(doc for docs in ORIGINALS.values() for doc in docs))
MUTATED = {provider: mutated(ORIGINALS[provider], JSON) for provider in PROVIDERS}
RAW_BODIES = {
    provider: cut_short([(FIXTURES / provider / name).read_bytes() for p, name in EXPORTS if p == provider])
    for provider in PROVIDERS
}
EXPORT_SHAPED = (
    st.fixed_dictionaries({"ticket": JSON}, optional={"comments": JSON, "conversations": JSON}) | JSON
)


def assert_reads_or_rejects(parse_export: Callable[[object], Parsed], payload: object) -> None:
    parsed = reads_or_rejects(parse_export, payload)
    times = [inbound.at for inbound in parsed.inbounds] if parsed else []
    assert times == sorted(times)


@pytest.mark.parametrize("provider", PROVIDERS)
@fuzz()
@given(data=st.data())
def test_random_json_only_raises_ingest_errors(provider: str, data: st.DataObject) -> None:
    assert_reads_or_rejects(PROVIDERS[provider].parse, data.draw(EXPORT_SHAPED))


@pytest.mark.parametrize("provider", PROVIDERS)
@fuzz()
@given(data=st.data())
def test_mutated_exports_only_raise_ingest_errors(provider: str, data: st.DataObject) -> None:
    assert_reads_or_rejects(PROVIDERS[provider].parse, data.draw(MUTATED[provider]))


@pytest.mark.parametrize("provider", PROVIDERS)
@fuzz()
@given(data=st.data())
def test_raw_bytes_only_raise_ingest_errors(provider: str, data: st.DataObject) -> None:
    assert_reads_or_rejects(PROVIDERS[provider].parse, data.draw(RAW_BODIES[provider]))
