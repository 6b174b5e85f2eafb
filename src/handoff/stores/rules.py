"""The rules every backend enforces, public so that a backend of your own enforces them too.

A backend calls these before it touches its data, so that every store refuses bad input
with the same :class:`~handoff.errors.ValidationError`, naming the same field:

* **changesets**: :func:`check_changeset` (one event) and :func:`check_batch` (a bulk
  import) refuse wrong record types, versions that do not grow, keys used twice in one
  changeset, decision data JSON cannot carry, and a NUL character in any key;
* **keys**: :func:`check_key` refuses U+0000 in the text a store indexes and looks
  records up by (ids, references, identities, external ids, provider ids): PostgreSQL
  cannot keep it in a text column, so no backend accepts it. Free text (bodies, names,
  metadata) is kept exactly as given, NUL included;
* **numbers**: versions and sequences up to :data:`MAX_VERSION`, limits up to
  :data:`MAX_LIMIT` (:func:`check_whole`, :func:`check_limit`, :func:`check_last`);
* **arguments** of the look-ups: :func:`check_text`, :func:`check_identity`,
  :func:`check_refs`, :func:`check_keys`, :func:`check_provider_id`;
* **the notification state machine**: :func:`check_mark` checks a delivery report and
  :func:`marked` gives the notification after it.

The conformance kit (:class:`handoff.testing.StoreConformance`) checks all of it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import compress, repeat
from typing import Any

from attrs import evolve

from handoff.clock import ensure_aware
from handoff.errors import ConcurrencyConflict, ValidationError
from handoff.identity import Identity
from handoff.models import (
    AUDIENCES,
    Callback,
    Contact,
    DecisionRecord,
    Handoff,
    IdentityLink,
    Interaction,
    Journey,
    Notification,
    NotificationStatus,
)
from handoff.stores._planned import decisions_vouched, vouched
from handoff.stores.records import Changeset

__all__ = [
    "ACTIVE_STATUSES",
    "MARKABLE_STATUSES",
    "MAX_LEASE",
    "MAX_LIMIT",
    "MAX_VERSION",
    "MAX_WORKER_CHARS",
    "check_active_limit",
    "check_audience",
    "check_batch",
    "check_callback_write",
    "check_changeset",
    "check_claim",
    "check_identities",
    "check_identity",
    "check_intake",
    "check_journey_ids",
    "check_key",
    "check_keys",
    "check_last",
    "check_limit",
    "check_lock_key",
    "check_mark",
    "check_page",
    "check_provider_id",
    "check_refs",
    "check_text",
    "check_whole",
    "marked",
]

MARKABLE_STATUSES = ("sent", "delivered", "read", "failed", "cancelled")
_MARKING: dict[str, NotificationStatus] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "cancelled": "cancelled",
}
"""The statuses :meth:`~handoff.stores.Store.mark_notification` accepts."""

ACTIVE_STATUSES = ("open", "pending")
"""The journey statuses :meth:`~handoff.stores.Store.active_journeys` lists."""

_JSON_DEPTH = 64

MAX_VERSION = 2**31 - 1
"""The largest version or sequence every built-in store can keep: PostgreSQL's ``integer``
columns hold them. Checked here, so that no backend accepts what another cannot store."""

MAX_LIMIT = 2**63 - 1
"""The largest ``limit`` or ``last``: a 64-bit integer, as SQLite binds and PostgreSQL's
``LIMIT`` takes; ``sys.maxsize`` ("no limit") is still fine."""


def check_text(value: object, field: str) -> str:
    """Text, or a ValidationError naming ``field``."""
    if not isinstance(value, str):
        raise ValidationError(field, f"expected text, got {type(value).__name__}")
    return value


def check_key(value: str | None, field: str) -> None:
    """Refuse U+0000 in a key a store indexes (ids, references, identities, external and
    provider ids): PostgreSQL cannot keep it in a text column, so no backend accepts it.
    A look-up by such a key simply finds nothing."""
    if value is not None and "\x00" in value:
        raise ValidationError(field, "must not contain the NUL character (U+0000)")


def check_lock_key(value: object) -> str:
    """The key of :meth:`~handoff.stores.capabilities.SerializedWrites.serialized`:
    non-empty text without NUL, or a ValidationError naming ``key``."""
    if type(value) is str and value and "\x00" not in value:
        return value  # the usual key, told at once; else the checks name the problem
    return _checked_lock_key(value)


def _checked_lock_key(value: object) -> str:
    """:func:`check_lock_key`, each check in turn."""
    key = check_text(value, "key")
    if not key:
        raise ValidationError("key", "must not be empty")
    check_key(key, "key")
    return key


def check_identity(value: object) -> Identity:
    """An :class:`~handoff.identity.Identity`, or a ValidationError naming ``identity``."""
    if not isinstance(value, Identity):
        raise ValidationError(
            "identity", f"expected an Identity (see handoff.parse_identity), got {type(value).__name__}"
        )
    return value


def check_whole(value: object, field: str, maximum: int) -> int:
    """A whole number from 0 to ``maximum``: bigger ones no backend can bind or store."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise ValidationError(field, f"expected a whole number from 0 to {maximum}, got {value!r}")
    return value


def check_last(last: object) -> int | None:
    """``last`` of :meth:`~handoff.stores.Store.interactions`: None or 0 to :data:`MAX_LIMIT`."""
    return None if last is None else check_whole(last, "last", MAX_LIMIT)


def check_limit(limit: object) -> int:
    """A ``limit``: a whole number from 0 to :data:`MAX_LIMIT`."""
    return check_whole(limit, "limit", MAX_LIMIT)


def check_refs(refs: object) -> tuple[str, ...]:
    """Thread references as a de-duplicated tuple; a lone string is refused, not split."""
    if isinstance(refs, str) or not isinstance(refs, Sequence):
        raise ValidationError("refs", f"expected a sequence of external ids, got {type(refs).__name__}")
    for i, ref in enumerate(refs):
        if not isinstance(ref, str):
            raise ValidationError(f"refs[{i}]", f"expected text, got {type(ref).__name__}")
    return tuple(dict.fromkeys(refs))


def check_intake(
    identity: object,
    channel: object,
    external_id: object,
    references: object,
    thread_refs: object,
    since: object,
) -> tuple[Identity, str, str | None, tuple[str, ...], tuple[str, ...], datetime]:
    """The arguments of :meth:`~handoff.stores.capabilities.IntakeReads.load_intake`,
    checked as the plain look-ups check them; references and thread references
    de-duplicated in order."""
    if (
        type(identity) is Identity
        and type(channel) is str
        and (external_id is None or type(external_id) is str)
        and type(since) is datetime
        and since.utcoffset() is not None
    ):  # the usual arguments, told at once (an aware datetime has an offset)
        return (
            identity,
            channel,
            external_id,
            _texts(references, "references"),
            _texts(thread_refs, "thread_refs"),
            since,
        )
    return _checked_intake(identity, channel, external_id, references, thread_refs, since)


def _checked_intake(
    *arguments: object,
) -> tuple[Identity, str, str | None, tuple[str, ...], tuple[str, ...], datetime]:
    """:func:`check_intake`, each argument checked in turn."""
    identity, channel, external_id, references, thread_refs, since = arguments
    return (
        check_identity(identity),
        check_text(channel, "channel"),
        None if external_id is None else check_text(external_id, "external_id"),
        _texts(references, "references"),
        _texts(thread_refs, "thread_refs"),
        ensure_aware(since, "since"),
    )


def _texts(values: object, field: str) -> tuple[str, ...]:
    """A sequence of text, de-duplicated in order; else a ValidationError naming ``field``."""
    if not values and type(values) is tuple:
        return ()  # the usual case: no references, no thread
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ValidationError(field, f"expected a sequence of text, got {type(values).__name__}")
    for i, value in enumerate(values):
        check_text(value, f"{field}[{i}]")
    return tuple(dict.fromkeys(values))


def check_keys(keys: object) -> list[tuple[str, str]]:
    """``(channel, external_id)`` pairs, de-duplicated in order; anything else is refused."""
    if isinstance(keys, (str, bytes)) or not isinstance(keys, Sequence):
        raise ValidationError(
            "keys", f"expected a sequence of (channel, external_id), got {type(keys).__name__}"
        )
    for i, key in enumerate(keys):
        if not (isinstance(key, tuple) and len(key) == 2 and all(isinstance(part, str) for part in key)):
            raise ValidationError(
                f"keys[{i}]", f"expected a (channel, external_id) pair of text, got {key!r}"
            )
    return list(dict.fromkeys(keys))


def check_identities(identities: object) -> list[Identity]:
    """Identities, de-duplicated in order; anything but a sequence of them is refused."""
    if isinstance(identities, (str, bytes)) or not isinstance(identities, Sequence):
        raise ValidationError(
            "identities", f"expected a sequence of Identity, got {type(identities).__name__}"
        )
    for i, identity in enumerate(identities):
        if not isinstance(identity, Identity):
            raise ValidationError(
                f"identities[{i}]",
                f"expected an Identity (see handoff.parse_identity), got {type(identity).__name__}",
            )
    return list(dict.fromkeys(identities))


def check_journey_ids(ids: object) -> list[str]:
    """Journey ids, de-duplicated in order; anything but a sequence of text is refused."""
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Sequence):
        raise ValidationError("journey_ids", f"expected a sequence of journey ids, got {type(ids).__name__}")
    for i, journey_id in enumerate(ids):
        if not isinstance(journey_id, str):
            raise ValidationError(f"journey_ids[{i}]", f"expected text, got {type(journey_id).__name__}")
    return list(dict.fromkeys(ids))


def check_provider_id(value: object) -> str:
    """A provider's message id: non-empty text (MessageSid, wamid, Message-ID...)."""
    text = check_text(value, "provider_id")
    if not text:
        raise ValidationError("provider_id", "must not be empty")
    return text


def check_mark(
    notification_id: object, status: object, at: object, provider_id: object = None
) -> tuple[str, NotificationStatus, datetime, str | None]:
    """The arguments of :meth:`~handoff.stores.Store.mark_notification`, checked."""
    marking = _MARKING.get(status) if isinstance(status, str) else None
    if marking is None:
        raise ValidationError("status", f"must be one of {list(MARKABLE_STATUSES)}, got {status!r}")
    return (
        check_text(notification_id, "notification_id"),
        marking,
        ensure_aware(at, "at"),
        None if provider_id is None else _recorded_provider_id(provider_id),
    )


def _recorded_provider_id(value: object) -> str:
    """A provider id to record: a key, so NUL is refused (a look-up by one finds nothing)."""
    text = check_provider_id(value)
    check_key(text, "provider_id")
    return text


def marked(
    notification: Notification, status: NotificationStatus, at: datetime, provider_id: str | None = None
) -> Notification:
    """The notification after a delivery status report from the host or the provider.

    Delivery moves ``pending -> sent -> delivered -> read``; ``failed`` and
    ``cancelled`` may be reported from any state. ``sent`` records ``at`` as
    ``sent_at``; ``delivered`` and ``read`` keep it. Providers deliver callbacks out of
    order, so once a notification is ``read`` a ``sent`` or ``delivered`` report is
    stale: it is ignored and the notification comes back unchanged (its
    ``provider_id`` too). Otherwise a given ``provider_id`` is recorded.
    """
    if notification.status == "read" and status in ("sent", "delivered"):
        return notification
    sent_at = at if status == "sent" else notification.sent_at
    provider = notification.provider_id if provider_id is None else provider_id
    return evolve(notification, status=status, sent_at=sent_at, provider_id=provider)


def check_active_limit(limit: object) -> int | None:
    """``limit`` of :meth:`~handoff.stores.Store.active_journeys`: None (all) or a limit."""
    if limit is None:
        return None
    return check_limit(limit)


def check_changeset(changes: object) -> Changeset:
    """Refuse a malformed changeset before anything is read or written.

    Also refuses a contact or journey whose new version is not above the expected one:
    a write that keeps the version would let a concurrent writer's change be lost, and a
    NUL character in any key (see :func:`check_key`).

    A changeset the write path planned itself is only checked for what it may still
    carry from outside: keys (an inbound's external id, an identity), numbers past what
    the stores keep and decision data (unless the library's own engine and declarative
    rules made every decision it logs); the rest it was built right.
    """
    if vouched(changes):
        return _check_planned(changes)  # type: ignore[arg-type]
    if not isinstance(changes, Changeset):
        raise ValidationError("changes", f"expected a Changeset, got {type(changes).__name__}")
    _check_versioned(changes.contact, Contact, "contact", changes.expected_contact_version)
    _check_versioned(changes.journey, Journey, "journey", changes.expected_journey_version)
    _check_items(changes.interactions, Interaction, "interactions")
    _check_items(changes.handoffs, Handoff, "handoffs")
    _check_items(changes.notifications, Notification, "notifications")
    _check_items(changes.decisions, DecisionRecord, "decisions")
    _check_links(changes)
    _check_items(changes.callbacks, Callback, "callbacks")
    for i, cancelled in enumerate(changes.cancelled_notifications):
        check_text(cancelled, f"cancelled_notifications[{i}]")
    for i, interaction in enumerate(changes.interactions):
        check_whole(interaction.sequence, f"interactions[{i}].sequence", MAX_VERSION)
    if changes.contact is not None:
        _unique([str(i) for i in changes.contact.identities], "contact.links", "identity")
        if changes.expected_contact_version == 0:
            held = {str(i) for i in changes.contact.identities}
            for k, link in enumerate(changes.links):
                if str(link.identity) in held:
                    raise ValidationError(f"links[{k}]", f"{link.identity} is already in contact.links")
    _unique([i.id for i in changes.interactions], "interactions", "id")
    _unique(
        [None if i.external_id is None else f"{i.channel}:{i.external_id}" for i in changes.interactions],
        "interactions",
        "(channel, external_id)",
    )
    _unique(
        [f"{i.journey_id}#{i.sequence}" for i in changes.interactions], "interactions", "(journey, sequence)"
    )
    _unique([h.id for h in changes.handoffs], "handoffs", "id")
    _unique([n.id for n in changes.notifications], "notifications", "id")
    _unique([n.provider_id for n in changes.notifications], "notifications", "provider_id")
    _unique([d.id for d in changes.decisions], "decisions", "id")
    _unique([c.id for c in changes.callbacks], "callbacks", "id")
    for i, decision in enumerate(changes.decisions):
        _check_json(decision.data, f"decisions[{i}].data", 0)
    _check_keys_of(changes)
    return changes


def _check_planned(changes: Changeset) -> Changeset:
    """:func:`check_changeset`'s checks of what a planned changeset takes from outside."""
    if changes.contact is not None:
        check_whole(changes.contact.version, "contact.version", MAX_VERSION)
    journey = changes.journey
    if journey is not None and not (type(journey.version) is int and 0 <= journey.version <= MAX_VERSION):
        check_whole(journey.version, "journey.version", MAX_VERSION)  # names the problem
    for i, interaction in enumerate(changes.interactions):
        if not (type(interaction.sequence) is int and 0 <= interaction.sequence <= MAX_VERSION):
            check_whole(interaction.sequence, f"interactions[{i}].sequence", MAX_VERSION)
    if changes.decisions and not decisions_vouched(changes):
        for i, decision in enumerate(changes.decisions):
            _check_json(decision.data, f"decisions[{i}].data", 0)
    # Of its keys only these come from outside; ids and references it made, or read stored.
    if changes.contact is not None:
        for k, identity in enumerate(changes.contact.identities):
            check_key(str(identity), f"contact.links[{k}].identity")
    for k, link in enumerate(changes.links):
        check_key(str(link.identity), f"links[{k}].identity")
    for k, interaction in enumerate(changes.interactions):
        check_key(interaction.external_id, f"interactions[{k}].external_id")
    return changes


def _keys(changes: Changeset) -> list[str | None]:
    """Every key of the changeset, as :func:`_check_keys_of` names them, without names."""
    keys: list[str | None] = []
    contact, journey = changes.contact, changes.journey
    if contact is not None:
        keys.append(contact.id)
        keys += [str(i) for i in contact.identities]
    keys += [str(link.identity) for link in changes.links]
    keys += [str(i) for i in changes.unlinks]
    if journey is not None:
        keys += (journey.id, journey.reference, journey.contact_id)
    for i in changes.interactions:
        keys += (i.id, i.journey_id, i.contact_id, i.external_id)
    keys += [key for h in changes.handoffs for key in (h.id, h.journey_id)]
    for n in changes.notifications:
        keys += (n.id, n.journey_id, n.contact_id, n.provider_id)
    keys += [key for d in changes.decisions for key in (d.id, d.journey_id, d.contact_id)]
    keys += [key for c in changes.callbacks for key in (c.id, c.journey_id, c.contact_id)]
    keys += changes.cancelled_notifications
    return keys


def _check_keys_of(changes: Changeset) -> None:
    """No key of the changeset holds NUL; the field named is the record's and the key's."""
    if "\x00" not in "".join(key for key in _keys(changes) if key is not None):
        return  # the usual case, told at once; else the walk below names the field
    keyed: list[tuple[str, dict[str, str | None]]] = []
    if changes.contact is not None:
        keyed.append(("contact", {"id": changes.contact.id}))
        keyed += [
            (f"contact.links[{k}]", {"identity": str(i)}) for k, i in enumerate(changes.contact.identities)
        ]
    keyed += [(f"links[{k}]", {"identity": str(link.identity)}) for k, link in enumerate(changes.links)]
    keyed += [(f"unlinks[{k}]", {"identity": str(i)}) for k, i in enumerate(changes.unlinks)]
    if changes.journey is not None:
        j = changes.journey
        keyed.append(("journey", {"id": j.id, "reference": j.reference, "contact_id": j.contact_id}))
    for k, i in enumerate(changes.interactions):
        ids = {
            "id": i.id,
            "journey_id": i.journey_id,
            "contact_id": i.contact_id,
            "external_id": i.external_id,
        }
        keyed.append((f"interactions[{k}]", ids))
    keyed += [
        (f"handoffs[{k}]", {"id": h.id, "journey_id": h.journey_id}) for k, h in enumerate(changes.handoffs)
    ]
    for k, n in enumerate(changes.notifications):
        ids = {
            "id": n.id,
            "journey_id": n.journey_id,
            "contact_id": n.contact_id,
            "provider_id": n.provider_id,
        }
        keyed.append((f"notifications[{k}]", ids))
    for k, d in enumerate(changes.decisions):
        keyed.append(
            (f"decisions[{k}]", {"id": d.id, "journey_id": d.journey_id, "contact_id": d.contact_id})
        )
    for k, c in enumerate(changes.callbacks):
        keyed.append(
            (f"callbacks[{k}]", {"id": c.id, "journey_id": c.journey_id, "contact_id": c.contact_id})
        )
    keyed += [
        (f"cancelled_notifications[{k}]", {"id": n}) for k, n in enumerate(changes.cancelled_notifications)
    ]
    for where, keys in keyed:
        for name, key in keys.items():
            check_key(key, f"{where}.{name}")


def check_batch(changes: object) -> list[Changeset]:
    """Every changeset of a batch checked on its own, before the store is touched."""
    if isinstance(changes, (str, bytes)) or not isinstance(changes, Sequence):
        raise ValidationError("changes", f"expected a sequence of Changesets, got {type(changes).__name__}")
    checked = []
    for i, change in enumerate(changes):
        try:
            checked.append(check_changeset(change))
        except ValidationError as exc:
            raise ValidationError(f"changes[{i}].{exc.field}", exc.problem) from exc
    return checked


def _check_versioned(record: object, kind: type, field: str, expected: object) -> None:
    name = f"expected_{field}_version"
    expected = check_whole(expected, name, MAX_VERSION)
    if record is None:
        if expected != 0:
            raise ValidationError(name, f"is {expected} but the changeset has no {field}")
        return
    if not isinstance(record, kind):
        raise ValidationError(field, f"expected a {kind.__name__}, got {type(record).__name__}")
    version = check_whole(record.version, f"{field}.version", MAX_VERSION)  # type: ignore[attr-defined]
    if version <= expected:
        raise ValidationError(
            f"{field}.version",
            f"must be greater than {name} ({expected}), got {version}; bump it on every write",
        )


def _check_links(changes: Changeset) -> None:
    """Links added or removed: of the right types, each identity once, and only with the
    contact whose version they bump."""
    _check_items(changes.links, IdentityLink, "links")
    _check_items(changes.unlinks, Identity, "unlinks")
    if changes.contact is None and (changes.links or changes.unlinks):
        field = "links" if changes.links else "unlinks"
        raise ValidationError(field, "links change only with the contact they belong to (set contact)")
    _unique([str(link.identity) for link in changes.links], "links", "identity")
    _unique([str(i) for i in changes.unlinks], "unlinks", "identity")
    added = {str(link.identity) for link in changes.links}
    for k, identity in enumerate(changes.unlinks):
        if str(identity) in added:
            raise ValidationError(f"unlinks[{k}]", f"{identity} is both added and removed")


def _check_items(items: tuple[object, ...], kind: type, field: str) -> None:
    """Every item is of the record type; ``Changeset`` itself made ``items`` a tuple."""
    for i, item in enumerate(items):
        if not isinstance(item, kind):
            raise ValidationError(f"{field}[{i}]", f"expected a {kind.__name__}, got {type(item).__name__}")


_JSON_LEAVES = frozenset({str, int, bool, type(None)})
_JSON_KEYS = frozenset({str})


def _plain_json(value: object, depth: int) -> bool:
    """Whether ``value`` (at ``depth``) is JSON data :func:`_check_json` accepts, told in one
    walk without naming a path; False also for what only the full check may accept (a
    subclass of a JSON type), so a False is always looked at again by the full check."""
    if type(value) in _JSON_LEAVES:
        return depth <= _JSON_DEPTH
    todo = [(value, depth)]
    while todo:
        node, level = todo.pop()
        kind = type(node)
        items: Any
        if kind is dict:
            if not _JSON_KEYS.issuperset(map(type, node)):  # type: ignore[call-overload]
                return False
            items = node.values()  # type: ignore[attr-defined]
        elif kind is list:
            items = node
        elif kind is float:
            if level > _JSON_DEPTH or not math.isfinite(node):  # type: ignore[arg-type]
                return False
            continue
        else:
            return False
        level += 1
        if level > _JSON_DEPTH and items:
            return False
        kinds = list(map(type, items))
        if not _JSON_LEAVES.issuperset(kinds):  # containers or floats among them, walked next
            nested = compress(items, map(operator.not_, map(_JSON_LEAVES.__contains__, kinds)))
            todo.extend(zip(nested, repeat(level)))
    return True


def _check_json(value: object, field: str, depth: int) -> None:
    """Refuse decision data that JSON cannot carry unchanged, so every backend keeps the same."""
    if depth == 0 and _plain_json(value, 0):
        return  # the usual record, told at once; else the walk below names the field
    if depth > _JSON_DEPTH:
        raise ValidationError(field, f"is nested more than {_JSON_DEPTH} levels deep")
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, f"must be a finite number, got {value!r}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(field, f"keys must be text, got {type(key).__name__} {key!r}")
            _check_json(item, f"{field}.{key}", depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_json(item, f"{field}[{i}]", depth + 1)
    else:
        raise ValidationError(
            field,
            f"expected JSON data (text, numbers, booleans, None, lists, dicts), got {type(value).__name__}",
        )


def _unique(keys: Sequence[str | None], field: str, what: str) -> None:
    """Refuse a key used twice; ``None`` (no key) may repeat."""
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key is None:
            continue
        if key in seen:
            raise ValidationError(f"{field}[{i}]", f"{what} {key!r} appears twice in one changeset")
        seen.add(key)


# -- outbox leases and pages -----------------------------------------------------------------

MAX_WORKER_CHARS = 200
"""The longest worker name an outbox lease records."""
MAX_LEASE = timedelta(days=7)
"""The longest lease a claim may take."""


def check_claim(
    worker: object, now: object, limit: object, lease: object
) -> tuple[str, datetime, int, timedelta]:
    """The arguments of an outbox claim, checked; ValidationError naming the one that is wrong."""
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


def check_audience(audience: object) -> str | None:
    """An outbox audience filter: ``customer``, ``team`` or ``None`` (both); else a ValidationError."""
    if audience is not None and audience not in AUDIENCES:
        raise ValidationError("audience", f"expected 'customer', 'team' or None (both), got {audience!r}")
    return audience


def check_page(journey_id: object, after: object, limit: object) -> tuple[str, int, int]:
    """The arguments of an interaction page, checked, naming the wrong one."""
    return (
        check_text(journey_id, "journey_id"),
        check_whole(after, "after", MAX_LIMIT),
        check_whole(limit, "limit", MAX_LIMIT),
    )


# -- callbacks -------------------------------------------------------------------------------


def check_callback_write(stored: Callback | None, new: Callback) -> None:
    """A callback a changeset writes: a new one is ``scheduled``; a stored one may only be
    closed (``done``, ``missed``, ``cancelled``) while it is still ``scheduled``, keeping
    what it was booked for. A stored callback no longer scheduled means another writer
    closed it first: :class:`~handoff.errors.ConcurrencyConflict`, nothing written."""
    if stored is None:
        if new.status != "scheduled":
            raise ValidationError("callbacks.status", f"a new callback is scheduled, got {new.status!r}")
        return
    if stored.status != "scheduled":
        raise ConcurrencyConflict(f"callback {stored.id!r} is already {stored.status}")
    if new.status == "scheduled":
        raise ValidationError("callbacks.status", f"callback {new.id!r} is already scheduled")
    kept = ("journey_id", "contact_id", "at", "number", "channel", "created_at")
    for name in kept:
        if getattr(stored, name) != getattr(new, name):
            raise ValidationError(f"callbacks.{name}", f"callback {new.id!r} cannot change its {name}")
