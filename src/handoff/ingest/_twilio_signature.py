"""Twilio's request signature (``X-Twilio-Signature``), as its documentation specifies.

Checking it before parsing is what stops anyone who knows the webhook URL from
writing into customer journeys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, urlsplit, urlunsplit

from handoff.errors import IngestError

__all__ = ["verify_signature"]

_DEFAULT_PORTS = {"https": 443, "http": 80}


def verify_signature(
    url: str,
    params: Mapping[str, str | Sequence[str]] | str | bytes,
    signature: str,
    auth_token: str,
) -> bool:
    """Whether ``signature`` (the ``X-Twilio-Signature`` header) is Twilio's for this request.

    Implements Twilio's documented scheme: HMAC-SHA1, keyed with the auth token, of the
    full URL followed by every POST parameter's name and value in name order, base64
    encoded. For JSON bodies, pass the raw body as ``params``: the URL then carries its
    SHA-256 in ``bodySHA256``. As Twilio's own libraries do, the URL is tried with and
    without its port. The comparison takes constant time.
    """
    if not isinstance(auth_token, str) or not auth_token:
        raise IngestError("auth_token", "the account's auth token is required")
    if not isinstance(url, str):
        raise IngestError("url", f"expected the request URL as text, got {type(url).__name__}")
    if not isinstance(signature, str) or not signature:
        return False
    if isinstance(params, (str, bytes)):
        if not _body_hash_matches(url, params):
            return False
        pairs: list[tuple[str, str]] = []
    else:
        pairs = _sorted_pairs(params)
    expected = signature.encode("utf-8", "surrogatepass")
    candidates = (_signature(variant, pairs, auth_token) for variant in _url_variants(url))
    return any(hmac.compare_digest(candidate, expected) for candidate in candidates)


def _sorted_pairs(params: object) -> list[tuple[str, str]]:
    if not isinstance(params, Mapping):
        raise IngestError("params", f"expected the POST parameters as a mapping, got {type(params).__name__}")
    pairs: set[tuple[str, str]] = set()
    for key, value in params.items():
        if not isinstance(key, str):
            raise IngestError("params", f"parameter names must be text, got {type(key).__name__}")
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, Sequence) or not all(isinstance(v, str) for v in values):
            raise IngestError(f"params.{key}", "expected text or a list of text")
        pairs.update((key, v) for v in values)
    return sorted(pairs)


def _signature(url: str, pairs: list[tuple[str, str]], auth_token: str) -> bytes:
    payload = url + "".join(key + value for key, value in pairs)
    key = auth_token.encode("utf-8", "surrogatepass")
    digest = hmac.new(key, payload.encode("utf-8", "surrogatepass"), hashlib.sha1).digest()
    return base64.b64encode(digest)


def _body_hash_matches(url: str, body: str | bytes) -> bool:
    try:
        query = parse_qs(urlsplit(url).query)
    except ValueError:
        return False
    claimed = query.get("bodySHA256", [""])[0].lower()
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    actual = hashlib.sha256(raw).hexdigest()
    return bool(claimed) and hmac.compare_digest(actual.encode(), claimed.encode("utf-8", "surrogatepass"))


def _url_variants(url: str) -> list[str]:
    """The URL as given, without its port, and with the scheme's default port."""
    variants = [url]
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.netloc.rpartition("@")[2]
    except ValueError:
        return variants
    userinfo = parts.netloc[: len(parts.netloc) - len(host)]
    if port is not None:
        bare = host.rsplit(":", 1)[0]
        variants.append(urlunsplit(parts._replace(netloc=userinfo + bare)))
    elif parts.scheme in _DEFAULT_PORTS:
        variants.append(urlunsplit(parts._replace(netloc=f"{userinfo}{host}:{_DEFAULT_PORTS[parts.scheme]}")))
    return variants
