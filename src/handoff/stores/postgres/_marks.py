"""Marking a notification in PostgreSQL: what the blocking and the asyncio stores share.

Both lock the notification's row (``FOR UPDATE``) and write it back in one transaction;
the checks before, and what to write once the row is read, are these functions'.
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


def check_marking(notification_id: object, status: object, at: object, provider_id: object) -> Marking:
    """:func:`~handoff.stores.rules.check_mark`, and no text PostgreSQL cannot hold."""
    checked = check_mark(notification_id, status, at, provider_id)
    if writes.has_nul([checked[0]]):
        raise NotFound("notification", checked[0])
    if writes.has_nul([checked[3]]):
        raise ValidationError("provider_id", "must not contain the NUL character (U+0000)")
    return checked


def marking(row: Sequence[object] | None, mark: Marking) -> tuple[Notification, tuple[object, ...] | None]:
    """The notification once ``mark`` is applied to its locked ``row``, and the update's
    parameters (``None``: it already stood so, nothing to write)."""
    notification_id, status, at, provider_id = mark
    if row is None:
        raise NotFound("notification", notification_id)
    current = writes.decode(Notification, row[0])
    updated = marked(current, status, at, provider_id)
    if updated == current:
        return current, None
    return updated, (updated.status, updated.provider_id, writes.stored_json(updated), notification_id)
