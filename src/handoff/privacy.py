"""A person's data on request: export everything held about them, or erase it.

The export is the stored records as plain JSON-ready data, under a format version so
that a reader years later knows what it holds; :func:`read_export` turns it back
into records.
"""

from __future__ import annotations

from typing import Any

from handoff.errors import ValidationError
from handoff.serde import from_dict, to_dict
from handoff.stores.base import ContactRecords, Store

__all__ = ["EXPORT_FORMAT", "EXPORT_VERSION", "erase_contact", "export_contact", "read_export"]

EXPORT_FORMAT = "handoff.contact-export"
EXPORT_VERSION = 1


def export_contact(store: Store, contact_id: str) -> dict[str, Any]:
    """The contact, its journeys, interactions, handoffs, notifications and logged decisions;
    NotFound if unknown. An export without ``decisions`` (older) still reads back."""
    records = store.contact_records(contact_id)
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, **to_dict(records)}


def read_export(data: object) -> ContactRecords:
    """The records of an export made by :func:`export_contact` (ValidationError if it is not one)."""
    if not isinstance(data, dict):
        raise ValidationError("$", f"expected an export object, got {type(data).__name__}")
    if data.get("format") != EXPORT_FORMAT:
        raise ValidationError("$.format", f"expected {EXPORT_FORMAT!r}, got {data.get('format')!r}")
    if data.get("version") != EXPORT_VERSION:
        raise ValidationError(
            "$.version", f"this handoff reads version {EXPORT_VERSION}, got {data.get('version')!r}"
        )
    records = {key: value for key, value in data.items() if key not in ("format", "version")}
    return from_dict(ContactRecords, records)


def erase_contact(store: Store, contact_id: str) -> None:
    """Remove the contact and everything of its journeys in one transaction; NotFound if unknown."""
    store.erase_contact(contact_id)
