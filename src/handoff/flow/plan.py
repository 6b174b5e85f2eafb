"""Steps 3-6 of the write path, pure: the records read and one event in, one changeset out.

:func:`plan` appends a :class:`Draft` (an interaction and what it changes) to its
journey, asks the policy about every event it raises, plans the notifications, builds
the handoff's context summary and returns the :class:`Planned` changeset with the
outcome the caller gets. It reads no store and no clock: what it needs was read before
(:mod:`handoff.flow.read`) and the time is passed in, so the same plan serves every
verb, the batched import (with ``notify=False``: nothing is scheduled, no decision is
logged) and any driver, sync or asyncio.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from attrs import define, evolve

from handoff._records import builder, maker, replace
from handoff.clock import IdFactory
from handoff.events import JourneyOutcome, Suggestion, TickOutcome, Verdict
from handoff.flow.append import append
from handoff.identity import Identity
from handoff.masking import mask_secrets
from handoff.models import (
    Author,
    Contact,
    DecisionRecord,
    Handoff,
    IdentityLink,
    Initiator,
    Interaction,
    InteractionKind,
    Journey,
    Notification,
    Priority,
)
from handoff.policy import sla
from handoff.policy.engine import Decision, Event, Policy, Situation
from handoff.stores.base import Changeset
from handoff.summary import SummarySpec, for_role, summary_of_planned

__all__ = [
    "NOT_NOTIFIED",
    "RECENT_NOTIFICATIONS",
    "Draft",
    "HandoffPlan",
    "Planned",
    "Sentiment",
    "duplicate",
    "new_interaction",
    "plan",
    "plan_tick",
    "recent_notifications",
]

Sentiment = Callable[[str], float | None]

RECENT_NOTIFICATIONS = timedelta(days=1)
"""How far back de-duplication and rate limits look at a journey's notifications."""

NOT_NOTIFIED = Verdict(
    "backfill",
    False,
    "notifications off: a backfill of past messages schedules nothing and logs no decision; "
    "the policy only shaped handoff summaries",
)
"""The last line of every backfilled outcome's trace, so nobody wonders why nothing was sent."""

# Records made on every event from checked parts: their builders, fetched once.
_interaction = builder(Interaction)
_changeset = builder(Changeset)
_handoff_record = builder(Handoff)
_decision_record = builder(DecisionRecord)


@define(frozen=True)
class HandoffPlan:
    """The facts of a channel switch, before its summary exists."""

    from_channel: str
    to_channel: str
    initiated_by: Initiator
    reason: str
    from_agent: str | None = None
    to_agent: str | None = None
    warm: bool = False
    to_role: str | None = None


@define(frozen=True, kw_only=True)
class Draft:
    """One event before the policy: the interaction it appends and what it changes.

    ``journey`` already carries the event's status changes (reopened, pending,
    transferred), or ``changes`` holds them for the plan to make together with the
    interaction's own (a customer's message: one new journey record instead of two; they
    name none of the fields a customer's message changes); ``contact_version`` and
    ``journey_version`` are the versions read (0 = new) and ``contact_changed`` says
    whether the contact is written too; ``links`` are the links the event adds to a
    contact already stored (a new contact carries its own).
    """

    contact: Contact
    contact_version: int
    contact_changed: bool = False
    links: tuple[IdentityLink, ...] = ()
    journey: Journey
    journey_version: int
    interaction: Interaction
    events: tuple[Event, ...] = ()
    handoff: HandoffPlan | None = None
    previous_channel: str | None = None
    trace: tuple[Verdict, ...] = ()
    before: Journey | None = None
    """The journey as stored before the event (``None``: same as ``journey``), from which
    the plan tells which SLA targets the event met."""
    changes: Mapping[str, object] | None = None


@define(frozen=True)
class Planned:
    """What to commit, and what the caller is told once it is committed.

    ``more`` is set instead when the handoff summary the policy asked for shows more
    stored interactions than the plan was given: read that many and plan again.
    """

    changeset: Changeset
    outcome: JourneyOutcome
    more: int = 0


def new_interaction(
    interaction_id: str,
    journey: Journey,
    *,
    channel: str,
    author: Author,
    body: str,
    at: datetime,
    kind: InteractionKind = "message",
    agent: str | None = None,
    external_id: str | None = None,
    identity: Identity | None = None,
    thread_refs: tuple[str, ...] = (),
    metadata: Mapping[str, str] | None = None,
    sensitive: bool = False,
    masked: bool = False,
) -> Interaction:
    """The next interaction of ``journey``, secrets masked before anything keeps it
    (``masked=True``: ``body`` has been through :func:`~handoff.masking.mask_inbound`)."""
    return _interaction(
        id=interaction_id,
        journey_id=journey.id,
        contact_id=journey.contact_id,
        channel=channel,
        author=author,
        body=body if masked else mask_secrets(body),
        at=at,
        sequence=journey.version + 1,
        kind=kind,
        external_id=external_id,
        agent=agent,
        identity=identity,
        thread_refs=thread_refs,
        metadata=dict(metadata or {}),
        sensitive=sensitive,
    )


def recent_notifications(
    journey: Journey, at: datetime, stored: Sequence[Notification]
) -> tuple[Notification, ...]:
    """The customer's live notifications of the journey's last day: what de-duplication and
    rate limits read (team alerts are not the customer's)."""
    if journey.version <= 1:
        return ()
    since = at - RECENT_NOTIFICATIONS
    return tuple(
        n for n in stored if n.status != "cancelled" and n.created_at >= since and n.audience == "customer"
    )


def plan(
    draft: Draft,
    *,
    recent: Sequence[Interaction],
    notifications: Sequence[Notification],
    now: datetime,
    policy: Policy,
    ids: IdFactory,
    sentiment: Sentiment | None = None,
    notify: bool = True,
) -> Planned:
    """Plan one event: the changeset to commit and the outcome, from what was read.

    ``recent`` is the journey's last stored interactions (what a handoff summary shows;
    only read when the draft hands off), ``notifications`` its stored notifications (only
    those of the last day count), ``now`` the time notifications are created at. With
    ``notify=False`` (a backfill of old history) the policy is asked only about a channel
    switch, for the summary it wants: nothing is scheduled and no decision logged.
    """
    interaction, contact = draft.interaction, draft.contact
    after = append(draft.journey, interaction, draft.changes)
    decided = _NOTHING_DECIDED
    if draft.events and (notify or draft.handoff is not None):
        decided = _decide(draft, after, notifications, now, policy, ids, sentiment, notify=notify)
    if decided.priority is not None and decided.priority != after.priority:
        after = replace(after, priority=decided.priority)
    scheduled = decided.scheduled
    if scheduled and any(n.purpose == "survey" for n in scheduled):
        after = replace(after, surveyed=True)
    record, more = None, 0
    if draft.handoff is not None:
        wanted = for_role(
            decided.spec or SummarySpec(), draft.handoff.to_role, policy.settings.restricted_roles
        )
        shown, more = _shown(recent, interaction, wanted.recent, draft.journey_version)
        record = _handoff(draft.handoff, after, contact, shown, wanted, interaction, ids, decided.queue)
    logged = _records_of(decided.logged, after.id, contact.id, interaction.at) if decided.logged else ()
    changeset = _changeset(  # every part made here, every sequence a tuple: the store checks it all
        contact=contact if draft.contact_changed else None,
        expected_contact_version=draft.contact_version if draft.contact_changed else 0,
        journey=after,
        expected_journey_version=draft.journey_version,
        interactions=(interaction,),
        handoffs=(record,) if record is not None else (),
        notifications=scheduled,
        decisions=logged,
        links=draft.links if draft.contact_changed else (),
        unlinks=(),
        callbacks=(),
        cancelled_notifications=(),
    )
    outcome = _outcome(
        journey=after,
        interaction=interaction,
        contact=contact,
        handoff=record,
        notifications=tuple(n for n in scheduled if n.audience == "customer") if scheduled else (),
        alerts=tuple(n for n in scheduled if n.audience == "team") if scheduled else (),
        trace=(*draft.trace, *decided.trace) if notify else (*draft.trace, NOT_NOTIFIED),
        suggestions=decided.suggestions,
    )
    return _planned(changeset, outcome, more)


@define(frozen=True)
class _Decided:
    """What the policy made of a draft's events."""

    scheduled: tuple[Notification, ...] = ()
    logged: tuple[Decision, ...] = ()  # the decisions the log keeps: they planned or advised
    spec: SummarySpec | None = None  # the first summary a rule asked for
    trace: tuple[Verdict, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    priority: Priority | None = None  # the priority the rules set, if any
    queue: str | None = None  # the queue the first route suggestion named


_NOTHING_DECIDED = _Decided()
_NO_FLAGS: frozenset[str] = frozenset()
_SENSITIVE = frozenset({"sensitive"})
# The plumbing records of every event, made from parts at hand (``flags`` a frozenset).
_decided = builder(_Decided)
_planned = maker(Planned)
_situation = builder(Situation)
_outcome = builder(JourneyOutcome)


def _decide(
    draft: Draft,
    after: Journey,
    notifications: Sequence[Notification],
    now: datetime,
    policy: Policy,
    ids: IdFactory,
    sentiment: Sentiment | None,
    *,
    notify: bool,
) -> _Decided:
    """Ask the policy about each event of ``draft`` (the one decide loop of the library).

    Each event's situation sees what the earlier ones planned (de-duplication). A
    backfill (``notify=False``) stops at the first summary a rule asks for and keeps
    nothing else."""
    interaction = draft.interaction
    earlier = recent_notifications(after, interaction.at, notifications)
    mood = _mood(sentiment, interaction)
    flags = _SENSITIVE if interaction.sensitive else _NO_FLAGS
    decisions: list[Decision] = []
    planned: list[Notification] = []
    spec: SummarySpec | None = None
    priority: Priority | None = None
    for event in draft.events:
        situation = _situation(
            event=event,
            journey=after if priority is None else replace(after, priority=priority),
            contact=draft.contact,
            interaction=interaction,
            previous_channel=draft.previous_channel,
            recent_notifications=(
                (*earlier, *(n for n in planned if n.audience == "customer")) if planned else earlier
            ),
            sentiment=mood,
            customer_messages=after.unresolved_messages,
            flags=flags,
        )
        decision = policy.decide(situation)
        priority = decision.priority or priority
        spec = spec or decision.summary
        if not notify and spec is not None:
            decisions.append(decision)
            break
        alerts: tuple[sla.SlaAlert, ...] = ()
        if not decisions and notify and notifications:  # the event may meet an SLA the team was alerted about
            decision, alerts = _cleared(decision, draft, after, notifications, policy)
        decisions.append(decision)
        if decision.notifications:
            planned.extend(_notifications(decision, after, draft.contact, now, ids))
        if alerts:
            planned.extend(_alerts(alerts, decision, after, now, send_at=interaction.at))
    # One event (most messages) needs no joining of its decisions' parts.
    single = decisions[0] if len(decisions) == 1 else None
    suggested = (
        tuple(single.suggestions)
        if single is not None
        else tuple(s for d in decisions for s in d.suggestions)
    )
    queue = next((s.queue for s in suggested if s.kind == "route" and s.queue), None) if suggested else None
    if not notify:
        return _decided(spec=spec, priority=priority, queue=queue)
    if single is not None and not planned:  # a message the rules only looked at: nothing to log
        logged: tuple[Decision, ...] = (single,) if single.suggestions or single.priority else ()
    else:
        alerted = {n.decision_id for n in planned if n.audience == "team"}
        logged = tuple(
            d
            for d in decisions
            if d.notifications or d.suggestions or d.priority or (alerted and d.id in alerted)
        )
    return _decided(
        scheduled=tuple(planned),
        logged=logged,
        spec=spec,
        trace=tuple(single.verdicts)
        if single is not None
        else tuple(v for d in decisions for v in d.verdicts),
        suggestions=suggested,
        priority=priority,
        queue=queue,
    )


def _records_of(
    decisions: Sequence[Decision], journey_id: str, contact_id: str, at: datetime
) -> tuple[DecisionRecord, ...]:
    """The decision log's records of ``decisions``: ids the engine derived, the journey's
    and contact's ids and the event's time, all checked (the data's id is the decision's)."""
    records = []
    for decision in decisions:
        data = decision.to_dict()
        records.append(
            _decision_record(id=data["id"], journey_id=journey_id, contact_id=contact_id, at=at, data=data)
        )
    return tuple(records)


def _cleared(
    decision: Decision,
    draft: Draft,
    after: Journey,
    notifications: Sequence[Notification],
    policy: Policy,
) -> tuple[Decision, tuple[sla.SlaAlert, ...]]:
    """The ``cleared`` alerts for the SLA waits the draft's event ended, if the team had
    been warned or alerted about them; their verdicts join ``decision``."""
    before = draft.before or draft.journey
    if not sla.waits_met(before, after):  # a customer's message never meets a target
        return decision, ()
    stored = {n.id for n in notifications if n.audience == "team"}
    if not stored:
        return decision, ()
    alerts, verdicts = sla.alerts_met(before, after, draft.contact, policy.settings, stored)
    if not alerts:
        return decision, ()
    return evolve(decision, verdicts=(*decision.verdicts, *verdicts)), alerts


def _shown(
    recent: Sequence[Interaction], interaction: Interaction, count: int, stored: int
) -> tuple[list[Interaction], int]:
    """The last ``count`` interactions a summary shows (``interaction`` among them), and how
    many stored ones to read first when ``recent`` holds fewer than it needs (else 0)."""
    if count <= 0:
        return [], 0
    back = count - 1
    more = back if back > len(recent) and len(recent) < stored else 0
    return [*recent[max(len(recent) - back, 0) :], interaction], more


def plan_tick(
    journey: Journey,
    contact: Contact,
    events: Sequence[Event],
    *,
    last: Interaction | None,
    notifications: Sequence[Notification],
    now: datetime,
    policy: Policy,
    ids: IdFactory,
) -> tuple[Changeset | None, TickOutcome]:
    """Plan the time-based events of one journey (no interaction is appended).

    The changeset (``None`` when nothing is to be written) holds the notifications and
    the decisions behind them; the outcome's trace lines name the journey's reference.
    """
    earlier = recent_notifications(journey, now, notifications)
    planned: list[Notification] = []
    records: list[DecisionRecord] = []
    trace: list[Verdict] = []
    suggestions: list[Suggestion] = []
    for event in events:
        situation = Situation(
            event,
            journey,
            contact,
            last,
            recent_notifications=(*earlier, *(n for n in planned if n.audience == "customer")),
            customer_messages=journey.unresolved_messages,
        )
        decision = policy.on_tick(situation)
        alerts: tuple[sla.SlaAlert, ...] = ()
        if event.kind == "tick":
            stored = {n.id for n in notifications if n.audience == "team"}
            alerts, verdicts = sla.alerts_due(journey, contact, policy.settings, now, stored)
            if verdicts:
                decision = evolve(decision, verdicts=(*decision.verdicts, *verdicts))
        made = _notifications(decision, journey, contact, now, ids)
        made += _alerts(alerts, decision, journey, now)
        planned.extend(made)
        if made or decision.suggestions:
            records.append(DecisionRecord(decision.id, journey.id, contact.id, now, decision.to_dict()))
        trace.extend(
            Verdict(f"{journey.reference}: {v.rule}", v.matched, v.reason) for v in decision.verdicts
        )
        suggestions.extend(decision.suggestions)
    changes = (
        Changeset(notifications=tuple(planned), decisions=tuple(records)) if planned or records else None
    )
    outcome = TickOutcome(
        at=now,
        journeys=1,
        notifications=tuple(n for n in planned if n.audience == "customer"),
        trace=tuple(trace),
        suggestions=tuple(suggestions),
        alerts=tuple(n for n in planned if n.audience == "team"),
    )
    return changes, outcome


def duplicate(seen: Interaction, journey: Journey, contact: Contact) -> JourneyOutcome:
    """The outcome of a redelivered message: what was stored the first time."""
    return JourneyOutcome(
        journey=journey,
        interaction=seen,
        contact=contact,
        trace=(Verdict("idempotency", True, f"{seen.channel} message {seen.external_id} is already stored"),),
        duplicate=True,
    )


def _mood(sentiment: Sentiment | None, interaction: Interaction) -> float | None:
    """The host's sentiment score of a customer message, if a hook was given."""
    if sentiment is None or interaction.author != "customer" or not interaction.body:
        return None
    return sentiment(interaction.body)


def _notifications(
    decision: Decision, journey: Journey, contact: Contact, now: datetime, ids: IdFactory
) -> list[Notification]:
    return [
        Notification(
            id=ids.new_id("nt"),
            journey_id=journey.id,
            contact_id=contact.id,
            channel=plan.channel,
            body=mask_secrets(plan.body),
            purpose=plan.purpose,
            send_at=plan.send_at,
            created_at=now,
            rule=plan.rule,
            reason=plan.reason,
            to=plan.to,
            template=plan.template,
            decision_id=decision.id,
        )
        for plan in decision.notifications
    ]


def _alerts(
    alerts: Sequence[sla.SlaAlert],
    decision: Decision,
    journey: Journey,
    now: datetime,
    *,
    send_at: datetime | None = None,
) -> list[Notification]:
    """SLA alerts as team notifications, due at once (``send_at``: the event's time, else
    ``now``) for the host to route to its people."""
    return [
        Notification(
            id=alert.id,
            journey_id=journey.id,
            contact_id=journey.contact_id,
            channel=journey.current_channel,
            body=mask_secrets(alert.body),
            purpose=alert.purpose,
            send_at=now if send_at is None else send_at,
            created_at=now,
            rule=alert.rule,
            reason=alert.reason,
            decision_id=decision.id,
            audience="team",
        )
        for alert in alerts
    ]


def _handoff(
    plan: HandoffPlan,
    journey: Journey,
    contact: Contact,
    recent: Sequence[Interaction],
    spec: SummarySpec,
    interaction: Interaction,
    ids: IdFactory,
    queue: str | None,
) -> Handoff:
    summary = summary_of_planned(  # every text here was masked before it was stored or drafted
        journey,
        contact,
        recent,
        for_channel=plan.to_channel,
        now=interaction.at,
        spec=spec,
        transition=_transition_line(plan),
    )
    return _handoff_record(  # channels, reason and agents were checked when the draft was made
        id=ids.new_id("ho"),
        journey_id=journey.id,
        interaction_id=interaction.id,
        from_channel=plan.from_channel,
        to_channel=plan.to_channel,
        initiated_by=plan.initiated_by,
        reason=plan.reason,
        at=interaction.at,
        summary=summary,
        from_agent=plan.from_agent,
        to_agent=plan.to_agent,
        warm=plan.warm,
        queue=queue,
    )


_WHO = {"customer": "the customer", "agent": "an agent", "bot": "the bot", "system": "the system"}


def _transition_line(plan: HandoffPlan) -> str:
    who = _WHO
    parts = [
        f"{plan.from_channel} → {plan.to_channel}",
        f"by {who.get(plan.initiated_by, plan.initiated_by)}",
    ]
    if plan.from_agent or plan.to_agent:
        parts.append(f"{plan.from_agent or '—'} → {plan.to_agent or 'next available agent'}")
    parts.append(f"reason: {plan.reason.replace('_', ' ')}")
    if plan.warm:
        parts.append("warm")
    return ", ".join(parts)
