"""What a customer wrote this time, split from the history their mail client quoted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from attrs import define
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.ingest import email as ingest_email
from handoff.ingest._email_quotes import split_quoted
from handoff.ingest._email_signoff import split_signoff


@define(frozen=True)
class Case:
    """A reply as a client sends it: the customer's new text, then the history in the
    client's own form and language; ``reply`` is what the customer wrote this time."""

    client: str
    language: str
    text: str
    reply: str

    @property
    def id(self) -> str:
        return f"{self.client}-{self.language}"


CORPUS = Path(__file__).parent / "fixtures" / "email" / "replies.json"
CASES = [Case(**row) for row in json.loads(CORPUS.read_text("utf-8"))]
LANGUAGES = frozenset(case.language for case in CASES)


def test_the_corpus_covers_the_major_clients_in_at_least_fifteen_languages() -> None:
    assert len(LANGUAGES) >= 15
    clients = {case.client.partition("-")[0] for case in CASES}
    assert {"gmail", "outlook", "apple", "thunderbird", "android", "samsung", "yahoo"} <= clients
    for client in ("gmail", "outlook"):
        assert len({case.language for case in CASES if case.client == client}) >= 15


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_reply_is_what_the_customer_wrote(case: Case) -> None:
    body, history = split_quoted(case.text)
    assert body == case.reply
    if case.reply != case.text.strip():
        assert history
        assert (history + body).replace("\n", "") != ""


@pytest.mark.parametrize("case", CASES[:5], ids=[case.id for case in CASES[:5]])
def test_a_whole_message_gives_the_same_reply(case: Case) -> None:
    raw = (
        "From: Ana <ana@example.com>\nTo: help@orchard.example\nSubject: Re: 44-1902\n"
        "Date: Tue, 4 Mar 2025 11:00:00 +0000\nMessage-ID: <r@example.com>\n"
        "Content-Type: text/plain; charset=utf-8\n\n" + case.text
    )
    (inbound,) = ingest_email.parse(raw.encode()).inbounds
    assert inbound.body == case.reply
    assert "44-1902 left our warehouse" in inbound.metadata["quoted"]


# Properties over generated replies.

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüéñ ,.!?", min_size=1, max_size=40).filter(
    lambda s: s.strip() and not re.search(r"\b(?:on|wrote|sent|from)\b", s)
)
LINES = st.lists(WORDS, min_size=1, max_size=6).map(lambda lines: "\n".join(line.strip() for line in lines))
ATTRIBUTIONS = st.sampled_from(
    [case.text.split("\n\n")[1] for case in CASES if case.client in ("gmail", "apple-mail")]
)
HISTORY = st.lists(
    st.text(min_size=0, max_size=60).map(lambda s: re.sub(r"[\r\n]", " ", s)), min_size=1, max_size=8
)


@given(reply=LINES, attribution=ATTRIBUTIONS, history=HISTORY)
@settings(max_examples=200, deadline=None)
def test_a_quoted_history_below_any_reply_is_split_off(
    reply: str, attribution: str, history: list[str]
) -> None:
    quoted = "\n".join(f"> {line}" for line in history)
    body, found = split_quoted(f"{reply}\n\n{attribution}\n{quoted}\n")
    assert body == reply.strip()
    assert attribution in found


@given(above=LINES, below=LINES, attribution=ATTRIBUTIONS, history=HISTORY)
@settings(max_examples=200, deadline=None)
def test_text_below_a_quote_is_kept(above: str, below: str, attribution: str, history: list[str]) -> None:
    quoted = "\n".join(f"> {line}" for line in history)
    body, _ = split_quoted(f"{above}\n\n{attribution}\n{quoted}\n\n{below}\n")
    assert body == f"{above.strip()}\n\n{below.strip()}"


@given(text=LINES)
@settings(max_examples=200, deadline=None)
def test_text_without_history_is_left_alone(text: str) -> None:
    assert split_quoted(text) == (text.strip(), "")


@given(text=st.text(max_size=400))
@settings(max_examples=500, deadline=None)
def test_any_text_splits_into_lines_of_itself(text: str) -> None:
    body, history = split_quoted(text)
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    assert all(line in normalized for line in body.split("\n"))
    assert all(line in normalized for line in history.split("\n"))
    assert bool(body) == bool(normalized.strip())


# The sign-off at the foot of a reply.


@pytest.mark.parametrize(
    ("text", "body", "signoff"),
    [
        ("Thanks!\n\n-- \nAna Silva\n+351 912 345 678", "Thanks!", "-- \nAna Silva\n+351 912 345 678"),
        ("Thanks!\n\nSent from my iPhone", "Thanks!", "Sent from my iPhone"),
        ("Merci !\n\nEnvoyé de mon iPhone\n", "Merci !", "Envoyé de mon iPhone"),
        ("Danke!\n\nVon meinem iPhone gesendet", "Danke!", "Von meinem iPhone gesendet"),
        ("Thanks!\n\nGet Outlook for Android", "Thanks!", "Get Outlook for Android"),
        (
            "Does it work?\n\n-Abhishek Kona\n\n\n____\nusers mailing list\nhttp://lists.example/users",
            None,
            None,
        ),
        ("Thanks!\n\nAna", "Thanks!\n\nAna", ""),
        (
            "Hi\n\nSent from my desk, which beats my phone.",
            "Hi\n\nSent from my desk, which beats my phone.",
            "",
        ),
        ("Steps:\n-open the lid\n-press reset", "Steps:\n-open the lid\n-press reset", ""),
        ("--\nonly a signature", "--\nonly a signature", ""),
        ("Price was 10 -- too much\nplease refund", "Price was 10 -- too much\nplease refund", ""),
    ],
)
def test_a_sign_off_below_its_delimiter_is_split_off(
    text: str, body: str | None, signoff: str | None
) -> None:
    found_body, found_signoff = split_signoff(text)
    if body is None:
        assert found_body == "Does it work?"
        assert found_signoff.startswith("-Abhishek Kona")
        assert found_signoff.endswith("http://lists.example/users")
    else:
        assert (found_body, found_signoff) == (body, signoff)


def test_a_phones_sign_off_is_kept_in_the_metadata() -> None:
    (case,) = [case for case in CASES if case.id == "samsung-en"]
    raw = (
        "From: Ana <ana@example.com>\nTo: help@orchard.example\nSubject: Re: 44-1902\n"
        "Date: Tue, 4 Mar 2025 11:00:00 +0000\nMessage-ID: <s@example.com>\n\n" + case.text
    )
    (inbound,) = ingest_email.parse(raw).inbounds
    assert inbound.body == case.reply.removesuffix("\n\nSent from my Galaxy")
    assert inbound.metadata["signature"] == "Sent from my Galaxy"


@given(text=st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_a_sign_off_split_loses_nothing(text: str) -> None:
    body, signoff = split_signoff(text)
    if signoff:
        assert body.strip()
        assert body in text
        assert signoff in text
    else:
        assert body == text
