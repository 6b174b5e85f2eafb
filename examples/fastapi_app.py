"""The webhook server for asyncio hosts: FastAPI, with the outbox drained by a background task.

The same three providers as ``examples/webhook_app.py`` (the WSGI app), on an
:class:`~handoff.aio.AsyncSwitchboard`, so a slow store never stalls the event loop.
Every request is authenticated before its body is parsed:

* ``POST /webhooks/twilio``   — SMS, WhatsApp-via-Twilio, status callbacks, calls;
  checked with ``X-Twilio-Signature`` (the account's auth token).
* ``GET|POST /webhooks/whatsapp`` — the WhatsApp Cloud API: the subscription handshake,
  then webhooks checked with ``X-Hub-Signature-256`` (the app secret).
* ``POST /webhooks/email``    — a raw RFC 822 message from your inbound mail relay,
  checked with a shared token in ``X-Relay-Token``.

While the app runs, a background task sends what is due in the outbox every
``drain_every`` seconds through the ``send(notification)`` coroutine you plug in, and
acknowledges each with the provider's message id.

Run ``python examples/fastapi_app.py`` for a self-contained walk-through (``pip install
'channel-handoff[web]'``), or ``uvicorn --factory fastapi_app:demo_app --app-dir examples`` to
serve a demo on an in-memory store.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlencode

import httpx
from fastapi import FastAPI, Request, Response

from handoff import FixedClock, IngestError, Notification, Switchboard
from handoff.aio import AsyncSwitchboard
from handoff.ingest import Parsed, email, twilio, whatsapp

Sender = Callable[[Notification], Awaitable["str | None"]]

MAX_BODY = 1_000_000  # webhooks are small; refuse anything bigger
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def create_app(
    board: AsyncSwitchboard,
    *,
    twilio_auth_token: str,
    whatsapp_app_secret: str,
    whatsapp_verify_token: str,
    email_relay_token: str,
    send: Sender,
    public_url: str | None = None,
    support_addresses: Iterable[str] = (),
    drain_every: float = 5.0,
    log: Callable[[str], None] = print,
) -> FastAPI:
    """The FastAPI application over ``board`` (which the caller opens and closes).

    ``public_url`` is the base URL the providers were given (``https://support.example.com``);
    Twilio signs the URL it called, which a proxy in front of this app may have rewritten.
    ``log`` receives one line per problem that did not fail the request.
    """
    public = public_url.rstrip("/") if public_url else None
    own_addresses = tuple(support_addresses)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(drain_forever(board, send, every=drain_every, log=log))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(lifespan=lifespan)

    async def apply(parsed: Parsed) -> None:
        """Record what was parsed; bad parts are logged, good parts are kept.

        Failures are answered with 200 all the same: ingestion is idempotent, but a
        provider redelivering a payload that cannot be applied would only retry forever.
        """
        for error in parsed.errors:
            log(f"skipped a bad part: {error}")
        try:
            await board.ingest(parsed)
        except IngestError as exc:
            log(f"not applied: {exc}")

    @app.post("/webhooks/twilio")
    async def twilio_webhook(request: Request) -> Response:
        raw = await _body(request)
        if raw is None:
            return _text(413, "too large")
        form = {
            # Undecodable bytes become U+FFFD, so the signature check refuses them.
            key: values[-1]
            for key, values in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()
        }
        url = str(request.url) if public is None else public + request.url.path + _query(request)
        signature = request.headers.get("x-twilio-signature", "")
        if not twilio.verify_signature(url, form, signature, twilio_auth_token):
            return _text(403, "bad signature")
        try:
            parsed = twilio.parse(form, clock=board.clock)
        except IngestError as exc:
            return _text(400, str(exc))
        await apply(parsed)
        return Response(EMPTY_TWIML, media_type="text/xml")

    @app.get("/webhooks/whatsapp")
    async def whatsapp_handshake(request: Request) -> Response:
        query = request.query_params
        token = query.get("hub.verify_token", "")
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), whatsapp_verify_token.encode()
        ):
            return _text(200, query.get("hub.challenge", ""))
        return _text(403, "bad verify token")

    @app.post("/webhooks/whatsapp")
    async def whatsapp_webhook(request: Request) -> Response:
        raw = await _body(request)
        if raw is None:
            return _text(413, "too large")
        header = request.headers.get("x-hub-signature-256", "")
        if not whatsapp.verify_signature(raw, header, whatsapp_app_secret):
            return _text(403, "bad signature")
        try:
            parsed = whatsapp.parse(raw)
        except IngestError as exc:
            return _text(400, str(exc))
        await apply(parsed)
        return _text(200, "ok")

    @app.post("/webhooks/email")
    async def email_webhook(request: Request) -> Response:
        token = request.headers.get("x-relay-token", "")
        if not hmac.compare_digest(token.encode(), email_relay_token.encode()):
            return _text(403, "bad relay token")
        raw = await _body(request)
        if raw is None:
            return _text(413, "too large")
        try:
            parsed = email.parse(raw, received_at=board.clock.now(), own_addresses=own_addresses)
        except IngestError as exc:
            return _text(400, str(exc))
        await apply(parsed)
        return _text(200, "ok")

    return app


async def drain(
    board: AsyncSwitchboard,
    send: Sender,
    now: datetime | None = None,
    *,
    log: Callable[[str], None] = print,
) -> list[Notification]:
    """Send every due notification through ``send`` and acknowledge it; return those sent.

    ``send`` returns the provider's message id (or None). When it raises, the
    notification stays pending and is tried again on the next drain.
    """
    sent = []
    for note in await board.outbox.due(now):
        try:
            provider_id = await send(note)
        except Exception as exc:  # a provider outage must not stop the other notifications
            log(f"could not send {note.id}: {exc}")
            continue
        sent.append(await board.outbox.ack(note.id, provider_id=provider_id))
    return sent


async def drain_forever(
    board: AsyncSwitchboard, send: Sender, *, every: float, log: Callable[[str], None] = print
) -> None:
    """:func:`drain` every ``every`` seconds until cancelled; a failed round is logged, not fatal."""
    while True:
        try:
            await drain(board, send, log=log)
        except Exception as exc:  # the store is down: try again next round
            log(f"could not drain the outbox: {exc}")
        await asyncio.sleep(every)


class RecordingSender:
    """A stand-in for real providers: records each message and returns a message id."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    async def __call__(self, note: Notification) -> str:
        self.sent.append(note)
        digest = hashlib.sha256(note.id.encode()).hexdigest()[:32]
        ids = {"sms": f"SM{digest}", "whatsapp": f"wamid.{digest}"}
        return ids.get(note.channel, f"<{digest}@support.example>")


async def _body(request: Request) -> bytes | None:
    """The request body; None past ``MAX_BODY`` bytes, found before all of it is read."""
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_BODY:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _query(request: Request) -> str:
    query = request.url.query
    return f"?{query}" if query else ""


def _text(status: int, body: str) -> Response:
    return Response(body, status_code=status, media_type="text/plain")


def demo_app(board: AsyncSwitchboard | None = None, send: Sender | None = None) -> FastAPI:
    """A demo on an in-memory store with made-up secrets; notifications are only recorded."""
    return create_app(
        board or AsyncSwitchboard(Switchboard.open("memory://")),
        twilio_auth_token="twilio-auth-token",
        whatsapp_app_secret="meta-app-secret",
        whatsapp_verify_token="verify-me",
        email_relay_token="relay-token",
        send=send or RecordingSender(),
        support_addresses=["help@support.example"],
        drain_every=0.05,
    )


# -- the walk-through ----------------------------------------------------------------------


def twilio_signature(url: str, form: dict[str, str], auth_token: str) -> str:
    """What Twilio would send as ``X-Twilio-Signature`` for this form posted to ``url``."""
    payload = url + "".join(key + form[key] for key in sorted(form))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


async def walk_through() -> None:
    start = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)
    clock = FixedClock(start)
    sender = RecordingSender()
    async with AsyncSwitchboard(Switchboard.open("memory://", clock=clock)) as board:
        app = demo_app(board, sender)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),  # starts the drain; a real server does this itself
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            form = {"MessageSid": "SM0001", "From": "+14155550100", "To": "+15005550006"}
            form["Body"] = "Where is A-1042?"
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": twilio_signature(
                    "http://testserver/webhooks/twilio", form, "twilio-auth-token"
                ),
            }
            body = urlencode(form).encode()
            answer = await client.post("/webhooks/twilio", content=body, headers=headers)
            print("signed SMS:", answer.status_code)
            forged = {**headers, "X-Twilio-Signature": "forged"}
            print(
                "forged SMS:",
                (await client.post("/webhooks/twilio", content=body, headers=forged)).status_code,
            )
            clock.set(start + timedelta(minutes=1))
            message: dict[str, object] = {
                "from": "14155550100",
                "id": "wamid.0001",
                "timestamp": str(int(start.timestamp()) + 60),
            }
            message |= {"type": "text", "text": {"body": "Writing on WhatsApp now"}}
            value = {
                "messaging_product": "whatsapp",
                "contacts": [{"wa_id": "14155550100"}],
                "messages": [message],
            }
            envelope = {
                "object": "whatsapp_business_account",
                "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
            }
            raw = json.dumps(envelope).encode()
            signature = "sha256=" + hmac.new(b"meta-app-secret", raw, hashlib.sha256).hexdigest()
            answer = await client.post(
                "/webhooks/whatsapp", content=raw, headers={"X-Hub-Signature-256": signature}
            )
            print("WhatsApp:", answer.status_code)
            clock.set(start + timedelta(hours=1))
            for _ in range(200):  # the background task sends what is due
                if not await board.outbox.due():
                    break
                await asyncio.sleep(0.05)
        ana = await board.find_contact("phone:+14155550100")
        assert ana is not None
        (journey,) = await board.journeys(ana.id)
        print(journey.reference, "path:", " → ".join(journey.channels))
        for note in sender.sent:
            print(f"→ {note.channel} to {note.to}: {note.body}")
        print(f"{len(sender.sent)} notification(s) sent by the background task")


if __name__ == "__main__":
    asyncio.run(walk_through())
