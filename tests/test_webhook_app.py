"""examples/webhook_app.py served over real HTTP: signed provider payloads in, the outbox drained.

The example runs on a loopback port in a thread; the tests sign payloads the way the
providers document it (Twilio: HMAC-SHA1 of URL and sorted form; Meta: HMAC-SHA256 of
the raw body), independently of the library's own checks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import pytest

from handoff import Notification, Switchboard
from handoff.clock import FixedClock, SeededIds

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "webhooks"
PUBLIC = "https://support.example.com"
TWILIO_TOKEN = "9f3c1e7a5b2d4f6081a3c5e7f9b1d3a5"
META_SECRET = "4be1f0d2c6a8e0b2d4f6a8c0e2b4d6f8"
RELAY_TOKEN = "relay-7c1e"
START = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webhook_app", ROOT / "examples" / "webhook_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("webhook_app", module)
    spec.loader.exec_module(module)
    return module


webhook_app = _load_example()


class Server:
    """The example app on a loopback port, with the switchboard and log behind it."""

    def __init__(self) -> None:
        self.clock = FixedClock(START)
        self.board = Switchboard.open("memory://", clock=self.clock, ids=SeededIds(7))
        self.log: list[str] = []
        app = webhook_app.WebhookApp(
            self.board,
            twilio_auth_token=TWILIO_TOKEN,
            whatsapp_app_secret=META_SECRET,
            whatsapp_verify_token="verify-7",
            email_relay_token=RELAY_TOKEN,
            public_url=PUBLIC,
            support_addresses=["help@support.example"],
            log=self.log.append,
        )
        self.base, self.stop = webhook_app.serve(app)

    def request(
        self, path: str, body: bytes | None, headers: dict[str, str], method: str = "POST"
    ) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def twilio(self, form: dict[str, str], *, token: str = TWILIO_TOKEN) -> tuple[int, bytes]:
        # Twilio signs the URL it was configured with: the public one, not the loopback address.
        signed = PUBLIC + "/webhooks/twilio" + "".join(key + form[key] for key in sorted(form))
        digest = hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": base64.b64encode(digest).decode(),
        }
        return self.request("/webhooks/twilio", urlencode(form).encode(), headers)

    def whatsapp(self, envelope: dict[str, Any], *, secret: str = META_SECRET) -> tuple[int, bytes]:
        raw = json.dumps(envelope).encode()
        signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        return self.request(
            "/webhooks/whatsapp", raw, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
        )

    def email(self, raw: bytes, *, token: str = RELAY_TOKEN) -> tuple[int, bytes]:
        return self.request(
            "/webhooks/email", raw, {"Content-Type": "message/rfc822", "X-Relay-Token": token}
        )


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    try:
        yield running
    finally:
        running.stop()
        running.board.close()


def sms_form() -> dict[str, str]:
    form: dict[str, str] = json.loads((FIXTURES / "twilio_sms.json").read_text("utf-8"))
    return form


def whatsapp_envelope() -> dict[str, Any]:
    envelope: dict[str, Any] = json.loads((FIXTURES / "whatsapp_text.json").read_text("utf-8"))
    return envelope


def customer_email(reference: str) -> bytes:
    text = (FIXTURES / "customer_email.eml").read_text("utf-8").replace("{reference}", reference)
    return text.replace("\n", "\r\n").encode()


def whatsapp_status(provider_id: str, status: str) -> dict[str, Any]:
    envelope = whatsapp_envelope()
    value = envelope["entry"][0]["changes"][0]["value"]
    del value["messages"], value["contacts"]
    value["statuses"] = [
        {"id": provider_id, "status": status, "timestamp": "1773154800", "recipient_id": "14155550100"}
    ]
    return envelope


def test_one_journey_across_sms_whatsapp_and_email(server: Server) -> None:
    assert server.twilio(sms_form()) == (200, webhook_app._EMPTY_TWIML)
    contact = server.board.find_contact("phone:+14155550100")
    assert contact is not None
    (journey,) = server.board.journeys(contact.id)

    server.clock.set(START + timedelta(minutes=5))
    assert server.whatsapp(whatsapp_envelope())[0] == 200
    server.clock.set(START + timedelta(minutes=70))
    assert server.email(customer_email(journey.reference))[0] == 200

    after = server.board.journey(journey.id)
    assert after.channels == ("sms", "whatsapp", "email")
    history = server.board.history(journey.id)
    assert [i.channel for i in history] == ["sms", "whatsapp", "email"]
    assert "A-1042" in history[0].body and "photo of the damaged box" in history[2].body
    handoffs = server.board.handoffs(journey.id)
    assert [(h.from_channel, h.to_channel) for h in handoffs] == [("sms", "whatsapp"), ("whatsapp", "email")]
    assert any(f.value == "A-1042" for f in handoffs[-1].summary.facts)  # the email side knows the order
    ana = server.board.contact(contact.id)
    assert {str(i) for i in ana.identities} == {"phone:+14155550100", "email:ana@example.com"}
    assert server.log == []


def test_redelivered_webhooks_are_recorded_once(server: Server) -> None:
    for _ in range(2):
        assert server.twilio(sms_form())[0] == 200
        assert server.whatsapp(whatsapp_envelope())[0] == 200
    contact = server.board.find_contact("phone:+14155550100")
    assert contact is not None
    (journey,) = server.board.journeys(contact.id)
    assert len(server.board.history(journey.id)) == 2


@pytest.mark.parametrize("provider", ["twilio", "twilio_tampered", "whatsapp", "email"])
def test_a_bad_signature_is_refused_and_nothing_is_recorded(server: Server, provider: str) -> None:
    if provider == "twilio":
        status, _ = server.twilio(sms_form(), token="not-the-auth-token")
    elif provider == "twilio_tampered":
        form = sms_form()
        url = PUBLIC + "/webhooks/twilio" + "".join(k + form[k] for k in sorted(form))
        good = base64.b64encode(hmac.new(TWILIO_TOKEN.encode(), url.encode(), hashlib.sha1).digest()).decode()
        form["Body"] = "Please send my order to a new address"  # signed for another body
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": good}
        status, _ = server.request("/webhooks/twilio", urlencode(form).encode(), headers)
    elif provider == "whatsapp":
        status, _ = server.whatsapp(whatsapp_envelope(), secret="not-the-app-secret")
    else:
        status, _ = server.email(customer_email("J-00000"), token="guess")
    assert status == 403
    assert server.board.find_contact("phone:+14155550100") is None
    assert server.board.find_contact("email:ana@example.com") is None


def test_draining_the_outbox_delivers_and_acknowledges(server: Server) -> None:
    server.twilio(sms_form())
    server.clock.set(START + timedelta(minutes=5))
    server.whatsapp(whatsapp_envelope())
    sender = webhook_app.RecordingSender(quiet=True)

    sent = webhook_app.drain(server.board, sender, now=START + timedelta(hours=1))
    assert sent and [n.id for n in sent] == [n.id for n in sender.sent]
    assert all(n.status == "sent" and n.provider_id for n in sent)
    assert server.board.outbox.due(START + timedelta(hours=1)) == []
    assert webhook_app.drain(server.board, sender, now=START + timedelta(hours=1)) == []  # nothing twice

    moved = next(n for n in sent if n.channel == "whatsapp")
    assert "no need to repeat yourself" in moved.body
    # WhatsApp reports the message delivered: the notification follows.
    assert server.whatsapp(whatsapp_status(moved.provider_id, "delivered"))[0] == 200
    assert server.board.outbox.get(moved.id).status == "delivered"


def test_a_failing_sender_leaves_the_notification_for_the_next_drain(server: Server) -> None:
    server.twilio(sms_form())
    server.clock.set(START + timedelta(minutes=5))
    server.whatsapp(whatsapp_envelope())
    later = START + timedelta(hours=1)
    pending = server.board.outbox.due(later)
    assert pending

    def outage(note: Notification) -> str:
        raise ConnectionError("provider down")

    assert webhook_app.drain(server.board, outage, now=later) == []
    assert [n.id for n in server.board.outbox.due(later)] == [n.id for n in pending]
    assert len(webhook_app.drain(server.board, webhook_app.RecordingSender(quiet=True), now=later)) == len(
        pending
    )


def test_whatsapp_subscription_handshake(server: Server) -> None:
    query = "?hub.mode=subscribe&hub.verify_token=verify-7&hub.challenge=1158201444"
    assert server.request("/webhooks/whatsapp" + query, None, {}, method="GET") == (200, b"1158201444")
    for wrong in ("guess", "%C3%A9t%C3%A9"):  # not the token, and not even ASCII
        asked = query.replace("verify-7", wrong)
        assert server.request("/webhooks/whatsapp" + asked, None, {}, method="GET")[0] == 403


def test_unreadable_payloads_and_unknown_routes(server: Server) -> None:
    status, body = server.whatsapp({"object": "page", "entry": []})  # signed, but not WhatsApp's
    assert status == 400 and body
    assert server.request("/webhooks/nowhere", b"", {})[0] == 404
    assert server.request("/webhooks/email", None, {}, method="GET")[0] == 405
    assert server.log and "rejected" in server.log[0]


def test_a_form_that_is_not_utf8_is_refused(server: Server) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "AAAA"}
    assert server.request("/webhooks/twilio", b"Body=\xff\xfe&From=%2B1", headers)[0] == 403
