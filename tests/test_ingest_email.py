"""Email ingestion: real-world messages in, customer messages / delivery events / skips out."""

from __future__ import annotations

import email
import email.policy
import mailbox
import random
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.errors import IngestError
from handoff.events import MAX_BODY_CHARS, Inbound
from handoff.ingest import email as ingest_email
from handoff.ingest.base import Parsed
from tests.fuzzing import fuzz_examples, reads_or_rejects

FIXTURES = Path(__file__).parent / "fixtures" / "email"
RECEIVED = datetime(2024, 7, 15, 12, 0, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def only_inbound(parsed: Parsed) -> Inbound:
    assert parsed.errors == ()
    assert parsed.events == ()
    assert parsed.skipped == ()
    assert len(parsed.inbounds) == 1
    return parsed.inbounds[0]


def simple(headers: str, body: str = "Where is my parcel?\n") -> bytes:
    base = "From: Ana Silva <ana@example.com>\nTo: help@example.com\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n"
    return (base + headers + "\n" + body).encode("utf-8")


# -- a customer's reply -----------------------------------------------------------------------


def test_a_reply_becomes_one_customer_message_with_thread_refs() -> None:
    inbound = only_inbound(ingest_email.parse(fixture("gmail_reply.eml")))

    assert inbound.channel == "email"
    assert inbound.identity == "email:renee.dubois@example.net"
    assert inbound.name == "Renée Dubois"
    assert inbound.author == "customer"
    assert inbound.kind == "message"
    assert inbound.external_id == "CAJ9vLm3Qq7Zk2@mail.example.net"
    assert inbound.thread_ref == ("CAF2hq8xY0rTw1@mail.example.net", "ticket-4471.notify@help.example.com")
    assert inbound.at == datetime(2024, 5, 14, 7, 41, 7, tzinfo=UTC)
    assert inbound.at.utcoffset() == timedelta(0)
    assert inbound.metadata["subject"] == "Re: Your order — refund status"
    assert inbound.metadata["message_id"] == "CAJ9vLm3Qq7Zk2@mail.example.net"
    assert inbound.metadata["to"] == "help@example.com"


@pytest.mark.parametrize(
    ("name", "body", "quoted_part"),
    [
        (
            "gmail_reply.eml",
            "Hi again,\n\nThe refund for order 88231 still hasn’t arrived. Could you check?\n\nRenée",
            "We have issued the refund",
        ),
        ("outlook_reply.eml", "Thanks – that’s helpful.\n\nMarta", "Sent: Friday, June 7, 2024 11:20 AM"),
        ("yahoo_original_message.eml", "Still locked out, I tried the reset link twice.", "Original Message"),
        ("thunderbird_bottom_post.eml", "The green one, size 8.\n\nAoife", "Which colour did you order?"),
        ("wrapped_attribution.eml", "Das Paket ist heute angekommen, danke!", "Ihr Paket ist unterwegs."),
        ("helpdesk_marker.eml", "Yes, please cancel it.", "would you like us to cancel"),
        ("html_only.eml", None, "Your order has shipped."),
        ("apple_flowed.eml", None, "Could you send us the receipt?"),
    ],
)
def test_quoted_history_is_moved_from_the_body_to_metadata(
    name: str, body: str | None, quoted_part: str
) -> None:
    inbound = only_inbound(ingest_email.parse(fixture(name)))

    if body is not None:
        assert inbound.body == body
    assert quoted_part not in inbound.body
    assert quoted_part in inbound.metadata["quoted"]


@pytest.mark.parametrize(
    ("text", "body"),
    [
        (
            'Sounds good\n\n03.07.2024 14:20 "Orchard Support" <help@example.com> написал:\n\n> Ваш заказ\n',
            "Sounds good",
        ),
        (
            "Merci !\n\nLe lun. 1 juil. 2024 à 10:00, Orchard <help@example.com> a écrit :\n> Bonjour\n",
            "Merci !",
        ),
        (
            "Danke.\n\nVon: Orchard Support <help@example.com>\nGesendet: Montag, 1. Juli 2024 10:00\n"
            "An: Lena <lena@example.de>\nBetreff: Lieferung\n\nIhr Paket.\n",
            "Danke.",
        ),
        (
            "My colleague wrote:\nthe order was never sent\nCan you check?\n",
            "My colleague wrote:\nthe order was never sent\nCan you check?",
        ),
        ("> only a quote, nothing new\n", "> only a quote, nothing new"),
    ],
)
def test_reply_styles_from_other_clients_and_languages(text: str, body: str) -> None:
    raw = simple(
        "Subject: Re: order\nMessage-ID: <style@example.com>\nContent-Type: text/plain; charset=utf-8\n", text
    )

    assert only_inbound(ingest_email.parse(raw)).body == body


def test_forwarded_mail_keeps_what_was_forwarded() -> None:
    inbound = only_inbound(ingest_email.parse(fixture("forwarded.eml")))

    assert inbound.body.startswith("See below, I was charged twice.")
    assert "You paid 25.00 USD to Orchard." in inbound.body
    assert inbound.metadata["quoted"] == ""


def test_interleaved_answers_keep_the_questions_they_answer() -> None:
    inbound = only_inbound(ingest_email.parse(fixture("inline_reply.eml")))

    assert "> What is your order number?\n44-1902" in inbound.body
    assert "Rua das Flores 12, Porto" in inbound.body


def test_quoted_history_is_capped() -> None:
    history = "".join(f"> line {i} of a very long thread\n" for i in range(2000))
    raw = simple("Subject: Re: long\nMessage-ID: <long@example.com>\n", "Short answer.\n\n" + history)

    inbound = only_inbound(ingest_email.parse(raw))

    assert inbound.body == "Short answer."
    assert 0 < len(inbound.metadata["quoted"]) <= 10_000


# -- bodies: MIME structure, HTML, charsets ---------------------------------------------------


def test_html_only_mail_is_read_as_text() -> None:
    inbound = only_inbound(ingest_email.parse(fixture("html_only.eml")))

    assert (
        inbound.body
        == "Hello,\n\nMy order & invoice say 3 items, but only 2 arrived.\n\n- Blue mug\n- Tea towel"
    )
    assert "alert" not in inbound.body
    assert "color" not in inbound.body
    assert "ignored title" not in inbound.body
    assert inbound.metadata["content_type"] == "text/html"


def test_plain_text_is_preferred_over_html() -> None:
    inbound = only_inbound(ingest_email.parse(fixture("gmail_reply.eml")))

    assert inbound.metadata["content_type"] == "text/plain"
    assert "<div" not in inbound.body


def test_format_flowed_lines_are_joined() -> None:
    inbound = only_inbound(ingest_email.parse(fixture("apple_flowed.eml")))

    assert inbound.body == (
        "I attached the receipt to my first message. The kettle stopped working after two weeks "
        "and I would like a replacement rather than a refund."
    )


@pytest.mark.parametrize(
    ("name", "name_field", "subject", "body"),
    [
        ("iso2022jp.eml", "山田花子", "配送について", "注文番号は 5521 です。\nよろしくお願いします。"),
        (
            "latin1.eml",
            "Jörg Müller",
            "Rückerstattung",
            "Grüß Gott, die Rückerstattung für 49,90 € fehlt noch.",
        ),
        ("unknown_charset.eml", "Ola Nordmann", "Bestilling", "Hvor er påkken min? Ordre 7710."),
    ],
)
def test_charsets_other_than_utf8_are_decoded(name: str, name_field: str, subject: str, body: str) -> None:
    inbound = only_inbound(ingest_email.parse(fixture(name)))

    assert inbound.name == name_field
    assert inbound.metadata["subject"] == subject
    assert inbound.body == body


def test_undecodable_bytes_are_replaced_not_fatal() -> None:
    raw = simple("Subject: bytes\nContent-Type: text/plain; charset=utf-8\n", "cafe ok\n").replace(
        b"cafe", b"caf\xe9\xff"
    )

    inbound = only_inbound(ingest_email.parse(raw))

    assert inbound.body.startswith("caf")
    assert inbound.body.endswith("ok")


def test_raw_utf8_in_headers_is_read() -> None:
    raw = simple("Subject: Größe\n").replace(b"Ana Silva", "Zoë Brontë".encode())

    inbound = only_inbound(ingest_email.parse(raw))

    assert inbound.name == "Zoë Brontë"
    assert inbound.metadata["subject"] == "Größe"


def test_attachments_are_listed_and_the_text_part_is_the_body() -> None:
    inbound = only_inbound(ingest_email.parse(fixture("attachment.eml")))

    assert inbound.body == "The lamp arrived broken, photo attached."
    assert inbound.metadata["attachments"] == "lampe.jpg"


def test_a_body_past_the_limit_is_truncated_and_says_so() -> None:
    raw = simple("Subject: long\nMessage-ID: <big@example.com>\n", "x" * (MAX_BODY_CHARS + 500) + "\n")

    inbound = only_inbound(ingest_email.parse(raw))

    assert len(inbound.body) == MAX_BODY_CHARS
    assert inbound.metadata["truncated"] == "true"


# -- ids, threads and dates -------------------------------------------------------------------


def test_thread_refs_tolerate_repeated_folded_and_malformed_headers() -> None:
    inbound = only_inbound(ingest_email.parse(fixture("malformed_refs.eml")))

    assert inbound.thread_ref == (
        "exchange-2@help.example.com",
        "exchange-1@help.example.com",
        "exchange-0@help.example.com",
    )


def test_very_long_reference_chains_keep_the_root_and_the_latest() -> None:
    refs = " ".join(f"<m{i}@example.com>" for i in range(120))
    raw = simple(f"Subject: Re: x\nMessage-ID: <now@example.com>\nReferences: {refs}\n")

    inbound = only_inbound(ingest_email.parse(raw))

    assert len(inbound.thread_ref) == 50
    assert inbound.thread_ref[0] == "m0@example.com"
    assert inbound.thread_ref[-1] == "m119@example.com"


def test_a_missing_message_id_gets_a_stable_content_hash() -> None:
    first = only_inbound(ingest_email.parse(fixture("no_message_id.eml")))
    again = only_inbound(ingest_email.parse(fixture("no_message_id.eml")))
    changed = only_inbound(ingest_email.parse(fixture("no_message_id.eml").replace(b"small?", b"large?")))

    assert first.external_id is not None
    assert first.external_id.startswith("sha256:")
    assert len(first.external_id) == len("sha256:") + 64
    assert first.external_id == again.external_id
    assert changed.external_id != first.external_id
    assert "message_id" not in first.metadata


def test_a_missing_date_falls_back_to_received_at_in_utc() -> None:
    paris = timezone(timedelta(hours=2))
    inbound = only_inbound(ingest_email.parse(fixture("no_date.eml"), received_at=RECEIVED.astimezone(paris)))

    assert inbound.at == RECEIVED
    assert inbound.at.tzinfo == UTC


@pytest.mark.parametrize("name", ["no_date.eml", "garbled_date.eml"])
def test_no_usable_date_and_no_received_at_is_refused(name: str) -> None:
    with pytest.raises(IngestError) as caught:
        ingest_email.parse(fixture(name))

    assert caught.value.field == "$.headers.Date"


def test_a_garbled_date_uses_received_at() -> None:
    inbound = only_inbound(ingest_email.parse(fixture("garbled_date.eml"), received_at=RECEIVED))

    assert inbound.at == RECEIVED


def test_loose_date_formats_are_read_with_their_zone() -> None:
    inbound = only_inbound(ingest_email.parse(fixture("loose_date.eml")))

    assert inbound.at == datetime(2024, 7, 3, 8, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Wed, 20 Sep 1995 00:19:00 (EDT) -0400", datetime(1995, 9, 20, 4, 19, tzinfo=UTC)),
        ("Tue, 2 Jul 2024 18:27:08 PDT", datetime(2024, 7, 3, 1, 27, 8, tzinfo=UTC)),
        ("Tue, 2 Jul 2024 18:27:08 -0000", datetime(2024, 7, 2, 18, 27, 8, tzinfo=UTC)),
        ("2 Jul 2024 18:27", datetime(2024, 7, 2, 18, 27, tzinfo=UTC)),
    ],
)
def test_dates_are_converted_to_utc(date: str, expected: datetime) -> None:
    raw = f"From: a@example.com\nDate: {date}\nMessage-ID: <d@example.com>\n\nhi\n".encode()

    assert only_inbound(ingest_email.parse(raw)).at == expected


def test_a_naive_received_at_is_refused() -> None:
    with pytest.raises(IngestError) as caught:
        ingest_email.parse(fixture("no_date.eml"), received_at=datetime(2024, 7, 1, 12, 0))

    assert caught.value.field == "received_at"


# -- senders ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ("To: help@example.com\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n", "$.headers.From"),
        ("From: Nobody\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n", "$.headers.From"),
        ("From: not an address <@@>\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n", "$.headers.From"),
    ],
)
def test_a_message_without_a_usable_sender_is_refused(headers: str, field: str) -> None:
    with pytest.raises(IngestError) as caught:
        ingest_email.parse((headers + "\nhello\n").encode())

    assert caught.value.field == field


def test_mail_from_our_own_address_is_an_agent_reply_to_the_customer() -> None:
    parsed = ingest_email.parse(fixture("from_own_address.eml"), own_addresses=["Help@Example.com"])
    inbound = only_inbound(parsed)

    assert inbound.author == "agent"
    assert inbound.agent == "help@example.com"
    assert inbound.identity == "email:ravi@example.in"
    assert inbound.name == "Ravi Kumar"


def test_own_addresses_must_be_addresses() -> None:
    with pytest.raises(IngestError) as caught:
        ingest_email.parse(fixture("gmail_reply.eml"), own_addresses=["help@example.com", "nope"])

    assert caught.value.field == "own_addresses[1]"


# -- mail that no person wrote ------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: auto-replied\n",
        "Auto-Submitted: auto-generated; owner-email=x@example.com\n",
        "X-Autoreply: yes\n",
        "X-Autorespond: vacation\n",
        "Precedence: bulk\n",
        "Precedence: junk\n",
        "Precedence: auto_reply\n",
        "Subject: Out of Office: Re: your order\n",
        "Subject: Automatic reply: delivery\n",
        "Subject: Abwesenheitsnotiz: Lieferung\n",
    ],
)
def test_automatic_replies_are_skipped_with_the_reason(headers: str) -> None:
    parsed = ingest_email.parse(simple(headers + "Message-ID: <auto@example.com>\n"))

    assert parsed.inbounds == ()
    assert parsed.events == ()
    assert len(parsed.skipped) == 1
    assert parsed.skipped[0].path == "$"
    assert "auto" in parsed.skipped[0].reason.lower()


@pytest.mark.parametrize(
    "headers",
    ["Auto-Submitted: no\n", "Precedence: list\n", "X-Autoreply: no\n", "Subject: Re: out of stock?\n"],
)
def test_mail_that_merely_looks_automatic_is_a_customer_message(headers: str) -> None:
    only_inbound(ingest_email.parse(simple(headers + "Message-ID: <human@example.com>\n")))


def test_auto_reply_fixtures_are_skipped() -> None:
    for name in ("auto_reply.eml", "out_of_office_subject.eml"):
        parsed = ingest_email.parse(fixture(name))
        assert parsed.inbounds == ()
        assert len(parsed.skipped) == 1


def test_a_delivery_status_notification_is_a_bounce_of_the_original_message() -> None:
    parsed = ingest_email.parse(fixture("dsn_bounce.eml"))

    assert parsed.inbounds == ()
    (event,) = parsed.events
    assert event.provider == "email"
    assert event.channel == "email"
    assert event.status == "bounced"
    assert event.provider_id == "notify-8812@help.example.com"
    assert event.identity == "email:old.address@example.org"
    assert event.error_code == "5.1.1"
    assert "User unknown" in event.detail
    assert event.at == datetime(2024, 7, 6, 2, 3, 4, tzinfo=UTC)


def test_a_delayed_delivery_is_not_an_outcome() -> None:
    parsed = ingest_email.parse(fixture("dsn_delayed.eml"))

    assert parsed.inbounds == ()
    assert parsed.events == ()
    (skip,) = parsed.skipped
    assert "delayed" in skip.reason
    assert "slow@example.org" in skip.reason


def test_a_bounce_without_the_original_message_id_is_skipped_not_guessed() -> None:
    raw = fixture("dsn_bounce.eml").replace(b"Message-ID: <notify-8812@help.example.com>\n", b"")

    parsed = ingest_email.parse(raw)

    assert parsed.events == ()
    assert parsed.inbounds == ()
    assert "original Message-ID" in parsed.skipped[0].reason


def test_a_free_text_bounce_refers_to_the_quoted_message() -> None:
    (event,) = ingest_email.parse(fixture("text_bounce.eml")).events

    assert event.status == "bounced"
    assert event.provider_id == "notify-9001@help.example.com"
    assert event.identity == "email:gone@example.org"


def test_other_mail_system_messages_are_skipped() -> None:
    raw = simple("Subject: Postmaster notice\n", "Queue report.\n").replace(
        b"Ana Silva <ana@example.com>", b"MAILER-DAEMON@mx.example.net"
    )

    parsed = ingest_email.parse(raw)

    assert parsed.inbounds == ()
    assert parsed.events == ()
    assert parsed.skipped[0].reason == "a message from the mail system, not from a person"


def test_a_read_receipt_is_a_read_event() -> None:
    (event,) = ingest_email.parse(fixture("mdn_read.eml")).events

    assert event.status == "read"
    assert event.provider_id == "label-5521@help.example.com"
    assert event.identity == "email:bea@example.ph"
    assert event.at == datetime(2024, 7, 7, 5, 14, 15, tzinfo=UTC)


def test_a_deleted_unread_notification_is_not_a_read_receipt() -> None:
    raw = fixture("mdn_read.eml").replace(b"MDN-sent-manually; displayed", b"MDN-sent-automatically; deleted")

    parsed = ingest_email.parse(raw)

    assert parsed.events == ()
    assert "deleted" in parsed.skipped[0].reason


def test_a_forwarded_bounce_is_still_the_customer_writing() -> None:
    outer = EmailMessage()
    outer["From"] = "Ana Silva <ana@example.com>"
    outer["To"] = "help@example.com"
    outer["Subject"] = "Fwd: your mail bounced?"
    outer["Date"] = "Mon, 1 Jul 2024 10:00:00 +0000"
    outer["Message-ID"] = "<fwd-bounce@example.com>"
    outer.set_content("Your reply to me bounced, see attached.")
    bounce = email.message_from_bytes(fixture("dsn_bounce.eml"), policy=email.policy.default)
    outer.add_attachment(bounce)

    inbound = only_inbound(ingest_email.parse(outer))

    assert inbound.identity == "email:ana@example.com"


# -- inputs ---------------------------------------------------------------------------------------


def test_bytes_text_and_message_objects_read_the_same() -> None:
    raw = fixture("gmail_reply.eml")
    as_bytes = ingest_email.parse(raw)
    as_text = ingest_email.parse(raw.decode("ascii"))
    as_message = ingest_email.parse(email.message_from_bytes(raw, policy=email.policy.default))
    as_legacy = ingest_email.parse(email.message_from_bytes(raw))  # compat32 policy

    assert as_bytes == as_text == as_message == as_legacy


@pytest.mark.parametrize("payload", [None, 42, ["From: a@example.com"], {"From": "a@example.com"}])
def test_something_that_is_not_a_message_is_refused(payload: object) -> None:
    with pytest.raises(IngestError) as caught:
        ingest_email.parse(payload)  # type: ignore[arg-type]

    assert caught.value.field == "$"


@pytest.mark.parametrize("payload", [b"", b"   \n\n", ""])
def test_an_empty_message_is_refused(payload: bytes | str) -> None:
    with pytest.raises(IngestError):
        ingest_email.parse(payload)


# -- mbox ---------------------------------------------------------------------------------------


def test_an_mbox_yields_every_good_message_and_reports_the_broken_one() -> None:
    parsed = ingest_email.mbox(FIXTURES / "support.mbox", own_addresses=["help@example.com"])

    assert [i.external_id for i in parsed.inbounds] == [
        "ravi-zip@example.in",
        "agent-reply-1@help.example.com",
        "ravi-zip-2@example.in",
    ]
    assert [i.author for i in parsed.inbounds] == ["customer", "agent", "customer"]
    assert {i.identity for i in parsed.inbounds} == {"email:ravi@example.in"}
    (error,) = parsed.errors
    assert error.field == "$[2].headers.From"


def test_an_mbox_message_without_a_date_takes_its_from_line_date() -> None:
    parsed = ingest_email.mbox(str(FIXTURES / "support.mbox"))

    last = parsed.inbounds[-1]
    assert last.external_id == "ravi-zip-2@example.in"
    assert last.at == datetime(2024, 7, 10, 8, 15, tzinfo=UTC)


def test_a_missing_mbox_is_an_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as caught:
        ingest_email.mbox(tmp_path / "absent.mbox")

    assert caught.value.field == "path"
    assert not (tmp_path / "absent.mbox").exists()


def test_a_directory_is_not_an_mbox(tmp_path: Path) -> None:
    with pytest.raises(IngestError):
        ingest_email.mbox(tmp_path)


# -- untrusted input: only IngestError escapes -------------------------------------------------

FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("*.eml"))


def check_parsed(parsed: Parsed) -> None:
    """What a host relies on for anything parse() returns."""
    for inbound in parsed.inbounds:
        assert str(inbound.identity).startswith("email:")
        assert inbound.at.utcoffset() == timedelta(0)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in inbound.metadata.items())
        inbound.body.encode("utf-8")  # no lone surrogates: storable anywhere
        assert "\x00" not in inbound.body
    for event in parsed.events:
        assert event.at.utcoffset() == timedelta(0)
        assert event.provider_id


def parse_untrusted(payload: bytes | str) -> None:
    """Parse, accepting only a sound Parsed or an IngestError that names a payload path."""
    parsed = reads_or_rejects(lambda raw: ingest_email.parse(raw, received_at=RECEIVED), payload)
    if parsed is not None:
        check_parsed(parsed)


@settings(max_examples=fuzz_examples(), deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_raise_only_ingest_errors(payload: bytes) -> None:
    parse_untrusted(payload)


@settings(max_examples=fuzz_examples(), deadline=None)
@given(st.text(max_size=2000))
def test_random_text_raises_only_ingest_errors(payload: str) -> None:
    parse_untrusted(payload)


HEADER_NAMES = [
    "From",
    "To",
    "Date",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Auto-Submitted",
    "Precedence",
    "X-Failed-Recipients",
]
header_value = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "=?utf-8?B?////?=",
            "=?x-bogus?Q?caf=E9?=",
            "=?utf-8?q?=ZZ?=",
            "<a@b> <c@d>, <<e@f>>",
            '"unterminated <x@y.z',
            "group: a@b.c, d@e.f;",
            "multipart/report; report-type=delivery-status; boundary=b",
            "multipart/alternative; boundary=",
            "text/plain; charset=rot13",
            "text/plain; charset=utf-8; format=flowed; delsp=yes",
            "text/html; charset=\x00",
            "base64",
            "quoted-printable",
            "Mon, 31 Feb 2024 25:61:61 +9999",
            "99999999999999999999",
        ]
    ),
)


sender = st.one_of(
    st.sampled_from(["Ana <ana@example.com>", "bo@example.org", "MAILER-DAEMON@mx.example"]), header_value
)
date = st.one_of(st.just("Mon, 1 Jul 2024 10:00:00 +0000"), header_value)
body_text = st.one_of(
    st.text(max_size=500),
    st.sampled_from(
        [
            "<p>hi<blockquote>x",
            "--b\n\n--b--",
            "<![if x]>",
            "<![CDATA[x",
            "Hi\n\nOn Mon, 1 Jul 2024 at 10:00, A <a@b.c> wrote:\n> x\n",
            "> q\nanswer\n> q2\nanswer2",
            "-----Original Message-----\nFrom: a\nSent: b\nTo: c\n",
        ]
    ),
)


@settings(max_examples=fuzz_examples(), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sender, date, st.lists(st.tuples(st.sampled_from(HEADER_NAMES), header_value), max_size=10), body_text)
def test_hostile_headers_raise_only_ingest_errors(
    from_: str, when: str, headers: list[tuple[str, str]], body: str
) -> None:
    fields = [("From", from_), ("Date", when), *headers]
    lines = "".join(f"{name}: {value}\n".replace("\r", " ") for name, value in fields)
    parse_untrusted(lines + "\n" + body)
    parse_untrusted((lines + "\n" + body).encode("utf-8", "surrogatepass"))


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Delete, duplicate, truncate, flip or insert: how real payloads get damaged."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        if not out:
            break
        i = rng.randrange(len(out))
        op = rng.randrange(5)
        if op == 0:
            del out[i : i + rng.randint(1, 200)]
        elif op == 1:
            out[i:i] = out[i : i + rng.randint(1, 200)]
        elif op == 2:
            del out[i:]
        elif op == 3:
            out[i] = rng.randrange(256)
        else:
            out[i:i] = rng.choice([b"\n", b"\n\n", b"=?", b"<", b">", b"--", b":", b"\x00", b"\xff", b"\r"])
    return bytes(out)


@settings(max_examples=fuzz_examples(), deadline=None)
@given(st.sampled_from(FIXTURE_NAMES), st.randoms(use_true_random=False))
def test_damaged_real_messages_raise_only_ingest_errors(name: str, rng: random.Random) -> None:
    parse_untrusted(mutate(fixture(name), rng))


@settings(max_examples=max(20, fuzz_examples() // 10), deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=5))
def test_random_mbox_files_raise_only_ingest_errors(chunks: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.mbox"
        path.write_bytes(b"".join(b"From x Mon Jul  1 10:00:00 2024\n" + chunk + b"\n" for chunk in chunks))
        box = mailbox.mbox(path, create=False)
        count = len(box)
        box.close()
        parsed = ingest_email.mbox(path, received_at=RECEIVED)
    check_parsed(parsed)
    accounted = len(parsed.inbounds) + len(parsed.events) + len(parsed.skipped) + len(parsed.errors)
    assert accounted >= count  # every message comes through or is reported
    assert all(e.field.startswith("$[") for e in parsed.errors)
