"""Conformance: a hypothesis state machine drives the store and a model side by side.

The model is plain dicts. Every rule predicts whether the store must accept the
write or refuse it (and with which error); after every step each read method must
agree with the model. Small pools of identities, references and external ids make
collisions frequent.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import pytest
from attrs import evolve
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from handoff.errors import ConcurrencyConflict, DuplicateInteraction, HandoffError
from handoff.identity import Identity, parse_identity
from handoff.models import (
    Contact,
    DecisionRecord,
    Interaction,
    Journey,
    JourneyStatus,
    Notification,
    NotificationStatus,
)
from handoff.stores.base import Changeset, Store
from handoff.stores.records import BRIEF_LINKS, brief_contact, linked_contact
from handoff.testing._kit import KitBase
from handoff.testing.factories import (
    T0,
    appended,
    make_contact,
    make_decision,
    make_journey,
    make_link,
    make_notification,
)

# More of one kind than a brief keeps (BRIEF_LINKS), and another kind, so briefs are trimmed.
_IDENTITIES = (
    *(parse_identity(f"email:p{n}@example.com") for n in range(BRIEF_LINKS + 2)),
    *(parse_identity(f"phone:+1415555010{n}") for n in range(2)),
)
_REFERENCES = ("J-AAAA1", "J-AAAA2", "J-AAAA3", "J-AAAA4")
_EXTERNAL_IDS = ("m1", "m2", "m3")
_CHANNELS = ("email", "chat")
_PROVIDER_IDS = ("SM1", "SM2", "SM3")
_JOURNEY_STATUSES: tuple[JourneyStatus, ...] = ("open", "pending", "resolved")
_MARKS: tuple[NotificationStatus, ...] = ("sent", "delivered", "read", "failed", "cancelled")
_ZONES = (UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5)))


class StoreMachine(RuleBasedStateMachine):
    """One store, one model, the same operations on both."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.ticks = itertools.count(1)
        self.contacts: dict[str, Contact] = {}
        self.owners: dict[Identity, str] = {}
        self.journeys: dict[str, Journey] = {}
        self.timelines: dict[str, list[Interaction]] = {}
        self.by_external: dict[tuple[str, str], Interaction] = {}
        self.notifications: dict[str, Notification] = {}  # in creation order
        self.decisions: dict[str, DecisionRecord] = {}  # in time order

    def teardown(self) -> None:
        self.store.close()

    def _moment(self) -> datetime:
        """A later instant on every call, written in one of several offsets."""
        tick = next(self.ticks)
        return (T0 + timedelta(seconds=tick)).astimezone(_ZONES[tick % len(_ZONES)])

    def _commit(self, change: Changeset, refused: type[HandoffError] | None) -> bool:
        """Commit; check it was refused exactly when the model says so. True if written."""
        if refused is None:
            self.store.commit(change)
            return True
        with pytest.raises(refused):
            self.store.commit(change)
        return False

    def _taken(self, identities: frozenset[Identity], contact_id: str | None) -> bool:
        return any(self.owners.get(i, contact_id) != contact_id for i in identities)

    def _own(self, contact: Contact) -> None:
        for identity in [i for i, owner in self.owners.items() if owner == contact.id]:
            del self.owners[identity]
        self.owners.update(dict.fromkeys(contact.identities, contact.id))
        self.contacts[contact.id] = contact

    # -- rules -----------------------------------------------------------------------
    @rule(identities=st.frozensets(st.sampled_from(_IDENTITIES), min_size=1, max_size=2))
    def create_contact(self, identities: frozenset[Identity]) -> None:
        contact = make_contact(*sorted(identities), created_at=self._moment())
        refused = ConcurrencyConflict if self._taken(identities, None) else None
        if self._commit(Changeset(contact=contact), refused):
            self._own(contact)

    @precondition(lambda self: self.contacts)
    @rule(data=st.data(), reference=st.sampled_from(_REFERENCES))
    def create_journey(self, data: st.DataObject, reference: str) -> None:
        contact = self.contacts[data.draw(st.sampled_from(sorted(self.contacts)))]
        at = self._moment()
        journey = make_journey(contact, reference=reference, opened_at=at, updated_at=at)
        taken = any(j.reference == reference for j in self.journeys.values())
        if self._commit(Changeset(journey=journey), ConcurrencyConflict if taken else None):
            self.journeys[journey.id] = journey
            self.timelines[journey.id] = []

    @precondition(lambda self: self.journeys)
    @rule(
        data=st.data(),
        channel=st.sampled_from(_CHANNELS),
        external_id=st.none() | st.sampled_from(_EXTERNAL_IDS),
        stale=st.booleans(),
        notify=st.booleans(),
        status=st.sampled_from(_JOURNEY_STATUSES),
        decide=st.sampled_from(("no", "new", "taken id")),
    )
    def append(
        self,
        data: st.DataObject,
        channel: str,
        external_id: str | None,
        stale: bool,
        notify: bool,
        status: JourneyStatus,
        decide: str,
    ) -> None:
        journey = self.journeys[data.draw(st.sampled_from(sorted(self.journeys)))]
        after, interaction = appended(journey, channel=channel, external_id=external_id, at=self._moment())
        after = evolve(after, status=status)
        notifications = (make_notification(after, send_at=self._moment()),) if notify else ()
        decisions: tuple[DecisionRecord, ...] = ()
        if decide == "new" or (decide == "taken id" and not self.decisions):
            decisions = (make_decision(after, at=self._moment(), data={"external_id": external_id}),)
        elif decide == "taken id":
            decisions = (make_decision(after, id=data.draw(st.sampled_from(sorted(self.decisions)))),)
        expected = journey.version - 1 if stale else journey.version
        change = Changeset(
            journey=after,
            expected_journey_version=expected,
            interactions=(interaction,),
            notifications=notifications,
            decisions=decisions,
        )
        refused: type[HandoffError] | None = None
        duplicate = external_id is not None and (channel, external_id) in self.by_external
        if stale or (decide == "taken id" and decisions[0].id in self.decisions and not duplicate):
            refused = ConcurrencyConflict
        elif duplicate:
            refused = DuplicateInteraction
        if decide == "taken id" and duplicate and not stale:
            return  # both refusals apply; which one is reported first is not promised
        if self._commit(change, refused):
            self.decisions.update((d.id, d) for d in decisions)
            self.journeys[after.id] = after
            self.timelines[after.id].append(interaction)
            if external_id is not None:
                self.by_external[(channel, external_id)] = interaction
            self.notifications.update((n.id, n) for n in notifications)

    @precondition(lambda self: self.contacts)
    @rule(
        data=st.data(),
        added=st.frozensets(st.sampled_from(_IDENTITIES), max_size=4),
        confirmed=st.booleans(),
        stale=st.booleans(),
    )
    def change_links(
        self, data: st.DataObject, added: frozenset[Identity], confirmed: bool, stale: bool
    ) -> None:
        """Add or replace some links and remove others: only those rows change."""
        contact = self.contacts[data.draw(st.sampled_from(sorted(self.contacts)))]
        held = sorted(set(contact.identities) - added)
        removed = data.draw(st.lists(st.sampled_from(held), unique=True, max_size=2)) if held else []
        links = tuple(
            evolve(contact.link_for(i) or make_link(i, linked_at=self._moment()), confirmed=confirmed)
            for i in sorted(added)
        )
        change = Changeset(
            contact=evolve(
                contact, links=(), version=contact.version + 1
            ),  # links of an update are not written
            expected_contact_version=contact.version - 1 if stale else contact.version,
            links=links,
            unlinks=tuple(removed),
        )
        refused = ConcurrencyConflict if stale or self._taken(added, contact.id) else None
        if self._commit(change, refused):
            self._own(linked_contact(change, contact))

    @precondition(lambda self: self.journeys)
    @rule(data=st.data(), delay=st.integers(-600, 600))
    def add_notification(self, data: st.DataObject, delay: int) -> None:
        journey = self.journeys[data.draw(st.sampled_from(sorted(self.journeys)))]
        created = self._moment()
        # The microseconds keep every send_at distinct, so "earliest first" has one answer.
        send_at = created + timedelta(seconds=delay, microseconds=next(self.ticks))
        notification = make_notification(journey, created_at=created, send_at=send_at)
        self._commit(Changeset(notifications=(notification,)), None)
        self.notifications[notification.id] = notification

    @precondition(lambda self: self.notifications)
    @rule(
        data=st.data(),
        status=st.sampled_from(_MARKS),
        provider_id=st.none() | st.sampled_from(_PROVIDER_IDS),
    )
    def mark(self, data: st.DataObject, status: NotificationStatus, provider_id: str | None) -> None:
        current = self.notifications[data.draw(st.sampled_from(sorted(self.notifications)))]
        at = self._moment()
        if current.status == "read" and status in ("sent", "delivered"):
            late = self.store.mark_notification(current.id, status, at, provider_id=provider_id)
            assert late == current
            return
        holders = [n.id for n in self.notifications.values() if n.provider_id == provider_id]
        if provider_id is not None and holders not in ([], [current.id]):
            with pytest.raises(ConcurrencyConflict):
                self.store.mark_notification(current.id, status, at, provider_id=provider_id)
            return
        updated = self.store.mark_notification(current.id, status, at, provider_id=provider_id)
        assert updated == evolve(
            current,
            status=status,
            sent_at=at if status == "sent" else current.sent_at,
            provider_id=current.provider_id if provider_id is None else provider_id,
        )
        self.notifications[current.id] = updated

    @precondition(lambda self: self.contacts)
    @rule(data=st.data())
    def erase(self, data: st.DataObject) -> None:
        contact = self.contacts.pop(data.draw(st.sampled_from(sorted(self.contacts))))
        self.store.erase_contact(contact.id)
        for identity in contact.identities:
            del self.owners[identity]
        for journey in [j for j in self.journeys.values() if j.contact_id == contact.id]:
            del self.journeys[journey.id]
            for interaction in self.timelines.pop(journey.id):
                if interaction.external_id is not None:
                    del self.by_external[(interaction.channel, interaction.external_id)]
            for notification in [n for n in self.notifications.values() if n.journey_id == journey.id]:
                del self.notifications[notification.id]
            for decision in [d for d in self.decisions.values() if d.journey_id == journey.id]:
                del self.decisions[decision.id]

    # -- invariants ------------------------------------------------------------------
    @invariant()
    def contacts_agree(self) -> None:
        for contact in self.contacts.values():
            assert self.store.get_contact(contact.id) == contact
            assert self.store.get_contact_brief(contact.id) == brief_contact(contact)
            mine = [j for j in self.journeys.values() if j.contact_id == contact.id]
            assert self.store.journeys_of(contact.id) == sorted(mine, key=lambda j: j.opened_at)
        for identity in _IDENTITIES:
            owner = self.owners.get(identity)
            assert self.store.find_contact(identity) == (None if owner is None else self.contacts[owner])
            brief = None if owner is None else brief_contact(self.contacts[owner], identity)
            assert self.store.find_contact_brief(identity) == brief

    @invariant()
    def records_agree(self) -> None:
        for contact in self.contacts.values():
            records = self.store.contact_records(contact.id)
            journeys = sorted(
                (j for j in self.journeys.values() if j.contact_id == contact.id), key=lambda j: j.opened_at
            )
            assert records.contact == contact
            assert list(records.journeys) == journeys
            assert list(records.interactions) == [i for j in journeys for i in self.timelines[j.id]]
            assert list(records.notifications) == [
                n for j in journeys for n in self.notifications.values() if n.journey_id == j.id
            ]
            assert list(records.decisions) == [
                d for j in journeys for d in self.decisions.values() if d.journey_id == j.id
            ]

    @invariant()
    def journeys_agree(self) -> None:
        for journey in self.journeys.values():
            assert self.store.get_journey(journey.id) == journey
            timeline = self.timelines[journey.id]
            assert self.store.interactions(journey.id) == timeline
            assert self.store.interactions(journey.id, last=2) == timeline[-2:]
            mine = [n for n in self.notifications.values() if n.journey_id == journey.id]
            assert self.store.notifications(journey.id) == mine
        by_reference = {j.reference: j for j in self.journeys.values()}
        for reference in _REFERENCES:
            assert self.store.find_journey_by_reference(reference) == by_reference.get(reference)

    @invariant()
    def interactions_agree(self) -> None:
        for channel, external_id in itertools.product(_CHANNELS, _EXTERNAL_IDS):
            assert self.store.find_interaction(channel, external_id) == self.by_external.get(
                (channel, external_id)
            )
        for external_id in _EXTERNAL_IDS:
            holders = [i for key, i in self.by_external.items() if key[1] == external_id]
            latest = max(holders, key=lambda i: i.at, default=None)
            expected = None if latest is None else self.journeys[latest.journey_id]
            assert self.store.find_journey_by_thread([external_id]) == expected

    @invariant()
    def outbox_agrees(self) -> None:
        now = T0 + timedelta(seconds=next(self.ticks))
        pending = [n for n in self.notifications.values() if n.status == "pending" and n.send_at <= now]
        pending.sort(key=lambda n: n.send_at)
        assert self.store.due_notifications(now, limit=len(pending) + 1) == pending
        assert self.store.due_notifications(now, limit=2) == pending[:2]
        by_provider = {n.provider_id: n for n in self.notifications.values()}
        for provider_id in _PROVIDER_IDS:
            assert self.store.find_notification(provider_id) == by_provider.get(provider_id)

    @invariant()
    def active_journeys_agree(self) -> None:
        active = [j for j in self.journeys.values() if j.status in ("open", "pending")]
        active.sort(key=lambda j: (j.updated_at, j.id))
        assert self.store.active_journeys() == active
        assert self.store.active_journeys(limit=2) == active[:2]

    @invariant()
    def decisions_agree(self) -> None:
        for decision in self.decisions.values():
            assert self.store.get_decision(decision.id) == decision
        for journey in self.journeys.values():
            mine = [d for d in self.decisions.values() if d.journey_id == journey.id]
            assert self.store.decisions(journey.id) == mine

    @invariant()
    def all_journeys_agree(self) -> None:
        assert list(self.store.all_journeys()) == sorted(self.journeys.values(), key=lambda j: j.opened_at)

    @invariant()
    def derived_look_ups_agree(self) -> None:
        """The look-ups :class:`Store` derives from the primitives answer as the store does."""
        store, derived = self.store, Store
        for contact in self.contacts.values():
            assert derived.journeys_of(store, contact.id) == store.journeys_of(contact.id)
            assert derived.contact_records(store, contact.id) == store.contact_records(contact.id)
        for journey in self.journeys.values():
            assert derived.get_journey(store, journey.id) == journey
            assert derived.find_journey_by_reference(store, journey.reference) == journey
        for channel, external_id in itertools.product(_CHANNELS, _EXTERNAL_IDS):
            found = store.find_interaction(channel, external_id)
            assert derived.find_interaction(store, channel, external_id) == found
            assert derived.find_journey_by_thread(store, [external_id]) == store.find_journey_by_thread(
                [external_id]
            )
        for notification in self.notifications.values():
            assert derived.get_notification(store, notification.id) == notification
        for provider_id in _PROVIDER_IDS:
            assert derived.find_notification(store, provider_id) == store.find_notification(provider_id)
        now = T0 + timedelta(seconds=next(self.ticks))
        assert derived.due_notifications(store, now, limit=1000) == store.due_notifications(now, limit=1000)
        assert derived.active_journeys(store) == store.active_journeys()
        for decision in self.decisions.values():
            assert derived.get_decision(store, decision.id) == decision


class StatefulConformance(KitBase):
    def test_store_behaves_like_the_model(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.require_make_store()

        def fresh() -> StoreMachine:
            return StoreMachine(self.make_store(tmp_path_factory.mktemp("state")))

        # Documented to take any zero-argument factory; its annotation says a class.
        factory = cast("type[RuleBasedStateMachine]", fresh)
        run_state_machine_as_test(factory, settings=self.state_machine_settings)
