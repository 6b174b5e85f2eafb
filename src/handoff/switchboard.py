"""The Switchboard: the one object a help desk talks to.

It receives what customers send, records what agents do, keeps one journey per issue
across channels, and records a handoff with a context summary at every channel switch.
Each verb is one atomic write, retried a bounded number of times on a conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import IO, Any, TypeVar

from handoff import channels, privacy
from handoff._validate import require_text
from handoff.clock import Clock, IdFactory, RandomIds, SystemClock, ensure_aware
from handoff.errors import HandoffError, NotFound, ValidationError
from handoff.events import Inbound, JourneyOutcome, TickOutcome
from handoff.flow import verbs
from handoff.flow.booking import book, book_of, close, slots
from handoff.flow.bulk.batch import BulkIntake
from handoff.flow.contacts import UNSET, confirm_link, profile_changes, remove_link, with_profile
from handoff.flow.intake import inbound_identity
from handoff.flow.read import ask, read_recent
from handoff.flow.run import Flow, retry
from handoff.flow.upkeep import apply_delivery, tick
from handoff.identity import Identity, parse_identity
from handoff.ingest.base import Parsed
from handoff.masking import mask_secrets
from handoff.models import (
    Callback,
    CallbackStatus,
    Contact,
    ContextSummary,
    Handoff,
    Initiator,
    Interaction,
    Journey,
    Priority,
)
from handoff.outbox import Outbox
from handoff.policy.decision import Decision
from handoff.policy.engine import Policy
from handoff.policy.situation import check_role
from handoff.stores import open_store
from handoff.stores.base import Changeset, Store
from handoff.stores.capabilities import RecordPages
from handoff.stores.records import linked_contact
from handoff.stores.rules import check_page
from handoff.summary import SummarySpec, build_summary, for_role

__all__ = ["Switchboard"]

T = TypeVar("T")


class Switchboard:
    """Keep one customer journey across every channel.

    >>> board = Switchboard.open("memory://")   # or "sqlite:///support.db"

    ``clock`` and ``ids`` make time and identifiers injectable (tests, simulations);
    ``default_region`` lets national phone numbers ("(415) 555-0100") be normalized;
    ``sentiment`` is an optional hook scoring a customer message from -1 (angry) to 1,
    which escalation rules read. ``board.store`` is the :class:`~handoff.stores.base.Store`
    it writes to, for reads such as ``handoff.metrics.kpis(board.store, start, end)``.
    """

    def __init__(
        self,
        store: Store | str,
        policy: Policy | None = None,
        *,
        clock: Clock | None = None,
        ids: IdFactory | None = None,
        default_region: str | None = None,
        max_retries: int = 8,
        sentiment: Callable[[str], float | None] | None = None,
    ) -> None:
        self.store: Store = open_store(store) if isinstance(store, str) else store
        if not isinstance(self.store, Store):
            raise ValidationError("store", f"expected a Store or a store URL, got {type(store).__name__}")
        self.policy = policy if policy is not None else Policy.default()
        self.clock: Clock = clock or SystemClock()
        self.ids: IdFactory = ids or RandomIds()
        self.default_region = default_region
        self.max_retries = max_retries
        self.outbox = Outbox(self.store, self.clock)
        if sentiment is not None and not callable(sentiment):
            raise ValidationError("sentiment", "expected a callable(text) -> score from -1 to 1, or None")
        self.sentiment = sentiment
        self._flow = Flow(self.store, self.policy, self.ids, sentiment)
        self._last_tick: datetime | None = None

    @classmethod
    def open(cls, url: str, policy: Policy | None = None, **kwargs: Any) -> Switchboard:
        """Open a store by URL (``memory://``, ``sqlite:///path``...) and wrap it."""
        return cls(open_store(url), policy, **kwargs)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Switchboard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- customers write in ------------------------------------------------------------
    def receive(self, inbound: Inbound, *, priority: Priority | None = None) -> JourneyOutcome:
        """Record what arrived on a channel: find the contact and journey, detect a switch.

        ``priority`` (or the inbound's own) sets the journey's priority; without either it
        keeps the one it had (``normal`` for a new journey) unless a rule raises it."""
        inbound = verbs.with_priority(inbound, priority)
        identity = inbound_identity(inbound, self.default_region)
        return self._retry(lambda: self._flow.receive(inbound, identity, self.clock.now()))

    def receive_many(
        self,
        inbounds: Iterable[Inbound],
        *,
        batch_size: int = 500,
        notify: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> list[JourneyOutcome]:
        """Backfill history: ``receive`` each inbound, committing ``batch_size`` at a time.

        Same idempotency and journey rules as :meth:`receive`. With ``notify=False`` (the
        default) no notification is scheduled and no decision logged: old history must not
        message anyone now, so the policy only shapes the summaries of channel switches.
        ``progress`` is called with the number of inbounds done after every batch.

        A refused inbound raises: the batches before its own are written, its own is not.
        A store that is not a :class:`~handoff.stores.base.BulkImport` gets one commit per
        inbound instead, so there every inbound before the refused one is written.
        """
        return list(self.bulk(batch_size=batch_size, notify=notify, progress=progress).receive(inbounds))

    def bulk(
        self,
        *,
        batch_size: int = 500,
        notify: bool = False,
        progress: Callable[[int], None] | None = None,
        on_error: Callable[[Inbound, HandoffError], None] | None = None,
    ) -> BulkIntake:
        """A batched importer over this board's store, policy and ids (see :meth:`receive_many`).

        Its ``receive(inbounds)`` yields outcomes batch by batch; ``on_error``, when given,
        is told of a refused inbound and the import goes on without it.
        """
        return BulkIntake(
            self.store,
            self.policy,
            self.ids,
            self.clock.now,
            sentiment=self.sentiment,
            default_region=self.default_region,
            max_retries=self.max_retries,
            batch_size=batch_size,
            notify=notify,
            progress=progress,
            on_error=on_error,
        )

    def ingest(self, parsed: Parsed) -> list[JourneyOutcome]:
        """Apply what a channel adapter parsed (``handoff.ingest.<provider>.parse``).

        Every inbound is received in order. Delivery reports update the notification the
        provider id names (recorded by ``outbox.ack(id, provider_id=...)``); an opt-out
        withdraws the contact's consent for that channel; a deleted message is recorded
        as retracted on its journey. Parts that fail do not stop the others: everything
        is applied first, then an :class:`~handoff.errors.IngestError` lists the failures
        (its ``outcomes`` holds what was recorded).
        """
        verbs.check_parsed(parsed)
        outcomes: list[JourneyOutcome] = []
        failures: list[str] = []
        for i, inbound in enumerate(parsed.inbounds):
            try:
                outcomes.append(self.receive(inbound))
            except HandoffError as exc:
                failures.append(f"$.inbounds[{i}]: {exc}")
        for i, event in enumerate(parsed.events):
            try:
                self._retry(lambda: apply_delivery(self._flow, event, self.clock.now()))  # noqa: B023
            except HandoffError as exc:
                failures.append(f"$.events[{i}]: {exc}")
        return verbs.ingested(outcomes, failures)

    def tick(self, now: datetime | None = None, *, limit: int | None = None) -> TickOutcome:
        """Evaluate the time-based rules for every active journey: call it every minute or so.

        Customers who went quiet after an agent's reply get the update on an asynchronous
        channel (once), SLA warnings fire; the team is warned, then alerted, once per wait
        that nears or passes its SLA target (``outcome.alerts``, in the outbox with
        ``audience="team"``); callbacks nobody recorded ``callback_grace`` after their slot
        are marked missed; deferred notifications and survey delays need no tick, they are
        already scheduled in the outbox. The result is an :class:`~handoff.Outcome`
        (notifications, alerts, suggestions, trace) over all those journeys.
        """
        when = self._at(now)
        since, self._last_tick = self._last_tick, when
        return tick(self._flow, when, since, limit=limit)

    def explain(self, notification_id: str) -> Decision:
        """The policy decision behind a notification: the facts read and every rule's verdict."""
        if not isinstance(notification_id, str) or not notification_id:
            raise ValidationError("notification_id", "expected a notification id")
        notification = self.store.get_notification(notification_id)
        if notification.decision_id is None:
            raise NotFound("decision", f"behind notification {notification_id}")
        return Decision.from_dict(self.store.get_decision(notification.decision_id).data)

    # -- agents act ------------------------------------------------------------------------
    def reply(
        self,
        journey_id: str,
        *,
        agent: str,
        body: str,
        channel: str | None = None,
        at: datetime | None = None,
        external_id: str | None = None,
        bot: bool = False,
    ) -> JourneyOutcome:
        """Record an agent's (or, with ``bot=True``, a bot's) reply on a channel.

        A bot may not reply once a human agent has taken the journey over.
        """
        act = verbs.reply(
            self._flow,
            self.clock,
            agent=agent,
            body=body,
            channel=channel,
            at=at,
            external_id=external_id,
            bot=bot,
        )
        return self._agent(journey_id, act)

    def note(self, journey_id: str, *, agent: str, body: str, at: datetime | None = None) -> JourneyOutcome:
        """Add an internal note: never sent to the customer, always shown to the next agent."""
        return self._agent(journey_id, verbs.note(self._flow, self.clock, agent=agent, body=body, at=at))

    def transfer(
        self,
        journey_id: str,
        *,
        to_channel: str,
        reason: str,
        by: str,
        to_agent: str | None = None,
        at: datetime | None = None,
        warm: bool = True,
        initiated_by: Initiator = "agent",
        to_role: str | None = None,
        priority: Priority | None = None,
    ) -> JourneyOutcome:
        """Hand the journey to another channel and/or agent (escalate chat to a phone call,
        pass from a bot to a human, from one agent to another on the same channel).

        ``to_role`` names the receiving team's role; for a role in the policy's
        ``restricted_roles`` the handoff summary has contact details masked. ``priority``
        sets the journey's priority with the move (an escalation is often urgent)."""
        act = verbs.transfer(
            self._flow,
            self.clock,
            to_channel=to_channel,
            reason=reason,
            by=by,
            to_agent=to_agent,
            at=at,
            warm=warm,
            initiated_by=initiated_by,
            to_role=to_role,
            priority=priority,
        )
        return self._agent(journey_id, act)

    def prioritize(
        self, journey_id: str, priority: Priority, *, by: str | None = None, at: datetime | None = None
    ) -> JourneyOutcome:
        """Set the journey's priority: ``low``, ``normal``, ``high`` or ``urgent``.

        Its SLA targets follow from the next tick on; the change is kept in the journey's
        history as an event, with who made it (``by``)."""
        return self._agent(journey_id, verbs.prioritize(self._flow, self.clock, priority, by=by, at=at))

    def resolve(self, journey_id: str, *, by: str, at: datetime | None = None) -> JourneyOutcome:
        """Mark the journey resolved; the policy may schedule a satisfaction survey."""
        return self._agent(journey_id, verbs.resolve(self._flow, self.clock, by=by, at=at))

    def rate(
        self,
        journey_id: str,
        *,
        csat: int | None = None,
        nps: int | None = None,
        ces: int | None = None,
        channel: str | None = None,
        at: datetime | None = None,
        comment: str | None = None,
    ) -> JourneyOutcome:
        """Record the customer's survey answers: CSAT 1-5, NPS 0-10, CES 1-7.

        Stored as a ``survey`` interaction whose metadata holds the scores, so metrics
        can read them with the rest of the journey.
        """
        act = verbs.rate(
            self._flow, self.clock, csat=csat, nps=nps, ces=ces, channel=channel, at=at, comment=comment
        )
        return self._agent(journey_id, act)

    # -- callbacks ---------------------------------------------------------------------------
    def schedule_callback(
        self,
        journey_id: str,
        at: datetime,
        *,
        channel: str = "phone",
        agent: str | None = None,
        now: datetime | None = None,
    ) -> JourneyOutcome:
        """Book a call to the customer at ``at`` (no phone tag); the outcome's ``callback``.

        The slot must be in the future, inside the policy's ``callback_hours`` on its
        ``business_days`` on the customer's own clock, start a ``callback_slot`` and not
        overlap a callback of the journey still scheduled; the contact needs a phone
        number. Otherwise a :class:`~handoff.errors.ValidationError` names ``at`` or
        ``number``. The default policy confirms the slot and schedules a reminder.
        """
        when = ensure_aware(at, "at").astimezone(timezone.utc)
        profile = channels.get(channel, "channel")
        if "phone" not in profile.identity_kinds or profile.is_async:
            raise ValidationError("channel", f"{channel} does not call a phone number")
        if agent is not None:
            agent = verbs.agent_name(agent, "agent")
        book_of(self._flow)
        return self._retry(
            lambda: book(
                self._flow,
                self._journey(journey_id),
                at=when,
                channel=channel,
                agent=agent,
                now=self._at(now),
            )
        )

    def callback_slots(self, journey_id: str, count: int = 3, now: datetime | None = None) -> list[datetime]:
        """The next ``count`` slots :meth:`schedule_callback` accepts for this journey (UTC)."""
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100:
            raise ValidationError("count", f"expected a whole number from 1 to 100, got {count!r}")
        return slots(self._flow, self._journey(journey_id), count=count, now=self._at(now))

    def record_callback(
        self, callback_id: str, *, reached: bool, at: datetime | None = None
    ) -> JourneyOutcome:
        """Record how a callback went: ``reached`` closes it as ``done`` (a ``call`` in the
        journey's history); not reached marks it ``missed`` and the policy offers the
        customer the next slot or to continue in writing. Its pending reminder is cancelled."""
        if not isinstance(reached, bool):
            raise ValidationError("reached", f"expected true or false, got {reached!r}")
        require_text(callback_id, "callback_id", max_len=200)
        when = self._at(at)
        status: CallbackStatus = "done" if reached else "missed"
        reason = "the customer was reached" if reached else "the customer did not answer"
        return self._retry(
            lambda: close(
                self._flow, callback_id, status=status, at=when, reason=reason, now=self.clock.now()
            )
        )

    def cancel_callback(self, callback_id: str, *, at: datetime | None = None) -> JourneyOutcome:
        """Cancel a scheduled callback (the customer no longer needs it); its reminder is cancelled."""
        require_text(callback_id, "callback_id", max_len=200)
        when = self._at(at)
        return self._retry(
            lambda: close(
                self._flow, callback_id, status="cancelled", at=when, reason="cancelled", now=self.clock.now()
            )
        )

    def callbacks(self, journey_id: str) -> list[Callback]:
        """A journey's callbacks, by time."""
        return book_of(self._flow).callbacks(self._journey(journey_id).id)

    # -- contacts ----------------------------------------------------------------------------
    def link(self, contact_id: str, identity: str | Identity, *, at: datetime | None = None) -> Contact:
        """Confirm that ``identity`` belongs to the contact (an agent checked it).

        Returns the contact brief (see :meth:`handoff.stores.Store.get_contact_brief`)
        with the link; :meth:`contact` reads every identity."""
        parsed = parse_identity(identity, self.default_region)
        when = self._at(at)

        def once() -> Contact:
            contact = self.store.get_contact_brief(contact_id)
            owner = self.store.find_contact_brief(parsed)
            if owner is not None and owner.id != contact.id:
                raise ValidationError(
                    "identity",
                    f"{parsed} belongs to contact {owner.id}; unlink it there first "
                    "(contacts are never merged)",
                )
            return self._save_links(owner or contact, confirm_link(owner or contact, parsed, when))

        return self._retry(once)

    def unlink(self, contact_id: str, identity: str | Identity) -> Contact:
        """Undo a wrong link; the contact's journeys and every other identity stay.

        Returns the contact brief without the link, as :meth:`link` does."""
        parsed = parse_identity(identity, self.default_region)

        def once() -> Contact:
            contact = self.store.get_contact_brief(contact_id)
            owner = self.store.find_contact_brief(parsed)
            held = owner if owner is not None and owner.id == contact.id else contact
            return self._save_links(held, remove_link(held, parsed))

        return self._retry(once)

    def update_contact(
        self,
        contact_id: str,
        *,
        name: str | None = UNSET,
        timezone: str = UNSET,
        language: str | None = UNSET,
        preferred_channels: Sequence[str] = UNSET,
        consent: Mapping[str, bool] = UNSET,
        quiet_hours: tuple[str, str] | None = UNSET,
    ) -> Contact:
        """Change a contact's profile; every value is checked before anything is written.

        ``consent`` merges into the existing consent (``{"sms": False}`` opts out of SMS);
        ``quiet_hours`` are local times in the contact's ``timezone``.
        """
        changes = profile_changes(
            name=name,
            timezone=timezone,
            language=language,
            preferred_channels=preferred_channels,
            consent=consent,
            quiet_hours=quiet_hours,
        )
        if changes.get("name") is not None:
            changes["name"] = mask_secrets(changes["name"])

        def once() -> Contact:
            contact = self.store.get_contact(contact_id)
            return self._save_contact(contact, with_profile(contact, changes))

        return self._retry(once)

    def _save_contact(self, before: Contact, after: Contact) -> Contact:
        if after is not before:
            self.store.commit(Changeset(contact=after, expected_contact_version=before.version))
        return after

    def _save_links(self, before: Contact, changes: Changeset | None) -> Contact:
        if changes is None:
            return before
        self.store.commit(changes)
        return linked_contact(changes, before)

    # -- privacy -----------------------------------------------------------------------------
    def export_contact(self, contact_id: str) -> dict[str, Any]:
        """Everything held about a person, as JSON-ready data (a data-access request).

        Built whole in memory; :meth:`write_export` streams it for a long history."""
        return privacy.export_contact(self.store, contact_id)

    def write_export(self, contact_id: str, out: IO[str]) -> int:
        """Write everything held about a person to ``out`` as JSON Lines, a page at a time;
        the number of lines (see :func:`handoff.privacy.write_export`)."""
        return privacy.write_export(self.store, contact_id, out)

    def erase_contact(self, contact_id: str, *, vacuum: bool = True) -> privacy.Erasure:
        """Remove a person and all their journeys from the store (a right-to-erasure request).

        Returns within seconds whatever other connections do, and never raises once the
        rows are deleted: the :class:`~handoff.privacy.Erasure` says whether old copies may
        remain outside the tables (see :func:`handoff.privacy.erase_contact`)."""
        return privacy.erase_contact(self.store, contact_id, vacuum=vacuum)

    # -- reading back ----------------------------------------------------------------------
    def journey(self, journey_id: str) -> Journey:
        """A journey by id or by its customer-facing reference (``J-7F3K9``)."""
        return self._journey(journey_id)

    def contact(self, contact_id: str) -> Contact:
        return self.store.get_contact(contact_id)

    def find_contact(self, identity: str | Identity) -> Contact | None:
        return self.store.find_contact(parse_identity(identity, self.default_region))

    def journeys(self, contact_id: str) -> list[Journey]:
        """A contact's journeys, oldest first."""
        self.store.get_contact(contact_id)
        return self.store.journeys_of(contact_id)

    def history(
        self, journey_id: str, *, after: int | None = None, limit: int | None = None
    ) -> list[Interaction]:
        """Every interaction of a journey, on every channel, in time order.

        With ``after`` or ``limit``, one page in the order the interactions were recorded:
        those whose ``sequence`` is above ``after`` (default 0), at most ``limit`` (default
        100); the next page starts after the last one's ``sequence``.
        """
        journey = self._journey(journey_id)
        if after is None and limit is None:
            return sorted(self.store.interactions(journey.id), key=lambda i: (i.at, i.sequence))
        after, limit = check_page(journey.id, 0 if after is None else after, 100 if limit is None else limit)[
            1:
        ]
        if isinstance(self.store, RecordPages):
            return self.store.interactions_page(journey.id, after=after, limit=limit)
        return [i for i in self.store.interactions(journey.id) if i.sequence > after][:limit]

    def handoffs(self, journey_id: str) -> list[Handoff]:
        return self.store.handoffs(self._journey(journey_id).id)

    def summary(
        self,
        journey_id: str,
        *,
        for_channel: str,
        spec: SummarySpec | None = None,
        now: datetime | None = None,
        role: str | None = None,
    ) -> ContextSummary:
        """The context summary a receiving agent on ``for_channel`` would get now.

        A ``role`` in the policy's ``restricted_roles`` always gets contact details
        masked, whatever ``spec`` asks for; public channels are masked by default.
        """
        channels.get(for_channel, "for_channel")
        when = self._at(now)
        journey = self._journey(journey_id)
        contact = self.store.get_contact(journey.contact_id)
        spec = spec or SummarySpec(recent=self.policy.settings.recent_messages)
        spec = for_role(spec, check_role(role, "role"), self.policy.settings.restricted_roles)
        recent = read_recent(self.store, journey, spec.recent)
        return build_summary(journey, contact, recent, for_channel=for_channel, now=when, spec=spec)

    # -- plumbing ----------------------------------------------------------------------------
    def _journey(self, key: str) -> Journey:
        return ask(self.store, verbs.journey_steps(key))

    def _at(self, at: datetime | None) -> datetime:
        return verbs.moment(at, self.clock)

    def _agent(self, journey_id: str, act: verbs.Act) -> JourneyOutcome:
        """An agent verb: find the journey, then run ``act`` as one serialised writer of
        its contact; on a conflict, again from finding the journey."""

        def once() -> JourneyOutcome:
            journey = self._journey(journey_id)
            return self._flow.run(journey.contact_id, act(journey, self.clock.now()))

        return self._retry(once)

    def _retry(self, attempt: Callable[[], T]) -> T:
        return retry(attempt, self.max_retries)
