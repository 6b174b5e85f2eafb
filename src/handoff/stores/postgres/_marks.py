"""Marking a notification in PostgreSQL: what the blocking and the asyncio stores share.

Both lock the notification's row (``FOR UPDATE``) and write it back in one transaction;
the checks before, and the statements to run once the row is read, are these functions'.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from handoff.errors import NotFound, ValidationError
from handoff.models import Notification, NotificationStatus
from handoff.stores.postgres import _writes as writes
from handoff.stores.rules import check_mark, marked

__all__ = ["Marking", "check_marking", "marking"]

Marking = tuple[str, NotificationStatus, datetime, str | None]
Statement = tuple[str, tuple[object, ...]]

_MARK_NOTIFICATION = (
    "UPDATE notifications SET status = %s, provider_id = %s, data = %s WHERE id = %s AND contact_id = %s"
)
# A notification's provider id is a record key: the old one's row goes, the new one's comes.
_DROP_PROVIDER = "DELETE FROM record_keys WHERE kind = 'provider' AND key = %s AND record_id = %s"
_ADD_PROVIDER = "INSERT INTO record_keys (key, kind, contact_id, record_id) VALUES (%s, 'provider', %s, %s)"


def check_marking(notification_id: object, status: object, at: object, provider_id: object) -> Marking:
    """:func:`~handoff.stores.rules.check_mark`, and no text PostgreSQL cannot hold."""
    checked = check_mark(notification_id, status, at, provider_id)
    if writes.has_nul([checked[0]]):
        raise NotFound("notification", checked[0])
    if writes.has_nul([checked[3]]):
        raise ValidationError("provider_id", "must not contain the NUL character (U+0000)")
    return checked


def marking(row: Sequence[object] | None, mark: Marking) -> tuple[Notification, list[Statement]]:
    """The notification once ``mark`` is applied to its locked ``row``, and the statements
    that write it (none when it already stood so)."""
    notification_id, status, at, provider_id = mark
    if row is None:
        raise NotFound("notification", notification_id)
    current = writes.decode(Notification, row[0])
    updated = marked(current, status, at, provider_id)
    if updated == current:
        return current, []
    contact_id = current.contact_id
    data = writes.stored_json(updated)
    statements: list[Statement] = [
        (_MARK_NOTIFICATION, (updated.status, updated.provider_id, data, notification_id, contact_id))
    ]
    if updated.provider_id != current.provider_id:  # the provider id's record key moves
        if current.provider_id is not None:
            statements.append((_DROP_PROVIDER, (current.provider_id, notification_id)))
        if updated.provider_id is not None:
            statements.append((_ADD_PROVIDER, (updated.provider_id, contact_id, notification_id)))
    return updated, statements
