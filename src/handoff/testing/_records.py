"""Conformance: records come back as they were written, found and ordered as promised."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.errors import ConcurrencyConflict, NotFound
from handoff.identity import parse_identity
from handoff.models import Fact, PathStep, SummaryLine
from handoff.stores.base import Changeset, ContactRecords, Store
from handoff.stores.records import BRIEF_LINKS, brief_contact, linked_contact
from handoff.testing._kit import KitBase, seed
from handoff.testing.factories import (
    T0,
    append_changeset,
    appended,
    make_contact,
    make_decision,
    make_handoff,
    make_interaction,
    make_journey,
    make_link,
    make_notification,
    new_id,
)

_TOKYO = timezone(timedelta(hours=9))
_KOLKATA = timezone(timedelta(hours=5, minutes=30))
_DENVER = timezone(timedelta(hours=-7))

# Any text a person might type, including emoji and right-to-left scripts; lone
# surrogates are not text and are left out.
_text = st.text(st.characters(codec="utf-8"), max_size=200)

_STATUSES = ("pending", "sent", "delivered", "read", "failed", "cancelled")


class RecordConformance(KitBase):
    def test_contact_round_trip(self, store: Store) -> None:
        contact = make_contact(
            "email:ana@example.com",
            "phone:+38640123456",
            name="Ana Kovač",
            created_at=T0.astimezone(_KOLKATA),
            timezone="Europe/Ljubljana",
            language="sl",
            preferred_channels=("whatsapp", "email"),
            consent={"sms": False, "whatsapp": True},
            quiet_hours=("22:00", "07:30"),
        )
        store.commit(Changeset(contact=contact))
        assert store.get_contact(contact.id) == contact
        for identity in contact.identities:
            assert store.find_contact(identity) == contact
        assert store.find_contact(parse_identity("email:nobody@example.com")) is None

    def test_journey_round_trip(self, store: Store) -> None:
        contact = make_contact()
        at = T0.astimezone(_DENVER)
        journey = make_journey(
            contact,
            subject="Refund for order 1234",
            status="pending",
            current_channel="chat",
            updated_at=at + timedelta(hours=2),
            path=(PathStep("email", at), PathStep("chat", at + timedelta(hours=1))),
            last_customer_at={"email": at, "chat": at + timedelta(hours=1)},
            last_agent_at={"chat": at + timedelta(hours=2)},
            last_customer_channel="chat",
            first_response_at=at + timedelta(hours=2),
            assignee="agent-7",
            responder="agent",
            facts=(Fact("order", "1234", "order #1234", "email", at, new_id("in")),),
            notes=(SummaryLine(at, "chat", "agent", "Customer is calm", "agent-7"),),
            commitments=("Call back before noon",),
            handoff_count=1,
        )
        store.commit(Changeset(contact=contact, journey=journey))
        assert store.get_journey(journey.id) == journey
        assert store.find_journey_by_reference(journey.reference) == journey
        assert store.journeys_of(contact.id) == [journey]
        assert store.find_journey_by_reference("J-NOPE0") is None

    def test_interaction_round_trip(self, store: Store) -> None:
        _, journey = seed(store)
        change = append_changeset(
            journey,
            channel="whatsapp",
            author="agent",
            kind="note",
            body="Ticket reopened 🙂 — שלום",
            at=T0.astimezone(_TOKYO),
            external_id="wamid.HBgL",
            agent="agent-7",
            identity=parse_identity("phone:+38640123456"),
            thread_refs=("<a@mail>", "<b@mail>"),
            metadata={"locale": "sl-SI"},
            sensitive=True,
        )
        store.commit(change)
        (interaction,) = change.interactions
        assert store.interactions(journey.id) == [interaction]
        assert store.find_interaction("whatsapp", "wamid.HBgL") == interaction
        assert store.find_interaction("sms", "wamid.HBgL") is None
        assert store.get_journey(journey.id) == change.journey

    def test_handoff_round_trip(self, store: Store) -> None:
        _, journey = seed(store)
        handoff = make_handoff(journey, at=T0.astimezone(_KOLKATA), warm=True, to_agent="agent-9")
        store.commit(Changeset(handoffs=(handoff,)))
        assert store.handoffs(journey.id) == [handoff]

    def test_notification_round_trip(self, store: Store) -> None:
        _, journey = seed(store)
        notification = make_notification(
            journey, to=parse_identity("phone:+38640123456"), template="move_to_chat", decision_id="d1"
        )
        store.commit(Changeset(notifications=(notification,)))
        assert store.get_notification(notification.id) == notification
        assert store.notifications(journey.id) == [notification]
        assert store.due_notifications(notification.send_at) == [notification]

    def test_one_changeset_keeps_every_record_of_each_kind(self, store: Store) -> None:
        change = crowded_event()
        store.commit(change)
        assert_all_stored(store, change)

    def test_only_pending_notifications_are_due_whatever_the_changeset(self, store: Store) -> None:
        # A notification may be committed in any status, alone or with others; only a
        # pending one waits to be sent, and a store must not queue the rest.
        _, together = seed(store)
        _, alone = seed(store)
        made = {
            journey.id: [
                make_notification(
                    journey,
                    status=status,
                    send_at=T0 + timedelta(minutes=n),
                    sent_at=None if status in ("pending", "cancelled") else T0,
                )
                for n, status in enumerate(_STATUSES)
            ]
            for journey in (together, alone)
        }
        store.commit(Changeset(notifications=tuple(made[together.id])))
        for notification in made[alone.id]:
            store.commit(Changeset(notifications=(notification,)))
        everything = [*made[together.id], *made[alone.id]]
        due = store.due_notifications(T0 + timedelta(days=1), limit=1000)
        assert sorted(n.id for n in due) == sorted(n.id for n in everything if n.status == "pending")
        for notification in everything:
            assert store.get_notification(notification.id) == notification

    def test_any_text_round_trips(self, store: Store) -> None:
        # Hypothesis runs inside the test: the kit's methods are shared by many classes.
        @settings(max_examples=30, deadline=None)
        @given(body=_text, name=_text.filter(str.strip), metadata=st.dictionaries(_text, _text, max_size=3))
        def round_trip(body: str, name: str, metadata: dict[str, str]) -> None:
            contact = make_contact(name=name[:200])
            journey = make_journey(contact, subject=body)
            after, interaction = appended(journey, body=body, metadata=metadata)
            store.commit(Changeset(contact=contact, journey=journey))
            store.commit(Changeset(journey=after, expected_journey_version=1, interactions=(interaction,)))
            assert store.get_contact(contact.id) == contact
            assert store.get_journey(journey.id) == after
            assert store.interactions(journey.id) == [interaction]

        round_trip()

    def test_timestamps_with_offsets_come_back_equal(self, store: Store) -> None:
        contact = make_contact(created_at=T0.astimezone(_DENVER))
        journey = make_journey(contact, opened_at=T0.astimezone(_TOKYO), updated_at=T0.astimezone(_KOLKATA))
        store.commit(Changeset(contact=contact, journey=journey))
        change = append_changeset(journey, at=(T0 + timedelta(microseconds=1)).astimezone(_DENVER))
        store.commit(change)
        assert store.get_contact(contact.id).created_at == T0
        stored = store.get_journey(journey.id)
        assert (stored.opened_at, stored.updated_at) == (T0, change.interactions[0].at)
        assert store.interactions(journey.id)[0].at == T0 + timedelta(microseconds=1)

    def test_the_largest_versions_and_limits_work(self, store: Store) -> None:
        # What every backend can keep: 32-bit versions and sequences, 64-bit limits.
        largest, unlimited = 2**31 - 1, 2**63 - 1
        contact = make_contact(version=largest)
        journey = make_journey(contact, version=largest - 1)
        store.commit(Changeset(contact=contact, journey=journey))
        change = append_changeset(journey, notifications=(make_notification(journey),))
        store.commit(change)
        assert change.journey is not None and change.journey.version == largest
        assert store.get_contact(contact.id) == contact
        assert store.get_journey(journey.id) == change.journey
        assert store.interactions(journey.id, last=unlimited) == list(change.interactions)
        assert store.interactions(journey.id)[0].sequence == largest
        assert store.due_notifications(T0 + timedelta(days=1), limit=unlimited) == list(change.notifications)
        assert store.active_journeys(limit=unlimited) == [change.journey]

    # -- ordering ----------------------------------------------------------------------
    def test_interactions_come_in_sequence_order(self, store: Store) -> None:
        _, journey = seed(store)
        # Appended out of order, without journey updates, so only the sequence can order them.
        for sequence in (3, 1, 4, 2, 5):
            store.commit(Changeset(interactions=(make_interaction(journey, sequence=sequence),)))
        everything = store.interactions(journey.id)
        assert [i.sequence for i in everything] == [1, 2, 3, 4, 5]
        for k in range(7):
            assert store.interactions(journey.id, last=k) == (everything[-k:] if k else [])

    def test_handoffs_come_in_time_order(self, store: Store) -> None:
        _, journey = seed(store)
        offsets = (timedelta(hours=3), timedelta(hours=1), timedelta(hours=2))
        made = [make_handoff(journey, at=(T0 + delta).astimezone(_TOKYO)) for delta in offsets]
        for handoff in made:
            store.commit(Changeset(handoffs=(handoff,)))
        assert store.handoffs(journey.id) == sorted(made, key=lambda h: h.at)

    def test_journeys_of_a_contact_oldest_first(self, store: Store) -> None:
        contact, first = seed(store, opened_at=T0 + timedelta(days=2))
        older = make_journey(contact, opened_at=T0)
        store.commit(Changeset(journey=older))
        seed(store)  # another contact's journey stays out
        assert store.journeys_of(contact.id) == [older, first]
        assert store.journeys_of("ct_nobody") == []

    def test_notifications_of_a_journey_in_creation_order(self, store: Store) -> None:
        _, journey = seed(store)
        made = [make_notification(journey, created_at=T0 + timedelta(seconds=n)) for n in range(4)]
        store.commit(Changeset(notifications=tuple(made[:2])))
        for notification in made[2:]:
            store.commit(Changeset(notifications=(notification,)))
        assert store.notifications(journey.id) == made

    def test_due_notifications_respect_now_limit_and_status(self, store: Store) -> None:
        _, journey = seed(store)
        made = [
            make_notification(journey, send_at=(T0 + timedelta(minutes=m)).astimezone(zone))
            for m, zone in ((30, _TOKYO), (10, _DENVER), (20, UTC), (40, _KOLKATA), (50, _TOKYO))
        ]
        store.commit(Changeset(notifications=tuple(made)))
        by_time = sorted(made, key=lambda n: n.send_at)
        assert store.due_notifications(T0) == []
        assert store.due_notifications(T0 + timedelta(minutes=30)) == by_time[:3]
        assert store.due_notifications(T0 + timedelta(hours=1), limit=2) == by_time[:2]
        store.mark_notification(by_time[0].id, "sent", T0 + timedelta(minutes=31))
        store.mark_notification(by_time[2].id, "failed", T0 + timedelta(minutes=31))
        store.mark_notification(by_time[3].id, "cancelled", T0 + timedelta(minutes=31))
        assert store.due_notifications(T0 + timedelta(hours=1)) == [by_time[1], by_time[4]]

    def test_due_notifications_order_instants_across_offsets(self, store: Store) -> None:
        _, journey = seed(store)
        # 10:00 in Tokyo is 01:00 UTC: earlier than 09:00 UTC although "10" > "09".
        tokyo = make_notification(journey, send_at=T0.replace(hour=10, tzinfo=_TOKYO))
        utc = make_notification(journey, send_at=T0.replace(hour=9))
        store.commit(Changeset(notifications=(utc, tokyo)))
        assert store.due_notifications(T0.replace(hour=9)) == [tokyo, utc]
        assert store.due_notifications(T0.replace(hour=5)) == [tokyo]

    # -- look-ups --------------------------------------------------------------------
    def test_unknown_ids_raise_not_found(self, store: Store) -> None:
        with pytest.raises(NotFound):
            store.get_contact("ct_missing")
        with pytest.raises(NotFound):
            store.get_journey("jr_missing")
        with pytest.raises(NotFound):
            store.get_notification("nt_missing")
        with pytest.raises(NotFound):
            store.mark_notification("nt_missing", "sent", T0)

    def test_mark_notification_sets_status(self, store: Store) -> None:
        _, journey = seed(store)
        made = [make_notification(journey) for _ in range(3)]
        store.commit(Changeset(notifications=tuple(made)))
        sent_at = T0.astimezone(_TOKYO) + timedelta(minutes=5)
        for notification, status in zip(made, ("sent", "failed", "cancelled"), strict=True):
            updated = store.mark_notification(notification.id, status, sent_at)
            assert updated.status == status
            assert evolve(updated, status="pending", sent_at=None) == notification
            assert store.get_notification(notification.id) == updated
        assert store.get_notification(made[0].id).sent_at == sent_at
        assert store.due_notifications(T0 + timedelta(days=1)) == []

    def test_find_journey_by_thread_picks_the_latest_interaction(self, store: Store) -> None:
        _, older = seed(store)
        _, newer = seed(store)
        store.commit(append_changeset(older, channel="email", external_id="<m1@mail>", at=T0))
        store.commit(
            append_changeset(newer, channel="email", external_id="<m2@mail>", at=T0 + timedelta(hours=1))
        )
        assert store.find_journey_by_thread(["<m1@mail>"]) == store.get_journey(older.id)
        assert store.find_journey_by_thread(["<m1@mail>", "<m2@mail>", "<x@mail>"]) == store.get_journey(
            newer.id
        )
        assert store.find_journey_by_thread(["<x@mail>"]) is None
        assert store.find_journey_by_thread([]) is None

    def test_contact_update_moves_identity_links(self, store: Store) -> None:
        kept, dropped, added = (parse_identity(f"email:{new_id('p')}@example.com") for _ in range(3))
        contact = make_contact(kept, dropped)
        store.commit(Changeset(contact=contact))
        change = Changeset(
            contact=evolve(contact, version=2),
            expected_contact_version=1,
            links=(make_link(added, confirmed=False),),
            unlinks=(dropped,),
        )
        store.commit(change)
        updated = evolve(contact, links=(contact.links[0], make_link(added, confirmed=False)), version=2)
        assert linked_contact(change, contact) == updated
        assert store.get_contact(contact.id) == updated
        assert store.find_contact(kept) == updated
        assert store.find_contact(added) == updated
        assert store.find_contact(dropped) is None
        # The dropped identity is free for someone else now.
        other = make_contact(dropped)
        store.commit(Changeset(contact=other))
        assert store.find_contact(dropped) == other

    def test_a_replaced_link_keeps_its_place(self, store: Store) -> None:
        first, second = (parse_identity(f"email:{new_id('p')}@example.com") for _ in range(2))
        contact = make_contact(first, second)
        store.commit(Changeset(contact=contact))
        confirmed = make_link(first, confirmed=False, source="agent", linked_at=T0 + timedelta(days=1))
        store.commit(
            Changeset(contact=evolve(contact, version=2), expected_contact_version=1, links=(confirmed,))
        )
        assert store.get_contact(contact.id).links == (confirmed, contact.links[1])

    def test_links_of_an_update_are_written_only_as_changes(self, store: Store) -> None:
        mine, stray = (parse_identity(f"email:{new_id('p')}@example.com") for _ in range(2))
        contact = make_contact(mine)
        store.commit(Changeset(contact=contact))
        renamed = evolve(contact, name="Renamed", links=(make_link(stray),), version=2)
        store.commit(Changeset(contact=renamed, expected_contact_version=1))
        assert store.get_contact(contact.id) == evolve(renamed, links=contact.links)
        assert store.find_contact(stray) is None

    def test_an_added_link_owned_by_another_contact_is_refused(self, store: Store) -> None:
        theirs = make_contact()
        mine = make_contact()
        store.commit(Changeset(contact=theirs))
        store.commit(Changeset(contact=mine))
        taken = Changeset(
            contact=evolve(mine, version=2),
            expected_contact_version=1,
            links=(make_link(theirs.identities[0]),),
        )
        with pytest.raises(ConcurrencyConflict):
            store.commit(taken)
        assert store.get_contact(mine.id) == mine
        assert store.find_contact(theirs.identities[0]) == theirs

    def test_a_brief_keeps_the_first_links_of_each_kind_and_the_one_asked_for(self, store: Store) -> None:
        emails = [parse_identity(f"email:{new_id('p')}@example.com") for _ in range(BRIEF_LINKS + 3)]
        phone = parse_identity(f"phone:+1415555{len(emails):04d}")
        contact = make_contact(*emails, phone)
        store.commit(Changeset(contact=contact))
        first = (*contact.links[:BRIEF_LINKS], contact.links[-1])
        assert store.get_contact_brief(contact.id) == evolve(contact, links=first)
        assert store.get_contact_brief(contact.id) == brief_contact(contact)
        last = emails[-1]
        asked = (*contact.links[:BRIEF_LINKS], contact.links[-2], contact.links[-1])
        assert store.find_contact_brief(last) == evolve(contact, links=asked)
        assert store.find_contact_brief(phone) == evolve(contact, links=first)
        assert store.find_contact_brief(parse_identity("email:nobody@example.com")) is None
        with pytest.raises(NotFound):
            store.get_contact_brief(new_id("missing"))


def crowded_event(count: int = 3) -> Changeset:
    """A new contact's first changeset holding ``count`` records of every kind.

    ``receive_many`` merges a journey's messages into one changeset like this; a store
    that kept only some records of a kind would lose history without any error.
    """
    contact = make_contact()
    journey = make_journey(contact, version=0)
    interactions = []
    for n in range(count):
        journey, interaction = appended(journey, external_id=new_id("msg"), at=T0 + timedelta(minutes=n))
        interactions.append(interaction)
    later = [T0 + timedelta(seconds=n) for n in range(count)]
    return Changeset(
        contact=contact,
        journey=journey,
        interactions=interactions,
        handoffs=[make_handoff(journey, at=at) for at in later],
        notifications=[make_notification(journey, created_at=at, provider_id=new_id("SM")) for at in later],
        decisions=[make_decision(journey, at=at) for at in later],
    )


def assert_all_stored(store: Store, change: Changeset) -> None:
    """Every record of a committed :func:`crowded_event` is found by every read that lists it."""
    contact, journey = change.contact, change.journey
    assert contact is not None and journey is not None
    assert store.get_journey(journey.id) == journey
    assert store.interactions(journey.id) == list(change.interactions)
    for interaction in change.interactions:
        assert store.find_interaction(interaction.channel, str(interaction.external_id)) == interaction
    assert store.handoffs(journey.id) == list(change.handoffs)
    assert store.notifications(journey.id) == list(change.notifications)
    for notification in change.notifications:
        assert store.get_notification(notification.id) == notification
        assert store.find_notification(str(notification.provider_id)) == notification
    due = store.due_notifications(T0 + timedelta(days=1), limit=1000)
    assert [n for n in due if n.journey_id == journey.id] == list(change.notifications)
    for decision in change.decisions:
        assert store.get_decision(decision.id) == decision
    assert store.contact_records(contact.id) == ContactRecords(
        contact=contact,
        journeys=(journey,),
        interactions=change.interactions,
        handoffs=change.handoffs,
        notifications=change.notifications,
        decisions=change.decisions,
    )
