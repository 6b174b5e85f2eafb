"""Changes to a contact's identities and profile (pure, validated before any write).

A contact's links are rows of their own: linking or unlinking one identity is a
changeset that adds or removes that one link and bumps the contact's version, planned
from the contact's brief (see :meth:`handoff.stores.Store.find_contact_brief`), never
from all its links.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from attrs import evolve

from handoff import channels
from handoff._validate import require_text
from handoff.errors import NotFound, ValidationError
from handoff.identity import Identity
from handoff.models import Contact, IdentityLink
from handoff.policy.schedule import parse_clock_time, zone
from handoff.stores.records import Changeset

__all__ = [
    "UNSET",
    "confirm_link",
    "profile_changes",
    "remove_link",
    "with_profile",
]

UNSET: Any = object()
"""Marks a profile field the caller did not pass (``None`` is a value: "no language")."""


def confirm_link(contact: Contact, identity: Identity, at: datetime) -> Changeset | None:
    """The changeset confirming ``identity`` for the contact (an agent checked it), adding
    it if it was not linked; None when it is already confirmed.

    ``contact`` holds the identity's link if it has one, as a brief read by that
    identity does.
    """
    existing = contact.link_for(identity)
    if existing is not None and existing.confirmed:
        return None
    if existing is not None:
        link = evolve(existing, confirmed=True)
    else:
        link = IdentityLink(identity, confirmed=True, source="agent", linked_at=at)
    return Changeset(
        contact=evolve(contact, version=contact.version + 1),
        expected_contact_version=contact.version,
        links=(link,),
    )


def remove_link(contact: Contact, identity: Identity) -> Changeset:
    """The changeset removing ``identity`` from the contact; its journeys and other
    identities are untouched.

    ``contact`` is a brief read by that identity (or the whole contact): it holds the
    identity's link, and holds only that link exactly when it is the contact's only one.
    """
    if contact.link_for(identity) is None:
        raise NotFound("identity", str(identity))
    if len(contact.links) == 1:
        raise ValidationError(
            "identity", f"{identity} is the contact's only identity; a contact keeps at least one"
        )
    return Changeset(
        contact=evolve(contact, version=contact.version + 1),
        expected_contact_version=contact.version,
        unlinks=(identity,),
    )


def profile_changes(
    *,
    name: object = UNSET,
    timezone: object = UNSET,
    language: object = UNSET,
    preferred_channels: object = UNSET,
    consent: object = UNSET,
    quiet_hours: object = UNSET,
) -> dict[str, Any]:
    """Check every profile value and return the changes to apply; nothing is half-applied."""
    changes: dict[str, Any] = {}
    if name is not UNSET:
        changes["name"] = None if name is None else require_text(name, "name", max_len=200)
    if timezone is not UNSET:
        zone(require_text(timezone, "timezone", max_len=64), "timezone")
        changes["timezone"] = timezone
    if language is not UNSET:
        changes["language"] = None if language is None else require_text(language, "language", max_len=35)
    if preferred_channels is not UNSET:
        if isinstance(preferred_channels, str) or not isinstance(preferred_channels, Sequence):
            raise ValidationError("preferred_channels", "expected a sequence of channel names")
        for i, name_ in enumerate(preferred_channels):
            channels.get(name_, f"preferred_channels[{i}]")
        changes["preferred_channels"] = tuple(preferred_channels)
    if consent is not UNSET:
        if not isinstance(consent, Mapping):
            raise ValidationError("consent", "expected a mapping of channel name to true/false")
        for channel, allowed in consent.items():
            channels.get(channel, f"consent[{channel!r}]")
            if not isinstance(allowed, bool):
                raise ValidationError(f"consent[{channel!r}]", f"expected true or false, got {allowed!r}")
        changes["consent"] = dict(consent)
    if quiet_hours is not UNSET:
        if quiet_hours is not None:
            if not isinstance(quiet_hours, (tuple, list)) or len(quiet_hours) != 2:
                raise ValidationError("quiet_hours", "expected (start, end) like ('21:00', '08:00') or None")
            for i, part in enumerate(quiet_hours):
                parse_clock_time(part, f"quiet_hours[{i}]")
            quiet_hours = (quiet_hours[0], quiet_hours[1])
        changes["quiet_hours"] = quiet_hours
    return changes


def with_profile(contact: Contact, changes: Mapping[str, Any]) -> Contact:
    """Apply checked changes; ``consent`` merges into what the contact already said."""
    update = dict(changes)
    if "consent" in update:
        update["consent"] = {**contact.consent, **update["consent"]}
    return evolve(contact, version=contact.version + 1, **update)
