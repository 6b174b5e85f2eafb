"""A team's own policy (custom_policy.toml) deciding a short journey, with every decision printed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from attrs import evolve

from handoff.identity import parse_identity
from handoff.models import Contact, IdentityLink, Journey
from handoff.policy import Event, Policy, Situation

HERE = Path(__file__).resolve().parent


def main() -> None:
    policy = Policy.from_toml(HERE / "custom_policy.toml")
    print(policy, "\n")
    start = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)  # 18:00 in Tokyo
    ken = Contact(
        id="ct_1",
        name="Ken Sato",
        links=(
            IdentityLink(parse_identity("phone:+819012345678"), True, "first_contact", start),
            IdentityLink(parse_identity("email:ken@example.jp"), True, "agent", start),
        ),
        created_at=start,
        timezone="Asia/Tokyo",
        language="ja",
        preferred_channels=("whatsapp", "email"),
    )
    journey = Journey(
        id="jr_1",
        reference="J-7F3K9",
        contact_id=ken.id,
        status="open",
        current_channel="chat",
        opened_at=start,
        updated_at=start,
        last_customer_at={"chat": start},
        last_customer_channel="chat",
    )

    def decide(event: Event, journey: Journey) -> None:
        decision = policy.decide(Situation(event, journey, ken, None))
        print(decision.render(), "\n")

    # 1. An agent answers two hours later: Ken has left the chat, and it is 20:00 in Tokyo.
    replied = start + timedelta(hours=2)
    journey = evolve(journey, first_response_at=replied, last_agent_at={"chat": replied})
    decide(Event("agent_replied", replied, "chat", agent="yui"), journey)

    # 2. The agent moves the journey to a phone call.
    moved = replied + timedelta(minutes=5)
    journey = evolve(journey, current_channel="phone", handoff_count=1)
    decide(
        Event(
            "transfer_requested",
            moved,
            "phone",
            from_channel="chat",
            to_channel="phone",
            initiated_by="agent",
            reason="escalation",
            agent="yui",
        ),
        journey,
    )

    # 3. Resolved: a CSAT survey after 30 minutes, and an NPS question a day later.
    done = moved + timedelta(minutes=20)
    decide(Event("resolved", done, "phone", agent="yui"), evolve(journey, status="resolved"))


if __name__ == "__main__":
    main()
