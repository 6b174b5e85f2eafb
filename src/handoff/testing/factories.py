"""Valid records for tests, with every field overridable by keyword.

Each call gives fresh ids, identities and references, so records from different
calls never collide; anything a test cares about it should pass explicitly::

    contact = make_contact("email:ana@example.com")
    journey = make_journey(contact)
    store.commit(Changeset(contact=contact, journey=journey))
    store.commit(append_changeset(journey, body="Where is my order?"))

Nothing here needs pytest or hypothesis.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs

from handoff.errors import ValidationError
from handoff.identity import Identity, parse_identity
from handoff.models import (
    CardIdentity,
    Contact,
    ContactCard,
    ContextSummary,
    DecisionRecord,
    Handoff,
    IdentityLink,
    Interaction,
    Journey,
    Notification,
)
from handoff.stores.base import Changeset

__all__ = [
    "T0",
    "append_changeset",
    "appended",
    "make_contact",
    "make_decision",
    "make_handoff",
    "make_interaction",
    "make_journey",
    "make_link",
    "make_notification",
    "make_summary",
    "new_id",
]

T = TypeVar("T")

T0 = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
"""The default moment of every factory: a Monday morning, in UTC."""

_numbers = itertools.count(1)
# Processes writing to one store (a multi-process test, pytest-xdist) must not collide.
_PROCESS = secrets.token_hex(3)


def new_id(prefix: str) -> str:
    """An id no other call returns, in this process or another, e.g. ``ct_3f9a1c000042``."""
    return f"{prefix}_{_PROCESS}{next(_numbers):06d}"


def make_link(identity: str | Identity | None = None, **overrides: Any) -> IdentityLink:
    """A confirmed first-contact link; a fresh email identity unless one is given."""
    parsed = parse_identity(identity if identity is not None else f"email:{new_id('person')}@example.com")
    return _build(
        IdentityLink,
        {"identity": parsed, "confirmed": True, "source": "first_contact", "linked_at": T0},
        overrides,
    )


def make_contact(*identities: str | Identity, **overrides: Any) -> Contact:
    """A contact owning ``identities`` (one fresh email if none), version 1."""
    created_at = overrides.get("created_at", T0)
    links = tuple(make_link(i, linked_at=created_at) for i in identities) or (
        make_link(linked_at=created_at),
    )
    defaults = {"id": new_id("ct"), "name": "Ana Kovač", "links": links, "created_at": T0}
    return _build(Contact, defaults, overrides)


def make_journey(contact: Contact | None = None, **overrides: Any) -> Journey:
    """An open journey of ``contact`` at version 1, as a first commit stores it."""
    opened_at = overrides.get("opened_at", T0)
    defaults = {
        "id": new_id("jr"),
        "reference": f"J-{_PROCESS}{next(_numbers):05d}".upper(),
        "contact_id": contact.id if contact is not None else new_id("ct"),
        "status": "open",
        "current_channel": "email",
        "opened_at": opened_at,
        "updated_at": opened_at,
        "version": 1,
    }
    return _build(Journey, defaults, overrides)


def make_interaction(journey: Journey | None = None, **overrides: Any) -> Interaction:
    """The interaction that would come next in ``journey`` (``sequence = version + 1``)."""
    journey = journey if journey is not None else make_journey()
    defaults = {
        "id": new_id("in"),
        "journey_id": journey.id,
        "contact_id": journey.contact_id,
        "channel": journey.current_channel,
        "author": "customer",
        "body": "Hello, my order has not arrived.",
        "at": journey.updated_at + timedelta(minutes=1),
        "sequence": journey.version + 1,
    }
    return _build(Interaction, defaults, overrides)


def appended(journey: Journey, **interaction_overrides: Any) -> tuple[Journey, Interaction]:
    """A new interaction and the journey after it: one version up, updated at its time."""
    interaction = make_interaction(journey, **interaction_overrides)
    after = attrs.evolve(
        journey,
        version=max(journey.version + 1, interaction.sequence),
        updated_at=max(journey.updated_at, interaction.at),
        current_channel=interaction.channel,
    )
    return after, interaction


def append_changeset(
    journey: Journey,
    *,
    handoffs: tuple[Handoff, ...] = (),
    notifications: tuple[Notification, ...] = (),
    **interaction_overrides: Any,
) -> Changeset:
    """The changeset that appends one interaction to ``journey`` as read."""
    after, interaction = appended(journey, **interaction_overrides)
    return Changeset(
        journey=after,
        expected_journey_version=journey.version,
        interactions=(interaction,),
        handoffs=handoffs,
        notifications=notifications,
    )


def make_summary(journey: Journey, **overrides: Any) -> ContextSummary:
    """A small context summary of ``journey`` for a handoff to chat."""
    card = ContactCard(
        contact_id=journey.contact_id,
        name="Ana Kovač",
        identities=(CardIdentity("email:ana@example.com", confirmed=True, source="first_contact"),),
        timezone="Europe/Ljubljana",
        language="sl",
    )
    defaults = {
        "journey_id": journey.id,
        "reference": journey.reference,
        "for_channel": "chat",
        "generated_at": journey.updated_at,
        "contact": card,
        "issue": journey.subject or "Order has not arrived",
        "status": journey.status,
        "opened_at": journey.opened_at,
        "path": journey.path,
        "checklist": ("Review the history", "Confirm the identity"),
    }
    return _build(ContextSummary, defaults, overrides)


def make_handoff(journey: Journey, **overrides: Any) -> Handoff:
    """A customer-initiated switch from email to chat inside ``journey``."""
    at = overrides.get("at", journey.updated_at)
    defaults = {
        "id": new_id("ho"),
        "journey_id": journey.id,
        "interaction_id": new_id("in"),
        "from_channel": "email",
        "to_channel": "chat",
        "initiated_by": "customer",
        "reason": "convenience",
        "at": at,
        "summary": make_summary(journey, generated_at=at),
    }
    return _build(Handoff, defaults, overrides)


def make_notification(journey: Journey, **overrides: Any) -> Notification:
    """A pending notification of ``journey``, due when it is created."""
    created_at = overrides.get("created_at", journey.updated_at)
    defaults = {
        "id": new_id("nt"),
        "journey_id": journey.id,
        "contact_id": journey.contact_id,
        "channel": "sms",
        "body": f"Your case {journey.reference} moved to chat.",
        "purpose": "channel_move",
        "send_at": created_at,
        "created_at": created_at,
        "rule": "notify_on_switch",
        "reason": "the customer moved channel",
    }
    return _build(Notification, defaults, overrides)


def make_decision(journey: Journey, **overrides: Any) -> DecisionRecord:
    """A decision-log record of ``journey``; ``data`` is opaque to stores, so any JSON does."""
    defaults = {
        "id": new_id("dc"),
        "journey_id": journey.id,
        "contact_id": journey.contact_id,
        "at": journey.updated_at,
        "data": {"rules": [{"rule": "notify_on_switch", "fired": True}], "notifications": 1},
    }
    return _build(DecisionRecord, defaults, overrides)


def _build(cls: type[T], defaults: dict[str, Any], overrides: dict[str, Any]) -> T:
    """``cls(**defaults | overrides)``, refusing a misspelt override by name."""
    known = attrs.fields_dict(cls)  # type: ignore[arg-type]
    for name in overrides:
        if name not in known:
            raise ValidationError(name, f"{cls.__name__} has no field {name!r}")
    return cls(**(defaults | overrides))
