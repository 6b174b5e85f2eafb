"""Conformance for the optional :class:`~handoff.stores.capabilities.BulkImport` capability."""

from __future__ import annotations

from datetime import timedelta

import pytest
from attrs import evolve

from handoff.errors import ConcurrencyConflict, DuplicateInteraction, NotFound, ValidationError
from handoff.models import Interaction, Journey
from handoff.stores.base import Changeset, Store
from handoff.stores.capabilities import BulkImport
from handoff.testing._kit import KitBase, seed
from handoff.testing._records import assert_all_stored, crowded_event
from handoff.testing.factories import T0, appended, make_contact, make_journey, make_notification, new_id


def _appends(journey: Journey, count: int) -> tuple[list[Changeset], Journey, list[Interaction]]:
    """``count`` changesets appending to ``journey`` one after the other."""
    changes, interactions = [], []
    current = journey
    for n in range(count):
        after, interaction = appended(current, external_id=new_id("msg"), at=T0 + timedelta(minutes=n + 1))
        changes.append(
            Changeset(journey=after, expected_journey_version=current.version, interactions=(interaction,))
        )
        interactions.append(interaction)
        current = after
    return changes, current, interactions


class BulkImportConformance(KitBase):
    def bulk(self, store: Store) -> BulkImport:
        """The store as a BulkImport, or a visible skip if it is not one."""
        if not isinstance(store, BulkImport):
            pytest.skip(f"{type(store).__name__} is not a BulkImport (optional capability)")
        return store

    def test_later_changesets_build_on_earlier_ones(self, store: Store) -> None:
        bulk = self.bulk(store)
        contact = make_contact()
        journey = make_journey(contact)
        appends, last, interactions = _appends(journey, 3)
        notification = make_notification(last)
        bulk.commit_many(
            [Changeset(contact=contact, journey=journey), *appends, Changeset(notifications=(notification,))]
        )
        assert store.get_contact(contact.id) == contact
        assert store.get_journey(journey.id) == last
        assert last.version == 4
        assert store.interactions(journey.id) == interactions
        assert store.notifications(journey.id) == [notification]

    def test_each_changeset_of_a_batch_keeps_every_record(self, store: Store) -> None:
        # A backfill commits one changeset per journey, holding all the batch's messages of it.
        bulk = self.bulk(store)
        batch = [crowded_event(count) for count in (1, 4, 2)]
        bulk.commit_many(batch)
        for change in batch:
            assert_all_stored(store, change)

    def test_a_bad_changeset_in_the_middle_writes_nothing(self, store: Store) -> None:
        bulk = self.bulk(store)
        _, stored = seed(store)
        contact = make_contact()
        journey = make_journey(contact)
        appends, _, _ = _appends(journey, 2)
        stale = _appends(stored, 2)[0][1]  # expects version 2; the store holds 1
        with pytest.raises(ConcurrencyConflict):
            bulk.commit_many([Changeset(contact=contact, journey=journey), appends[0], stale, appends[1]])
        with pytest.raises(NotFound):
            store.get_contact(contact.id)
        with pytest.raises(NotFound):
            store.get_journey(journey.id)
        assert store.get_journey(stored.id) == stored
        assert store.interactions(stored.id) == []

    def test_a_conflict_with_an_earlier_changeset_of_the_batch_writes_nothing(self, store: Store) -> None:
        bulk = self.bulk(store)
        _, stored = seed(store)
        appends, _, _ = _appends(stored, 1)
        rival = _appends(stored, 1)[0][0]  # also expects version 1, but the batch moved it to 2
        with pytest.raises(ConcurrencyConflict):
            bulk.commit_many([appends[0], rival])
        assert store.get_journey(stored.id) == stored
        assert store.interactions(stored.id) == []

    def test_a_redelivered_message_inside_the_batch_writes_nothing(self, store: Store) -> None:
        bulk = self.bulk(store)
        _, first = seed(store)
        _, second = seed(store)
        one = _appends(first, 1)[0][0]
        after, copy = appended(second, external_id=one.interactions[0].external_id)
        two = Changeset(journey=after, expected_journey_version=1, interactions=(copy,))
        with pytest.raises(DuplicateInteraction):
            bulk.commit_many([one, two])
        assert store.interactions(first.id) == []
        assert store.get_journey(first.id) == first

    def test_rows_of_a_batch_arrive_in_order_across_journeys(self, store: Store) -> None:
        # Equal instants tie on arrival: messages of two journeys, interleaved in a batch,
        # must arrive in the batch's order, so a thread look-up answers as it does after
        # the same changesets committed one by one.
        bulk = self.bulk(store)
        at = T0 + timedelta(minutes=1)
        winners = {}
        for how in ("one by one", "in a batch", "merged per journey"):
            _, one = seed(store)
            _, two = seed(store)
            quoted = new_id("msg")
            one_after, first = appended(one, channel="chat", external_id=new_id("msg"), at=at)
            two_after, second = appended(two, channel="sms", external_id=quoted, at=at)
            one_last, third = appended(one_after, channel="email", external_id=quoted, at=at)
            batch = [
                Changeset(journey=one_after, expected_journey_version=one.version, interactions=(first,)),
                Changeset(journey=two_after, expected_journey_version=two.version, interactions=(second,)),
                Changeset(
                    journey=one_last, expected_journey_version=one_after.version, interactions=(third,)
                ),
            ]
            if how == "one by one":
                for change in batch:
                    store.commit(change)
            elif how == "in a batch":
                bulk.commit_many(batch)
            else:  # one changeset per journey; the second carries the first journey's later row
                bulk.commit_many(
                    [evolve(batch[0], journey=one_last), evolve(batch[1], interactions=(second, third))]
                )
            found = store.find_journey_by_thread([quoted])
            assert found is not None and found.id in (one.id, two.id)
            winners[how] = "first" if found.id == one.id else "second"
            assert store.interactions(one.id) == [first, third]
            assert store.interactions(two.id) == [second]
            assert store.get_journey(one.id) == one_last
        assert len(set(winners.values())) == 1, f"a tie on time went another way in a batch: {winners}"

    def test_an_empty_batch_is_fine(self, store: Store) -> None:
        self.bulk(store).commit_many([])

    def test_batch_items_are_checked(self, store: Store) -> None:
        self.require("validates_input")
        bulk = self.bulk(store)
        contact = make_contact()
        with pytest.raises(ValidationError) as caught:
            bulk.commit_many([Changeset(contact=contact), "not a changeset"])  # type: ignore[list-item]
        assert caught.value.field.startswith("changes[1]")
        with pytest.raises(NotFound):
            store.get_contact(contact.id)

    def test_redeliveries_are_found_in_one_call(self, store: Store) -> None:
        bulk = self.bulk(store)
        _, journey = seed(store)
        appends, _, interactions = _appends(journey, 3)
        bulk.commit_many(appends)
        stored = [(i.channel, i.external_id) for i in interactions if i.external_id is not None]
        other_channel = ("whatsapp" if stored[0][0] != "whatsapp" else "sms", stored[0][1])
        keys = [stored[0], ("email", new_id("unknown")), other_channel, stored[2], stored[0]]
        found = bulk.find_interactions(keys)
        assert found == {stored[0]: interactions[0], stored[2]: interactions[2]}
        assert bulk.find_interactions([]) == {}

    def test_redelivery_keys_are_checked(self, store: Store) -> None:
        bulk = self.bulk(store)
        self.require("validates_input")
        for keys, field in (("email:m1", "keys"), ([("email",)], "keys[0]"), ([("email", 7)], "keys[0]")):
            with pytest.raises(ValidationError) as caught:
                bulk.find_interactions(keys)  # type: ignore[arg-type]
            assert caught.value.field == field

    def test_stored_identities_answer_as_find_contact_does(self, store: Store) -> None:
        bulk = self.bulk(store)
        contact, _ = seed(store, "email:ana@example.com", "phone:+14155550100")
        held = [link.identity for link in contact.links]
        unknown = make_contact("email:nobody@example.com").links[0].identity
        asked = [held[0], unknown, held[1], held[0]]
        assert bulk.stored_identities(asked) == {i for i in asked if store.find_contact(i) is not None}
        assert bulk.stored_identities(asked) == set(held)
        assert bulk.stored_identities([]) == set()

    def test_notifications_of_answer_as_notifications_does(self, store: Store) -> None:
        bulk = self.bulk(store)
        _, busy = seed(store)
        _, quiet = seed(store)
        sent = [make_notification(busy, created_at=T0 + timedelta(minutes=n)) for n in (2, 1, 3)]
        store.commit(Changeset(notifications=tuple(sent)))
        asked = [quiet.id, busy.id, new_id("jr"), busy.id]
        assert bulk.notifications_of(asked) == {busy.id: store.notifications(busy.id)}
        assert sorted(n.id for n in bulk.notifications_of(asked)[busy.id]) == sorted(n.id for n in sent)
        assert bulk.notifications_of([]) == {}

    def test_batch_look_ups_name_the_bad_item(self, store: Store) -> None:
        bulk = self.bulk(store)
        self.require("validates_input")
        with pytest.raises(ValidationError) as caught:
            bulk.stored_identities(["email:ana@example.com"])  # type: ignore[list-item]
        assert caught.value.field == "identities[0]"
        with pytest.raises(ValidationError) as caught:
            bulk.notifications_of(["jr_1", 7])  # type: ignore[list-item]
        assert caught.value.field == "journey_ids[1]"
