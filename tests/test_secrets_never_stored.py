"""No card number is stored or shown, however it is written, on any backend.

A Luhn-valid number is drawn, written in one of many renderings (separators, odd
spaces, full-width digits, zero-width characters, HTML, URLs, line breaks) and placed
in one of the texts a message or an agent carries (body, subject, quoted history,
attachment name, display name, agent name, note, reply, survey comment, contact name).
Then no stored record, export, summary in any format, notification or logged decision
holds its digits: the check reads every text with an independent normalisation
(NFKC, every decimal digit of any script as ASCII, zero-width characters ignored).
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import FixedClock, Inbound, Switchboard
from handoff.serde import to_dict
from tests.cards import card_numbers
from tests.pgserver import BACKENDS, backend_url

T0 = datetime(2025, 2, 3, 10, 0, tzinfo=timezone.utc)


def _groups(digits: str, size: int = 4) -> list[str]:
    return [digits[i : i + size] for i in range(0, len(digits), size)]


def _full_width(digits: str) -> str:
    return "".join(chr(0xFF10 + int(d)) for d in digits)


def _arabic_indic(digits: str) -> str:
    return "".join(chr(0x0660 + int(d)) for d in digits)


RENDERINGS: dict[str, Callable[[str], str]] = {
    "spaces": lambda d: " ".join(_groups(d)),
    "dashes": lambda d: "-".join(_groups(d)),
    "no separator": lambda d: d,
    "non-breaking spaces": lambda d: "\u00a0".join(_groups(d)),
    "thin spaces": lambda d: "\u2009".join(_groups(d)),
    "narrow non-breaking spaces": lambda d: "\u202f".join(_groups(d)),
    "dots": lambda d: ".".join(_groups(d)),
    "slashes": lambda d: "/".join(_groups(d)),
    "full-width digits": lambda d: " ".join(_groups(_full_width(d))),
    "arabic-indic digits": _arabic_indic,
    "zero-width spaces": lambda d: "\u200b".join(d),
    "soft hyphens": lambda d: "\u00ad".join(_groups(d)),
    "split over lines": lambda d: "\n".join(_groups(d, 8)),
    "split over CRLF lines": lambda d: "\r\n".join(_groups(d)),
    "HTML entities": lambda d: "&nbsp;".join(_groups(d)),
    "HTML numeric entities": lambda d: "".join(f"&#{ord(c)};" for c in d),
    "HTML cells": lambda d: "<tr>" + "".join(f"<td>{g}</td>" for g in _groups(d)) + "</tr>",
    "HTML line breaks": lambda d: "<br>".join(_groups(d)) + "<br/>",
    "table cells as text": lambda d: " | ".join(_groups(d)),
    "inside a URL path": lambda d: f"https://pay.example.com/cards/{d}/confirm",
    "inside a URL query": lambda d: f"https://pay.example.com/pay?card={'-'.join(_groups(d))}&ok=1",
}
PLACES = (
    "body",
    "subject",
    "quoted reply",
    "attachment name",
    "display name",
    "metadata key",
    "agent reply",
    "agent name",
    "note",
    "survey comment",
    "contact name",
    "transfer agent",
)


@pytest.fixture(params=["memory", "sqlite", *BACKENDS])
def board(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Switchboard]:
    if request.param == "memory":
        url = "memory://"
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'leaks.db'}"
    else:
        url = backend_url(request, request.param)
    with Switchboard.open(url, clock=FixedClock(T0)) as made:
        yield made


def _digits_of(text: str) -> str:
    """Every decimal digit of ``text`` as ASCII, whatever its script or width, in order."""
    return "".join(str(unicodedata.decimal(c)) for c in unicodedata.normalize("NFKC", text) if c.isdecimal())


def _leaks(texts: dict[str, str], digits: str) -> list[str]:
    """Where the digits a mask may not keep (all but the last four) can still be read."""
    secret = digits[:-4]
    return [where for where, text in texts.items() if secret in _digits_of(text)]


def _act(board: Switchboard, place: str, written: str) -> tuple[str, str, list[Any]]:
    """Put ``written`` in ``place``; the contact id, journey id and the outcomes."""
    tag = secrets.token_hex(4)
    meta: dict[str, str] = {}
    body, name = f"Hello, my order A-{tag} is late.", "Ana"
    if place == "body":
        body = f"Card {written} please"
    elif place == "subject":
        meta["subject"] = f"Re: payment with {written}"
    elif place == "quoted reply":
        meta["quoted"] = f"On Monday Ana wrote:\n> my card is\n> {written}\n> thanks"
    elif place == "attachment name":
        meta["attachments"] = f"receipt_{written}.pdf, photo.jpg"
    elif place == "display name":
        name = f"Ana {written}"[:200]
    elif place == "metadata key":
        meta[f"x-card-{written}"] = "1"
    inbound = Inbound(
        channel="email",
        identity=f"email:ana-{tag}@example.com",
        body=body,
        at=T0,
        external_id=f"<{tag}@mail>",
        name=name,
        metadata=meta,
    )
    outcomes: list[Any] = [board.receive(inbound)]
    journey_id, contact_id = outcomes[0].journey.id, outcomes[0].contact.id
    agent = f"agent {written}"[:200] if place == "agent name" else "agent-7"
    reply = f"We saw {written}" if place == "agent reply" else "We are on it."
    outcomes.append(board.reply(journey_id, agent=agent, body=reply, at=T0 + timedelta(minutes=1)))
    if place == "note":
        outcomes.append(board.note(journey_id, agent=agent, body=f"Customer gave {written}"))
    if place == "contact name":
        board.update_contact(contact_id, name=f"Ana {written}"[:200])
    outcomes.append(
        board.transfer(
            journey_id,
            to_channel="chat",
            reason="escalation",
            by=agent,
            to_agent=f"lead {written}"[:200] if place == "transfer agent" else "lead",
            at=T0 + timedelta(minutes=2),
        )
    )
    outcomes.append(board.resolve(journey_id, by=agent, at=T0 + timedelta(minutes=3)))
    comment = f"fine, card {written}" if place == "survey comment" else "fine"
    outcomes.append(board.rate(journey_id, csat=5, comment=comment, at=T0 + timedelta(minutes=4)))
    return contact_id, journey_id, outcomes


def _everything(board: Switchboard, contact_id: str, journey_id: str, outcomes: list[Any]) -> dict[str, str]:
    """Every text a user can read back, by where it comes from."""
    texts = {
        "stored records": json.dumps(to_dict(board.store.contact_records(contact_id)), ensure_ascii=False),
        "export": json.dumps(board.export_contact(contact_id), ensure_ascii=False),
        "outcomes": json.dumps([to_dict(o) for o in outcomes], ensure_ascii=False, default=str),
        "due notifications": repr(board.outbox.due(T0 + timedelta(days=30), limit=1000)),
    }
    for channel in ("email", "chat", "twitter", "sms"):
        summary = board.summary(journey_id, for_channel=channel, now=T0 + timedelta(minutes=5))
        for fmt in ("text", "markdown", "html"):
            texts[f"{channel} summary as {fmt}"] = summary.render(fmt)  # type: ignore[arg-type]
        texts[f"{channel} summary data"] = json.dumps(summary.to_dict(), ensure_ascii=False, default=str)
    for outcome in outcomes:
        for notification in outcome.notifications:
            texts[f"decision behind {notification.id}"] = json.dumps(
                board.explain(notification.id).to_dict(), ensure_ascii=False, default=str
            )
    return texts


# Digits varied enough that their run cannot turn up by chance among dates and ids.
varied_cards = card_numbers.filter(lambda digits: len(set(digits)) >= 5)


@given(
    digits=varied_cards,
    rendering=st.sampled_from(sorted(RENDERINGS)),
    place=st.sampled_from(PLACES),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_card_number_is_stored_or_shown(
    board: Switchboard, digits: str, rendering: str, place: str
) -> None:
    written = RENDERINGS[rendering](digits)
    contact_id, journey_id, outcomes = _act(board, place, written)
    texts = _everything(board, contact_id, journey_id, outcomes)
    assert _leaks(texts, digits) == [], f"{rendering} in the {place}"


@pytest.mark.parametrize("rendering", sorted(RENDERINGS))
def test_every_rendering_in_the_body_is_masked_and_flagged(rendering: str) -> None:
    digits = "4111111111111111"
    with Switchboard.open("memory://", clock=FixedClock(T0)) as board:
        contact_id, journey_id, outcomes = _act(board, "subject", RENDERINGS[rendering](digits))
        assert outcomes[0].interaction.sensitive
        assert _leaks(_everything(board, contact_id, journey_id, outcomes), digits) == []


@pytest.mark.parametrize(
    ("written", "secret"),
    [
        ("my cvv is 123", "123"),
        ("CVC2: 987", "987"),
        ("security code: 4321", "4321"),
        ("card verification value 777", "777"),
        ("PIN 2468", "2468"),
        ("password: hunter2", "hunter2"),
        ("my password is Tr0ub4dor&3", "Tr0ub4dor&3"),
        ("passcode = s3cr3t!", "s3cr3t!"),
        ("IBAN DE89 3704 0044 0532 0130 00", "370400440532"),
        ("iban: GB29NWBK60161331926819", "NWBK601613"),
    ],
)
def test_security_codes_passwords_and_ibans_are_never_stored(written: str, secret: str) -> None:
    with Switchboard.open("memory://", clock=FixedClock(T0)) as board:
        for place in ("body", "subject", "display name", "note"):
            contact_id, journey_id, outcomes = _act(board, place, written)
            texts = _everything(board, contact_id, journey_id, outcomes)
            alone = re.compile(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])")
            assert [where for where, text in texts.items() if alone.search(text)] == [], place
