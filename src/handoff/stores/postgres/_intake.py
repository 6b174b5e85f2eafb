"""``load_intake`` for PostgreSQL: every look-up of ``receive`` in one round trip.

Every read costs a round trip and, in the client, a statement's worth of driver work.
One statement finds the stored message and, through the identity, the contact, its
journeys and their recent notifications: it calls a function of the schema that reads
the look-up rows first and then the contact's tables by its id, so that a partitioned
(or distributed) store reads one partition (shard) of each. Look-ups by reference or
thread, when there are any, go with it in the same pipeline. They stay separate statements: with their
array parameters in it, PostgreSQL would plan the combined statement afresh on every
call, which costs more than it saves. Only when a reference, a thread or a redelivery
names a contact other than the identity's does a second round trip read that one's.
The JSON of a record comes with its id (and version), so the store's decoded-record
cache spares decoding what it has seen before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from psycopg import Connection

from handoff._records import replace
from handoff.identity import Identity
from handoff.models import Contact, IdentityLink, Interaction, Journey, Notification
from handoff.stores.capabilities import IntakeRecords
from handoff.stores.postgres import _trips as trips
from handoff.stores.postgres._decoded_rows import DecodedRows
from handoff.stores.postgres._links import BRIEF_OF_CONTACTS
from handoff.stores.records import BRIEF_LINKS
from handoff.stores.rules import check_intake

__all__ = ["intake_params", "intake_steps", "load_intake"]

# The journeys named by reference, each by its contact (the schema's keyed_journeys).
_NAMED = "SELECT json, row_id, row_version FROM keyed_journeys(%s::text[], 'reference')"
THREAD = (
    "SELECT journeys.data::text, journeys.id, journeys.version FROM interactions"
    " JOIN journeys ON journeys.id = interactions.journey_id"
    " AND journeys.contact_id = interactions.contact_id"
    " WHERE interactions.external_id = ANY(%s)"
    " ORDER BY interactions.at DESC, interactions.position DESC LIMIT 1"
)
# Contacts by id, their journeys and their journeys' recent notifications (round two).
_CONTACTS = "SELECT data::text, id, version FROM contacts WHERE id {}"
_JOURNEYS = (
    "SELECT data::text, id, version FROM journeys WHERE contact_id {}"
    " ORDER BY contact_id, opened_at, position"
)
_NOTIFICATIONS = (
    "SELECT data::text FROM notifications WHERE journey_id IN (SELECT id FROM journeys WHERE contact_id {})"
    " AND created_at >= %s ORDER BY journey_id, created_at, position"
)
_BY_ID = (*(sql.format("= ANY(%s)") for sql in (_CONTACTS, _JOURNEYS, _NOTIFICATIONS)), BRIEF_OF_CONTACTS)
# Round one, by the schema function ``intake_rows``: part 0 the stored message, 1 the
# identity's contact, 2 its journeys (oldest first), 3 their notifications created since
# (by journey, then creation order), 4 the contact's brief links (see
# handoff.stores.Store.find_contact_brief), in link order. The function looks the contact
# up first and then reads its rows with that id as a parameter, so each of those reads
# starts on one partition (one shard on Citus) instead of opening every partition to
# prune them as it runs.
_ROUND_ONE = (
    "SELECT part, json, row_id, row_version, rank FROM intake_rows("
    f"%(identity)s, %(channel)s, %(external_id)s, %(since)s, {BRIEF_LINKS}) ORDER BY part, rank"
)
# The same rows for a serialised writer's first read: ``intake_rows_locked`` takes the
# writer's transaction-scoped advisory lock first (class and key), then reads.
_ROUND_ONE_LOCKED = (
    "SELECT part, json, row_id, row_version, rank FROM intake_rows_locked(%(lock_class)s, %(lock_key)s,"
    f" %(identity)s, %(channel)s, %(external_id)s, %(since)s, {BRIEF_LINKS}) ORDER BY part, rank"
)


def _clean(value: str | None) -> str | None:
    """A value that cannot be stored (it holds NUL) cannot match: look up nothing."""
    return None if value is None or "\x00" in value else value


def intake_params(
    identity: Identity,
    channel: str,
    external_id: str | None,
    references: Sequence[str],
    thread_refs: Sequence[str],
    since: datetime,
) -> dict[str, Any]:
    """The statement's parameters, checked as the plain look-ups check them
    (:func:`~handoff.stores.rules.check_intake`); references that hold a NUL, which no
    stored key can, are left out."""
    identity, channel, external_id, references, thread_refs, since = check_intake(
        identity, channel, external_id, references, thread_refs, since
    )
    return {
        "identity": _clean(str(identity)),
        "channel": _clean(channel),
        "external_id": _clean(external_id),
        "references": [ref for ref in references if "\x00" not in ref],
        "thread_refs": [ref for ref in thread_refs if "\x00" not in ref],
        "since": since,
    }


def load_intake(
    conn: Connection[Any], params: dict[str, Any], decoded: DecodedRows, lock: tuple[int, str] | None = None
) -> IntakeRecords:
    """Read what ``receive`` needs on ``conn``: one round trip, two when a reference, a
    thread or a redelivery names a contact other than the identity's. With ``lock``,
    the read opens a transaction (``BEGIN`` goes with it) and takes that lock first."""
    return trips.run(conn, intake_steps(params, decoded, lock), begin=lock is not None)


def intake_steps(
    params: dict[str, Any], decoded: DecodedRows, lock: tuple[int, str] | None = None
) -> trips.Steps[IntakeRecords]:
    """:func:`load_intake` as a conversation any connection can carry (see
    :mod:`~handoff.stores.postgres._trips`). With ``lock`` (a class and a key), the
    first statement takes that transaction-scoped advisory lock before it reads; the
    records are decoded through ``decoded``, once per state."""
    load = decoded.row
    since = params["since"]
    if lock is None:
        trip: trips.Trip = [(_ROUND_ONE, params)]
    else:
        trip = [(_ROUND_ONE_LOCKED, {**params, "lock_class": lock[0], "lock_key": lock[1]})]
    if params["references"]:
        trip.append((_NAMED, (params["references"],)))
    if params["thread_refs"]:
        trip.append((THREAD, (params["thread_refs"],)))
    answers = yield trip
    first = answers[0]
    named = answers[1] if params["references"] else []
    thread = answers[-1] if params["thread_refs"] else []
    parts: list[list[Any]] = [[], [], [], [], []]
    for part, data, key, version, _ in first:
        # A notification changes without a version, a link row has no key of its own:
        # both are decoded once per JSON text (see _collect).
        parts[part].append((data,) if part >= 3 else (data, key) if version is None else (data, key, version))
    contacts: dict[str, Contact] = {}
    journeys: dict[str, list[Journey]] = {}
    notifications: dict[str, list[Notification]] = {}
    owner = str(parts[1][0][1]) if parts[1] else ""
    _collect(parts[1:4], decoded, contacts, journeys, notifications, [(owner, row[0]) for row in parts[4]])
    known = next(iter(contacts.values()), None)
    found = next((load(Interaction, row) for row in parts[0]), None)
    by_reference = {journey.reference: journey for journey in (load(Journey, row) for row in named)}
    by_thread = next((load(Journey, row) for row in thread), None)
    anchors = [*by_reference.values(), *([by_thread] if by_thread is not None else [])]
    others = [journey.contact_id for journey in anchors if journey.contact_id not in contacts]
    if found is not None and not any(
        journey.id == found.journey_id for owned in journeys.values() for journey in owned
    ):
        others.append(found.contact_id)
    if others:
        ids = list(dict.fromkeys(others))
        more = yield [(sql, (ids, since) if n == 2 else (ids,)) for n, sql in enumerate(_BY_ID)]
        _collect(more, decoded, contacts, journeys, notifications)
    return IntakeRecords(
        seen=found,
        contact=known,
        by_reference=by_reference,
        by_thread=by_thread,
        contacts=contacts,
        journeys=journeys,
        notifications=notifications,
    )


def _collect(
    answers: Iterable[Sequence[Any]],
    decoded: DecodedRows,
    contacts: dict[str, Contact],
    journeys: dict[str, list[Journey]],
    notifications: dict[str, list[Notification]],
    links: Iterable[tuple[str, str]] | None = None,
) -> None:
    """Add the rows of the contacts, journeys and notifications statements to the records
    read so far, each contact with its brief links: ``links``, (contact id, JSON) rows in
    order, or else a fourth answer of such rows. A link row and a notification (which
    changes without a version) are known by their JSON alone."""
    answers = list(answers)
    if links is None:
        links = [(row[0], row[1]) for row in answers.pop()]
    contact_rows, journey_rows, notification_rows = answers
    load, text = decoded.row, decoded.load
    held: dict[str, list[IdentityLink]] = {}
    for contact_id, data in links:
        held.setdefault(contact_id, []).append(text(IdentityLink, data))
    for row in contact_rows:
        # A stored contact and its stored links, both checked: no validators run again.
        contacts[row[1]] = replace(load(Contact, row), links=tuple(held.get(row[1], ())))
    for row in journey_rows:
        journey = load(Journey, row)
        journeys.setdefault(journey.contact_id, []).append(journey)
    for row in notification_rows:
        notification = text(Notification, row[0])
        notifications.setdefault(notification.journey_id, []).append(notification)
