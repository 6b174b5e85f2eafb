"""Receiving an inbound: which contact, which journey, and whether it is a channel switch.

One attempt of ``Switchboard.receive``: it reads, plans and commits through the
:class:`~handoff._events.Writer`; a conflict propagates so the Switchboard can retry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from attrs import evolve

from handoff._events import RECENT_NOTIFICATIONS, HandoffPlan, Writer
from handoff.clock import quoted_references
from handoff.continuity import choose_journey
from handoff.errors import NotFound
from handoff.events import Inbound, JourneyOutcome, Verdict
from handoff.facts import sensitive_reasons
from handoff.identity import Identity
from handoff.masking import mask_inbound
from handoff.models import Contact, IdentityLink, Interaction, Journey, LinkSource, Notification
from handoff.policy.engine import Event
from handoff.stores.base import IntakeReads

__all__ = ["Intake"]

# known, by reference, by thread, owner, the owner's journeys, notifications by journey (None: not read)
_Read = tuple[
    Contact | None,
    Journey | None,
    Journey | None,
    Contact | None,
    Sequence[Journey],
    Mapping[str, Sequence[Notification]] | None,
]


def _normal(reference: str) -> str:
    """A ``journey_ref`` as references are stored: customers and hosts vary case and spacing."""
    return reference.strip().upper()


def _named(reference: str, found: Journey | None) -> Journey:
    """The journey a host's ``journey_ref`` names: unlike a quoted one, naming nothing is an error."""
    if found is None:
        raise NotFound("journey_ref", reference)
    return found


class Intake:
    def __init__(self, writer: Writer) -> None:
        self._writer = writer
        # A writer's store is fixed, so whether it reads in one round trip is decided once.
        store = writer.store
        self._reads = store if isinstance(store, IntakeReads) else None

    def receive(self, inbound: Inbound, identity: Identity) -> JourneyOutcome:
        """One attempt at recording ``inbound``; a conflict propagates to the caller's retry."""
        inbound, _secrets = mask_inbound(inbound)  # nothing below ever sees a secret
        trace: list[Verdict] = []
        if self._reads is not None:
            read = self._load(inbound, identity, self._reads, trace)
        else:
            read = self._read(inbound, identity, trace)
        if isinstance(read, JourneyOutcome):
            return read
        known, by_reference, by_thread, owner, journeys, notifications = read
        choice = choose_journey(
            by_reference=by_reference,
            by_thread=by_thread,
            contact_journeys=journeys,
            at=inbound.at,
            reopen_window=self._writer.policy.settings.reopen_window,
        )
        trace.append(Verdict("continuity", choice.journey is not None, choice.how))

        source: LinkSource = "journey_ref" if by_reference is not None else "thread"
        contact, contact_version, contact_changed = self._contact_for(
            inbound, identity, known, owner, source, trace
        )
        interaction_id = self._writer.ids.new_id("ix")
        if choice.journey is None:
            journey_version = 0
            base = Journey(
                id=self._writer.ids.new_id("jr"),
                reference=self._writer.ids.new_reference(),
                contact_id=contact.id,
                status="open",
                current_channel=inbound.channel,
                opened_at=inbound.at,
                updated_at=inbound.at,
            )
        else:
            base = choice.journey
            journey_version = base.version
        stored = None if notifications is None else notifications.get(base.id, ())
        reasons = sensitive_reasons(inbound.body)
        interaction = Interaction(
            id=interaction_id,
            journey_id=base.id,
            contact_id=contact.id,
            channel=inbound.channel,
            author=inbound.author,
            body=inbound.body,
            at=inbound.at,
            sequence=base.version + 1,
            kind=inbound.kind,
            external_id=inbound.external_id,
            agent=inbound.agent,
            identity=identity,
            thread_refs=inbound.thread_ref,
            metadata=dict(inbound.metadata),
            sensitive=inbound.sensitive or bool(reasons),
        )
        if inbound.author != "customer":
            replied = inbound.kind == "message"
            return self._writer.commit(
                contact=contact,
                contact_version=contact_version,
                contact_changed=contact_changed,
                journey=base,
                journey_version=journey_version,
                interaction=interaction,
                events=[Event("agent_replied", inbound.at, inbound.channel, agent=inbound.agent)]
                if replied
                else [],
                extra_trace=trace,
                stored_notifications=stored,
            )
        changes: dict[str, Any] = {}
        if choice.reopens:
            changes.update(
                status="open", resolved_at=None, resolved_by=None, reopen_count=base.reopen_count + 1
            )
            trace.append(Verdict("reopen", True, f"{base.reference} reopened by a new customer message"))
        elif base.status == "pending":
            changes["status"] = "open"
        switch = choice.journey is not None and base.current_channel != inbound.channel
        events = [Event("inbound", inbound.at, inbound.channel, initiated_by="customer", sensitive=reasons)]
        plan = None
        previous = base.current_channel if choice.journey is not None else None
        if switch:
            changes.update(current_channel=inbound.channel, handoff_count=base.handoff_count + 1)
            plan = HandoffPlan(
                from_channel=base.current_channel,
                to_channel=inbound.channel,
                initiated_by="customer",
                reason="customer_choice",
                from_agent=base.assignee,
            )
            events.append(
                Event(
                    "channel_switched",
                    inbound.at,
                    inbound.channel,
                    from_channel=base.current_channel,
                    to_channel=inbound.channel,
                    initiated_by="customer",
                    reason="customer_choice",
                    sensitive=reasons,
                )
            )
        return self._writer.commit(
            contact=contact,
            contact_version=contact_version,
            contact_changed=contact_changed,
            journey=evolve(base, **changes) if changes else base,
            journey_version=journey_version,
            interaction=interaction,
            events=events,
            handoff=plan,
            previous_channel=previous,
            extra_trace=trace,
            stored_notifications=stored,
        )

    def _read(self, inbound: Inbound, identity: Identity, trace: list[Verdict]) -> _Read | JourneyOutcome:
        """The look-ups one by one, each only when the answers before it call for it."""
        store = self._writer.store
        if inbound.external_id is not None:
            seen = store.find_interaction(inbound.channel, inbound.external_id)
            if seen is not None:
                return self._writer.duplicate(seen)
        known = store.find_contact(identity)
        by_reference = self._by_reference(inbound.journey_ref) or self._quoted(inbound, known, trace)
        by_thread = store.find_journey_by_thread(inbound.thread_ref) if inbound.thread_ref else None
        anchor = by_reference or by_thread
        owner = store.get_contact(anchor.contact_id) if anchor is not None else known
        journeys = store.journeys_of(owner.id) if owner is not None else []
        return known, by_reference, by_thread, owner, journeys, None

    def _load(
        self, inbound: Inbound, identity: Identity, store: IntakeReads, trace: list[Verdict]
    ) -> _Read | JourneyOutcome:
        """The same look-ups as :meth:`_read`, answered by one ``load_intake``.

        A store that leaves out the owner of the journey found (breaking the
        :class:`~handoff.stores.base.IntakeRecords` contract) is read the plain way instead:
        its records would leave that journey's recent notifications unread.
        """
        if inbound.journey_ref is not None:
            references: tuple[str, ...] = (_normal(inbound.journey_ref),)
        else:
            references = tuple(quoted_references(f"{inbound.metadata.get('subject', '')}\n{inbound.body}"))
        records = store.load_intake(
            identity,
            inbound.channel,
            inbound.external_id,
            references,
            inbound.thread_ref or (),
            inbound.at - RECENT_NOTIFICATIONS,
        )
        if records.seen is not None:
            journey = records.journey(records.seen.journey_id)
            contact = None if journey is None else records.contacts.get(journey.contact_id)
            return self._writer.duplicate(records.seen, journey, contact)
        known = records.contact
        quoted: list[Verdict] = []
        by_reference: Journey | None
        if inbound.journey_ref is not None:
            by_reference = _named(inbound.journey_ref, records.by_reference.get(references[0]))
        else:
            by_reference = self._quoted_in(references, records.by_reference.get, known, quoted)
        by_thread = records.by_thread if inbound.thread_ref else None
        anchor = by_reference or by_thread
        owner = known
        if anchor is not None:
            owner = records.contacts.get(anchor.contact_id)
            if owner is None:
                return self._read(inbound, identity, trace)
        trace.extend(quoted)
        journeys = records.journeys.get(owner.id, ()) if owner is not None else ()
        return known, by_reference, by_thread, owner, journeys, records.notifications

    def _by_reference(self, reference: str | None) -> Journey | None:
        if reference is None:
            return None
        return _named(reference, self._writer.store.find_journey_by_reference(_normal(reference)))

    def _quoted(self, inbound: Inbound, known: Contact | None, trace: list[Verdict]) -> Journey | None:
        """A reference the customer typed ("my reference is J-7F3K9", an email subject).

        Weaker than a ``journey_ref`` the host passes: one that names nothing is ignored,
        and one naming another contact's journey is not followed for a known identity.
        """
        if inbound.journey_ref is not None:
            return None
        text = f"{inbound.metadata.get('subject', '')}\n{inbound.body}"
        find = self._writer.store.find_journey_by_reference
        return self._quoted_in(quoted_references(text), find, known, trace)

    @staticmethod
    def _quoted_in(
        references: Iterable[str],
        find: Callable[[str], Journey | None],
        known: Contact | None,
        trace: list[Verdict],
    ) -> Journey | None:
        """The first quoted reference naming a journey the customer may follow."""
        for reference in references:
            journey = find(reference)
            if journey is not None and (known is None or known.id == journey.contact_id):
                trace.append(Verdict("continuity", True, f"the message quotes {reference}"))
                return journey
        return None

    def _contact_for(
        self,
        inbound: Inbound,
        identity: Identity,
        known: Contact | None,
        owner: Contact | None,
        source: LinkSource,
        trace: list[Verdict],
    ) -> tuple[Contact, int, bool]:
        """The journey's contact, its version as read, and whether this inbound changed it.

        ``known`` owns the identity already; ``owner`` owns the journey the customer
        pointed at (by reference or thread), else it is ``known``. Contacts are never
        merged: an identity that belongs to someone else stays where it is.
        """
        at = inbound.at
        if owner is None:
            link = IdentityLink(identity, confirmed=True, source="first_contact", linked_at=at)
            name = inbound.name if inbound.author == "customer" else None
            contact = Contact(id=self._writer.ids.new_id("ct"), name=name, links=(link,), created_at=at)
            trace.append(Verdict("identity", True, f"new contact for {identity}"))
            return contact, 0, True
        if known is not None and known.id != owner.id:
            trace.append(
                Verdict("identity", False, f"{identity} belongs to another contact; contacts are not merged")
            )
            return owner, owner.version, False
        updated = owner
        if known is None:
            link = IdentityLink(identity, confirmed=False, source=source, linked_at=at)
            updated = evolve(updated, links=(*owner.links, link))
            trace.append(
                Verdict("identity", True, f"{identity} linked to the contact via {source} (unconfirmed)")
            )
        if updated.name is None and inbound.name and inbound.author == "customer":
            updated = evolve(updated, name=inbound.name)
        if updated is owner:
            return owner, owner.version, False
        return evolve(updated, version=owner.version + 1), owner.version, True
