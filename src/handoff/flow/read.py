"""Steps 1-2 of the write path: the I/O that gathers what a plan needs.

Everything a verb reads happens here, before planning, and nothing here decides what
to write: :func:`read_intake` finds a redelivery, the contact that owns the inbound's
identity and the journeys it may continue (by reference, by thread, the owner's own);
:func:`read_recent` and :func:`read_notifications` fetch what a handoff summary and the
policy's de-duplication look at, and only when the plan will look.

The reads are written once, as :data:`Steps`: generators that yield an :data:`Ask` (a
store method's name and its arguments) and are sent its answer. :func:`ask` answers
them from a blocking :class:`~handoff.stores.base.Store`; an asyncio driver answers the
same asks from a store whose methods of those names are coroutines
(:mod:`handoff.aio`), so both read, and then plan, the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from attrs import define

from handoff._records import builder
from handoff.clock import quoted_references
from handoff.errors import NotFound
from handoff.events import Inbound, JourneyOutcome, Verdict
from handoff.flow.plan import RECENT_NOTIFICATIONS, duplicate
from handoff.identity import Identity
from handoff.models import Contact, Interaction, Journey, Notification
from handoff.policy.actions import Summarize
from handoff.policy.engine import Policy
from handoff.policy.rules import DeclarativeRule
from handoff.stores.base import IntakeReads, IntakeRecords, Store

__all__ = [
    "Ask",
    "IntakeRead",
    "Steps",
    "ask",
    "intake_steps",
    "notifications_steps",
    "read_intake",
    "read_notifications",
    "read_recent",
    "recent_bound",
    "recent_steps",
]

T = TypeVar("T")
# A store method's name, its positional and its keyword arguments.
Ask = tuple[str, tuple[Any, ...], dict[str, Any]]
Steps = Generator[Ask, Any, T]


def ask(store: object, steps: Steps[T]) -> T:
    """Run ``steps``, answering each ask with the blocking store's method of that name."""
    try:
        asked = next(steps)
        while True:
            name, args, kwargs = asked
            asked = steps.send(getattr(store, name)(*args, **kwargs))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


@define(frozen=True, kw_only=True)
class IntakeRead:
    """What ``receive`` read about one inbound.

    ``known`` owns the inbound's identity; ``owner`` owns the journey the customer
    pointed at (by reference or thread), else it is ``known``; ``journeys`` are the
    owner's; ``notifications`` holds, by journey, the notifications of the last day
    when the store answered them with the rest (``None``: not read yet).
    """

    known: Contact | None
    by_reference: Journey | None
    by_thread: Journey | None
    owner: Contact | None
    journeys: Sequence[Journey]
    notifications: Mapping[str, Sequence[Notification]] | None = None
    trace: tuple[Verdict, ...] = ()


_intake_read = builder(IntakeRead)  # made on every inbound, from what the store answered


def read_intake(store: Store, inbound: Inbound, identity: Identity) -> IntakeRead | JourneyOutcome:
    """The records ``inbound`` needs, or the stored outcome when it is a redelivery."""
    return ask(store, intake_steps(inbound, identity, pooled=isinstance(store, IntakeReads)))


def intake_steps(inbound: Inbound, identity: Identity, *, pooled: bool) -> Steps[IntakeRead | JourneyOutcome]:
    """:func:`read_intake` as asks: one ``load_intake`` when the store answers it
    (``pooled``, an :class:`~handoff.stores.base.IntakeReads`), else look-up by look-up."""
    if pooled:
        return _load(inbound, identity)
    return _read(inbound, identity)


def read_recent(store: Store, journey: Journey, count: int) -> list[Interaction]:
    """The journey's last ``count`` stored interactions (none for a journey not stored yet)."""
    return ask(store, recent_steps(journey, count))


def recent_steps(journey: Journey, count: int) -> Steps[list[Interaction]]:
    """:func:`read_recent` as an ask."""
    if count <= 0 or journey.version == 0:
        return []
    found: list[Interaction] = yield ("interactions", (journey.id,), {"last": count})
    return found


def read_notifications(store: Store, journey: Journey) -> list[Notification]:
    """The journey's stored notifications (none for a journey not stored yet)."""
    return ask(store, notifications_steps(journey))


def notifications_steps(journey: Journey) -> Steps[list[Notification]]:
    """:func:`read_notifications` as an ask."""
    if journey.version == 0:
        return []
    found: list[Notification] = yield ("notifications", (journey.id,), {})
    return found


def recent_bound(policy: Policy) -> int:
    """How many stored interactions a handoff summary may show under ``policy``, at most.

    The settings' ``recent_messages`` and every declarative summary action's ``recent``;
    a Python rule asking for more is served by a second read (see ``Planned.more``).
    """
    wanted = policy.settings.recent_messages
    for rule in policy.rules:
        if isinstance(rule, DeclarativeRule):
            for action in rule.actions:
                if isinstance(action, Summarize) and action.recent is not None:
                    wanted = max(wanted, action.recent)
    return wanted


def _normal(reference: str) -> str:
    """A ``journey_ref`` as references are stored: customers and hosts vary case and spacing."""
    return reference.strip().upper()


def _named(reference: str, found: Journey | None) -> Journey:
    """The journey a host's ``journey_ref`` names: unlike a quoted one, naming nothing is an error."""
    if found is None:
        raise NotFound("journey_ref", reference)
    return found


def _quoted_text(inbound: Inbound) -> str:
    return f"{inbound.metadata.get('subject', '')}\n{inbound.body}"


def _read(inbound: Inbound, identity: Identity) -> Steps[IntakeRead | JourneyOutcome]:
    """The look-ups one by one, each only when the answers before it call for it."""
    if inbound.external_id is not None:
        seen = yield ("find_interaction", (inbound.channel, inbound.external_id), {})
        if seen is not None:
            journey = yield ("get_journey", (seen.journey_id,), {})
            return duplicate(seen, journey, (yield ("get_contact_brief", (journey.contact_id,), {})))
    known: Contact | None = yield ("find_contact_brief", (identity,), {})
    trace: list[Verdict] = []
    by_reference: Journey | None = None
    if inbound.journey_ref is not None:
        reference = _normal(inbound.journey_ref)
        by_reference = _named(inbound.journey_ref, (yield ("find_journey_by_reference", (reference,), {})))
    else:
        for quoted in quoted_references(_quoted_text(inbound)):
            found = yield ("find_journey_by_reference", (quoted,), {})
            if _follows(quoted, found, known, trace):
                by_reference = found
                break
    by_thread: Journey | None = None
    if inbound.thread_ref:
        by_thread = yield ("find_journey_by_thread", (inbound.thread_ref,), {})
    anchor = by_reference or by_thread
    owner: Contact | None = known
    if anchor is not None:
        owner = yield ("get_contact_brief", (anchor.contact_id,), {})
    journeys: Sequence[Journey] = []
    if owner is not None:
        journeys = yield ("journeys_of", (owner.id,), {})
    return _intake_read(
        known=known,
        by_reference=by_reference,
        by_thread=by_thread,
        owner=owner,
        journeys=journeys,
        trace=tuple(trace),
    )


def _load(inbound: Inbound, identity: Identity) -> Steps[IntakeRead | JourneyOutcome]:
    """The same look-ups as :func:`_read`, answered by one ``load_intake``.

    A store that leaves out the owner of the journey found (breaking the
    :class:`~handoff.stores.base.IntakeRecords` contract) is read the plain way instead:
    its records would leave that journey's recent notifications unread.
    """
    if inbound.journey_ref is not None:
        references: tuple[str, ...] = (_normal(inbound.journey_ref),)
    else:
        references = tuple(quoted_references(_quoted_text(inbound)))
    records: IntakeRecords = yield (
        "load_intake",
        (
            identity,
            inbound.channel,
            inbound.external_id,
            references,
            inbound.thread_ref or (),
            inbound.at - RECENT_NOTIFICATIONS,
        ),
        {},
    )
    if records.seen is not None:
        journey = records.journey(records.seen.journey_id)
        contact = None if journey is None else records.contacts.get(journey.contact_id)
        if journey is None or contact is None:
            return (yield from _read(inbound, identity))
        return duplicate(records.seen, journey, contact)
    known = records.contact
    trace: list[Verdict] = []
    by_reference: Journey | None
    if inbound.journey_ref is not None:
        by_reference = _named(inbound.journey_ref, records.by_reference.get(references[0]))
    else:
        by_reference = _quoted_in(references, records.by_reference.get, known, trace)
    by_thread = records.by_thread if inbound.thread_ref else None
    anchor = by_reference or by_thread
    owner = known
    if anchor is not None:
        owner = records.contacts.get(anchor.contact_id)
        if owner is None:
            return (yield from _read(inbound, identity))
    journeys = records.journeys.get(owner.id, ()) if owner is not None else ()
    return _intake_read(
        known=known,
        by_reference=by_reference,
        by_thread=by_thread,
        owner=owner,
        journeys=journeys,
        notifications=records.notifications,
        trace=tuple(trace),
    )


def _quoted_in(
    references: Iterable[str],
    find: Callable[[str], Journey | None],
    known: Contact | None,
    trace: list[Verdict],
) -> Journey | None:
    """The first quoted reference naming a journey the customer may follow ("my reference
    is J-7F3K9", an email subject)."""
    for reference in references:
        journey = find(reference)
        if _follows(reference, journey, known, trace):
            return journey
    return None


def _follows(reference: str, journey: Journey | None, known: Contact | None, trace: list[Verdict]) -> bool:
    """Whether a quoted ``reference`` is followed to ``journey`` (noted in ``trace``).
    Weaker than a ``journey_ref`` the host passes: one that names nothing is ignored, and
    one naming another contact's journey is not followed for a known identity."""
    if journey is not None and (known is None or known.id == journey.contact_id):
        trace.append(Verdict("continuity", True, f"the message quotes {reference}"))
        return True
    return False
