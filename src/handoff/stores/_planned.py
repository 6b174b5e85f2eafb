"""Changesets the write path planned itself, which a store's checks need not repeat.

:func:`handoff.flow.plan.plan` builds every part of its changeset from records it read
or made (types, versions one above those read, one interaction, fresh ids), so
:func:`~handoff.stores.rules.check_changeset` only looks again at what such a changeset
may still carry from outside (see there). The very object planned is remembered, weakly
and by identity: a copy, an ``evolve`` or a changeset built anywhere else is checked in
full, and a third-party backend given one checks it as it always did.
"""

from __future__ import annotations

import weakref

from handoff.stores.records import Changeset

__all__ = ["vouch", "vouched"]

_PLANNED: weakref.WeakValueDictionary[int, Changeset] = weakref.WeakValueDictionary()


def vouch(changes: Changeset) -> Changeset:
    """Remember ``changes`` as planned by the write path; returns it."""
    _PLANNED[id(changes)] = changes
    return changes


def vouched(changes: object) -> bool:
    """Whether ``changes`` is a changeset the write path planned (this very object)."""
    return _PLANNED.get(id(changes)) is changes
