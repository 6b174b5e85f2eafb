"""Planning past history cheaply: what a silent backfill writes, and how a batch is written.

A backfill (``receive_many`` with ``notify=False``) records old messages: nobody is to
be told anything now, so the policy has nothing to schedule and no decision to log.
It is consulted only where it shapes a stored record, the context summary of a
channel switch. Everything else (the journey, its version and derived state, the
contact, the interaction, the handoff) is planned by the same
:class:`~handoff._intake.Intake` and :mod:`handoff.ledger` as a live ``receive``.

A batch's changesets are then merged per journey before they are written: a journey
that gained five messages is written once at its final version, not five times.
"""

from __future__ import annotations

from collections.abc import Sequence

from handoff import ledger
from handoff._events import HandoffPlan, Writer
from handoff.events import JourneyOutcome, Verdict
from handoff.models import Contact, Interaction, Journey, Notification
from handoff.policy.engine import Event, Situation
from handoff.stores.base import Changeset
from handoff.summary import SummarySpec

__all__ = ["NOT_NOTIFIED", "BackfillWriter", "coalesce"]

NOT_NOTIFIED = Verdict(
    "backfill",
    False,
    "notifications off: a backfill of past messages schedules nothing and logs no decision; "
    "the policy only shaped handoff summaries",
)
"""The last line of every backfilled outcome's trace, so nobody wonders why nothing was sent."""


class BackfillWriter(Writer):
    """A :class:`Writer` for past events: no notifications, no decision log.

    The policy runs only on a channel switch, and only for the summary it asks for, so
    a backfilled handoff carries exactly the summary a live one would. Each outcome's
    trace ends with :data:`NOT_NOTIFIED`.
    """

    def commit(
        self,
        *,
        contact: Contact,
        contact_version: int,
        contact_changed: bool,
        journey: Journey,
        journey_version: int,
        interaction: Interaction,
        events: Sequence[Event],
        handoff: HandoffPlan | None = None,
        previous_channel: str | None = None,
        extra_trace: Sequence[Verdict] = (),
        stored_notifications: Sequence[Notification] | None = None,
    ) -> JourneyOutcome:
        after = ledger.append(journey, interaction)
        record = None
        if handoff is not None:
            spec = self._summary_spec(
                after, contact, interaction, events, previous_channel, stored_notifications
            )
            record = self._handoff(handoff, after, contact, interaction, spec)
        self.store.commit(
            Changeset(
                contact=contact if contact_changed else None,
                expected_contact_version=contact_version if contact_changed else 0,
                journey=after,
                expected_journey_version=journey_version,
                interactions=(interaction,),
                handoffs=(record,) if record is not None else (),
            )
        )
        return JourneyOutcome(
            journey=after,
            interaction=interaction,
            contact=contact,
            handoff=record,
            trace=(*extra_trace, NOT_NOTIFIED),
        )

    def _summary_spec(
        self,
        after: Journey,
        contact: Contact,
        interaction: Interaction,
        events: Sequence[Event],
        previous_channel: str | None,
        stored_notifications: Sequence[Notification] | None = None,
    ) -> SummarySpec:
        """The summary the policy asks for, from the situations a live event would see."""
        earlier = self.recent_notifications(after, interaction.at, stored_notifications)
        mood = self._mood(interaction)
        flags: frozenset[str] = frozenset({"sensitive"}) if interaction.sensitive else frozenset()
        planned: list[Notification] = []
        for event in events:
            situation = Situation(
                event,
                after,
                contact,
                interaction,
                previous_channel,
                recent_notifications=(*earlier, *planned),
                sentiment=mood,
                customer_messages=after.unresolved_messages,
                flags=flags,
            )
            decision = self.policy.decide(situation)
            if decision.summary is not None:
                return decision.summary
            # A later rule may read what an earlier event would have planned (de-duplication).
            planned.extend(self.notifications(decision, after, contact))
        return SummarySpec()


def coalesce(changes: Sequence[Changeset]) -> list[Changeset]:
    """One changeset per journey, in order of first appearance, with the journey's final state.

    A contact goes with the first changeset it appeared in, at its final state and the
    version first read; its journeys' changesets all come at or after that one, so a new
    contact is written before anything that points at it. Changesets without a journey
    are kept as they are.
    """
    if _nothing_to_merge(changes):
        return list(changes)  # what merging would build anew, field for field
    parts: list[_Merged] = []
    by_journey: dict[str, _Merged] = {}
    by_contact: dict[str, _Merged] = {}
    for change in changes:
        journey = change.journey
        if journey is None:
            parts.append(_Merged(change))
            continue
        part = by_journey.get(journey.id)
        if part is None:
            part = by_journey[journey.id] = _Merged(change)
            parts.append(part)
        else:
            part.add(change)
        contact = change.contact
        if contact is not None:
            holder = by_contact.setdefault(contact.id, part)
            if holder.contact is None:
                holder.expected_contact_version = change.expected_contact_version
            holder.contact = contact
    return [part.changeset() for part in parts]


def _nothing_to_merge(changes: Sequence[Changeset]) -> bool:
    """No journey, and no contact of a journey's changeset, comes twice: the usual batch of
    a backfill in time order, where a customer's next message is a few batches away."""
    journeys: set[str] = set()
    contacts: set[str] = set()
    for change in changes:
        journey, contact = change.journey, change.contact
        if journey is None:
            continue
        if journey.id in journeys:
            return False
        journeys.add(journey.id)
        if contact is None:
            if change.expected_contact_version:  # merging would drop it
                return False
        elif contact.id in contacts:
            return False
        else:
            contacts.add(contact.id)
    return True


class _Merged:
    """The changesets of one journey, gathered in order."""

    def __init__(self, first: Changeset) -> None:
        self.first = first
        self.contact: Contact | None = None
        self.expected_contact_version = 0
        self.journey = first.journey
        self.interactions = list(first.interactions)
        self.handoffs = list(first.handoffs)
        self.notifications = list(first.notifications)
        self.decisions = list(first.decisions)
        if first.journey is None:  # kept as it is
            self.contact, self.expected_contact_version = first.contact, first.expected_contact_version

    def add(self, change: Changeset) -> None:
        self.journey = change.journey
        self.interactions += change.interactions
        self.handoffs += change.handoffs
        self.notifications += change.notifications
        self.decisions += change.decisions

    def changeset(self) -> Changeset:
        return Changeset(
            contact=self.contact,
            expected_contact_version=self.expected_contact_version,
            journey=self.journey,
            expected_journey_version=self.first.expected_journey_version,
            interactions=self.interactions,
            handoffs=self.handoffs,
            notifications=self.notifications,
            decisions=self.decisions,
        )
