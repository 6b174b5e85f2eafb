"""What the help-desk export adapters share: turning one exported ticket into Inbounds.

The adapters (:mod:`~handoff.ingest.zendesk`, :mod:`~handoff.ingest.freshdesk`,
:mod:`~handoff.ingest.zammad`, :mod:`~handoff.ingest.intercom`) read their provider's
JSON into one :class:`ExportedTicket` and its :class:`ExportedMessage` list;
:func:`assemble` makes the Inbounds, so that every provider obeys the same rules:

* **True time order.** Exports list comments out of order; messages are sorted by time,
  then by the provider's id (numerically), the ticket's opening message first on a tie.
* **One ticket, one journey.** The core puts an inbound in the journey its thread
  reference names, matched against the external ids of earlier interactions. So the
  message that opened a ticket gets the ticket's own external id
  (``zendesk:ticket:123``), whichever page of a provider's API brought it, and every
  message of the ticket, the opening one included, carries that id as its thread
  reference: whatever journey the opening message lands in, the rest follow it, even if
  the customer has another journey open meanwhile. Pages can come in any order: a
  message read before the opening one joins the customer's open journey, which the
  opening message then joins too.
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
  WhatsApp ticket, an email address for an email ticket) when the export has it. A
  message on a channel that identity cannot reach (a call logged on a ticket known only
  by email) moves to the ticket's channel, or to ``portal``, and keeps the channel it
  came from in ``original_channel`` metadata; its ``kind`` still says it was a call.
* Internal notes stay notes (``kind="note"``, ``author="agent"``); phone records are
  ``kind="call"``. Status changes and other events are not interactions: they are
  reported in ``Parsed.skipped``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

from attrs import define, field

from handoff import _validate as v
from handoff.channels import get as get_channel
from handoff.errors import IngestError
from handoff.events import Inbound
from handoff.ingest._payload import clip, identity, inbound
from handoff.ingest.base import Parsed, Skipped

__all__ = ["ExportedMessage", "ExportedTicket", "assemble", "closed_ticket", "natural", "pick_identity"]

Author = Literal["customer", "agent", "bot"]
Kind = Literal["message", "note", "call"]

_DIGITS = re.compile(r"(\d+)")


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
    kind = ticket.identity.partition(":")[0]
    home = _reaching(ticket.channel, kind)
    inbounds: list[Inbound] = []
    problems = list(errors)
    anchored = False
    for message in ordered:
        anchor = message.opening and not anchored
        anchored = anchored or anchor
        external_id = ticket.external_id if anchor else f"{ticket.provider}:{message.key}"
        metadata = {**ticket.metadata, **message.metadata, f"{ticket.provider}_id": message.key}
        channel = message.channel or ticket.channel
        if kind not in get_channel(channel).identity_kinds:
            metadata["original_channel"] = channel
            channel = home
        try:
            inbounds.append(
                inbound(
                    message.path,
                    channel=channel,
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


def _reaching(channel: str, kind: str) -> str:
    """``channel`` if an identity of ``kind`` reaches it, else a channel that it does reach.

    A message keeps the customer's one identity, and an identity only reaches some
    channels (an email address never reaches ``phone``); the help-desk channels are the
    neutral place for what cannot stay where it was.
    """
    for candidate in (channel, "portal", "chat"):
        if kind in get_channel(candidate).identity_kinds:
            return candidate
    return channel


def _order(message: ExportedMessage) -> tuple[datetime, bool, tuple[str | int, ...]]:
    return (message.at, not message.opening, natural(message.key))


def natural(key: str) -> tuple[str | int, ...]:
    """``comment:9`` before ``comment:10``: digit runs compare as numbers."""
    return tuple(int(part) if i % 2 else part for i, part in enumerate(_DIGITS.split(key)))


def pick_identity(
    channel: str,
    *,
    emails: Sequence[str | None],
    phones: Sequence[str | None],
    fallback: str,
    fallback_path: str = "$",
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
    return identity("portal", fallback, fallback_path)


def closed_ticket(path: str, status: str, what: str = "ticket") -> Skipped:
    """A solved or closed ticket: reported, since a status is not an interaction."""
    return Skipped(path, f"the {what} is {clip(status, 40)}; that is a state, not an interaction")
