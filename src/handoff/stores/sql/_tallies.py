"""Kept journey tallies as SQL rows, for every SQL backend alike.

A tally is kept as plain columns of ``journey_tallies``: its wait pairs as one blob of
little-endian 64-bit integers (read back without parsing), its survey answers as one
blob per scale (a byte per answer: every scale fits in 0-10), its rarer handoffs as a
short JSON array (each with the queue it was routed to). ``form`` says how it was made:
:data:`WITH_AGENTS` by a read that looked up the first replying agent,
:data:`WITHOUT_AGENTS` by one that did not (a report sliced by agent reads only the
first). A lower form carries more, and a kept tally is current for a read of its form
or a higher one. Forms 1 and 2 were those of tallies kept before handoffs carried their
queue: they are never current again (a report by queue would read them wrong), and a
journey's next tally replaces its old one.

The row a report reads back (:func:`kept_tally`) is: journey id, opened_at, entry
channel, agent, first reply, waits, first resolution, resolution, resolving channel,
reopens, handoffs, CSAT, NPS, CES, next contact (the order of
:class:`~handoff.stores.metric_rows.MetricTally`); the row :func:`tally_row` writes is
journey id, form, version, then the same from entry channel to CES, then the journey's
opening time (what lets SQLite check the version in ``journeys_for_metrics`` alone).
"""

from __future__ import annotations

import json
import sys
from array import array
from typing import Any

from handoff.errors import StoreError, ValidationError
from handoff.stores.metric_rows import MetricTally, TallyHandoff

__all__ = [
    "KEPT_COLUMNS",
    "NEWER",
    "TALLY_COLUMNS",
    "UPDATE_TALLY",
    "WITHOUT_AGENTS",
    "WITH_AGENTS",
    "form_of",
    "kept_tally",
    "tally_row",
]

WITH_AGENTS = -1
WITHOUT_AGENTS = 0

TALLY_COLUMNS = """journey_id, contact_id, form, version, entry_channel, agent, first_reply_at, waits,
    first_resolved_at, resolved_at, resolved_channel, reopens, handoffs, csat, nps, ces"""
"""The columns of ``journey_tallies`` an upsert names, in order."""
UPDATE_TALLY = """entry_channel = excluded.entry_channel, form = excluded.form, version = excluded.version,
    agent = excluded.agent, first_reply_at = excluded.first_reply_at, waits = excluded.waits,
    first_resolved_at = excluded.first_resolved_at, resolved_at = excluded.resolved_at,
    resolved_channel = excluded.resolved_channel, reopens = excluded.reopens,
    handoffs = excluded.handoffs, csat = excluded.csat, nps = excluded.nps, ces = excluded.ces"""
"""The SET list of an upsert that replaces a kept tally."""
NEWER = "excluded.version > journey_tallies.version OR excluded.form < journey_tallies.form"
"""When a tally replaces the kept one: made from a newer version, or with agents."""
KEPT_COLUMNS = """t.entry_channel, t.agent, t.first_reply_at, t.waits, t.first_resolved_at,
    t.resolved_at, t.resolved_channel, t.reopens, t.handoffs, t.csat, t.nps, t.ces"""
"""The tally's columns a report reads, between the journey's id and opening and its next contact."""

_SWAP = sys.byteorder != "little"
_NONE = b""


def form_of(agents: bool) -> int:
    return WITH_AGENTS if agents else WITHOUT_AGENTS


def tally_row(item: object, form: int, where: str) -> tuple[Any, ...]:
    """The parameters that keep ``item``; ``where`` names it in an error."""
    if type(item) is not MetricTally:
        raise ValidationError(where, f"expected a MetricTally, got {type(item).__name__}")
    if type(item.version) is not int or item.legs is not None:
        raise ValidationError(f"{where}.version", "only a tally made for this read, completed, is kept")
    waits = item.waits
    if type(waits) is not array or waits.typecode != "q" or _SWAP:  # a report's own tallies are arrays
        try:
            waits = array("q", waits)
        except (TypeError, OverflowError):
            raise ValidationError(f"{where}.waits", "expected whole numbers of microseconds") from None
        if _SWAP:
            waits.byteswap()
    if len(waits) % 2:
        raise ValidationError(f"{where}.waits", "expected (waiting since, reply at) pairs")
    if type(item.opened_at) is not int:
        raise ValidationError(f"{where}.opened_at", "expected UTC microseconds")
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
        item.opened_at,
    )


def kept_tally(row: tuple[Any, ...]) -> MetricTally:
    """A kept tally from a report's row (see the module)."""
    (jid, opened, entry, agent, first_reply, raw_waits, first_resolved, resolved, resolved_channel,
     reopens, handoffs, csat, nps, ces, next_at) = row  # fmt: skip
    try:
        waits = array("q")
        waits.frombytes(raw_waits)
        if _SWAP:
            waits.byteswap()
        moved = tuple([TallyHandoff(*h) for h in json.loads(handoffs)]) if handoffs else ()
    except (TypeError, ValueError) as exc:
        raise StoreError(
            f"the kept tally of journey {jid!r} is unreadable ({exc}); drop the kept tallies to rebuild them"
        ) from None
    return MetricTally(
        jid,
        opened,
        entry,
        agent,
        first_reply,
        waits,
        first_resolved,
        resolved,
        resolved_channel,
        reopens,
        moved,
        _NONE if csat is None else bytes(csat),
        _NONE if nps is None else bytes(nps),
        _NONE if ces is None else bytes(ces),
        next_at,
    )
