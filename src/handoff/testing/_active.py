"""Conformance: the periodic tick finds open and pending journeys, stalest first."""

from __future__ import annotations

from datetime import timedelta, timezone

from attrs import evolve

from handoff.models import Journey
from handoff.stores.base import Changeset, Store
from handoff.testing._kit import KitBase
from handoff.testing.factories import T0, make_contact, make_journey

_TOKYO = timezone(timedelta(hours=9))
_DENVER = timezone(timedelta(hours=-7))


def _stalest_first(journeys: list[Journey]) -> list[Journey]:
    return sorted(
        (j for j in journeys if j.status in ("open", "pending")), key=lambda j: (j.updated_at, j.id)
    )


class ActiveJourneyConformance(KitBase):
    def test_active_journeys_are_open_or_pending_stalest_first(self, store: Store) -> None:
        contact = make_contact()
        store.commit(Changeset(contact=contact))
        made = []
        # Offsets differ so that local clock readings disagree with the instants' order.
        for minutes, status, zone in (
            (50, "open", _TOKYO),
            (10, "pending", _DENVER),
            (30, "resolved", _TOKYO),
            (20, "open", _TOKYO),
            (40, "closed", _DENVER),
            (5, "pending", _TOKYO),
        ):
            at = (T0 + timedelta(minutes=minutes)).astimezone(zone)
            journey = make_journey(contact, status=status, opened_at=T0, updated_at=at)
            store.commit(Changeset(journey=journey))
            made.append(journey)
        expected = _stalest_first(made)
        assert len(expected) == 4
        assert store.active_journeys() == expected
        assert store.active_journeys(limit=2) == expected[:2]
        assert store.active_journeys(limit=10) == expected
        assert store.active_journeys(limit=0) == []

    def test_ties_in_update_time_go_by_id(self, store: Store) -> None:
        contact = make_contact()
        store.commit(Changeset(contact=contact))
        made = [make_journey(contact, opened_at=T0, updated_at=T0) for _ in range(4)]
        for journey in reversed(made):
            store.commit(Changeset(journey=journey))
        assert store.active_journeys() == sorted(made, key=lambda j: j.id)

    def test_an_update_moves_a_journey_in_or_out(self, store: Store) -> None:
        contact = make_contact()
        store.commit(Changeset(contact=contact))
        first, second = (
            make_journey(contact, opened_at=T0, updated_at=T0 + timedelta(minutes=m)) for m in (1, 2)
        )
        store.commit(Changeset(journey=first))
        store.commit(Changeset(journey=second))
        touched = evolve(first, updated_at=T0 + timedelta(minutes=3), version=2)
        store.commit(Changeset(journey=touched, expected_journey_version=1))
        assert store.active_journeys() == [second, touched]
        resolved = evolve(second, status="resolved", updated_at=T0 + timedelta(minutes=4), version=2)
        store.commit(Changeset(journey=resolved, expected_journey_version=1))
        assert store.active_journeys() == [touched]
        reopened = evolve(resolved, status="open", updated_at=T0 + timedelta(minutes=5), version=3)
        store.commit(Changeset(journey=reopened, expected_journey_version=2))
        assert store.active_journeys() == [touched, reopened]
