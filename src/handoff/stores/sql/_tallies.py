"""Kept journey tallies as SQL rows, for every SQL backend alike.

A tally is written as plain columns: its wait pairs as one blob of little-endian 64-bit
integers (the one field almost every journey has, read back without parsing), its
survey answers as one blob per scale (a byte per answer: every scale fits in 0-10),
and its rarer handoffs as a short JSON array. The row a report reads is: journey id,
version, opened_at, entry channel, agent, first reply, waits, first resolution,
resolution, resolving channel, reopens, handoffs, CSAT, NPS, CES, next contact (the
layout of :class:`~handoff.stores.metric_rows.MetricTally`); the
row :func:`tally_row` writes is the same without opened_at and next contact, with the
form after the id.
"""

from __future__ import annotations

import json
import sys
from array import array
from collections.abc import Mapping
from typing import Any

from handoff.errors import StoreError, ValidationError
from handoff.stores.metric_rows import MetricTally, TallyHandoff

__all__ = ["INSERT_TALLY", "NEWER_TALLY", "check_form", "read_tally", "tally_row"]

INSERT_TALLY = """INSERT INTO journey_tallies (journey_id, contact_id, form, version, entry_channel, agent,
    first_reply_at, waits, first_resolved_at, resolved_at, resolved_channel, reopens, handoffs,
    csat, nps, ces)"""
"""The head of both dialects' upsert; each adds the SELECT of its parameters."""
NEWER_TALLY = """ON CONFLICT (journey_id) DO UPDATE SET contact_id = excluded.contact_id,
    form = excluded.form, version = excluded.version, entry_channel = excluded.entry_channel,
    agent = excluded.agent, first_reply_at = excluded.first_reply_at, waits = excluded.waits,
    first_resolved_at = excluded.first_resolved_at, resolved_at = excluded.resolved_at,
    resolved_channel = excluded.resolved_channel, reopens = excluded.reopens,
    handoffs = excluded.handoffs, csat = excluded.csat, nps = excluded.nps, ces = excluded.ces
WHERE excluded.version > journey_tallies.version OR excluded.form <> journey_tallies.form"""
"""The tail of the upsert: a kept tally gives way only to a newer version or another form."""

_SWAP = sys.byteorder != "little"


def check_form(form: object) -> int:
    if type(form) is not int or form < 1:
        raise ValidationError("form", f"expected a whole number >= 1, got {form!r}")
    return form


def tally_row(item: object, form: int, where: str) -> tuple[Any, ...]:
    """The columns that keep ``item``; ``where`` names it in an error."""
    if type(item) is not MetricTally:
        raise ValidationError(where, f"expected a MetricTally, got {type(item).__name__}")
    try:
        waits = array("q", item.waits)
    except (TypeError, OverflowError):
        raise ValidationError(f"{where}.waits", "expected whole numbers of microseconds") from None
    if len(waits) % 2:
        raise ValidationError(f"{where}.waits", "expected (waiting since, reply at) pairs")
    if _SWAP:
        waits.byteswap()
    answers = []
    for name, values in (("csat", item.csat), ("nps", item.nps), ("ces", item.ces)):
        try:
            answers.append(bytes(values) if values else None)
        except (TypeError, ValueError):
            raise ValidationError(f"{where}.{name}", "expected whole-number answers from 0 to 10") from None
    return (
        item.id,
        form,
        item.version,
        item.entry_channel,
        item.agent,
        item.first_reply_at,
        waits.tobytes(),
        item.first_resolved_at,
        item.resolved_at,
        item.resolved_channel,
        item.reopens,
        json.dumps([list(h) for h in item.handoffs]) if item.handoffs else None,
        *answers,
    )


def read_tally(row: tuple[Any, ...], following: Mapping[Any, int] | None = None) -> MetricTally:
    """A kept tally from a report's row, built by slicing (a report reads one per journey);
    with ``following``, the row's last column is the key of its next contact in it."""
    try:
        waits = array("q", row[6])
        if _SWAP:
            waits.byteswap()
        handoffs = row[11]
        moved = tuple([TallyHandoff(*h) for h in json.loads(handoffs)]) if handoffs else ()
        next_at = row[15] if following is None else following.get(row[15])
        fields = (*row[:6], waits, *row[7:11], moved, row[12], row[13], row[14], next_at)
    except (TypeError, ValueError) as exc:
        raise StoreError(
            f"the kept tally of journey {row[0]!r} is unreadable ({exc}); delete it to rebuild"
        ) from None
    return _new(MetricTally, fields)


_new = tuple.__new__
