"""What the in-memory store checks before a commit touches anything.

:class:`MemoryStore` applies a changeset only once every check here has passed, so
a refused commit leaves no trace without needing an undo. These read the store's
indexes and never change them.
"""

from __future__ import annotations

import bisect
from operator import attrgetter

from handoff.errors import ConcurrencyConflict, DuplicateInteraction, NotFound
from handoff.identity import Identity
from handoff.models import Contact, DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.stores.records import Changeset

_by_sequence = attrgetter("sequence")


class ChangesetChecks:
    """The refusals of :meth:`MemoryStore.commit`, as a mixin over the store's indexes."""

    _contacts: dict[str, Contact]
    _owners: dict[Identity, str]
    _journeys: dict[str, Journey]
    _by_reference: dict[str, str]
    _interactions: dict[str, Interaction]
    _by_external: dict[tuple[str, str], Interaction]
    _timelines: dict[str, list[Interaction]]
    _handoffs: dict[str, Handoff]
    _notifications: dict[str, Notification]
    _by_provider: dict[str, str]
    _decisions: dict[str, DecisionRecord]

    def _check_contact(self, changes: Changeset) -> None:
        contact = changes.contact
        if contact is None:
            return
        self._check_version(
            "contact", contact.id, self._contacts.get(contact.id), changes.expected_contact_version
        )
        added = [link.identity for link in changes.links]
        if changes.expected_contact_version == 0:
            added += contact.identities
        for identity in added:
            owner = self._owners.get(identity)
            if owner is not None and owner != contact.id:
                raise ConcurrencyConflict(f"identity {identity} already belongs to contact {owner!r}")

    def _check_journey(self, changes: Changeset) -> None:
        journey = changes.journey
        if journey is None:
            return
        expected = changes.expected_journey_version
        self._check_version("journey", journey.id, self._journeys.get(journey.id), expected)
        holder = self._by_reference.get(journey.reference)
        if holder is not None and holder != journey.id:
            raise ConcurrencyConflict(f"journey reference {journey.reference!r} is already taken")
        new_contact = changes.contact.id if changes.contact is not None else None
        if journey.contact_id != new_contact and journey.contact_id not in self._contacts:
            raise NotFound("contact", journey.contact_id)

    @staticmethod
    def _check_version(kind: str, key: str, stored: Contact | Journey | None, expected: int) -> None:
        if expected == 0 and stored is not None:
            raise ConcurrencyConflict(f"{kind} {key!r} already exists")
        if expected != 0 and (stored is None or stored.version != expected):
            actual = "missing" if stored is None else f"at version {stored.version}"
            raise ConcurrencyConflict(f"{kind} {key!r} is {actual}, not at version {expected}")

    def _check_records(self, changes: Changeset) -> None:
        new_journey = changes.journey.id if changes.journey is not None else None
        for interaction in changes.interactions:
            if interaction.id in self._interactions:
                raise DuplicateInteraction(f"interaction {interaction.id!r} is already stored")
            channel, external_id = interaction.channel, interaction.external_id
            if external_id is not None and (channel, external_id) in self._by_external:
                raise DuplicateInteraction(
                    f"an interaction from {channel} with external id {external_id!r} is already stored"
                )
            self._check_journey_exists(interaction.journey_id, new_journey)
            timeline = self._timelines.get(interaction.journey_id)
            if not timeline or timeline[-1].sequence < interaction.sequence:
                continue  # the usual append, past the journey's last interaction
            at = bisect.bisect_left(timeline, interaction.sequence, key=_by_sequence)
            if at < len(timeline) and timeline[at].sequence == interaction.sequence:
                raise ConcurrencyConflict(
                    f"journey {interaction.journey_id!r} already has interaction {interaction.sequence}"
                )
        for handoff in changes.handoffs:
            if handoff.id in self._handoffs:
                raise ConcurrencyConflict(f"handoff {handoff.id!r} already exists")
            self._check_journey_exists(handoff.journey_id, new_journey)
        for notification in changes.notifications:
            if notification.id in self._notifications:
                raise ConcurrencyConflict(f"notification {notification.id!r} already exists")
            self._check_provider_free(notification)
            self._check_journey_exists(notification.journey_id, new_journey)
        for decision in changes.decisions:
            if decision.id in self._decisions:
                raise ConcurrencyConflict(f"decision {decision.id!r} already exists")
            self._check_journey_exists(decision.journey_id, new_journey)

    def _check_provider_free(self, notification: Notification) -> None:
        if notification.provider_id is None:
            return
        holder = self._by_provider.get(notification.provider_id)
        if holder is not None and holder != notification.id:
            raise ConcurrencyConflict(
                f"provider id {notification.provider_id!r} already belongs to notification {holder!r}"
            )

    def _check_journey_exists(self, journey_id: str, new_journey: str | None) -> None:
        if journey_id != new_journey and journey_id not in self._journeys:
            raise NotFound("journey", journey_id)
