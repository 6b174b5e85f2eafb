"""Raw traffic through the adapters into a switchboard: journeys assemble themselves.

An email, then an SMS quoting the journey's reference, then WhatsApp messages from the
same phone all land in one journey with a handoff at each channel switch; a Messenger
message from someone whose page-scoped id has the same digits stays a separate person.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from handoff.clock import FixedClock, SeededIds
from handoff.errors import IngestError, ValidationError
from handoff.events import Inbound
from handoff.identity import parse_identity
from handoff.ingest import Parsed, email, meta, twilio, whatsapp
from handoff.switchboard import Switchboard

FIXTURES = Path(__file__).parent / "fixtures"
PHONE = "+447700900123"

EMAIL = b"""From: Imogen Achterberg <imogen.achterberg@example.org>
To: help@kettles.example
Subject: Kettle stopped heating
Message-ID: <first-contact-17@example.org>
Date: Tue, 12 Nov 2024 08:00:00 +0000
Content-Type: text/plain; charset=utf-8

Hello, my new kettle stopped heating after two days. Order KT-20931.
"""


def fixture(provider: str, name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / provider / name).read_text("utf-8"))


def sms(body: str) -> dict[str, str]:
    return {
        "MessageSid": "SM0c7a9e2b4d6f8a0c2e4b6d8f0a2c4e6b",
        "AccountSid": "AC00000000000000000000000000000000",
        "From": PHONE,
        "To": "+15557654321",
        "Body": body,
        "NumMedia": "0",
        "SmsStatus": "received",
    }


def test_email_sms_whatsapp_and_messenger_assemble_into_the_right_journeys() -> None:
    with Switchboard.open(
        "memory://", clock=FixedClock(datetime(2024, 11, 14, tzinfo=UTC)), ids=SeededIds(5)
    ) as board:
        (first,) = email.parse(EMAIL).inbounds
        opened = board.receive(first)
        reference = opened.journey.reference

        (text,) = twilio.parse(
            sms(f"Calling about {reference}, can you text me?"),
            received_at=datetime(2024, 11, 12, 8, 20, tzinfo=UTC),
        ).inbounds
        by_sms = board.receive(text)

        chats = [
            board.receive(inbound)
            for inbound in whatsapp.parse(fixture("whatsapp", "text_reply.json")).inbounds
        ]

        messenger_payload = fixture("meta", "messenger_text.json")
        for event in messenger_payload["entry"][0]["messaging"]:
            event["sender"]["id"] = PHONE.removeprefix("+")
        strangers = [board.receive(inbound) for inbound in meta.parse(messenger_payload).inbounds]

        journey = board.store.get_journey(opened.journey.id)
        assert by_sms.journey.id == journey.id
        assert {outcome.journey.id for outcome in chats} == {journey.id}
        assert journey.channels == ("email", "sms", "whatsapp")
        assert by_sms.handoff is not None
        assert chats[0].handoff is not None
        assert all(outcome.handoff is None for outcome in chats[1:])

        contact = board.store.get_contact(journey.contact_id)
        assert {str(identity) for identity in contact.identities} == {
            "email:imogen.achterberg@example.org",
            f"phone:{PHONE}",
        }

        (elsewhere,) = {outcome.journey.id for outcome in strangers}
        assert elsewhere != journey.id
        stranger = board.store.get_contact(strangers[0].contact.id)
        assert stranger.id != contact.id
        assert stranger.identities == (parse_identity(f"messenger:{PHONE.removeprefix('+')}"),)

        replayed = [
            board.receive(inbound)
            for inbound in whatsapp.parse(fixture("whatsapp", "text_reply.json")).inbounds
        ]
        assert all(outcome.duplicate for outcome in replayed)


def test_board_ingest_applies_inbounds_and_opt_outs() -> None:
    with Switchboard.open("memory://", clock=FixedClock(datetime(2024, 11, 14, tzinfo=UTC))) as board:
        (opened,) = board.ingest(email.parse(EMAIL))
        assert opened.journey.current_channel == "email"
        (texted,) = board.ingest(
            twilio.parse(sms("STOP"), received_at=datetime(2024, 11, 12, 9, 0, tzinfo=UTC))
        )
        contact = board.find_contact(f"phone:{PHONE}")
        assert contact is not None
        assert contact.consent == {"sms": False}
        assert texted.interaction.body == "STOP"


def test_board_ingest_reports_failures_after_applying_the_rest() -> None:
    with Switchboard.open("memory://") as board:
        good = email.parse(EMAIL)
        bad = Parsed(
            inbounds=(
                Inbound(
                    channel="chat",
                    identity="email:x@example.org",
                    body="hi",
                    at=datetime(2024, 11, 12, tzinfo=UTC),
                    journey_ref="J-ZZZZZ",
                ),
            )
        )
        with pytest.raises(IngestError) as err:
            board.ingest(bad + good)
        assert err.value.field == "$.inbounds[0]"
        assert len(err.value.outcomes) == 1
        assert board.find_contact("email:imogen.achterberg@example.org") is not None
        with pytest.raises(ValidationError):
            board.ingest(EMAIL)  # type: ignore[arg-type]
