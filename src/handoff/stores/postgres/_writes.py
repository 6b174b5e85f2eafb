"""How the PostgreSQL store turns records into rows and back, and explains refusals.

Kept apart from :mod:`handoff.stores.postgres`, which owns the pool and the
transactions around these statements.

Records are stored as ``jsonb`` (decisions as ``json``) made by
:func:`handoff.serde.to_json` and read back by :func:`decode`. ``jsonb`` cannot hold
the character U+0000, which people do paste into messages, so
:func:`stored_json` rewrites it reversibly (see there); indexed text columns are
identifiers, and one holding U+0000 is refused as invalid input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TypeVar

import psycopg
from attrs import define, evolve
from psycopg import errors as pgerrors

from handoff.errors import (
    ConcurrencyConflict,
    DuplicateInteraction,
    HandoffError,
    NotFound,
    StoreError,
    ValidationError,
)
from handoff.identity import Identity
from handoff.models import Contact, DecisionRecord, Handoff, IdentityLink, Interaction, Journey, Notification
from handoff.serde import from_json, to_json
from handoff.stores.postgres import _links as links
from handoff.stores.postgres._layout import parent_constraint
from handoff.stores.records import Changeset

T = TypeVar("T")
Params = tuple[object, ...]
Connection = psycopg.Connection[tuple[object, ...]]

# The SQLSTATE of written_once (migration 3): a version-checked update matched no row.
VERSION_CONFLICT = "23V01"
INSERT_CONTACT = "INSERT INTO contacts (id, version, created_at, data) VALUES (%s, %s, %s, %s)"
# The version-checked updates (the key and the version they replace come last) return a
# row when they matched; CHECKED turns one into a statement that fails when it did not,
# so that a pipeline needs no answer before sending the next statement (the last %s is
# the problem to report).
MATCH_CONTACT = (
    "UPDATE contacts SET version = %s, created_at = %s, data = %s WHERE id = %s AND version = %s RETURNING 1"
)
# A journey's update returns its reference before (``was``) and after, so that the
# statement around it can move the reference's look-up row (see JOURNEY_KEYS).
MATCH_JOURNEY = (
    "UPDATE journeys AS j SET contact_id = %s, reference = %s, status = %s, version = %s, opened_at = %s,"
    " updated_at = %s, data = %s FROM journeys AS before WHERE j.id = %s AND j.contact_id = %s"
    " AND j.version = %s AND before.id = j.id AND before.contact_id = j.contact_id"
    " RETURNING before.reference AS was, j.reference, j.contact_id, j.id"
)
CHECKED = "WITH written AS ({}) SELECT written_once(count(*), %s) FROM written"
UPDATE_CONTACT = CHECKED.format(MATCH_CONTACT)
# The links added to a stored contact: all of them must be written (or replaced), none
# held by another contact (parameters: ADD_LINKS's, how many, the problem to report).
ADD_LINKS_CHECKED = (
    f"WITH written AS ({links.ADD_LINKS}) SELECT written_once(count(*) - %s + 1, %s) FROM written"
)
INSERT_JOURNEY = (
    "INSERT INTO journeys (contact_id, reference, status, version, opened_at, updated_at, data, id)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id, reference, contact_id"
)
# -- record keys -------------------------------------------------------------------------
# Each global key of a written record, as (key, kind, contact_id, record_id) rows, read
# from the RETURNING of the statement part ({}) that wrote the record. A journey's
# reference row moves when an update changes the reference (the old row is deleted by
# DROP_MOVED_REFERENCE in the same statement).
KEYS_OF = {
    "new journey": (
        "SELECT id, 'journey', contact_id, id FROM {0}"
        " UNION ALL SELECT reference, 'reference', contact_id, id FROM {0}"
    ),
    "journey": "SELECT reference, 'reference', contact_id, id FROM {0} WHERE was <> reference",
    "interactions": (
        "SELECT id, 'interaction', contact_id, id FROM {0} UNION ALL"
        " SELECT external_id, 'external:' || channel, contact_id, id FROM {0} WHERE external_id IS NOT NULL"
    ),
    "handoffs": "SELECT id, 'handoff', contact_id, id FROM {0}",
    "notifications": (
        "SELECT id, 'notification', contact_id, id FROM {0} UNION ALL"
        " SELECT provider_id, 'provider', contact_id, id FROM {0} WHERE provider_id IS NOT NULL"
    ),
    "decisions": "SELECT id, 'decision', contact_id, id FROM {0}",
}
# What each appended table's insert returns for KEYS_OF.
RETURNED = {
    "interactions": "id, contact_id, channel, external_id",
    "handoffs": "id, contact_id",
    "notifications": "id, contact_id, provider_id",
    "decisions": "id, contact_id",
}
INSERT_KEYS = "INSERT INTO record_keys (key, kind, contact_id, record_id) {}"
DROP_MOVED_REFERENCE = (
    "DELETE FROM record_keys WHERE kind = 'reference' AND key IN (SELECT was FROM {0} WHERE was <> reference)"
)
ADD_JOURNEY = (
    f"WITH written AS ({INSERT_JOURNEY}) {INSERT_KEYS.format(KEYS_OF['new journey'].format('written'))}"
)
UPDATE_JOURNEY = (
    f"WITH written AS ({MATCH_JOURNEY}), moved AS ({DROP_MOVED_REFERENCE.format('written')}),"
    f" added AS ({INSERT_KEYS.format(KEYS_OF['journey'].format('written'))})"
    " SELECT written_once(count(*), %s) FROM written"
)
INTERACTION_COLUMNS = "id, journey_id, contact_id, sequence, channel, author, kind, at, external_id, data"
HANDOFF_COLUMNS = "id, journey_id, contact_id, at, from_channel, to_channel, initiated_by, reason, data"
NOTIFICATION_COLUMNS = (
    "id, journey_id, contact_id, channel, purpose, status, send_at, created_at, data, provider_id"
)
DECISION_COLUMNS = "id, journey_id, contact_id, at, data"

# -- U+0000 in jsonb ------------------------------------------------------------------
# json.dumps writes U+0000 as the escape \u0000 and U+0001 as \u0001. In every string
# U+0001 becomes U+0001 "1" and U+0000 becomes U+0001 "0": injective, and only escapes
# preceded by an even run of backslashes are escapes (an odd run is a literal "\").
_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u000([01])")
_UNESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0001([01])")


def stored_json(record: object) -> str:
    """The record's JSON in a form ``jsonb`` accepts; :func:`loaded_json` undoes it."""
    text = to_json(record)
    return _ESCAPE.sub(r"\1\\u0001\2", text) if "\\u000" in text else text


def loaded_json(text: str) -> str:
    """The JSON :func:`handoff.serde.to_json` wrote, from what ``jsonb`` gives back."""
    return _UNESCAPE.sub(r"\1\\u000\2", text) if "\\u0001" in text else text


def decode(model: type[T], data: object) -> T:
    """A record from the JSON text a query returned; StoreError if it cannot be read."""
    if not isinstance(data, str):
        raise StoreError(f"a stored {model.__name__} came back as {type(data).__name__}, not JSON text")
    try:
        return from_json(model, loaded_json(data))
    except ValidationError as exc:
        raise StoreError(
            f"a stored {model.__name__} cannot be read ({exc}); the database is damaged or was "
            "written by a newer handoff"
        ) from exc


def has_nul(params: Iterable[object]) -> bool:
    """Whether a look-up key holds U+0000, which no stored key can (so nothing matches)."""
    for value in params:
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, (list, tuple)) and has_nul(value):
            return True
    return False


def _keys(where: str, **columns: str | None) -> None:
    for name, value in columns.items():
        if value is not None and "\x00" in value:
            raise ValidationError(f"{where}.{name}", "must not contain the NUL character (U+0000)")


# -- rows ------------------------------------------------------------------------------
@define(frozen=True)
class _Versioned:
    """One version-checked write: the record as it will be stored, and the version it replaces."""

    record: Contact | Journey
    expected: int
    where: str
    links: tuple[IdentityLink, ...] = ()  # a contact's links to write (a new one's: all of them)
    unlinks: tuple[Identity, ...] = ()

    def link_params(self) -> tuple[str, list[str], list[str], list[str]]:
        """The parameters of INSERT_LINKS or ADD_LINKS: the contact id, then three arrays."""
        return (self.record.id, *links.link_arrays(self.links, [stored_json(link) for link in self.links]))

    def taken(self) -> str:
        """The problem reported when an identity this write links belongs to another contact."""
        held = ", ".join(str(link.identity) for link in self.links)
        return f"an identity already belongs to another contact (one of {held})"


class Rows:
    """One or more changesets as statement parameters, serialized before any I/O.

    In a batch, a journey's successive versions collapse into one write of the last
    one (checked against the version the first expected) when they keep its reference
    and contact, so intermediate states would collide with nothing the final one does
    not; a changeset that expects another version than the batch left raises
    ConcurrencyConflict here, as the store would.
    """

    def __init__(self, batch: Sequence[Changeset], *, numbered: bool = False) -> None:
        versioned: list[_Versioned] = []
        self.interactions: list[Params] = []
        self.handoffs: list[Params] = []
        self.notifications: list[Params] = []
        self.decisions: list[Params] = []
        pending: dict[str, int] = {}  # journey id -> its write in versioned
        for n, changes in enumerate(batch):
            where = f"changes[{n}]." if numbered else ""
            contact = changes.contact
            if contact is not None:
                expected = changes.expected_contact_version
                added = changes.links if expected else (*contact.links, *changes.links)
                versioned.append(_Versioned(contact, expected, where, added, changes.unlinks))
            if changes.journey is not None:
                journey = _Versioned(changes.journey, changes.expected_journey_version, where)
                _add_journey(versioned, journey, pending)
            self.interactions += (
                _interaction(i, f"{where}interactions[{k}]") for k, i in enumerate(changes.interactions)
            )
            self.handoffs += (_handoff(h, f"{where}handoffs[{k}]") for k, h in enumerate(changes.handoffs))
            self.notifications += (
                _notification(x, f"{where}notifications[{k}]") for k, x in enumerate(changes.notifications)
            )
            self.decisions += (
                _decision(d, f"{where}decisions[{k}]") for k, d in enumerate(changes.decisions)
            )
        # Serialized once folded: a backfill writes each journey once, not once per message.
        self.versioned = [(write, _params(write)) for write in versioned]

    def write_versioned(self, conn: Connection) -> None:
        """Write contacts (with their identities) and journeys in batch order, pipelined.

        An update that finds another version fails (see :data:`CHECKED`), which skips
        the rest of the pipeline; :func:`refused` names it.
        """
        failed: psycopg.Error | None = None
        try:
            with conn.pipeline():
                try:
                    for write, params in self.versioned:
                        if isinstance(write.record, Contact):
                            _write_contact(conn, write, params)
                        else:
                            _write_journey(conn, write.record, write.expected, params)
                except psycopg.Error as exc:
                    # It arrived while later statements were being queued: the pipeline
                    # can still close cleanly, reporting only that it was aborted.
                    failed = exc
        except psycopg.Error:
            if failed is None:
                raise
        if failed is not None:
            raise failed

    def copy_appended(self, conn: Connection) -> None:
        """The same rows through ``COPY``: the fastest way in for a large batch."""
        with conn.cursor() as cur:
            for table, columns, rows in (
                ("interactions", INTERACTION_COLUMNS, self.interactions),
                ("handoffs", HANDOFF_COLUMNS, self.handoffs),
                ("notifications", NOTIFICATION_COLUMNS, self.notifications),
                ("decisions", DECISION_COLUMNS, self.decisions),
            ):
                if rows:
                    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            keys = self.appended_keys()
            if keys:
                with cur.copy("COPY record_keys (key, kind, contact_id, record_id) FROM STDIN") as copy:
                    for key in keys:
                        copy.write_row(key)

    def appended_keys(self) -> list[Params]:
        """The record_keys rows of the appended records: (key, kind, contact_id, record_id)."""
        keys: list[Params] = []
        for row in self.interactions:  # id, journey_id, contact_id, sequence, channel, ..., external_id
            keys.append((row[0], "interaction", row[2], row[0]))
            if row[8] is not None:
                keys.append((row[8], f"external:{row[4]}", row[2], row[0]))
        for kind, rows in (("handoff", self.handoffs), ("decision", self.decisions)):
            keys += ((row[0], kind, row[2], row[0]) for row in rows)
        for row in self.notifications:  # ..., provider_id last
            keys.append((row[0], "notification", row[2], row[0]))
            if row[-1] is not None:
                keys.append((row[-1], "provider", row[2], row[0]))
        return keys


def _add_journey(versioned: list[_Versioned], write: _Versioned, pending: dict[str, int]) -> None:
    """Append a journey write, or fold it into the batch's earlier write of that journey."""
    journey = write.record
    assert isinstance(journey, Journey)
    index = pending.get(journey.id)
    if index is not None:
        earlier = versioned[index]
        before = earlier.record
        assert isinstance(before, Journey)
        if write.expected != before.version:
            raise ConcurrencyConflict(
                f"{write.where}journey {journey.id!r} is at version {before.version} after the changesets "
                f"before it in the batch, not {write.expected}"
            )
        if (before.reference, before.contact_id) == (journey.reference, journey.contact_id):
            versioned[index] = _Versioned(journey, earlier.expected, write.where)
            return
    pending[journey.id] = len(versioned)
    versioned.append(write)


def _params(write: _Versioned) -> Params:
    if isinstance(write.record, Contact):
        return _contact(write.record, write.where)
    return _journey(write.record, write.where)


def _contact(contact: Contact, where: str) -> Params:
    _keys(f"{where}contact", id=contact.id)
    for k, identity in enumerate(contact.identities):
        _keys(f"{where}contact.links[{k}]", identity=str(identity))
    head = contact if not contact.links else evolve(contact, links=())  # the links are rows
    return (contact.id, contact.version, contact.created_at, stored_json(head))


def _journey(journey: Journey, where: str) -> Params:
    """In the column order both journey statements share: the key comes last."""
    _keys(f"{where}journey", id=journey.id, reference=journey.reference, contact_id=journey.contact_id)
    return (
        journey.contact_id,
        journey.reference,
        journey.status,
        journey.version,
        journey.opened_at,
        journey.updated_at,
        stored_json(journey),
        journey.id,
    )


def _interaction(i: Interaction, where: str) -> Params:
    _keys(where, id=i.id, journey_id=i.journey_id, contact_id=i.contact_id, external_id=i.external_id)
    return (i.id, i.journey_id, i.contact_id, i.sequence, i.channel, i.author, i.kind, i.at, i.external_id,
            stored_json(i))  # fmt: skip


def _handoff(h: Handoff, where: str) -> Params:
    # A handoff's contact is the one its summary was written for.
    contact_id = h.summary.contact.contact_id
    _keys(where, id=h.id, journey_id=h.journey_id, contact_id=contact_id)
    return (h.id, h.journey_id, contact_id, h.at, h.from_channel, h.to_channel, h.initiated_by, h.reason,
            stored_json(h))  # fmt: skip


def _notification(n: Notification, where: str) -> Params:
    _keys(where, id=n.id, journey_id=n.journey_id, contact_id=n.contact_id, provider_id=n.provider_id)
    return (n.id, n.journey_id, n.contact_id, n.channel, n.purpose, n.status, n.send_at, n.created_at,
            stored_json(n), n.provider_id)  # fmt: skip


def _decision(d: DecisionRecord, where: str) -> Params:
    _keys(where, id=d.id, journey_id=d.journey_id, contact_id=d.contact_id)
    return (d.id, d.journey_id, d.contact_id, d.at, stored_json(d))


def _write_contact(conn: Connection, write: _Versioned, params: Params) -> None:
    """Insert or version-checked update, then the identity rows the changeset changes."""
    contact, expected = write.record, write.expected
    if expected == 0:
        conn.execute(INSERT_CONTACT, params, prepare=True)
        if write.links:
            conn.execute(links.INSERT_LINKS, write.link_params(), prepare=True)
    else:
        problem = f"contact {contact.id!r} is not at version {expected}"
        conn.execute(UPDATE_CONTACT, (*params[1:], contact.id, expected, problem), prepare=True)
        if write.links:
            checked = (*write.link_params(), len(write.links), write.taken())
            conn.execute(ADD_LINKS_CHECKED, checked, prepare=True)
    if write.unlinks:
        conn.execute(links.DROP_LINKS, (contact.id, links.unlink_array(write.unlinks)), prepare=True)


def _write_journey(conn: Connection, journey: Journey, expected: int, params: Params) -> None:
    if expected == 0:
        conn.execute(ADD_JOURNEY, params, prepare=True)
    else:
        problem = f"journey {journey.id!r} is not at version {expected}"
        conn.execute(UPDATE_JOURNEY, (*params, journey.contact_id, expected, problem), prepare=True)


# -- refusals --------------------------------------------------------------------------
# A violated unique constraint, and what it means for the writer.
_UNIQUE: dict[str, tuple[type[ConcurrencyConflict], str]] = {
    "contacts_pkey": (ConcurrencyConflict, "a contact with this id already exists"),
    "identities_pkey": (ConcurrencyConflict, "an identity already belongs to another contact"),
    "journeys_pkey": (ConcurrencyConflict, "a journey with this id already exists"),
    "interactions_pkey": (DuplicateInteraction, "an interaction with this id is already stored"),
    "interactions_sequence_key": (
        ConcurrencyConflict,
        "the journey already has an interaction with this sequence number",
    ),
    "handoffs_pkey": (ConcurrencyConflict, "a handoff with this id already exists"),
    "notifications_pkey": (ConcurrencyConflict, "a notification with this id already exists"),
    "decisions_pkey": (ConcurrencyConflict, "a decision with this id already exists"),
}
# A taken record key (record_keys_pkey), by its kind.
_TAKEN: dict[str, tuple[type[ConcurrencyConflict], str]] = {
    "journey": _UNIQUE["journeys_pkey"],
    "reference": (ConcurrencyConflict, "the journey reference is already taken"),
    "interaction": _UNIQUE["interactions_pkey"],
    "external": (DuplicateInteraction, "an interaction with this (channel, external_id) is already stored"),
    "handoff": _UNIQUE["handoffs_pkey"],
    "notification": _UNIQUE["notifications_pkey"],
    "provider": (ConcurrencyConflict, "another notification already holds this provider id"),
    "decision": _UNIQUE["decisions_pkey"],
}
# PostgreSQL's detail of a taken key: Key (key, kind)=(<key>, <kind>) already exists.
_TAKEN_DETAIL = re.compile(r"\(key, kind\)=\((?P<key>.*), (?P<kind>[^,]*)\) already exists", re.DOTALL)

# A violated foreign key: the kind of record that is missing, and which rows name one.
FOREIGN_KEYS = {
    "journeys_contact_fk": "contact",
    "identities_contact_fk": "contact",
    "record_keys_contact_fk": "contact",
    "interactions_journey_fk": "journey",
    "handoffs_journey_fk": "journey",
    "notifications_journey_fk": "journey",
    "decisions_journey_fk": "journey",
}


def refused(exc: psycopg.Error) -> HandoffError | None:
    """The domain error a failed version check or a violated unique constraint stands for."""
    if exc.sqlstate == VERSION_CONFLICT:
        return ConcurrencyConflict(exc.diag.message_primary or "a record changed meanwhile")
    if not isinstance(exc, pgerrors.UniqueViolation):
        return None
    detail = exc.diag.message_detail
    if exc.diag.constraint_name == "record_keys_pkey":
        taken = _TAKEN_DETAIL.search(detail or "")
        kind = taken.group("kind").partition(":")[0] if taken else ""
        error, problem = _TAKEN.get(kind, (ConcurrencyConflict, "a key of the record is already taken"))
        if taken and kind == "external":
            detail = f"channel {taken.group('kind').partition(':')[2]!r}, external_id {taken.group('key')!r}"
        elif taken:
            detail = f"{kind} {taken.group('key')!r}"
        return error(f"{problem} ({detail})" if detail else problem)
    known = _UNIQUE.get(parent_constraint(exc.diag.constraint_name or ""))
    if known is None:
        return None
    error, problem = known
    return error(f"{problem} ({detail})" if detail else problem)


def referenced(batch: Sequence[Changeset], kind: str) -> list[str]:
    """The contact or journey ids the batch's records point at but do not write themselves."""
    written: set[str] = set()
    ids: list[str] = []
    for changes in batch:
        if kind == "contact":
            written.update([changes.contact.id] if changes.contact is not None else [])
            ids += [changes.journey.contact_id] if changes.journey is not None else []
        else:
            written.update([changes.journey.id] if changes.journey is not None else [])
            records: list[Interaction | Handoff | Notification | DecisionRecord] = [
                *changes.interactions,
                *changes.handoffs,
                *changes.notifications,
                *changes.decisions,
            ]
            ids += [r.journey_id for r in records]
    return [i for i in dict.fromkeys(ids) if i not in written]


_EXISTING = {
    "contact": "SELECT id FROM contacts WHERE id = ANY(%s)",
    "journey": "SELECT id FROM journeys WHERE id = ANY(%s)",
}


def explained(conn: Connection, batch: Sequence[Changeset], exc: psycopg.Error) -> HandoffError:
    """The domain error for a violated constraint; the transaction is rolled back by now."""
    known = refused(exc)
    if known is not None:
        return known
    kind = FOREIGN_KEYS.get(parent_constraint(getattr(exc.diag, "constraint_name", None) or ""))
    if kind is None:
        return unexplained(exc)
    wanted = referenced(batch, kind)
    existing = {row[0] for row in conn.execute(_EXISTING[kind], (wanted,)).fetchall()}
    missing = [key for key in wanted if key not in existing]
    if missing:
        return NotFound(kind, str(missing[0]))
    return ConcurrencyConflict(f"a {kind} the write refers to was removed meanwhile")


def unexplained(exc: psycopg.Error) -> StoreError:
    return StoreError(f"PostgreSQL refused a write: {exc}")
