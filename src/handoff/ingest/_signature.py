"""Meta's ``X-Hub-Signature-256`` webhook check, shared by the WhatsApp and Messenger adapters.

Meta signs the raw request body with the app secret (HMAC-SHA256) and sends
``sha256=<hex digest>``. Checking it before parsing is what stops anyone who knows the
webhook URL from writing into customer journeys.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from handoff.errors import IngestError

__all__ = ["verify_signature"]

_HEADER_RE = re.compile(r"^\s*sha256=([0-9a-fA-F]{64})\s*$")


def verify_signature(body: bytes, header: str, app_secret: str) -> bool:
    """True when ``header`` is Meta's ``sha256=`` HMAC of the raw ``body`` under ``app_secret``.

    Pass the body exactly as received (before any JSON decoding). A missing or malformed
    header is simply not valid (False); the comparison takes constant time.
    """
    if not isinstance(body, bytes | bytearray | memoryview):
        raise IngestError("body", f"expected the raw request body as bytes, got {type(body).__name__}")
    if not isinstance(app_secret, str) or not app_secret:
        raise IngestError("app_secret", "the app secret must be non-empty text")
    try:
        key = app_secret.encode("utf-8")
    except UnicodeEncodeError:
        raise IngestError("app_secret", "the app secret is not valid text") from None
    if not isinstance(header, str):
        return False
    match = _HEADER_RE.match(header)
    if match is None:
        return False
    expected = hmac.new(key, bytes(body), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), match.group(1).lower().encode("ascii"))
