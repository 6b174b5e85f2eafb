"""Adapters from real channel payloads to :class:`~handoff.Inbound` records.

Each provider module has ``parse(payload) -> Parsed``; give the result to
:meth:`handoff.Switchboard.ingest`. Adapters are pure: they never touch a store.
"""

from handoff.ingest import email, freshdesk, intercom, meta, twilio, whatsapp, zammad, zendesk
from handoff.ingest.base import DeliveryEvent, Parsed, Skipped
from handoff.ingest.email import mbox

__all__ = [
    "DeliveryEvent",
    "Parsed",
    "Skipped",
    "email",
    "freshdesk",
    "intercom",
    "mbox",
    "meta",
    "twilio",
    "whatsapp",
    "zammad",
    "zendesk",
]
