"""A contact's identity links as rows of their own in PostgreSQL: the statements.

The contact's JSON carries no links; each link is a row of ``identities`` with its
JSON in ``data``, its kind and a ``position`` (an identity column: its place among the
contact's links, kept when the link is replaced). Linking one identity writes one row,
and the write path reads a brief: the first links of each kind, found by walking
``identities_by_kind`` from kind to kind, never all of a contact's links.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from attrs import evolve

from handoff.identity import Identity
from handoff.models import Contact, IdentityLink
from handoff.stores.records import BRIEF_LINKS

__all__ = [
    "ADD_LINKS",
    "DROP_LINKS",
    "INSERT_LINKS",
    "assembled",
    "link_arrays",
    "read_statement",
    "unlink_array",
]

# Parameters: the contact id, then the identities, their kinds and their JSON (arrays).
INSERT_LINKS = (
    "INSERT INTO identities (identity, contact_id, kind, data)"
    " SELECT l.identity, c.id, l.kind, l.data FROM (SELECT %s::text AS id) AS c,"
    " unnest(%s::text[], %s::text[], %s::jsonb[]) AS l(identity, kind, data)"
)
# Added or replaced in place; an identity another contact holds is not touched, which the
# count of rows returned shows (see _commit and _writes: the write then fails).
ADD_LINKS = (
    INSERT_LINKS + " ON CONFLICT (identity) DO UPDATE SET data = excluded.data"
    " WHERE identities.contact_id = excluded.contact_id RETURNING 1"
)
# Parameters: the contact id, the identities removed.
DROP_LINKS = "DELETE FROM identities WHERE contact_id = %s AND identity = ANY(%s::text[])"


def link_arrays(links: Sequence[IdentityLink], json: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """The three array parameters of :data:`INSERT_LINKS` and :data:`ADD_LINKS`."""
    return [str(link.identity) for link in links], [link.identity.kind for link in links], list(json)


def unlink_array(identities: Sequence[Identity]) -> list[str]:
    return [str(identity) for identity in identities]


def _brief(contact: str) -> str:
    """The first links of each kind of ``contact`` (an SQL expression), and the link of
    ``%(identity)s``: (position, JSON text) rows."""
    return f"""
SELECT position, data FROM (
    WITH RECURSIVE kinds (kind) AS (
        SELECT min(kind) FROM identities WHERE contact_id = {contact}
        UNION ALL
        SELECT (SELECT min(kind) FROM identities WHERE contact_id = {contact} AND kind > kinds.kind)
        FROM kinds WHERE kinds.kind IS NOT NULL
    )
    SELECT first.position, first.data::text AS data FROM kinds CROSS JOIN LATERAL (
        SELECT position, data FROM identities WHERE contact_id = {contact} AND kind = kinds.kind
        ORDER BY position LIMIT {BRIEF_LINKS}
    ) AS first
    UNION
    SELECT position, data::text FROM identities WHERE identity = %(identity)s AND contact_id = {contact}
) AS brief"""


def _all(contact: str) -> str:
    return f"SELECT position, data::text FROM identities WHERE contact_id = {contact}"


_BY_ID = "%(contact)s::text"
_BY_IDENTITY = "(SELECT contact_id FROM identities WHERE identity = %(identity)s)"


def read_statement(*, by_identity: bool, brief: bool) -> str:
    """One statement reading a contact and its links (all, or its brief): part 0 is the
    contact's row (JSON, id, version), part 1 its links in order (JSON)."""
    contact = _BY_IDENTITY if by_identity else _BY_ID
    links = _brief(contact) if brief else _all(contact)
    return f"""
SELECT 0 AS part, data::text, id, version::bigint AS rank FROM contacts WHERE id = {contact}
UNION ALL
SELECT 1, links.data, NULL, links.position FROM ({links}) AS links
ORDER BY part, rank"""


def assembled(
    rows: Sequence[Sequence[Any]],
    row: Callable[[type[Any], Sequence[Any]], Any],
    load: Callable[[type[Any], str], Any],
) -> Contact | None:
    """The contact :func:`read_statement` read, or None. ``row`` decodes the contact's row
    (one decoded copy per version) and ``load`` a link's JSON text (one copy per text):
    a store's ``DecodedRows.row`` and ``DecodedRows.load``."""
    if not rows or rows[0][0] != 0:
        return None
    head: Contact = row(Contact, (rows[0][1], rows[0][2], rows[0][3]))
    return evolve(head, links=tuple(load(IdentityLink, data) for _, data, *_ in rows[1:]))


# The brief links of several contacts (``%s``: their ids), for load_intake's second round.
BRIEF_OF_CONTACTS = f"""
SELECT contact_id, data::text FROM (
    SELECT contact_id, data, position,
        row_number() OVER (PARTITION BY contact_id, kind ORDER BY position) AS nth
    FROM identities WHERE contact_id = ANY(%s)
) AS ranked WHERE nth <= {BRIEF_LINKS} ORDER BY contact_id, position"""
