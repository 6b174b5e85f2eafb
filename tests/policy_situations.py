"""Builders of policy situations: a contact, a journey and an event, with sensible defaults."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from handoff.identity import parse_identity
from handoff.models import Contact, IdentityLink, Journey, Notification
from handoff.policy import Decision, Event, Policy, Situation

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)  # a Tuesday, 14:00 UTC


def contact(*identities: str, **kw: Any) -> Contact:
    links = tuple(IdentityLink(parse_identity(i), True, "first_contact", T0) for i in identities)
    fields: dict[str, Any] = {"id": "ct_1", "name": "Ana K", "links": links, "created_at": T0}
    fields.update(kw)
    return Contact(**fields)


def journey(**kw: Any) -> Journey:
    fields: dict[str, Any] = {
        "id": "jr_1",
        "reference": "J-7F3K9",
        "contact_id": "ct_1",
        "status": "open",
        "current_channel": "chat",
        "opened_at": T0 - timedelta(hours=1),
        "updated_at": T0,
        "version": 3,
        "last_customer_at": {"chat": T0},
        "last_customer_channel": "chat",
    }
    fields.update(kw)
    return Journey(**fields)


def sent(purpose: str, at: datetime, channel: str = "email", status: str = "pending") -> Notification:
    """A notification already in the customer's outbox."""
    return Notification(
        id=f"nt_{purpose}_{at.timestamp():.0f}",
        journey_id="jr_1",
        contact_id="ct_1",
        channel=channel,
        body="...",
        purpose=purpose,
        send_at=at,
        created_at=at,
        rule="earlier",
        reason="earlier",
        status=status,  # type: ignore[arg-type]
    )


def decide(
    event: Event,
    j: Journey | None = None,
    c: Contact | None = None,
    policy: Policy | None = None,
    **situation: Any,
) -> Decision:
    """The decision of ``policy`` (default: the default policy) on ``event``."""
    who = c if c is not None else contact("email:ana@example.com", "phone:+14155550100")
    return (policy or Policy.default()).decide(
        Situation(
            event, j if j is not None else journey(), who, situation.pop("interaction", None), **situation
        )
    )


def verdict(decision: Decision, rule: str) -> tuple[bool, str]:
    (found,) = [v for v in decision.verdicts if v.rule == rule]
    return found.matched, found.reason
