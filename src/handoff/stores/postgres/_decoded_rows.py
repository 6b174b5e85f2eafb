"""Decoded records by id and version, for the blocking and the asyncio PostgreSQL stores.

A row read back carries its JSON and the key of that exact state: an id (and, for the
records that change, a version), since a version is written once and ids are never
reused. So each state is decoded once, and what a commit just wrote is read back by the
next event on the journey without decoding at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from attrs import evolve

from handoff.models import Contact, Interaction, Journey
from handoff.stores.postgres import _writes as writes
from handoff.stores.records import Changeset
from handoff.stores.sql._decoded import Decoded

__all__ = ["DecodedRows"]

T = TypeVar("T")

# Room for the contact, journey and latest message of a few thousand customers: a
# customer writing again within the hour is then read back without decoding.
_SIZE = 8192


class DecodedRows(Decoded):
    """:class:`~handoff.stores.sql._decoded.Decoded` keyed by a row's id and version."""

    def __init__(self) -> None:
        super().__init__(size=_SIZE, decode=writes.decode)

    def row(self, model: type[T], row: Sequence[Any]) -> T:
        """A row's JSON (its first column) decoded as ``model``, once per state; the
        other columns, when there are any, name that state."""
        if len(row) == 1:
            return writes.decode(model, row[0])
        return self.load(model, row[0], (model, *row[1:]))

    def written(self, batch: Sequence[Changeset]) -> None:
        """Keep what was just committed decoded: the next event on the journey reads it back."""
        for change in batch:
            if change.contact is not None:  # as its row keeps it: its links are rows of their own
                head = evolve(change.contact, links=())
                self.remember((Contact, change.contact.id, change.contact.version), head)
            if change.journey is not None:
                self.remember((Journey, change.journey.id, change.journey.version), change.journey)
            for interaction in change.interactions:
                self.remember((Interaction, interaction.id), interaction)
