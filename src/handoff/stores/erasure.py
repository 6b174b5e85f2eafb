"""Optional capability: erase a contact and say what may remain of it outside the tables.

Deleting rows is not the end of them. SQLite keeps images of the pages as they were in
its write-ahead log until a checkpoint copies the log back and truncates it, which a
reader holding an old snapshot can delay; PostgreSQL keeps dead row versions in the
table files until ``VACUUM`` frees them, and the erased values in its WAL until the
segments are recycled (and in any backup or WAL archive for as long as those are kept).
A store with :class:`ErasureScrub` erases, then removes what it can at once, and reports
in an :class:`Erasure` whether old copies may remain.
"""

from __future__ import annotations

import abc

from attrs import define

__all__ = ["Erasure", "ErasureScrub"]


@define(frozen=True)
class Erasure:
    """What an erasure did.

    ``old_copies_may_remain``: copies of erased values may remain outside the live rows
    (SQLite: write-ahead log frames a reader still pins, removed by a later checkpoint;
    PostgreSQL: its WAL, until recycled). ``vacuumed``: ``VACUUM`` ran on the tables
    the erasure touched (PostgreSQL).
    """

    contact_id: str
    old_copies_may_remain: bool
    vacuumed: bool = False


class ErasureScrub(abc.ABC):
    """Optional capability: erase a contact, then scrub the copies a database keeps of it."""

    @abc.abstractmethod
    def erase_contact_scrubbed(self, contact_id: str, *, vacuum: bool = True) -> Erasure:
        """Like :meth:`Store.erase_contact`, then remove old copies where it can without
        waiting on other connections. Once the rows are deleted it never raises: what it
        could not remove is reported in the result. ``vacuum=False`` skips a ``VACUUM``
        (PostgreSQL), which reads the touched tables whole."""
