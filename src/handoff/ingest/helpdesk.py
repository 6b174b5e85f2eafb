"""What the help-desk export adapters share: turning one exported ticket into Inbounds.

The adapters (:mod:`~handoff.ingest.zendesk`, :mod:`~handoff.ingest.freshdesk`,
:mod:`~handoff.ingest.zammad`, :mod:`~handoff.ingest.intercom`) read their provider's
JSON into one :class:`ExportedTicket` and its :class:`ExportedMessage` list;
:func:`assemble` makes the Inbounds, so that every provider obeys the same rules:

* **True time order.** Exports list comments out of order; messages are sorted by time,
  then by the provider's id (numerically), the ticket's opening message first on a tie.
* **One ticket, one journey.** The core puts an inbound in the journey its thread
  reference names, matched against the external ids of earlier interactions. So the
  first message of a ticket gets the ticket's own external id
  (``zendesk:ticket:123``) and every message of the ticket, the first included,
  carries that id as its thread reference: whatever journey the first message lands
  in, the rest follow it, even if the customer has another journey open meanwhile.
  The first message itself follows the core's ordinary rule (the contact's open
  journey, a recently resolved one, or a new journey); to keep tickets of one customer
  apart, import them oldest first and resolve each journey whose ticket is solved
  (the ticket status is in every Inbound's ``ticket_status`` metadata, and a solved or
  closed ticket is also reported in ``Parsed.skipped``).
* **Idempotent re-imports.** Every other message's external id is prefixed by its
  provider and kind (``zendesk:comment:456``), so importing the same export twice, or a
  later export of the same ticket, adds only what is new.
* **The customer's journey.** Every Inbound of a ticket carries the customer's identity,
  agent replies and internal notes included (``author`` and ``agent`` say who wrote
  them): an agent's message belongs to the journey of the customer it answers.
  The identity chosen is the one that reaches the ticket's channel (a phone number for a
  WhatsApp ticket, an email address for an email ticket) when the export has it.
* Internal notes stay notes (``kind="note"``, ``author="agent"``); phone records are
  ``kind="call"``. Status changes and other events are not interactions: they are
  reported in ``Parsed.skipped``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from html.parser import HTMLParser
from typing import Literal

from attrs import define, field

from handoff import _validate as v
from handoff.channels import get as get_channel
from handoff.errors import IngestError
from handoff.events import Inbound
from handoff.ingest._payload import clip, identity, inbound
from handoff.ingest.base import Parsed, Skipped

__all__ = ["ExportedMessage", "ExportedTicket", "assemble", "html_to_text", "pick_identity"]

Author = Literal["customer", "agent", "bot"]
Kind = Literal["message", "note", "call"]

_DIGITS = re.compile(r"(\d+)")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_TAG = re.compile(r"<[^>]*>")


@define(frozen=True)
class ExportedTicket:
    """The ticket (or conversation) a help-desk export is about.

    ``key`` is the provider's kind and id (``ticket:123``); ``identity`` is the
    customer's normalized identity and ``channel`` the ticket's channel.
    """

    provider: str = field(validator=v.slug)
    key: str = field(validator=v.text(allow_empty=False))
    identity: str = field(validator=v.text(allow_empty=False))
    channel: str = field(validator=v.slug)
    name: str | None = None
    metadata: dict[str, str] = field(factory=dict, hash=False, validator=v.str_mapping)

    @property
    def external_id(self) -> str:
        return f"{self.provider}:{self.key}"


@define(frozen=True)
class ExportedMessage:
    """One message, reply, note or call record of an exported ticket.

    ``key`` is its provider kind and id (``comment:456``); ``channel`` None means the
    ticket's channel; ``opening`` marks the message that opened the ticket, which goes
    first when several share a timestamp. ``path`` is where it was in the payload.
    """

    key: str = field(validator=v.text(allow_empty=False))
    at: datetime = field(validator=v.aware)
    body: str
    path: str
    author: Author = "customer"
    kind: Kind = "message"
    channel: str | None = None
    agent: str | None = None
    opening: bool = False
    metadata: dict[str, str] = field(factory=dict, hash=False, validator=v.str_mapping)


def assemble(
    ticket: ExportedTicket,
    messages: Iterable[ExportedMessage],
    *,
    skipped: Iterable[Skipped] = (),
    errors: Iterable[IngestError] = (),
) -> Parsed:
    """The Inbounds of one ticket in true time order, grouped as the module docs describe."""
    ordered = sorted(messages, key=_order)
    inbounds: list[Inbound] = []
    problems = list(errors)
    for message in ordered:
        external_id = ticket.external_id if not inbounds else f"{ticket.provider}:{message.key}"
        metadata = {**ticket.metadata, **message.metadata, f"{ticket.provider}_id": message.key}
        try:
            inbounds.append(
                inbound(
                    message.path,
                    channel=message.channel or ticket.channel,
                    identity=ticket.identity,
                    body=message.body,
                    at=message.at,
                    external_id=external_id,
                    name=ticket.name,
                    thread_ref=(ticket.external_id,),
                    author=message.author,
                    agent=clip(message.agent, 200) if message.agent else None,
                    kind=message.kind,
                    metadata=metadata,
                )
            )
        except IngestError as exc:
            problems.append(exc)
    return Parsed(inbounds, (), skipped, problems)


def _order(message: ExportedMessage) -> tuple[datetime, bool, tuple[str | int, ...]]:
    return (message.at, not message.opening, _natural(message.key))


def _natural(key: str) -> tuple[str | int, ...]:
    """``comment:9`` before ``comment:10``: digit runs compare as numbers."""
    return tuple(int(part) if i % 2 else part for i, part in enumerate(_DIGITS.split(key)))


def pick_identity(
    channel: str, *, emails: Sequence[str | None], phones: Sequence[str | None], fallback: str
) -> str:
    """The customer's identity: the first valid one that reaches ``channel``, else the first valid one.

    ``fallback`` is a provider-scoped id (``zendesk-42``) used as a ``portal`` identity
    when the export has neither a usable email address nor an international number.
    """
    candidates: list[str] = []
    for kind, values in (("email", emails), ("phone", phones)):
        for value in values:
            if value and value.strip():
                try:
                    candidates.append(identity(kind, value.strip(), kind))
                except IngestError:
                    continue  # a national or malformed number: try the next identity
    reaches = get_channel(channel).identity_kinds
    for candidate in candidates:
        if candidate.partition(":")[0] in reaches:
            return candidate
    if candidates:
        return candidates[0]
    return identity("portal", fallback, "fallback")


def closed_ticket(path: str, status: str, what: str = "ticket") -> Skipped:
    """A solved or closed ticket: reported, since a status is not an interaction."""
    return Skipped(path, f"the {what} is {clip(status, 40)}; that is a state, not an interaction")


def html_to_text(html: str) -> str:
    """Readable text from the HTML of a comment: blocks and line breaks kept, tags dropped."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
        raw = extractor.text()
    except (AssertionError, ValueError):  # malformed markup the parser gives up on
        raw = _TAG.sub(" ", html)
    lines = (_SPACES.sub(" ", line).strip() for line in raw.splitlines())
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "table", "ul", "ol", "blockquote", "pre", "hr"}
        | {"h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer"}
    )
    _HIDDEN = frozenset({"script", "style", "head", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag == "li":
            self._parts.append("\n- ")
        elif tag in self._BLOCKS:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS and tag != "li":
            self._parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._parts.append(data.replace("\n", " "))

    def text(self) -> str:
        return "".join(self._parts)
