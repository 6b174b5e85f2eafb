"""The write path over one store: read, plan, write — one attempt per call.

:class:`Flow` is what every verb runs: it reads what the verb needs
(:mod:`handoff.flow.read`), drafts the event (:mod:`handoff.flow.intake`,
:mod:`handoff.flow.desk`), plans it (:func:`~handoff.flow.plan.plan`, pure) and commits
the changeset in one transaction. A conflict propagates so the caller can retry the
attempt from the reads. The batched import runs the same ``Flow`` over an overlay store.

The I/O of one event is written once: :meth:`Flow.receive_steps`,
:meth:`Flow.reply_steps` and :meth:`Flow.act` (the other agent verbs, drafted as
:mod:`handoff.flow.verbs` says) are generators of asks (see :mod:`handoff.flow.read`)
that read, plan and ask for the commit. :meth:`Flow.run` answers them from the blocking
store, inside the store's serialised section for the verb's key; :mod:`handoff.aio`
answers the very same asks from an asyncio store. Both retry an attempt the same way
(:func:`pause`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import TypeVar, cast

from handoff.clock import IdFactory
from handoff.errors import ConcurrencyConflict
from handoff.events import Inbound, JourneyOutcome
from handoff.flow import desk
from handoff.flow.intake import draft_inbound
from handoff.flow.plan import Draft, Planned, Sentiment, duplicate, plan
from handoff.flow.read import Steps, ask, intake_steps, notifications_steps, recent_bound, recent_steps
from handoff.identity import Identity
from handoff.models import Contact, Interaction, Journey, Notification
from handoff.policy.engine import Policy, plain_decisions
from handoff.stores._planned import vouch
from handoff.stores.base import Store
from handoff.stores.capabilities import IntakeReads, SerializedWrites

__all__ = ["Flow", "pause", "retry"]

T = TypeVar("T")


def retry(attempt: Callable[[], T], retries: int) -> T:
    """Run ``attempt``, again (up to ``retries`` more times, after a short random pause)
    while it raises :class:`~handoff.errors.ConcurrencyConflict`."""
    for tries in range(retries + 1):
        try:
            return attempt()
        except ConcurrencyConflict:
            if tries == retries:
                raise
            time.sleep(pause(tries))
    raise AssertionError("unreachable")  # pragma: no cover


def pause(tries: int) -> float:
    """Seconds to wait before attempt ``tries + 1`` after a conflict: short and random, so
    writers that collided do not collide again."""
    return random.uniform(0, 0.001 * (tries + 1))


class Flow:
    """Plans and commits one event at a time on ``store``.

    ``notify=False`` plans past history (a backfill): nothing is scheduled and no
    decision is logged; see :func:`~handoff.flow.plan.plan`.
    """

    def __init__(
        self,
        store: Store,
        policy: Policy,
        ids: IdFactory,
        sentiment: Sentiment | None = None,
        *,
        notify: bool = True,
    ) -> None:
        self.store = store
        self.policy = policy
        self.ids = ids
        self.sentiment = sentiment
        self.notify = notify
        self._recent = max(recent_bound(policy) - 1, 0)
        self._pooled = isinstance(store, IntakeReads)
        self._serializes = isinstance(store, SerializedWrites)  # as _pooled: the store's class is fixed
        self._plain_decisions = plain_decisions(policy)

    # -- customers ---------------------------------------------------------------------
    def receive(self, inbound: Inbound, identity: Identity, now: datetime) -> JourneyOutcome:
        return self.run(str(identity), self.receive_steps(inbound, identity, now))

    def receive_steps(
        self, inbound: Inbound, identity: Identity, now: datetime, *, pooled: bool | None = None
    ) -> Steps[JourneyOutcome]:
        """:meth:`receive`'s reads, plan and commit as asks, serialised by ``str(identity)``.
        ``pooled``: the store answers ``load_intake`` (by default, whether this flow's does)."""
        read = yield from intake_steps(inbound, identity, pooled=self._pooled if pooled is None else pooled)
        if isinstance(read, JourneyOutcome):
            return read
        draft = draft_inbound(inbound, identity, read, ids=self.ids, settings=self.policy.settings)
        # The pooled read holds the last day's notifications: all a customer's message looks
        # at. Another author's message may meet an SLA wait, whose alerts can be older.
        known = None
        if read.notifications is not None and draft.interaction.author == "customer":
            known = read.notifications.get(draft.journey.id, ())
        return (yield from self._commit(draft, now, known))

    # -- agents ------------------------------------------------------------------------
    def reply_steps(
        self,
        journey: Journey,
        *,
        agent: str,
        body: str,
        channel: str | None,
        at: datetime,
        external_id: str | None,
        bot: bool,
        now: datetime,
    ) -> Steps[JourneyOutcome]:
        """An agent's (or a bot's) reply as asks, serialised by the journey's ``contact_id``."""
        journey = yield ("get_journey", (journey.id,), {})
        where = channel or journey.current_channel
        if external_id is not None:
            seen = yield ("find_interaction", (where, external_id), {})
            if seen is not None:
                stored = yield ("get_journey", (seen.journey_id,), {})
                return duplicate(seen, stored, (yield ("get_contact_brief", (stored.contact_id,), {})))
        contact = yield ("get_contact_brief", (journey.contact_id,), {})
        draft = desk.draft_reply(
            journey,
            contact,
            self.ids,
            agent=agent,
            body=body,
            channel=where,
            at=at,
            external_id=external_id,
            bot=bot,
        )
        return (yield from self._commit(draft, now))

    def act(
        self, journey: Journey, now: datetime, draft: Callable[[Journey, Contact], Draft]
    ) -> Steps[JourneyOutcome]:
        """An agent verb on ``journey`` as asks, serialised by its ``contact_id``: ``draft``
        drafts it from the journey and contact as they stand once the other writers of the
        contact are done (see :mod:`handoff.flow.verbs`)."""
        journey = yield ("get_journey", (journey.id,), {})
        contact = yield ("get_contact_brief", (journey.contact_id,), {})
        return (yield from self._commit(draft(journey, contact), now))

    def run(self, key: str, steps: Steps[T]) -> T:
        """Answer ``steps`` from the store, as one serialised writer of ``key`` (an agent
        verb's key is its journey's ``contact_id``)."""
        with self._serialized(key):
            return ask(self.store, steps)

    def _serialized(self, key: str) -> AbstractContextManager[None]:
        if not self._serializes:
            return nullcontext()
        return cast(SerializedWrites, self.store).serialized(key)

    # -- the common tail -----------------------------------------------------------------
    def _commit(
        self,
        draft: Draft,
        now: datetime,
        notifications: Sequence[Notification] | None = None,
        finish: Callable[[Planned], Planned] | None = None,
    ) -> Steps[JourneyOutcome]:
        """Read what the plan will look at, plan, and commit; returns the outcome.
        ``finish`` completes the plan before it is committed (a callback verb adds its callback)."""
        journey = draft.journey
        stored: Sequence[Notification] = ()
        if draft.events and (self.notify or draft.handoff is not None) and draft.journey_version > 0:
            stored = (yield from notifications_steps(journey)) if notifications is None else notifications
        recent = (yield from recent_steps(journey, self._recent)) if draft.handoff is not None else []

        def planned_with(recent: Sequence[Interaction]) -> Planned:
            return plan(
                draft,
                recent=recent,
                notifications=stored,
                now=now,
                policy=self.policy,
                ids=self.ids,
                sentiment=self.sentiment,
                notify=self.notify,
            )

        planned = planned_with(recent)
        if planned.more:
            planned = planned_with((yield from recent_steps(journey, planned.more)))
        if finish is not None:
            planned = finish(planned)
        else:  # built by the plan from what it read: the store need not check it all again
            vouch(planned.changeset, decisions=self._plain_decisions)
        yield ("commit", (planned.changeset,), {})
        return planned.outcome
