"""Build the ContextSummary a receiving agent gets, so the customer never repeats themselves.

Pure and deterministic: the same journey, contact, recent interactions and time give an
equal summary. It reads the journey's derived state (fact index, path, notes) and the
last few interactions only, never the whole history. Drawing it is
:mod:`handoff.show`'s job.

The receiving agent reads a desktop whatever the customer's channel: a chat moved to a
phone call still hands over its recent messages, notes, commitments and checklist, sized
for the agent's screen (:data:`AGENT_SCREEN_CHARS` unless a rule or role says otherwise).
The customer channel's limits shape what is sent to the customer, not this. An agent
taking a call also gets a spoken opening.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from itertools import compress, starmap
from operator import attrgetter
from zoneinfo import ZoneInfo

from attrs import define, evolve, field

from handoff import _validate as v
from handoff import channels
from handoff._records import build, builder, maker
from handoff.clock import ensure_aware
from handoff.errors import ValidationError
from handoff.masking import mask_cards, mask_contact_details, mask_fact
from handoff.models import (
    REDACTIONS,
    CardIdentity,
    Contact,
    ContactCard,
    ContextSummary,
    Fact,
    Interaction,
    Journey,
    Redaction,
    SummaryLine,
)
from handoff.summary._issue import is_small_talk, issue_line
from handoff.summary._opening import spoken_opening

__all__ = ["AGENT_SCREEN_CHARS", "SECTIONS", "SummarySpec", "build_summary", "for_role"]

SECTIONS: tuple[str, ...] = (
    "contact",
    "issue",
    "transition",
    "opening",
    "facts",
    "recent",
    "commitments",
    "notes",
    "checklist",
    "path",
)
"""The sections a summary can hold, in the order they are shown. ``opening`` is filled
only for a voice channel (see ``ChannelProfile.voice``)."""

AGENT_SCREEN_CHARS = 4000
"""A receiving agent's screen, in characters: the budget of a summary no rule sized."""

ISSUE_CHARS = 120
"""The issue is one line stating the problem, trimmed to this many characters."""
MESSAGE_CHARS = 500
"""A summary is a briefing, not a transcript: longer messages and notes are trimmed."""

_CONVERSATION = ("message", "call")
_SPEAKERS = ("customer", "agent", "bot")

_Cleaner = Callable[[str], str]
"""The masking every text goes through: ``mask_cards``, or ``mask_contact_details`` when redacted."""


def _to_sections(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("sections", f"expected a sequence of section names, got {value!r}")
    return tuple(value)


def _check_sections(_inst: object, _attr: object, value: tuple[object, ...]) -> None:
    listed: set[str] = set()
    for i, name in enumerate(value):
        if not isinstance(name, str) or name not in SECTIONS:
            raise ValidationError(
                f"sections[{i}]", f"unknown section {name!r} (known: {', '.join(SECTIONS)})"
            )
        if name in listed:
            raise ValidationError(f"sections[{i}]", f"{name!r} is listed twice")
        listed.add(name)


def _check_max_chars(_inst: object, _attr: object, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValidationError("max_chars", f"expected a whole number >= 1 or None, got {value!r}")


def _check_redaction(_inst: object, _attr: object, value: Redaction | None) -> None:
    if value is not None and value not in REDACTIONS:
        raise ValidationError("redaction", f"must be one of {list(REDACTIONS)} or None, got {value!r}")


@define(frozen=True)
class SummarySpec:
    """What a summary should hold, as a policy rule asks for it.

    ``max_chars`` None means the agent's screen (:data:`AGENT_SCREEN_CHARS`), whatever the
    customer's channel; ``redaction`` None means ``masked`` for public channels and
    ``none`` otherwise.
    """

    sections: tuple[str, ...] = field(default=SECTIONS, converter=_to_sections, validator=_check_sections)
    recent: int = field(default=5, validator=v.non_negative_int)
    max_chars: int | None = field(default=None, validator=_check_max_chars)
    redaction: Redaction | None = field(default=None, validator=_check_redaction)
    rule: str | None = field(default=None, validator=v.optional_text(max_len=200))


_DEFAULT_SPEC = SummarySpec()


def for_role(spec: SummarySpec, role: str | None, restricted: Collection[str]) -> SummarySpec:
    """The spec a receiving ``role`` gets: a restricted role always sees contact details
    masked, whatever the policy's rules asked for, so no rule set can forget it."""
    if role is None or role not in restricted:
        return spec
    return evolve(spec, redaction="masked", rule=spec.rule or "restricted_role")


def build_summary(
    journey: Journey,
    contact: Contact,
    recent: Sequence[Interaction],
    *,
    for_channel: str,
    now: datetime,
    spec: SummarySpec = _DEFAULT_SPEC,
    transition: str | None = None,
    checklist_extra: Sequence[str] = (),
    secrets_masked: bool = False,
) -> ContextSummary:
    """The summary for an agent receiving ``journey`` on ``for_channel`` at ``now``.

    ``recent`` is the journey's last interactions (any order, any count); only customer,
    agent and bot messages and calls are shown, the last ``spec.recent`` of them. Card
    numbers are masked in every text; with ``masked`` redaction so are contact details.
    The issue is the first customer message that states the problem, not a greeting.
    On a voice channel the summary also holds the agent's spoken ``opening``.

    ``secrets_masked=True`` says that every text given already went through
    :func:`~handoff.masking.mask_secrets`, as everything the write path stores does:
    cards are then not looked for again (contact details still are, when redacted).
    """
    _check_inputs(journey, contact, recent, spec, transition, checklist_extra)
    profile = channels.get(for_channel, "for_channel")
    ensure_aware(now, "now")
    return _summary(
        journey, contact, recent, profile, now, spec, transition, checklist_extra, secrets_masked is True
    )


def summary_of_planned(
    journey: Journey,
    contact: Contact,
    recent: Sequence[Interaction],
    *,
    for_channel: str,
    now: datetime,
    spec: SummarySpec,
    transition: str | None,
) -> ContextSummary:
    """:func:`build_summary` of the write path's own records, which it does not check again.

    The plan calls it with the journey it advanced, that journey's contact, interactions
    read from the store or drafted from a checked inbound (every text masked by
    :func:`~handoff.masking.mask_secrets`), a spec the policy made and an aware ``now``:
    what :func:`build_summary` would check of them holds by construction, and the summary
    is equal to the one it builds (the tests compare both on generated records).
    """
    profile = channels.get(for_channel, "for_channel")
    return _summary(journey, contact, recent, profile, now, spec, transition, (), True)


def _summary(
    journey: Journey,
    contact: Contact,
    recent: Sequence[Interaction],
    profile: channels.ChannelProfile,
    now: datetime,
    spec: SummarySpec,
    transition: str | None,
    checklist_extra: Sequence[str],
    secrets_masked: bool,
) -> ContextSummary:
    for_channel = profile.name
    redaction: Redaction = spec.redaction or ("masked" if profile.is_public else "none")
    masked = redaction == "masked"
    clean = mask_contact_details if masked else _as_is if secrets_masked else mask_cards
    wanted = frozenset(spec.sections)
    identities = tuple(
        _card_identity(link.identity.masked() if masked else str(link.identity), link.confirmed, link.source)
        for link in contact.links
    )
    lines = _recent_lines(recent, spec.recent, clean) if "recent" in wanted else ()
    issue = _issue(journey, recent, clean)
    opening = (
        _opening(journey, contact, identities, issue, for_channel, clean)
        if "opening" in wanted and profile.voice
        else ()
    )
    return _context_summary(  # of checked records and an aware ``now``
        journey_id=journey.id,
        reference=journey.reference,
        for_channel=for_channel,
        generated_at=now,
        contact=_card(contact, identities, now, clean, full="contact" in wanted),
        issue=issue if "issue" in wanted else "",
        status=journey.status,
        opened_at=journey.opened_at,
        transition=clean(_one_line(transition)) if transition and "transition" in wanted else None,
        facts=_facts(journey, masked=masked, secrets_masked=secrets_masked) if "facts" in wanted else (),
        path=journey.path if "path" in wanted else (),
        notes=(
            tuple(_line(n.at, n.channel, n.author, n.text, n.agent, clean) for n in journey.notes)
            if "notes" in wanted and journey.notes
            else ()
        ),
        recent=lines,
        commitments=(
            tuple(clean(c) for c in journey.commitments)
            if "commitments" in wanted and journey.commitments
            else ()
        ),
        checklist=(
            _checklist(journey, identities, transition, [clean(x) for x in checklist_extra])
            if "checklist" in wanted
            else ()
        ),
        redaction=redaction,
        max_chars=AGENT_SCREEN_CHARS if spec.max_chars is None else spec.max_chars,
        rule=spec.rule,
        opening=opening,
    )


def _check_inputs(
    journey: object,
    contact: object,
    recent: object,
    spec: object,
    transition: object,
    checklist_extra: object,
) -> None:
    if not isinstance(journey, Journey):
        raise ValidationError("journey", f"expected a Journey, got {type(journey).__name__}")
    if not isinstance(contact, Contact):
        raise ValidationError("contact", f"expected a Contact, got {type(contact).__name__}")
    if contact.id != journey.contact_id:
        raise ValidationError("contact", f"journey {journey.reference} belongs to another contact")
    if not isinstance(spec, SummarySpec):
        raise ValidationError("spec", f"expected a SummarySpec, got {type(spec).__name__}")
    if transition is not None and not isinstance(transition, str):
        raise ValidationError("transition", f"expected text, got {type(transition).__name__}")
    for name, items, kind in (("recent", recent, Interaction), ("checklist_extra", checklist_extra, str)):
        if isinstance(items, str) or not isinstance(items, Sequence):
            raise ValidationError(name, f"expected a sequence, got {type(items).__name__}")
        for i, item in enumerate(items):
            if not isinstance(item, kind):
                raise ValidationError(f"{name}[{i}]", f"expected {kind.__name__}, got {type(item).__name__}")
            if isinstance(item, Interaction) and item.journey_id != journey.id:
                raise ValidationError(
                    f"{name}[{i}]", f"belongs to journey {item.journey_id!r}, not {journey.id!r}"
                )


def _card(
    contact: Contact, identities: tuple[CardIdentity, ...], now: datetime, clean: _Cleaner, *, full: bool
) -> ContactCard:
    """Without the contact section the card keeps only what names the record."""
    if not full:
        return ContactCard(contact.id, None, (), contact.timezone, contact.language)
    name = clean(contact.name) if contact.name else None
    return ContactCard(
        contact.id, name, identities, contact.timezone, contact.language, _local_time(contact.timezone, now)
    )


def _local_time(zone: str, now: datetime) -> datetime | None:
    """The contact's wall clock; an unknown zone must not stop a handoff, so it is just left out."""
    try:
        return now.astimezone(ZoneInfo(zone))
    except (KeyError, ValueError, OSError):
        return None


def _issue(journey: Journey, recent: Sequence[Interaction], clean: _Cleaner) -> str:
    """The journey's subject unless it is small talk ("hi"), else the earliest customer
    message at hand that states the problem; failing both, the subject or the earliest
    message. A greeting the line opens with is left out."""
    subject = _one_line(journey.subject)
    if not subject or is_small_talk(subject):
        said = sorted((i for i in recent if i.author == "customer" and i.kind in _CONVERSATION), key=_order)
        lines = [line for i in said if (line := _one_line(i.body))]
        subject = next((line for line in lines if not is_small_talk(line)), subject or next(iter(lines), ""))
    return _trim(clean(issue_line(subject)), ISSUE_CHARS)


def _opening(
    journey: Journey,
    contact: Contact,
    identities: tuple[CardIdentity, ...],
    issue: str,
    for_channel: str,
    clean: _Cleaner,
) -> tuple[str, ...]:
    came_from = next((step.channel for step in reversed(journey.path) if step.channel != for_channel), None)
    return spoken_opening(
        name=clean(contact.name) if contact.name else None,
        reference=journey.reference,
        issue=issue,
        identities=identities,
        channels_told=_channels_told(journey),
        came_from=_label(came_from) if came_from else None,
    )


def _label(name: str) -> str:
    try:
        return channels.get(name).label
    except ValidationError:  # a channel no longer registered still reads, by name
        return name


def _channels_told(journey: Journey) -> int:
    """The channels the customer has written on (at least one)."""
    return len(journey.last_customer_at) or len(set(journey.channels)) or 1


def _recent_lines(recent: Sequence[Interaction], count: int, clean: _Cleaner) -> tuple[SummaryLine, ...]:
    if _SHOWN_KINDS.issuperset(map(_kind, recent)) and _SHOWN_AUTHORS.issuperset(map(_author, recent)):
        shown: Iterable[Interaction] = recent  # the usual: every one is a message or call of a speaker
    else:
        shown = compress(recent, map(_SHOWN.__contains__, map(_kind_and_author, recent)))
    said = sorted(shown, key=_sequence)  # a number per line to compare, no key tuples made
    if len(set(map(_sequence, said))) < len(said):  # not one journey's: ties go by time, then id
        said.sort(key=_order)
    chosen = said[-count:] if count else []
    if clean is not _as_is:
        return tuple(_line(i.at, i.channel, i.author, i.body, i.agent, clean) for i in chosen)
    # Texts masked already (the write path's): what _line makes, without its calls per line.
    parts = list(map(_line_parts, chosen))
    if chosen and max(map(len, map(_body, chosen))) > MESSAGE_CHARS:
        parts = [
            (at, channel, author, _trim(text, MESSAGE_CHARS), agent)
            for at, channel, author, text, agent in parts
        ]
    return tuple(starmap(_new_line, parts))


def _line(
    at: datetime, channel: str, author: str, text: str, agent: str | None, clean: _Cleaner
) -> SummaryLine:
    """A summary line of checked parts (an interaction's or a note's): no validators."""
    return build(
        SummaryLine,
        at=at,
        channel=channel,
        author=author,
        text=_trim(clean(text), MESSAGE_CHARS),
        agent=clean(agent) if agent else agent,
    )


def _facts(journey: Journey, *, masked: bool, secrets_masked: bool) -> tuple[Fact, ...]:
    if secrets_masked and not masked:
        return journey.facts  # read from masked text: nothing more to hide
    return tuple(mask_fact(f, contact_details=masked) for f in journey.facts)


def _as_is(text: str) -> str:
    return text


def _checklist(
    journey: Journey, identities: tuple[CardIdentity, ...], transition: str | None, extra: Sequence[str]
) -> tuple[str, ...]:
    unconfirmed = [f"{i.identity} ({i.source.replace('_', ' ')})" for i in identities if not i.confirmed]
    confirmed = [i.identity for i in identities if i.confirmed]
    if unconfirmed:
        identity = "Confirm identity — not yet confirmed: " + ", ".join(unconfirmed)
    elif confirmed:
        identity = "Identity confirmed: " + ", ".join(confirmed)
    else:
        identity = "Confirm identity — no identity on file"
    told = _channels_told(journey)
    items = [
        "Review the history above before replying",
        identity,
        *(["Explain the transition to the customer"] if transition else []),
        "Respond with empathy — the customer has already explained the issue on "
        + (f"{told} channels" if told > 1 else "1 channel"),
        "Ask for feedback after resolution",
    ]
    items.extend(x for x in (_one_line(e) for e in extra) if x and x not in items)
    return tuple(items)


_order: Callable[[Interaction], tuple[int, datetime, str]] = attrgetter("sequence", "at", "id")
_sequence = attrgetter("sequence")
_kind_and_author = attrgetter("kind", "author")
_SHOWN = frozenset((kind, author) for kind in _CONVERSATION for author in _SPEAKERS)
"""What a summary's recent lines show: messages and calls of the customer, agents and bots."""
_SHOWN_KINDS, _SHOWN_AUTHORS = frozenset(_CONVERSATION), frozenset(_SPEAKERS)
_kind, _author = attrgetter("kind"), attrgetter("author")
_line_parts = attrgetter("at", "channel", "author", "body", "agent")
_body = attrgetter("body")
_new_line = maker(SummaryLine)
_context_summary = builder(ContextSummary)
_card_identity = maker(CardIdentity)


def _one_line(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _trim(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary where one is near, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip() + "…"
