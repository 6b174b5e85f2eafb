"""Journeys built by hand from the models, for the summary and rendering tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from attrs import define

from handoff.facts import extract_facts, merge_facts
from handoff.identity import parse_identity
from handoff.masking import mask_cards
from handoff.models import Contact, Fact, IdentityLink, Interaction, Journey, PathStep, SummaryLine

T0 = datetime(2025, 3, 12, 14, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def contact(
    *links: tuple[str, bool, str], name: str | None = "Ana Kovač", tz: str = "Europe/Madrid"
) -> Contact:
    return Contact(
        id="ct_1",
        name=name,
        links=tuple(IdentityLink(parse_identity(i), ok, source, T0) for i, ok, source in links),  # type: ignore[arg-type]
        created_at=T0,
        timezone=tz,
        language="es",
    )


ANA = contact(("twitter:@ana_k", True, "first_contact"), ("email:ana@example.com", False, "journey_ref"))

# (channel, author, kind, body) of a Twitter -> DM -> chat journey heading for a phone call.
TYPICAL = (
    ("twitter", "customer", "message", "@acme my order A-1042 never arrived and I was charged $49.99"),
    ("twitter", "agent", "message", "Sorry to hear that! Please send us a DM."),
    (
        "twitter_dm",
        "customer",
        "message",
        "Order A-1042, paid with 4242 4242 4242 4242, mail ana@example.com",
    ),
    ("twitter_dm", "agent", "message", "Thanks Ana, checking with the warehouse."),
    ("chat", "system", "event", "Customer joined chat from the help centre"),
    ("chat", "customer", "message", "Still nothing for J-7F3K9. It was due on March 10."),
    ("chat", "bot", "message", "Let me connect you to an agent."),
    ("chat", "agent", "note", "VIP customer; refund approved up to $50."),
    ("chat", "agent", "message", "I can see the order. Shall we call you?"),
    ("chat", "customer", "message", "Yes please call me on +1 415 555 0100, I am at 12 Main Street."),
    ("chat", "agent", "message", "Calling you in 5 minutes."),
    ("chat", "customer", "message", "Thanks, waiting for the call about my order."),
)


@define(frozen=True)
class Built:
    journey: Journey
    contact: Contact
    interactions: tuple[Interaction, ...]


def build(
    script: tuple[tuple[str, str, str, str], ...] = TYPICAL,
    *,
    who: Contact = ANA,
    subject: str | None = None,
    commitments: tuple[str, ...] = ("Call the customer back within 10 minutes",),
) -> Built:
    """A journey with the derived state the ledger would keep (path, facts, notes, last seen)."""
    interactions = []
    facts: tuple[Fact, ...] = ()
    path: list[PathStep] = []
    notes: list[SummaryLine] = []
    last_customer: dict[str, datetime] = {}
    for n, (channel, author, kind, body) in enumerate(script, start=1):
        when = at(3 * n)
        item = Interaction(
            id=f"in_{n}",
            journey_id="jr_1",
            contact_id=who.id,
            channel=channel,
            author=author,  # type: ignore[arg-type]
            body=mask_cards(body),
            at=when,
            sequence=n,
            kind=kind,  # type: ignore[arg-type]
            agent="maria" if author == "agent" else None,
        )
        interactions.append(item)
        if kind == "note":
            notes.append(SummaryLine(when, channel, author, item.body, item.agent))
        if author == "customer" and kind == "message":
            last_customer[channel] = when
            facts = merge_facts(
                facts, extract_facts(item.body, channel=channel, at=when, interaction_id=item.id)
            )
            if not path or path[-1].channel != channel:
                path.append(PathStep(channel, when))
    first = next((i.body for i in interactions if i.author == "customer"), "")
    journey = Journey(
        id="jr_1",
        reference="J-7F3K9",
        contact_id=who.id,
        status="open",
        current_channel=path[-1].channel if path else "chat",
        opened_at=at(3),
        updated_at=interactions[-1].at if interactions else T0,
        version=len(interactions),
        subject=first if subject is None else subject,
        path=tuple(path),
        last_customer_at=last_customer,
        facts=facts,
        notes=tuple(notes),
        commitments=commitments,
    )
    return Built(journey, who, tuple(interactions))
