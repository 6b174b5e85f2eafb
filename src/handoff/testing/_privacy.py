"""Conformance: a contact can be exported whole or streamed, and erased without a trace.

The optional capabilities are checked where a store offers them: reading a journey a
page at a time (:class:`~handoff.stores.capabilities.RecordPages`), an erasure that reports
what may remain (:class:`~handoff.stores.capabilities.ErasureScrub`) and outbox leases
(:class:`~handoff.stores.capabilities.OutboxLeases`).
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from attrs import evolve

from handoff.errors import NotFound, ValidationError
from handoff.identity import parse_identity
from handoff.models import Contact
from handoff.privacy import read_export_lines, write_export
from handoff.stores.base import Changeset, ContactRecords, Store
from handoff.stores.capabilities import ErasureScrub, OutboxLeases, RecordPages
from handoff.stores.records import Erasure
from handoff.testing._kit import KitBase, seed
from handoff.testing.factories import (
    T0,
    appended,
    make_contact,
    make_decision,
    make_handoff,
    make_journey,
    make_notification,
    new_id,
)


def _person(store: Store) -> ContactRecords:
    """A contact with two journeys, each with interactions, a handoff, a notification and
    two logged decisions; the first journey's notification is sent (it has a provider id).

    Returns what was written, in the order :meth:`Store.contact_records` promises.
    """
    email = f"email:{new_id('erase')}@example.com"
    handle = f"twitter:@{new_id('h')}"
    contact, older = seed(store, email, handle, opened_at=T0)
    newer = make_journey(contact, opened_at=T0 + timedelta(days=3))
    store.commit(Changeset(journey=newer))
    interactions, handoffs, notifications, journeys, decisions = [], [], [], [], []
    for journey in (older, newer):
        current = journey
        for n in range(3):
            after, interaction = appended(
                current, external_id=new_id("msg"), at=current.updated_at + timedelta(minutes=n + 1)
            )
            change = Changeset(
                journey=after, expected_journey_version=current.version, interactions=(interaction,)
            )
            if n == 1:
                handoff = make_handoff(after, at=interaction.at)
                notification = make_notification(after, created_at=interaction.at)
                # Listed out of time order: a contact's decisions come back oldest first.
                logged = (
                    make_decision(after, at=interaction.at + timedelta(seconds=1), data={"to": email}),
                    make_decision(after, at=interaction.at, data={"handle": handle, "n": [1, 2.5, None]}),
                )
                change = evolve(change, handoffs=(handoff,), notifications=(notification,), decisions=logged)
                handoffs.append(handoff)
                decisions += sorted(logged, key=lambda d: d.at)
            store.commit(change)
            if n == 1 and journey is older:
                notification = store.mark_notification(
                    notification.id, "sent", interaction.at, provider_id=new_id("SM")
                )
            if n == 1:
                notifications.append(notification)
            interactions.append(interaction)
            current = after
        journeys.append(current)
    return ContactRecords(
        contact=contact,
        journeys=journeys,
        interactions=interactions,
        handoffs=handoffs,
        notifications=notifications,
        decisions=decisions,
    )


class PrivacyConformance(KitBase):
    def test_contact_records_hold_everything_written(self, store: Store) -> None:
        written = _person(store)
        _person(store)  # someone else's records stay out
        assert store.contact_records(written.contact.id) == written

    def test_contact_records_of_a_contact_without_journeys(self, store: Store) -> None:
        contact = make_contact()
        store.commit(Changeset(contact=contact))
        assert store.contact_records(contact.id) == ContactRecords(contact, (), (), (), ())

    def test_unknown_contact_raises_not_found(self, store: Store) -> None:
        with pytest.raises(NotFound):
            store.contact_records("ct_missing")
        with pytest.raises(NotFound):
            store.erase_contact("ct_missing")

    def test_erasure_leaves_nothing_to_find(self, store: Store) -> None:
        erased = _person(store)
        kept = _person(store)
        store.erase_contact(erased.contact.id)
        _assert_gone(store, erased)
        assert store.contact_records(kept.contact.id) == kept
        due = store.due_notifications(T0 + timedelta(days=30))
        assert {n.id for n in due} == {n.id for n in kept.notifications if n.status == "pending"}
        assert len(due) == 1
        with pytest.raises(NotFound):
            store.erase_contact(erased.contact.id)

    def test_erased_identities_and_references_are_free_again(self, store: Store) -> None:
        erased = _person(store)
        store.erase_contact(erased.contact.id)
        newcomer = make_contact(*erased.contact.identities)
        journey = make_journey(newcomer, reference=erased.journeys[0].reference)
        after, interaction = appended(journey, external_id=erased.interactions[0].external_id)
        store.commit(Changeset(contact=newcomer, journey=journey))
        store.commit(Changeset(journey=after, expected_journey_version=1, interactions=(interaction,)))
        for identity in erased.contact.identities:
            assert store.find_contact(identity) == newcomer
        assert store.find_journey_by_reference(journey.reference) == after
        external_id = erased.interactions[0].external_id
        assert external_id is not None
        assert store.find_interaction(interaction.channel, external_id) == interaction
        assert store.find_journey_by_thread([external_id]) == after

    def test_privacy_arguments_are_checked(self, store: Store) -> None:
        self.require("validates_input")
        for call in (store.contact_records, store.erase_contact):
            with pytest.raises(ValidationError) as caught:
                call(42)  # type: ignore[arg-type]
            assert caught.value.field == "contact_id"

    # -- optional capabilities ---------------------------------------------------------------
    def test_a_streamed_export_reads_back_as_the_records(self, store: Store) -> None:
        written = _person(store)
        _person(store)
        out = io.StringIO()
        lines = write_export(store, written.contact.id, out)
        assert lines == 2 + sum(
            len(getattr(written, name))
            for name in ("journeys", "interactions", "handoffs", "notifications", "decisions")
        )
        assert read_export_lines(out.getvalue().splitlines()) == written
        empty = io.StringIO()
        with pytest.raises(NotFound):
            write_export(store, "ct_missing", empty)
        assert empty.getvalue() == ""

    def test_interaction_pages_walk_the_journey_in_order(self, store: Store) -> None:
        if not isinstance(store, RecordPages):
            pytest.skip(f"{type(store).__name__} is not RecordPages (optional capability)")
        written = _person(store)
        journey = written.journeys[0]
        whole = [i for i in written.interactions if i.journey_id == journey.id]
        for size in (1, 2, 5):
            pages, after = [], 0
            while page := store.interactions_page(journey.id, after=after, limit=size):
                assert len(page) <= size
                pages += page
                after = page[-1].sequence
            assert pages == whole
        assert store.interactions_page(journey.id, after=whole[-1].sequence) == []
        assert store.interactions_page(journey.id, limit=0) == []
        assert store.interactions_page("jr_missing") == []
        self.require("validates_input")
        for bad, field in (({"after": -1}, "after"), ({"limit": "5"}, "limit"), ({"after": True}, "after")):
            with pytest.raises(ValidationError) as caught:
                store.interactions_page(journey.id, **bad)
            assert caught.value.field == field

    def test_a_scrubbed_erasure_reports_what_it_did(self, store: Store) -> None:
        if not isinstance(store, ErasureScrub):
            pytest.skip(f"{type(store).__name__} is not ErasureScrub (optional capability)")
        erased, kept = _person(store), _person(store)
        result = store.erase_contact_scrubbed(erased.contact.id, vacuum=False)
        assert isinstance(result, Erasure)
        assert result.contact_id == erased.contact.id
        assert not result.vacuumed
        _assert_gone(store, erased)
        assert store.contact_records(kept.contact.id) == kept
        with pytest.raises(NotFound):
            store.erase_contact_scrubbed(erased.contact.id)

    def test_leased_notifications_are_claimed_once_until_acknowledged(self, store: Store) -> None:
        if not isinstance(store, OutboxLeases):
            pytest.skip(f"{type(store).__name__} is not OutboxLeases (optional capability)")
        written = _person(store)
        pending = [n for n in written.notifications if n.status == "pending"]
        now, lease = T0 + timedelta(days=30), timedelta(minutes=5)
        claimed = store.claim_notifications("a", now, limit=10, lease=lease)
        assert [n.id for n in claimed] == [n.id for n in pending]
        assert store.claim_notifications("b", now + lease / 2, limit=10, lease=lease) == []
        again = store.claim_notifications("b", now + lease, limit=10, lease=lease)
        assert [n.id for n in again] == [n.id for n in pending]
        store.mark_notification(pending[0].id, "sent", now)
        assert store.claim_notifications("c", now + lease * 3, limit=10, lease=lease) == []

    def test_claims_take_one_audience_when_asked(self, store: Store) -> None:
        if not isinstance(store, OutboxLeases):
            pytest.skip(f"{type(store).__name__} is not OutboxLeases (optional capability)")
        written = _person(store)
        pending = [n for n in written.notifications if n.status == "pending"]
        alert = evolve(pending[0], id=f"{pending[0].id}-team", audience="team", to=None, purpose="sla_breach")
        store.commit(Changeset(notifications=(alert,)))
        now, lease = T0 + timedelta(days=30), timedelta(minutes=5)
        team = store.claim_notifications("pager", now, limit=10, lease=lease, audience="team")
        assert [n.id for n in team] == [alert.id] and team[0].audience == "team"
        customer = store.claim_notifications("sender", now, limit=10, lease=lease, audience="customer")
        assert [n.id for n in customer] == [n.id for n in pending]
        assert store.claim_notifications("any", now, limit=10, lease=lease) == []


def _assert_gone(store: Store, erased: ContactRecords) -> None:
    contact: Contact = erased.contact
    with pytest.raises(NotFound):
        store.get_contact(contact.id)
    with pytest.raises(NotFound):
        store.contact_records(contact.id)
    for identity in contact.identities:
        assert store.find_contact(identity) is None
    assert store.find_contact(parse_identity(str(contact.identities[0]))) is None
    assert store.journeys_of(contact.id) == []
    for journey in erased.journeys:
        with pytest.raises(NotFound):
            store.get_journey(journey.id)
        assert store.find_journey_by_reference(journey.reference) is None
        assert store.interactions(journey.id) == []
        assert store.handoffs(journey.id) == []
        assert store.notifications(journey.id) == []
    for interaction in erased.interactions:
        assert interaction.external_id is not None
        assert store.find_interaction(interaction.channel, interaction.external_id) is None
        assert store.find_journey_by_thread([interaction.external_id]) is None
    for notification in erased.notifications:
        with pytest.raises(NotFound):
            store.get_notification(notification.id)
        if notification.provider_id is not None:
            assert store.find_notification(notification.provider_id) is None
    for decision in erased.decisions:
        with pytest.raises(NotFound):
            store.get_decision(decision.id)
    erased_journeys = {journey.id for journey in erased.journeys}
    assert not erased_journeys & {journey.id for journey in store.active_journeys()}
