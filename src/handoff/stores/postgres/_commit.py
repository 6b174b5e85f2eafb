"""One changeset as one SQL statement: ``commit`` in a single round trip.

A statement sent outside a transaction block is a transaction of its own, so the
changeset's writes become the data-modifying parts of one ``WITH`` statement and
PostgreSQL commits all of them or none. A version-checked update that matches no row
makes ``written_once`` (schema migration 3) raise, which fails the whole statement:
the check costs no answer in between. The text depends only on the changeset's shape
(which records it writes, and how many), so there are few of them, each prepared once
per connection.

Each record's keys that must be unique across contacts (its id, a journey's reference,
a message's external id, a provider id) go into ``record_keys`` in the same statement,
read from what the inserts return; a violated one names the record's kind.

All parts of the statement see the database as it was before it; a contact's links
are rows of their own, and the statement adds, replaces or removes only those the
changeset names.
"""

from __future__ import annotations

from functools import lru_cache

from handoff.models import Contact
from handoff.stores.postgres import _links as links
from handoff.stores.postgres import _writes as writes

__all__ = ["MOST_APPENDED", "statement"]

# An event appends a message and perhaps a handoff, notifications and decisions. Beyond
# this many rows, a changeset goes in as a batch of one: statements this long would
# each be prepared for a single use, and PostgreSQL takes at most 65535 parameters.
MOST_APPENDED = 16

_APPENDED = (
    ("interactions", writes.INTERACTION_COLUMNS),
    ("handoffs", writes.HANDOFF_COLUMNS),
    ("notifications", writes.NOTIFICATION_COLUMNS),
    ("decisions", writes.DECISION_COLUMNS),
)


def statement(rows: writes.Rows, most: int | None = MOST_APPENDED) -> tuple[str, list[object]] | None:
    """The statement writing ``rows`` (of one changeset) and its parameters, or None
    when the changeset appends more than ``most`` rows (``None``: no limit)."""
    appended = (rows.interactions, rows.handoffs, rows.notifications, rows.decisions)
    if most is not None and sum(len(table_rows) for table_rows in appended) > most:
        return None
    contact = journey = ""
    linked = unlinked = False
    params: list[object] = []
    for write, values in rows.versioned:
        record, expected = write.record, write.expected
        if isinstance(record, Contact):
            linked, unlinked = bool(write.links), bool(write.unlinks)
            if expected:
                contact = "update"
                problem = f"contact {record.id!r} is not at version {expected}"
                params += (*values[1:], record.id, expected, problem)
                if linked:
                    params += (*write.link_params(), len(write.links), write.taken())
            else:
                contact = "insert"
                params += values
                if linked:
                    params += write.link_params()
            if unlinked:
                params += (record.id, links.unlink_array(write.unlinks))
        else:
            journey = "update" if expected else "insert"
            if expected:
                problem = f"journey {record.id!r} is not at version {expected}"
                params += (*values, record.contact_id, expected, problem)
            else:
                params += values
    for table_rows in appended:
        for row in table_rows:
            params += row
    counts = tuple(len(table_rows) for table_rows in appended)
    return _sql(contact, linked, unlinked, journey, counts), params


@lru_cache(maxsize=64)
def _sql(contact: str, linked: bool, unlinked: bool, journey: str, counts: tuple[int, ...]) -> str:
    """The statement for a changeset of this shape ("" for no contact or journey; whether
    it adds and removes links)."""
    parts: list[str] = []
    checks: list[str] = []

    def write(sql: str, *, checked: bool = False, counted: bool = False) -> str:
        name = f"w{len(parts)}"
        parts.append(f"{name} AS ({sql})")
        if checked:  # exactly one row, or as many as the next parameter says
            checks.append(f"c{len(parts)}")
            written = "count(*) - %s + 1" if counted else "count(*)"
            parts.append(f"{checks[-1]} AS (SELECT written_once({written}, %s) FROM {name})")
        return name

    keys: list[str] = []  # the record_keys rows of what is written, as SELECTs
    if contact == "update":
        write(writes.MATCH_CONTACT, checked=True)
        if linked:
            write(links.ADD_LINKS, checked=True, counted=True)
    elif contact:
        write(writes.INSERT_CONTACT)
        if linked:
            write(links.INSERT_LINKS)
    if unlinked:
        write(links.DROP_LINKS)
    if journey == "update":
        written = write(writes.MATCH_JOURNEY, checked=True)
        write(writes.DROP_MOVED_REFERENCE.format(written))
        keys.append(writes.KEYS_OF["journey"].format(written))
    elif journey:
        keys.append(writes.KEYS_OF["new journey"].format(write(writes.INSERT_JOURNEY)))
    for (table, columns), count in zip(_APPENDED, counts, strict=True):
        if count:
            row = "(" + ", ".join(["%s"] * (columns.count(",") + 1)) + ")"
            insert = f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * count)}"
            written = write(f"{insert} RETURNING {writes.RETURNED[table]}")
            keys.append(writes.KEYS_OF[table].format(written))
    if keys:
        write(writes.INSERT_KEYS.format(" UNION ALL ".join(keys)))
    if not parts:
        return "SELECT 1"
    # A data-modifying part runs whether or not it is read; a check runs only when read.
    return f"WITH {', '.join(parts)} SELECT 1" + (f" FROM {', '.join(checks)}" if checks else "")
