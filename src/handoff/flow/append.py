"""Step 3 of the write path, pure: derived journey state, advanced one interaction at a time.

The journey row carries what the hot path and summaries need — channel path, last
activity per channel and side, first response, fact index, recent notes — so nothing
ever has to read a journey's whole history. Cost per append is independent of the
journey's length.
"""

from __future__ import annotations

from collections.abc import Mapping

from handoff._records import maker, replace
from handoff.facts import asked_for, facts_of_masked, merge_facts, phone_region
from handoff.models import Interaction, Journey, PathStep, SummaryLine
from handoff.summary._issue import is_small_talk

__all__ = ["append"]

MAX_NOTES = 5
MAX_PATH = 20
"""Path steps kept: the first channel and the most recent ones (a journey that bounces
between two channels all day must not grow its row without bound)."""
MAX_SUBJECT = 160

# A path step and a note's line, made from the checked interaction's own parts.
_step = maker(PathStep)
_line = maker(SummaryLine)


def _subject(body: str) -> str:
    line = " ".join(body.split())
    return line if len(line) <= MAX_SUBJECT else line[: MAX_SUBJECT - 1] + "…"


def append(
    journey: Journey, interaction: Interaction, drafted: Mapping[str, object] | None = None
) -> Journey:
    """The journey after ``interaction`` (whose sequence must be ``version + 1``), with the
    ``drafted`` changes of its event made in the same new record (they name none of the
    fields the interaction changes, so the result is as if they were made first)."""
    changes: dict[str, object] = {
        "version": interaction.sequence,
        "updated_at": max(journey.updated_at, interaction.at),
    }
    if drafted:
        changes.update(drafted)
    author = interaction.author
    conversational = interaction.kind in ("message", "call")
    if author == "customer" and conversational:
        _customer_said(journey, interaction, changes)
    elif author in ("agent", "bot") and conversational:
        _agent_said(journey, interaction, changes)
    elif interaction.kind == "note":
        line = _line(interaction.at, interaction.channel, author, interaction.body, interaction.agent)
        changes["notes"] = (*journey.notes, line)[-MAX_NOTES:]
    moves = (author == "customer" and conversational) or (
        interaction.kind == "event" and interaction.metadata.get("transfer") == "1"
    )
    if moves and (not journey.path or journey.path[-1].channel != interaction.channel):
        path = (*journey.path, _step(interaction.channel, interaction.at))
        changes["path"] = path if len(path) <= MAX_PATH else (path[0], *path[-(MAX_PATH - 1) :])
    return replace(journey, **changes)


def _customer_said(journey: Journey, interaction: Interaction, changes: dict[str, object]) -> None:
    """A customer message or call: activity, the issue's subject, the facts it gives."""
    channel = interaction.channel
    changes["last_customer_at"] = {**journey.last_customer_at, channel: interaction.at}
    changes["last_customer_channel"] = channel
    changes["unresolved_messages"] = journey.unresolved_messages + 1
    if journey.awaiting_since is None:
        changes["awaiting_since"] = interaction.at
    if interaction.body.strip() and (
        not journey.subject or (is_small_talk(journey.subject) and not is_small_talk(interaction.body))
    ):  # the first message that states the problem, not the greeting before it
        changes["subject"] = _subject(interaction.body)
    found = facts_of_masked(
        interaction.body,
        channel=channel,
        at=interaction.at,
        interaction_id=interaction.id,
        answering=journey.asked,
        region=phone_region(interaction.identity),
    )
    if found:
        changes["facts"] = merge_facts(journey.facts, found)
    if journey.asked is not None:
        changes["asked"] = None  # answered, or not: the question is behind us


def _agent_said(journey: Journey, interaction: Interaction, changes: dict[str, object]) -> None:
    """An agent's or bot's reply: activity, the question it asks, the first response."""
    channel = interaction.channel
    changes["last_agent_at"] = {**journey.last_agent_at, channel: interaction.at}
    asked = asked_for(interaction.body)
    if asked != journey.asked:
        changes["asked"] = asked
    if interaction.author == "agent":
        if journey.first_response_at is None:
            changes["first_response_at"] = interaction.at
        if journey.awaiting_since is not None:
            changes["awaiting_since"] = None
        if journey.commitments and channel == journey.current_channel:
            changes["commitments"] = ()
