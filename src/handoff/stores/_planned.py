"""Changesets the write path planned itself, which a store's checks need not repeat.

:func:`handoff.flow.plan.plan` builds every part of its changeset from records it read
or made (types, versions one above those read, one interaction, fresh ids), so
:func:`~handoff.stores.rules.check_changeset` only looks again at what such a changeset
may still carry from outside (see there). The very object planned is remembered, weakly
and by identity: a copy, an ``evolve`` or a changeset built anywhere else is checked in
full, and a third-party backend given one checks it as it always did.

A changeset whose decision records were encoded from decisions the library's own engine
and declarative rules made (``decisions=True``) carries no outside data there either:
their JSON data is not walked again.
"""

from __future__ import annotations

import weakref
from functools import partial

from handoff.stores.records import Changeset

__all__ = ["decisions_vouched", "vouch", "vouched"]

# id of a planned changeset -> (a weak reference to it, whether its decisions are vouched for).
# An entry goes when its changeset does; a new object given the same id is not the one referred to.
_PLANNED: dict[int, tuple[weakref.ref[Changeset], bool]] = {}


def _forget(key: int, ref: weakref.ref[Changeset]) -> None:
    held = _PLANNED.get(key)
    if held is not None and held[0] is ref:
        del _PLANNED[key]


def vouch(changes: Changeset, *, decisions: bool = False) -> Changeset:
    """Remember ``changes`` as planned by the write path (``decisions``: its decision
    records' data is JSON by construction); returns it."""
    key = id(changes)
    _PLANNED[key] = (weakref.ref(changes, partial(_forget, key)), decisions)
    return changes


def vouched(changes: object) -> bool:
    """Whether ``changes`` is a changeset the write path planned (this very object)."""
    held = _PLANNED.get(id(changes))
    return held is not None and held[0]() is changes


def decisions_vouched(changes: object) -> bool:
    """Whether the decision records of ``changes`` (a changeset :func:`vouched` for) were
    vouched for as JSON data by construction."""
    held = _PLANNED.get(id(changes))
    return held is not None and held[1] and held[0]() is changes
