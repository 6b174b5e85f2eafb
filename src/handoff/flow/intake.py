"""Planning an inbound (pure): which contact, which journey, and whether it is a channel switch.

:func:`draft_inbound` turns what :func:`~handoff.flow.read.read_intake` found into the
:class:`~handoff.flow.plan.Draft` that :func:`~handoff.flow.plan.plan` completes.
Contacts are never merged: an identity that belongs to someone else stays where it is.
"""

from __future__ import annotations

from typing import Any

from attrs import evolve

from handoff import channels
from handoff._records import builder, maker, replace
from handoff.clock import IdFactory
from handoff.errors import ValidationError
from handoff.events import MAX_BODY_CHARS, Inbound, Verdict
from handoff.facts import sensitive_reasons
from handoff.flow.continuity import choose_journey
from handoff.flow.plan import Draft, HandoffPlan
from handoff.flow.read import IntakeRead
from handoff.identity import Identity, parse_identity
from handoff.masking import mask_inbound
from handoff.models import Contact, IdentityLink, Interaction, Journey, LinkSource
from handoff.policy.engine import Event, PolicySettings
from handoff.sensitivity import reasons_of_masked

__all__ = ["draft_inbound", "inbound_identity"]

# What every inbound makes, from parts at hand.
_draft = builder(Draft)
_interaction = builder(Interaction)
_event = builder(Event)
_verdict = maker(Verdict)
_handoff_plan = builder(HandoffPlan)


def inbound_identity(inbound: Inbound, default_region: str | None = None) -> Identity:
    """The inbound's normalized identity, refused if it cannot reach the inbound's channel."""
    if not isinstance(inbound, Inbound):
        raise ValidationError("inbound", f"expected an Inbound, got {type(inbound).__name__}")
    identity = parse_identity(inbound.identity, default_region)
    if identity.kind not in channels.get(inbound.channel).identity_kinds:
        raise ValidationError(
            "identity", f"a {identity.kind} identity does not reach the {inbound.channel} channel"
        )
    return identity


def draft_inbound(
    inbound: Inbound, identity: Identity, read: IntakeRead, *, ids: IdFactory, settings: PolicySettings
) -> Draft:
    """The draft of ``inbound``: its contact, its journey (continued, reopened or new), the
    interaction, the events the policy hears and the handoff of a channel switch."""
    given = inbound.body
    inbound, _secrets = mask_inbound(inbound)  # nothing below ever sees a secret
    trace = list(read.trace)
    choice = choose_journey(
        by_reference=read.by_reference,
        by_thread=read.by_thread,
        contact_journeys=read.journeys,
        at=inbound.at,
        reopen_window=settings.reopen_window,
    )
    trace.append(_verdict("continuity", choice.journey is not None, choice.how))
    source: LinkSource = "journey_ref" if read.by_reference is not None else "thread"
    contact, contact_version, contact_changed, links = _contact_for(
        inbound, identity, read, source, trace, ids
    )
    interaction_id = ids.new_id("ix")
    if choice.journey is None:
        base = Journey(
            id=ids.new_id("jr"),
            reference=ids.new_reference(),
            contact_id=contact.id,
            status="open",
            current_channel=inbound.channel,
            opened_at=inbound.at,
            updated_at=inbound.at,
        )
    else:
        base = choice.journey
    body = inbound.body  # masked; a body cut to its limit after masking is read in full
    reasons = (
        reasons_of_masked(body) if len(body) < MAX_BODY_CHARS or body == given else sensitive_reasons(body)
    )
    interaction = _interaction(  # what new_interaction makes of a masked inbound, made at once
        id=interaction_id,
        journey_id=base.id,
        contact_id=base.contact_id,
        channel=inbound.channel,
        author=inbound.author,
        body=body,
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
    common: dict[str, Any] = {
        "contact": contact,
        "contact_version": contact_version,
        "contact_changed": contact_changed,
        "links": links,
        "journey_version": base.version,
        "interaction": interaction,
    }
    changes: dict[str, Any] = {}
    if inbound.priority is not None and inbound.priority != base.priority:
        changes["priority"] = inbound.priority
        trace.append(Verdict("priority", True, f"{base.priority} → {inbound.priority}, as the inbound says"))
    if inbound.author != "customer":
        replied = inbound.kind == "message"
        said = (Event("agent_replied", inbound.at, inbound.channel, agent=inbound.agent),) if replied else ()
        journey = replace(base, **changes) if changes else base
        return Draft(journey=journey, events=said, trace=tuple(trace), before=base, **common)
    if choice.reopens:
        changes.update(status="open", resolved_at=None, resolved_by=None, reopen_count=base.reopen_count + 1)
        trace.append(Verdict("reopen", True, f"{base.reference} reopened by a new customer message"))
    elif base.status == "pending":
        changes["status"] = "open"
    events = [
        _event(
            kind="inbound", at=inbound.at, channel=inbound.channel, initiated_by="customer", sensitive=reasons
        )
    ]
    handoff = None
    previous = base.current_channel if choice.journey is not None else None
    if choice.journey is not None and base.current_channel != inbound.channel:
        changes.update(current_channel=inbound.channel, handoff_count=base.handoff_count + 1)
        handoff = _handoff_plan(
            from_channel=base.current_channel,
            to_channel=inbound.channel,
            initiated_by="customer",
            reason="customer_choice",
            from_agent=base.assignee,
        )
        events.append(
            _event(
                kind="channel_switched",
                at=inbound.at,
                channel=inbound.channel,
                from_channel=base.current_channel,
                to_channel=inbound.channel,
                initiated_by="customer",
                reason="customer_choice",
                sensitive=reasons,
            )
        )
    return _draft(  # the changes are made with the message's own: one new journey record, not two
        journey=base,
        changes=changes or None,
        events=tuple(events),
        handoff=handoff,
        previous_channel=previous,
        trace=tuple(trace),
        before=base,
        **common,
    )


def _contact_for(
    inbound: Inbound,
    identity: Identity,
    read: IntakeRead,
    source: LinkSource,
    trace: list[Verdict],
    ids: IdFactory,
) -> tuple[Contact, int, bool, tuple[IdentityLink, ...]]:
    """The journey's contact, its version as read, whether this inbound changed it, and
    the link it adds to a stored contact (its links are rows of their own)."""
    at, known, owner = inbound.at, read.known, read.owner
    if owner is None:
        link = IdentityLink(identity, confirmed=True, source="first_contact", linked_at=at)
        name = inbound.name if inbound.author == "customer" else None
        contact = Contact(id=ids.new_id("ct"), name=name, links=(link,), created_at=at)
        trace.append(Verdict("identity", True, f"new contact for {identity}"))
        return contact, 0, True, ()
    if known is not None and known.id != owner.id:
        trace.append(
            Verdict("identity", False, f"{identity} belongs to another contact; contacts are not merged")
        )
        return owner, owner.version, False, ()
    updated = owner
    added: tuple[IdentityLink, ...] = ()
    if known is None:
        link = IdentityLink(identity, confirmed=False, source=source, linked_at=at)
        added = (link,)
        updated = evolve(updated, links=(*owner.links, link))
        trace.append(
            Verdict("identity", True, f"{identity} linked to the contact via {source} (unconfirmed)")
        )
    if updated.name is None and inbound.name and inbound.author == "customer":
        updated = evolve(updated, name=inbound.name)
    if updated is owner:
        return owner, owner.version, False, ()
    return evolve(updated, version=owner.version + 1), owner.version, True, added
