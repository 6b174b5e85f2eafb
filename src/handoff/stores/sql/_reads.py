"""The read side shared by the SQL backends: same checks, same queries, their own SQL dialect.

SQLite and PostgreSQL store the same tables and answer the same look-ups; they differ
only in how a statement is spelled and run. A backend supplies its :class:`Statements`,
the two primitives :meth:`SQLReads._one` and :meth:`SQLReads._all`, and the way it
passes a timestamp; the look-ups whose logic really differs stay in the backend.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from datetime import datetime
from typing import ClassVar, TypeVar

from attrs import define

from handoff.clock import ensure_aware
from handoff.errors import NotFound
from handoff.identity import Identity
from handoff.models import Contact, DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.stores.base import Store
from handoff.stores.rules import check_identity, check_last, check_limit, check_provider_id, check_text

__all__ = ["SQLReads", "Statements"]

T = TypeVar("T")


@define(frozen=True)
class Statements:
    """One backend's text of each read; every query selects the record's JSON first."""

    get_contact: str  # contact id
    find_contact: str  # identity
    get_journey: str  # journey id
    find_journey: str  # reference
    journeys_of: str  # contact id
    all_journeys: str  # no parameters
    find_interaction: str  # channel, external id
    interactions: str  # journey id
    last_interactions: str  # journey id, how many
    handoffs: str  # journey id
    get_notification: str  # notification id
    find_notification: str  # provider id
    notifications: str  # journey id
    due: str  # cutoff timestamp, limit
    get_decision: str  # decision id
    decisions: str  # journey id


class SQLReads(Store):
    """The look-ups of :class:`Store` written once over a backend's SQL and two primitives."""

    _sql: ClassVar[Statements]

    @abc.abstractmethod
    def _one(self, model: type[T], sql: str, params: tuple[object, ...]) -> T | None:
        """The first row of ``sql`` decoded as ``model``, or ``None`` when there is none."""

    @abc.abstractmethod
    def _all(self, model: type[T], sql: str, params: tuple[object, ...]) -> list[T]:
        """Every row of ``sql`` decoded as ``model``, in the query's order."""

    @abc.abstractmethod
    def _timestamp(self, at: datetime) -> object:
        """``at`` as the backend's timestamp columns hold it."""

    def _get(self, model: type[T], kind: str, sql: str, key: str) -> T:
        """Fetch by id: asking for one that does not exist is an error, not an empty answer."""
        found = self._one(model, sql, (key,))
        if found is None:
            raise NotFound(kind, key)
        return found

    # -- contacts --------------------------------------------------------------------
    def get_contact(self, contact_id: str) -> Contact:
        return self._get(Contact, "contact", self._sql.get_contact, check_text(contact_id, "contact_id"))

    def find_contact(self, identity: Identity) -> Contact | None:
        return self._one(Contact, self._sql.find_contact, (str(check_identity(identity)),))

    # -- journeys --------------------------------------------------------------------
    def get_journey(self, journey_id: str) -> Journey:
        return self._get(Journey, "journey", self._sql.get_journey, check_text(journey_id, "journey_id"))

    def find_journey_by_reference(self, reference: str) -> Journey | None:
        return self._one(Journey, self._sql.find_journey, (check_text(reference, "reference"),))

    def all_journeys(self) -> Iterator[Journey]:
        return iter(self._all(Journey, self._sql.all_journeys, ()))

    def journeys_of(self, contact_id: str) -> list[Journey]:
        return self._all(Journey, self._sql.journeys_of, (check_text(contact_id, "contact_id"),))

    # -- interactions and handoffs ---------------------------------------------------------
    def find_interaction(self, channel: str, external_id: str) -> Interaction | None:
        key = (check_text(channel, "channel"), check_text(external_id, "external_id"))
        return self._one(Interaction, self._sql.find_interaction, key)

    def interactions(self, journey_id: str, *, last: int | None = None) -> list[Interaction]:
        check_text(journey_id, "journey_id")
        last = check_last(last)
        if last is None:
            return self._all(Interaction, self._sql.interactions, (journey_id,))
        return self._all(Interaction, self._sql.last_interactions, (journey_id, last)) if last else []

    def handoffs(self, journey_id: str) -> list[Handoff]:
        return self._all(Handoff, self._sql.handoffs, (check_text(journey_id, "journey_id"),))

    # -- outbox ----------------------------------------------------------------------
    def get_notification(self, notification_id: str) -> Notification:
        key = check_text(notification_id, "notification_id")
        return self._get(Notification, "notification", self._sql.get_notification, key)

    def find_notification(self, provider_id: str) -> Notification | None:
        return self._one(Notification, self._sql.find_notification, (check_provider_id(provider_id),))

    def notifications(self, journey_id: str) -> list[Notification]:
        return self._all(Notification, self._sql.notifications, (check_text(journey_id, "journey_id"),))

    def due_notifications(self, now: datetime, *, limit: int = 100) -> list[Notification]:
        cutoff = self._timestamp(ensure_aware(now, "now"))
        limit = check_limit(limit)
        return self._all(Notification, self._sql.due, (cutoff, limit)) if limit else []

    # -- decision log ------------------------------------------------------------------
    def get_decision(self, decision_id: str) -> DecisionRecord:
        key = check_text(decision_id, "decision_id")
        return self._get(DecisionRecord, "decision", self._sql.get_decision, key)

    def decisions(self, journey_id: str) -> list[DecisionRecord]:
        return self._all(DecisionRecord, self._sql.decisions, (check_text(journey_id, "journey_id"),))
