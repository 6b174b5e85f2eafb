"""Adapters from real channel payloads to :class:`~handoff.Inbound` records."""

from handoff.ingest.base import DeliveryEvent, Parsed, Skipped

__all__ = ["DeliveryEvent", "Parsed", "Skipped"]
