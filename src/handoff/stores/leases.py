"""Optional capability: lease due notifications to one of several senders.

Two workers draining :meth:`Store.due_notifications` at once both see the same pending
notifications and send them twice. A store with :class:`OutboxLeases` hands each due
notification to one worker at a time: a claimed notification is leased to that worker
until ``now + lease``, and no other claim returns it before the lease expires. Marking it
``sent``, ``failed`` or ``cancelled`` ends the lease for good; a worker that dies without
doing so loses the lease when it expires, and the notification is claimed again (at
least once delivery).
"""

from __future__ import annotations

import abc
from datetime import datetime, timedelta

from handoff.clock import ensure_aware
from handoff.errors import ValidationError
from handoff.models import Notification

__all__ = ["MAX_LEASE", "MAX_WORKER_CHARS", "OutboxLeases", "check_claim"]

MAX_WORKER_CHARS = 200
MAX_LEASE = timedelta(days=7)


class OutboxLeases(abc.ABC):
    """Optional capability: claim due notifications for one worker under a lease."""

    @abc.abstractmethod
    def claim_notifications(
        self, worker: str, now: datetime, *, limit: int, lease: timedelta
    ) -> list[Notification]:
        """Pending notifications with ``send_at <= now`` that no worker holds a lease on
        at ``now``, earliest first, at most ``limit``; each is leased to ``worker`` until
        ``now + lease``, in the same transaction that chose it, so two concurrent claims
        never return the same notification."""


def check_claim(
    worker: object, now: object, limit: object, lease: object
) -> tuple[str, datetime, int, timedelta]:
    """The arguments of a claim, checked; ValidationError naming the one that is wrong."""
    if not isinstance(worker, str) or not worker.strip() or len(worker) > MAX_WORKER_CHARS:
        raise ValidationError(
            "worker", f"expected a worker name of 1 to {MAX_WORKER_CHARS} characters, got {worker!r}"
        )
    if "\x00" in worker:
        raise ValidationError("worker", "must not contain the NUL character (U+0000)")
    when = ensure_aware(now, "now")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
        raise ValidationError("limit", f"expected a whole number from 1 to 10000, got {limit!r}")
    if not isinstance(lease, timedelta) or not timedelta(0) < lease <= MAX_LEASE:
        raise ValidationError("lease", f"expected a duration above zero and at most 7 days, got {lease!r}")
    return worker, when, limit, lease
