"""A minimal webhook server: Twilio, WhatsApp and email in; notifications out through your sender.

The app is a plain WSGI callable (stdlib ``wsgiref`` serves it; any WSGI server or
framework can mount it). Every request is authenticated before its body is parsed:

* ``POST /webhooks/twilio``   — SMS, WhatsApp-via-Twilio, status callbacks, calls;
  checked with ``X-Twilio-Signature`` (the account's auth token).
* ``GET|POST /webhooks/whatsapp`` — the WhatsApp Cloud API: the subscription handshake,
  then webhooks checked with ``X-Hub-Signature-256`` (the app secret).
* ``POST /webhooks/email``    — a raw RFC 822 message from your inbound mail relay,
  checked with a shared token in ``X-Relay-Token``.

:func:`drain` sends what is due in the outbox through a ``send(notification)``
function you plug in (your SMS/WhatsApp/email providers) and acknowledges each with
the provider's message id, so delivery reports coming back through the webhooks mark
it delivered or read.

Run ``python examples/webhook_app.py`` for a self-contained walk-through, or
``python examples/webhook_app.py --serve`` to listen on http://127.0.0.1:8000.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.util import request_uri

from handoff import IngestError, Notification, Switchboard
from handoff.clock import FixedClock, SeededIds
from handoff.ingest import Parsed, email, twilio, whatsapp

Environ = dict[str, Any]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]
Sender = Callable[[Notification], "str | None"]

_MAX_BODY = 1_000_000  # webhooks are small; refuse anything bigger before reading it
_EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class WebhookApp:
    """The WSGI application: route, authenticate, parse, then ``board.ingest``.

    ``public_url`` is the base URL the providers were given (``https://support.example.com``);
    Twilio signs the URL it called, which a proxy in front of this app may have rewritten.
    ``log`` receives one line per problem that did not fail the request (a bad part of a
    payload, a delivery report for an unknown message...).
    """

    def __init__(
        self,
        board: Switchboard,
        *,
        twilio_auth_token: str,
        whatsapp_app_secret: str,
        whatsapp_verify_token: str,
        email_relay_token: str,
        public_url: str | None = None,
        support_addresses: Iterable[str] = (),
        log: Callable[[str], None] = print,
    ) -> None:
        self.board = board
        self.twilio_auth_token = twilio_auth_token
        self.whatsapp_app_secret = whatsapp_app_secret
        self.whatsapp_verify_token = whatsapp_verify_token
        self.email_relay_token = email_relay_token
        self.public_url = public_url.rstrip("/") if public_url else None
        self.support_addresses = tuple(support_addresses)
        self.log = log

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
        routes = {
            ("POST", "/webhooks/twilio"): self._twilio,
            ("GET", "/webhooks/whatsapp"): self._whatsapp_handshake,
            ("POST", "/webhooks/whatsapp"): self._whatsapp,
            ("POST", "/webhooks/email"): self._email,
        }
        handler = routes.get((method, path))
        if handler is None:
            known = any(p == path for _m, p in routes)
            return _reply(start_response, "405 Method Not Allowed" if known else "404 Not Found", b"")
        try:
            status, body, kind = handler(environ)
        except IngestError as exc:  # the payload itself is unreadable: redelivery will not help
            self.log(f"{path}: rejected: {exc}")
            status, body, kind = "400 Bad Request", str(exc).encode(), "text/plain"
        return _reply(start_response, status, body, kind)

    # -- providers ---------------------------------------------------------------------
    def _twilio(self, environ: Environ) -> tuple[str, bytes, str]:
        raw = _body(environ)
        form = {
            # Undecodable bytes become U+FFFD, so the signature check refuses them.
            key: values[-1]
            for key, values in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()
        }
        url = self._url(environ)
        if not twilio.verify_signature(
            url, form, environ.get("HTTP_X_TWILIO_SIGNATURE", ""), self.twilio_auth_token
        ):
            return "403 Forbidden", b"bad signature", "text/plain"
        self._apply(twilio.parse(form, clock=self.board.clock))
        return "200 OK", _EMPTY_TWIML, "text/xml"

    def _whatsapp_handshake(self, environ: Environ) -> tuple[str, bytes, str]:
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        token = query.get("hub.verify_token", "")
        expected = self.whatsapp_verify_token.encode()
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(token.encode(), expected):
            return "200 OK", query.get("hub.challenge", "").encode(), "text/plain"
        return "403 Forbidden", b"bad verify token", "text/plain"

    def _whatsapp(self, environ: Environ) -> tuple[str, bytes, str]:
        raw = _body(environ)
        header = environ.get("HTTP_X_HUB_SIGNATURE_256", "")
        if not whatsapp.verify_signature(raw, header, self.whatsapp_app_secret):
            return "403 Forbidden", b"bad signature", "text/plain"
        self._apply(whatsapp.parse(raw))
        return "200 OK", b"ok", "text/plain"

    def _email(self, environ: Environ) -> tuple[str, bytes, str]:
        token = environ.get("HTTP_X_RELAY_TOKEN", "")
        if not hmac.compare_digest(token.encode(), self.email_relay_token.encode()):
            return "403 Forbidden", b"bad relay token", "text/plain"
        parsed = email.parse(
            _body(environ), received_at=self.board.clock.now(), own_addresses=self.support_addresses
        )
        self._apply(parsed)
        return "200 OK", b"ok", "text/plain"

    # -- plumbing ----------------------------------------------------------------------
    def _apply(self, parsed: Parsed) -> None:
        """Record what was parsed; bad parts are logged, good parts are kept.

        Failures are answered with 200 all the same: ingestion is idempotent, but a
        provider redelivering a payload that cannot be applied would only retry forever.
        """
        for error in parsed.errors:
            self.log(f"skipped a bad part: {error}")
        try:
            self.board.ingest(parsed)
        except IngestError as exc:
            self.log(f"not applied: {exc}")

    def _url(self, environ: Environ) -> str:
        if self.public_url is None:
            return request_uri(environ, include_query=True)
        query = environ.get("QUERY_STRING", "")
        return self.public_url + environ.get("PATH_INFO", "") + (f"?{query}" if query else "")


def drain(board: Switchboard, send: Sender, now: datetime | None = None) -> list[Notification]:
    """Send every due notification through ``send`` and acknowledge it; return those sent.

    ``send`` returns the provider's message id (or None). When it raises, the
    notification stays pending and is tried again on the next drain.
    """
    sent = []
    for note in board.outbox.due(now):
        try:
            provider_id = send(note)
        except Exception as exc:  # a provider outage must not stop the other notifications
            print(f"could not send {note.id}: {exc}", file=sys.stderr)
            continue
        sent.append(board.outbox.ack(note.id, provider_id=provider_id))
    return sent


class RecordingSender:
    """A stand-in for real providers: prints and records each message, returns a message id."""

    def __init__(self, quiet: bool = False) -> None:
        self.sent: list[Notification] = []
        self.quiet = quiet

    def __call__(self, note: Notification) -> str:
        self.sent.append(note)
        if not self.quiet:
            print(f"→ {note.channel} to {note.to}: {note.body}")
        digest = hashlib.sha256(note.id.encode()).hexdigest()[:32]
        ids = {"sms": f"SM{digest}", "whatsapp": f"wamid.{digest}"}
        return ids.get(note.channel, f"<{digest}@support.example>")


def _body(environ: Environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise IngestError("Content-Length", "not a number") from None
    if length < 0 or length > _MAX_BODY:
        raise IngestError("Content-Length", f"expected at most {_MAX_BODY} bytes")
    body: bytes = environ["wsgi.input"].read(length)
    return body


def _reply(start_response: StartResponse, status: str, body: bytes, kind: str = "text/plain") -> list[bytes]:
    start_response(status, [("Content-Type", f"{kind}; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]


# -- the walk-through ----------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(app: WsgiApp, host: str = "127.0.0.1", port: int = 0) -> tuple[str, Callable[[], None]]:
    """Serve ``app`` on a thread; return its base URL and a function that stops it."""
    server = make_server(host, port, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return f"http://{host}:{server.server_port}", stop


def twilio_signature(url: str, form: dict[str, str], auth_token: str) -> str:
    """What Twilio would send as ``X-Twilio-Signature`` for this form posted to ``url``."""
    payload = url + "".join(key + form[key] for key in sorted(form))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body``; the HTTP status code."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def main() -> None:
    start = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)
    board = Switchboard.open("memory://", clock=FixedClock(start), ids=SeededIds(11))  # the same every run
    app = WebhookApp(
        board,
        twilio_auth_token="twilio-auth-token",
        whatsapp_app_secret="meta-app-secret",
        whatsapp_verify_token="verify-me",
        email_relay_token="relay-token",
        support_addresses=["help@support.example"],
    )
    if "--serve" in sys.argv[1:]:
        print("listening on http://127.0.0.1:8000 (Ctrl-C stops)")
        make_server("127.0.0.1", 8000, app).serve_forever()
        return
    base, stop = serve(app)
    try:
        url = f"{base}/webhooks/twilio"
        form = {
            "MessageSid": "SM0001",
            "From": "+14155550100",
            "To": "+15005550006",
            "Body": "Where is A-1042?",
        }
        body = urlencode(form).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": twilio_signature(url, form, "twilio-auth-token"),
        }
        print("signed SMS:", post(url, body, headers))
        print("forged SMS:", post(url, body, {**headers, "X-Twilio-Signature": "forged"}))
        message = {"from": "14155550100", "id": "wamid.0001", "timestamp": str(int(start.timestamp()) + 60)}
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
        print("WhatsApp:", post(f"{base}/webhooks/whatsapp", raw, {"X-Hub-Signature-256": signature}))
    finally:
        stop()
    ana = board.find_contact("phone:+14155550100")
    assert ana is not None
    (journey,) = board.journeys(ana.id)
    print(journey.reference, "path:", " → ".join(journey.channels))
    sent = drain(board, RecordingSender(), now=start + timedelta(hours=1))
    print(f"{len(sent)} notification(s) sent and acknowledged")


if __name__ == "__main__":
    main()
