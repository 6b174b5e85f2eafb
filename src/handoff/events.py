"""What the Switchboard takes in (:class:`Inbound`) and gives back (:class:`Outcome`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from attrs import define, field, validators

from handoff import _validate as v
from handoff.channels import get as get_channel
from handoff.errors import ValidationError
from handoff.identity import Identity
from handoff.models import (
    PRIORITIES,
    Callback,
    Contact,
    Handoff,
    Interaction,
    Journey,
    Notification,
    Priority,
)

__all__ = [
    "SURVEY_SCALES",
    "Inbound",
    "JourneyOutcome",
    "Outcome",
    "Suggestion",
    "TickOutcome",
    "Verdict",
    "survey_scores",
]

InboundAuthor = Literal["customer", "agent", "bot"]
InboundKind = Literal["message", "call", "note", "event"]
SuggestionKind = Literal["move_private", "offer_callback", "escalate", "route"]
MAX_BODY_CHARS = 100_000
SURVEY_SCALES: dict[str, tuple[int, int]] = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
"""The standard scales: CSAT 1-5, NPS 0-10 (likelihood to recommend), CES 1-7 (ease)."""


def _stored_answer(name: str, raw: object, interaction_id: str) -> int:
    """A survey answer on the scale ``name`` as a store holds it (a whole number written
    as text), as a number; anything else (stored data can be imported) is an error
    naming the interaction."""
    low, high = SURVEY_SCALES[name]
    text = raw.strip() if isinstance(raw, str) else ""
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ValidationError(
            f"interaction {interaction_id}: metadata[{name!r}]",
            f"expected a whole number from {low} to {high}, got {raw!r}",
        )
    return int(text)


def _known_channel(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise ValidationError("channel", f"expected a channel name, got {type(value).__name__}")
    get_channel(value, "channel")


def _identity_text(_inst: Any, _attr: Any, value: Any) -> None:
    if isinstance(value, Identity):
        return
    if not isinstance(value, str):
        raise ValidationError("identity", f"expected 'kind:value' text, got {type(value).__name__}")
    if not value.strip():
        raise ValidationError("identity", "is empty")


def _thread_refs(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, Sequence):
        refs = tuple(value)
        for i, ref in enumerate(refs):
            if not isinstance(ref, str):
                raise ValidationError(f"thread_ref[{i}]", f"expected text, got {type(ref).__name__}")
        return tuple(ref for ref in refs if ref.strip())
    raise ValidationError("thread_ref", f"expected text or a sequence of text, got {type(value).__name__}")


@define(frozen=True)
class Inbound:
    """Something that arrived on a channel, as a channel adapter hands it over.

    ``identity`` is ``kind:value`` text (normalized by the Switchboard, which knows the
    default phone region). ``journey_ref`` is a reference the customer quoted;
    ``thread_ref`` the provider's reply-to ids (an email's In-Reply-To and References).
    ``author`` is ``agent`` or ``bot`` for agent-side messages an adapter saw (echoes,
    help-desk exports). ``priority`` (``low``, ``normal``, ``high``, ``urgent``), when
    given, sets the journey's priority; ``None`` keeps it.
    """

    channel: str = field(validator=_known_channel)
    identity: str | Identity = field(validator=_identity_text)
    body: str = field(validator=v.text(max_len=MAX_BODY_CHARS))
    at: datetime = field(converter=v.to_utc, validator=v.aware)
    external_id: str | None = field(default=None, validator=v.optional_text(max_len=1000))
    name: str | None = field(default=None, validator=v.optional_text(max_len=200))
    journey_ref: str | None = field(default=None, validator=v.optional_text(max_len=64))
    thread_ref: tuple[str, ...] = field(default=(), converter=_thread_refs)
    author: InboundAuthor = field(default="customer", validator=v.one_of(("customer", "agent", "bot")))
    agent: str | None = field(default=None, validator=v.optional_text(max_len=200))
    kind: InboundKind = field(default="message", validator=v.one_of(("message", "call", "note", "event")))
    metadata: dict[str, str] = field(factory=dict, hash=False, validator=v.str_mapping)
    sensitive: bool = field(default=False, validator=v.boolean)
    priority: Priority | None = field(default=None, validator=validators.optional(v.one_of(PRIORITIES)))


@define(frozen=True)
class Verdict:
    """One line of a trace: a rule, whether it matched, and why."""

    rule: str
    matched: bool
    reason: str

    def __str__(self) -> str:
        return f"{'✔' if self.matched else '·'} {self.rule}: {self.reason}"


@define(frozen=True)
class Suggestion:
    """Advice for the agent, e.g. move a public conversation to a private channel.

    A ``route`` suggestion names the ``queue`` and the ``skills`` the receiving side of
    a handoff should have; the host decides whether to follow it.
    """

    kind: SuggestionKind
    channel: str | None
    reason: str
    rule: str
    queue: str | None = None
    skills: tuple[str, ...] = ()


@define(frozen=True)
class Outcome:
    """What a call did, whatever it looked at: what to send, what to advise, and why.

    Every call that can notify returns one: :class:`JourneyOutcome` for an event on one
    journey (``receive``, ``reply``, ``transfer``...), :class:`TickOutcome` for a tick
    over every active journey. ``notifications`` are the customer's; ``alerts`` the
    team's (SLA warnings, breaches and their clearing), kept apart so that nothing
    meant for the team is ever sent to a customer. Both are in the outbox.
    """

    notifications: tuple[Notification, ...] = ()
    trace: tuple[Verdict, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    alerts: tuple[Notification, ...] = ()


@define(frozen=True, kw_only=True)
class JourneyOutcome(Outcome):
    """What an event did to its journey: the journey after it, what was stored, what to send, and why."""

    journey: Journey
    interaction: Interaction
    contact: Contact
    handoff: Handoff | None = None
    duplicate: bool = False
    callback: Callback | None = None
    """The callback the event scheduled or closed (``schedule_callback``, ``record_callback``...)."""


@define(frozen=True, kw_only=True)
class TickOutcome(Outcome):
    """What a tick did: how many active journeys it looked at, at what time, and what the
    time-based rules decided for them (each trace line names its journey's reference)."""

    at: datetime
    journeys: int


def survey_scores(**answers: object) -> dict[str, int]:
    """The answers given (``None`` = not asked), each checked against its scale."""
    scores: dict[str, int] = {}
    for name, value in answers.items():
        if value is None:
            continue
        low, high = SURVEY_SCALES[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError(name, f"expected a whole number from {low} to {high}, got {value!r}")
        scores[name] = value
    if not scores:
        raise ValidationError("csat", "give at least one answer: csat, nps or ces")
    return scores
