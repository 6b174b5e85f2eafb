"""examples/fastapi_app.py through httpx's ASGI transport: signed payloads in, forged ones
refused, and the outbox drained by the app's own background task.

Payloads are signed the way the providers document it (Twilio: HMAC-SHA1 of URL and
sorted form; Meta: HMAC-SHA256 of the raw body), independently of the library's checks.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import importlib.util
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from handoff import FixedClock, Inbound, Notification, SeededIds, Switchboard  # noqa: E402
from handoff.aio import AsyncSwitchboard  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "webhooks"
PUBLIC = "https://support.example.com"
TWILIO_TOKEN = "9f3c1e7a5b2d4f6081a3c5e7f9b1d3a5"
META_SECRET = "4be1f0d2c6a8e0b2d4f6a8c0e2b4d6f8"
RELAY_TOKEN = "relay-7c1e"
START = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_app", ROOT / "examples" / "fastapi_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fastapi_app", module)
    spec.loader.exec_module(module)
    return module


fastapi_app = _load_example()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Sender:
    """A provider stand-in that tells the test when it sent something."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []
        self.arrived = asyncio.Event()

    async def __call__(self, note: Notification) -> str:
        self.sent.append(note)
        self.arrived.set()
        return f"SM{len(self.sent):032d}"


class Site:
    """The example app over a fresh board, an HTTP client speaking to it, and its log."""

    def __init__(self, board: AsyncSwitchboard, clock: FixedClock, client: Any, sender: Sender) -> None:
        self.board, self.clock, self.client, self.sender = board, clock, client, sender
        self.log: list[str] = []

    async def twilio(self, form: dict[str, str], *, token: str = TWILIO_TOKEN) -> Any:
        signed = PUBLIC + "/webhooks/twilio" + "".join(key + form[key] for key in sorted(form))
        digest = hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": base64.b64encode(digest).decode(),
        }
        return await self.client.post("/webhooks/twilio", content=urlencode(form).encode(), headers=headers)

    async def whatsapp(self, envelope: dict[str, Any], *, secret: str = META_SECRET) -> Any:
        raw = json.dumps(envelope).encode()
        signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
        return await self.client.post("/webhooks/whatsapp", content=raw, headers=headers)

    async def email(self, raw: bytes, *, token: str = RELAY_TOKEN) -> Any:
        headers = {"Content-Type": "message/rfc822", "X-Relay-Token": token}
        return await self.client.post("/webhooks/email", content=raw, headers=headers)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    clock = FixedClock(START)
    sender = Sender()
    log: list[str] = []
    async with AsyncSwitchboard(Switchboard.open("memory://", clock=clock, ids=SeededIds(7))) as board:
        app = fastapi_app.create_app(
            board,
            twilio_auth_token=TWILIO_TOKEN,
            whatsapp_app_secret=META_SECRET,
            whatsapp_verify_token="verify-7",
            email_relay_token=RELAY_TOKEN,
            send=sender,
            public_url=PUBLIC,
            support_addresses=["help@support.example"],
            drain_every=0.01,
            log=log.append,
        )
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),  # the transport runs no lifespan: start the drain here
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            running = Site(board, clock, client, sender)
            running.log = log
            yield running


def sms_form() -> dict[str, str]:
    form: dict[str, str] = json.loads((FIXTURES / "twilio_sms.json").read_text("utf-8"))
    return form


def whatsapp_envelope() -> dict[str, Any]:
    envelope: dict[str, Any] = json.loads((FIXTURES / "whatsapp_text.json").read_text("utf-8"))
    return envelope


def customer_email(reference: str) -> bytes:
    text = (FIXTURES / "customer_email.eml").read_text("utf-8").replace("{reference}", reference)
    return text.replace("\n", "\r\n").encode()


@pytest.mark.anyio
async def test_one_journey_across_sms_whatsapp_and_email(site: Site) -> None:
    answer = await site.twilio(sms_form())
    assert (answer.status_code, answer.content) == (200, fastapi_app.EMPTY_TWIML)
    contact = await site.board.find_contact("phone:+14155550100")
    assert contact is not None
    (journey,) = await site.board.journeys(contact.id)

    site.clock.set(START + timedelta(minutes=5))
    assert (await site.whatsapp(whatsapp_envelope())).status_code == 200
    site.clock.set(START + timedelta(minutes=70))
    assert (await site.email(customer_email(journey.reference))).status_code == 200

    after = await site.board.journey(journey.id)
    assert after.channels == ("sms", "whatsapp", "email")
    handoffs = await site.board.handoffs(journey.id)
    assert [(h.from_channel, h.to_channel) for h in handoffs] == [("sms", "whatsapp"), ("whatsapp", "email")]
    assert any(f.value == "A-1042" for f in handoffs[-1].summary.facts)
    assert site.log == []


@pytest.mark.anyio
async def test_redelivered_webhooks_are_recorded_once(site: Site) -> None:
    for _ in range(2):
        assert (await site.twilio(sms_form())).status_code == 200
        assert (await site.whatsapp(whatsapp_envelope())).status_code == 200
    contact = await site.board.find_contact("phone:+14155550100")
    assert contact is not None
    (journey,) = await site.board.journeys(contact.id)
    assert len(await site.board.history(journey.id)) == 2


@pytest.mark.anyio
@pytest.mark.parametrize("provider", ["twilio", "twilio_tampered", "whatsapp", "whatsapp_unsigned", "email"])
async def test_a_bad_signature_is_refused_and_nothing_is_recorded(site: Site, provider: str) -> None:
    if provider == "twilio":
        answer = await site.twilio(sms_form(), token="not-the-auth-token")
    elif provider == "twilio_tampered":
        form = sms_form()
        url = PUBLIC + "/webhooks/twilio" + "".join(k + form[k] for k in sorted(form))
        good = base64.b64encode(hmac.new(TWILIO_TOKEN.encode(), url.encode(), hashlib.sha1).digest()).decode()
        form["Body"] = "Please send my order to a new address"  # signed for another body
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": good}
        answer = await site.client.post("/webhooks/twilio", content=urlencode(form).encode(), headers=headers)
    elif provider == "whatsapp":
        answer = await site.whatsapp(whatsapp_envelope(), secret="not-the-app-secret")
    elif provider == "whatsapp_unsigned":
        answer = await site.client.post(
            "/webhooks/whatsapp", content=json.dumps(whatsapp_envelope()).encode()
        )
    else:
        answer = await site.email(customer_email("J-00000"), token="guess")
    assert answer.status_code == 403
    assert await site.board.find_contact("phone:+14155550100") is None
    assert await site.board.find_contact("email:ana@example.com") is None


@pytest.mark.anyio
async def test_the_whatsapp_handshake_answers_only_the_verify_token(site: Site) -> None:
    good = {"hub.mode": "subscribe", "hub.verify_token": "verify-7", "hub.challenge": "1158201444"}
    answer = await site.client.get("/webhooks/whatsapp", params=good)
    assert (answer.status_code, answer.text) == (200, "1158201444")
    answer = await site.client.get("/webhooks/whatsapp", params={**good, "hub.verify_token": "guess"})
    assert answer.status_code == 403


@pytest.mark.anyio
async def test_unreadable_and_oversized_payloads_are_refused(site: Site) -> None:
    raw = b"{not json"
    signature = "sha256=" + hmac.new(META_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    answer = await site.client.post(
        "/webhooks/whatsapp", content=raw, headers={"X-Hub-Signature-256": signature}
    )
    assert answer.status_code == 400
    huge = b"x" * (fastapi_app.MAX_BODY + 1)
    answer = await site.client.post(
        "/webhooks/whatsapp", content=huge, headers={"X-Hub-Signature-256": signature}
    )
    assert answer.status_code == 413
    assert await site.board.find_contact("phone:+14155550100") is None


@pytest.mark.anyio
async def test_the_background_task_drains_the_outbox(site: Site) -> None:
    await site.twilio(sms_form())
    site.clock.set(START + timedelta(minutes=5))
    await site.whatsapp(whatsapp_envelope())  # a channel switch: the policy has something to say
    site.clock.set(START + timedelta(hours=1))
    await asyncio.wait_for(site.sender.arrived.wait(), timeout=10)
    for _ in range(1000):  # the ack follows the send on the next awaits
        pending = await site.board.outbox.due(START + timedelta(hours=1))
        note = await site.board.outbox.get(site.sender.sent[0].id)
        if not pending and note.status == "sent":
            break
        await asyncio.sleep(0.01)
    assert not pending, "every due notification was sent"
    assert note.status == "sent" and note.provider_id == f"SM{1:032d}"
    # a delivery report for it comes back through the webhook
    status = whatsapp_envelope()
    value = status["entry"][0]["changes"][0]["value"]
    del value["messages"], value["contacts"]
    value["statuses"] = [
        {
            "id": note.provider_id,
            "status": "delivered",
            "timestamp": "1773154800",
            "recipient_id": "14155550100",
        }
    ]
    assert (await site.whatsapp(status)).status_code == 200
    assert (await site.board.outbox.get(note.id)).status == "delivered"


@pytest.mark.anyio
async def test_a_failing_provider_leaves_the_notification_pending() -> None:
    async def down(note: Notification) -> str:
        raise ConnectionError("provider down")

    sender = Sender()
    async with await AsyncSwitchboard.open("memory://", clock=FixedClock(START)) as board:
        first = await board.receive(
            Inbound(channel="sms", identity="phone:+14155550100", body="Where is A-1042?", at=START)
        )
        await board.receive(
            Inbound(channel="whatsapp", identity="phone:+14155550100", body="Here now", at=START)
        )
        later = START + timedelta(hours=1)
        due = await board.outbox.due(later)
        assert due and due[0].journey_id == first.journey.id
        log: list[str] = []
        assert await fastapi_app.drain(board, down, now=later, log=log.append) == []
        assert log == [f"could not send {n.id}: provider down" for n in due]
        assert [n.id for n in await board.outbox.due(later)] == [n.id for n in due]
        sent = await fastapi_app.drain(board, sender, now=later)
        assert [n.id for n in sent] == [n.id for n in due] == [n.id for n in sender.sent]
        assert await board.outbox.due(later) == []
