"""A person's data on request: export everything held about them, or erase it.

The export is the stored records as plain JSON-ready data, under a format version so
that a reader years later knows what it holds. :func:`export_contact` builds it whole,
fine for an ordinary contact; :func:`write_export` (JSON Lines to a file) and
:func:`iter_export` stream it, a page of interactions at a time, so a contact with a
hundred thousand interactions is exported in bounded memory. :func:`read_export` and
:func:`read_export_lines` turn either back into records.

Every text in an export was masked before it was stored (see :mod:`handoff.masking`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from attrs import evolve

from handoff.errors import ValidationError
from handoff.models import Callback, Contact, DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.serde import from_dict, to_dict
from handoff.stores.base import ContactRecords, Store
from handoff.stores.capabilities import CallbackBook, ErasureScrub, RecordPages
from handoff.stores.records import Erasure

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_LINES_FORMAT",
    "EXPORT_VERSION",
    "Erasure",
    "erase_contact",
    "export_contact",
    "iter_export",
    "read_export",
    "read_export_lines",
    "write_export",
]

EXPORT_FORMAT = "handoff.contact-export"
EXPORT_LINES_FORMAT = "handoff.contact-export-lines"
EXPORT_VERSION = 1
_PAGE = 500
# The kind of record on each line of a streamed export, in the order the lines come.
_KINDS: dict[str, type[Any]] = {
    "contact": Contact,
    "journey": Journey,
    "interaction": Interaction,
    "handoff": Handoff,
    "notification": Notification,
    "decision": DecisionRecord,
    "callback": Callback,
}
_FIELDS = {
    "journey": "journeys",
    "interaction": "interactions",
    "handoff": "handoffs",
    "notification": "notifications",
    "decision": "decisions",
    "callback": "callbacks",
}


def export_contact(store: Store, contact_id: str) -> dict[str, Any]:
    """The contact, its journeys, interactions, handoffs, notifications, logged decisions
    and callbacks; NotFound if unknown. An export without ``decisions`` or ``callbacks``
    (older) still reads back.

    Built whole in memory: for a contact with a long history use :func:`write_export`.
    """
    records = _with_callbacks(store, store.contact_records(contact_id))
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, **to_dict(records)}


def iter_export(store: Store, contact_id: str) -> Iterator[dict[str, Any]]:
    """The export as JSON-ready lines: a header, then one ``{"record": kind, "data": ...}``
    per record: the contact, its journeys, then journey by journey its interactions, its
    handoffs, notifications, decisions and callbacks. NotFound (before any line) if unknown.

    With a store that offers :class:`~handoff.stores.capabilities.RecordPages` (the built-in
    ones do) interactions are read a page at a time; the lines are not one snapshot, so
    a record written while the export runs may or may not be in it.
    """
    if not isinstance(store, RecordPages):
        yield from _lines(_with_callbacks(store, store.contact_records(contact_id)))
        return
    contact = store.get_contact(contact_id)
    journeys = store.journeys_of(contact.id)
    yield {"format": EXPORT_LINES_FORMAT, "version": EXPORT_VERSION}
    yield _line("contact", contact)
    for journey in journeys:
        yield _line("journey", journey)
    for journey in journeys:
        after = 0
        while page := store.interactions_page(journey.id, after=after, limit=_PAGE):
            for interaction in page:
                yield _line("interaction", interaction)
            after = page[-1].sequence
    for journey in journeys:
        for handoff in store.handoffs(journey.id):
            yield _line("handoff", handoff)
    for journey in journeys:
        for notification in store.notifications(journey.id):
            yield _line("notification", notification)
    for journey in journeys:
        for decision in store.decisions(journey.id):
            yield _line("decision", decision)
    if isinstance(store, CallbackBook):
        for journey in journeys:
            for callback in store.callbacks(journey.id):
                yield _line("callback", callback)


def write_export(store: Store, contact_id: str, out: IO[str]) -> int:
    """Write the export of :func:`iter_export` to ``out`` as JSON Lines; the number of lines.

    NotFound, before anything is written, if the contact is unknown.
    """
    if not callable(getattr(out, "write", None)):
        raise ValidationError("out", f"expected a text file open for writing, got {type(out).__name__}")
    lines = iter_export(store, contact_id)
    first = next(lines)  # an unknown contact fails here, with nothing written
    count = 0
    for line in _chain(first, lines):
        try:
            out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        except TypeError:  # a file opened in binary mode
            raise ValidationError("out", "expected a file open for writing text, not bytes") from None
        count += 1
    return count


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


def read_export_lines(lines: Iterable[str]) -> ContactRecords:
    """The records of an export written by :func:`write_export` (an open file, or its lines).

    ValidationError naming the line (``line 3``) for anything that is not such an export.
    """
    found: dict[str, list[Any]] = {field: [] for field in _FIELDS.values()}
    contact: Contact | None = None
    number = 0
    for number, text in enumerate(lines, 1):
        if not isinstance(text, str):
            raise ValidationError(f"line {number}", f"expected text, got {type(text).__name__}")
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ValidationError(f"line {number}", f"not JSON: {exc}") from None
        if not isinstance(line, dict):
            raise ValidationError(f"line {number}", f"expected an object, got {type(line).__name__}")
        if number == 1:
            _check_header(line)
            continue
        kind = line.get("record")
        if kind not in _KINDS or set(line) != {"record", "data"}:
            raise ValidationError(f"line {number}", f"expected a record of {', '.join(_KINDS)}")
        record = from_dict(_KINDS[kind], line["data"])
        if kind == "contact":
            if contact is not None:
                raise ValidationError(f"line {number}", "a second contact")
            contact = record
        else:
            found[_FIELDS[kind]].append(record)
    if number == 0:
        raise ValidationError("line 1", "empty: expected an export header")
    if contact is None:
        raise ValidationError("contact", "the export holds no contact")
    return ContactRecords(contact=contact, **found)


def erase_contact(store: Store, contact_id: str, *, vacuum: bool = True) -> Erasure:
    """Remove the contact and everything of its journeys in one transaction; NotFound if unknown.

    Once the rows are deleted it does not raise: the :class:`Erasure` says whether old
    copies may remain outside the tables (a SQLite write-ahead log a reader pins, which
    a later checkpoint empties; PostgreSQL's WAL). On PostgreSQL it runs ``VACUUM`` on
    the tables it touched unless ``vacuum`` is false. A store without
    :class:`~handoff.stores.capabilities.ErasureScrub` cannot tell, so its erasure reports
    that old copies may remain.
    """
    if not isinstance(vacuum, bool):
        raise ValidationError("vacuum", f"expected true or false, got {vacuum!r}")
    if isinstance(store, ErasureScrub):
        return store.erase_contact_scrubbed(contact_id, vacuum=vacuum)
    store.erase_contact(contact_id)
    return Erasure(contact_id, old_copies_may_remain=True)


def _with_callbacks(store: Store, records: ContactRecords) -> ContactRecords:
    """The records with the contact's callbacks, from a store that keeps them."""
    if not isinstance(store, CallbackBook):
        return records
    callbacks = tuple(c for journey in records.journeys for c in store.callbacks(journey.id))
    return evolve(records, callbacks=callbacks)


def _line(kind: str, record: object) -> dict[str, Any]:
    return {"record": kind, "data": to_dict(record)}


def _lines(records: ContactRecords) -> Iterator[dict[str, Any]]:
    yield {"format": EXPORT_LINES_FORMAT, "version": EXPORT_VERSION}
    yield _line("contact", records.contact)
    for kind, field in _FIELDS.items():
        for record in getattr(records, field):
            yield _line(kind, record)


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


def _check_header(line: dict[str, Any]) -> None:
    if line.get("format") != EXPORT_LINES_FORMAT:
        raise ValidationError(
            "line 1", f"expected format {EXPORT_LINES_FORMAT!r}, got {line.get('format')!r}"
        )
    if line.get("version") != EXPORT_VERSION:
        raise ValidationError(
            "line 1", f"this handoff reads version {EXPORT_VERSION}, got {line.get('version')!r}"
        )
