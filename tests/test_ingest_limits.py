"""Every adapter refuses a payload past its size limit before parsing it, with an IngestError."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.errors import IngestError
from handoff.ingest import freshdesk, intercom, meta, whatsapp, zammad, zendesk
from handoff.ingest.base import Parsed

FIXTURES = Path(__file__).parent / "fixtures"
JSON_ADAPTERS: dict[str, tuple[Callable[..., Parsed], Path, int]] = {
    "whatsapp": (whatsapp.parse, FIXTURES / "whatsapp" / "text_reply.json", 1024 * 1024),
    "meta": (meta.parse, FIXTURES / "meta" / "messenger_text.json", 1024 * 1024),
    "zendesk": (zendesk.parse, FIXTURES / "zendesk" / "ticket_email.json", 32 * 1024 * 1024),
    "freshdesk": (freshdesk.parse, FIXTURES / "freshdesk" / "ticket_email.json", 32 * 1024 * 1024),
    "zammad": (zammad.parse, FIXTURES / "zammad" / "ticket_expanded.json", 32 * 1024 * 1024),
    "intercom": (intercom.parse, FIXTURES / "intercom" / "conversation_chat.json", 32 * 1024 * 1024),
}


@pytest.mark.parametrize("name", JSON_ADAPTERS)
def test_a_body_past_max_bytes_is_refused_before_parsing(name: str) -> None:
    parse, path, _ = JSON_ADAPTERS[name]
    decoded = json.loads(path.read_bytes())
    body = json.dumps(decoded, ensure_ascii=False, separators=(",", ":")).encode()
    assert parse(body, max_bytes=len(body)).inbounds
    limit = len(body) // 2
    for payload in (body, body.decode("utf-8"), decoded, b"{" * (len(body) + 1)):
        with pytest.raises(IngestError) as caught:
            parse(payload, max_bytes=limit)
        assert caught.value.field == "$"
        assert f"max_bytes={limit}" in caught.value.problem


@pytest.mark.parametrize("name", JSON_ADAPTERS)
def test_the_default_limit_fits_the_kind_of_payload(name: str) -> None:
    parse, _, limit = JSON_ADAPTERS[name]
    with pytest.raises(IngestError) as caught:
        parse(b" " * (limit + 1))
    assert f"max_bytes={limit}" in caught.value.problem


@pytest.mark.parametrize("name", JSON_ADAPTERS)
@pytest.mark.parametrize("value", [0, -5, 2.5, "1000", True])
def test_a_limit_must_be_a_positive_whole_number(name: str, value: Any) -> None:
    parse, path, _ = JSON_ADAPTERS[name]
    with pytest.raises(IngestError) as caught:
        parse(path.read_bytes(), max_bytes=value)
    assert caught.value.field == "max_bytes"


def test_a_decoded_payload_nested_too_deep_is_refused_without_recursing() -> None:
    payload: Any = "x"
    for _ in range(10_000):
        payload = {"entry": [payload]}
    with pytest.raises(IngestError) as caught:
        whatsapp.parse(payload)
    assert caught.value.field == "$"


@given(size=st.integers(min_value=1, max_value=4096), extra=st.integers(min_value=1, max_value=64))
@settings(max_examples=50, deadline=None)
def test_the_measure_of_a_decoded_payload_is_never_below_its_text(size: int, extra: int) -> None:
    payload = {"object": "page", "entry": [{"id": "1", "messaging": [{"text": "é" * size}]}]}
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    limit = max(1, len(text) - extra)
    with pytest.raises(IngestError):
        meta.parse(payload, max_bytes=limit)
