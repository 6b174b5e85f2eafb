"""The one shape every ingestion adapter returns."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from attrs import define, field

from handoff import _validate as v
from handoff.errors import IngestError
from handoff.events import Inbound

__all__ = ["DeliveryEvent", "Parsed", "Skipped"]

DeliveryStatus = Literal["sent", "delivered", "read", "failed", "opted_out", "bounced", "retracted"]
DELIVERY_STATUSES: tuple[DeliveryStatus, ...] = (
    "sent",
    "delivered",
    "read",
    "failed",
    "opted_out",
    "bounced",
    "retracted",
)


@define(frozen=True)
class DeliveryEvent:
    """A provider's word about a message: delivered, read, failed, opted out, bounced...

    ``provider_id`` is the provider's id of the message it refers to (a Twilio
    MessageSid, a WhatsApp ``wamid``, an email Message-ID). ``identity`` is the
    customer's identity when the provider says it (needed to record an opt-out).
    """

    provider: str = field(validator=v.slug)
    channel: str = field(validator=v.slug)
    status: DeliveryStatus = field(validator=v.one_of(DELIVERY_STATUSES))
    provider_id: str = field(validator=v.text(allow_empty=False))
    at: datetime = field(validator=v.aware)
    identity: str | None = None
    error_code: str | None = None
    detail: str = ""


@define(frozen=True)
class Skipped:
    """A part of a payload deliberately ignored, and why (an auto-reply, a typing event...)."""

    path: str
    reason: str


# Typed converters: with a bare ``converter=tuple`` type checkers cannot tell what
# Parsed accepts, and reject every argument.
def _inbounds(items: Iterable[Inbound]) -> tuple[Inbound, ...]:
    return tuple(items)


def _events(items: Iterable[DeliveryEvent]) -> tuple[DeliveryEvent, ...]:
    return tuple(items)


def _skipped(items: Iterable[Skipped]) -> tuple[Skipped, ...]:
    return tuple(items)


def _errors(items: Iterable[IngestError]) -> tuple[IngestError, ...]:
    return tuple(items)


@define(frozen=True)
class Parsed:
    """What an adapter made of one payload.

    Good parts and bad parts are both reported: nothing is dropped silently.
    """

    inbounds: tuple[Inbound, ...] = field(default=(), converter=_inbounds)
    events: tuple[DeliveryEvent, ...] = field(default=(), converter=_events)
    skipped: tuple[Skipped, ...] = field(default=(), converter=_skipped)
    errors: tuple[IngestError, ...] = field(default=(), converter=_errors)

    def __add__(self, other: Parsed) -> Parsed:
        return Parsed(
            self.inbounds + other.inbounds,
            self.events + other.events,
            self.skipped + other.skipped,
            self.errors + other.errors,
        )
