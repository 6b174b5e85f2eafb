"""The write path's vouching for its own changesets holds nothing alive and trusts only them."""

from __future__ import annotations

import gc

from attrs import evolve

from handoff.stores import _planned
from handoff.stores._planned import decisions_vouched, vouch, vouched
from handoff.testing.factories import append_changeset, make_contact, make_journey


def test_a_vouched_changeset_is_forgotten_when_it_goes() -> None:
    journey = make_journey(make_contact())
    before = len(_planned._PLANNED)
    for _ in range(200):
        vouch(append_changeset(journey), decisions=True)
    gc.collect()
    assert len(_planned._PLANNED) <= before


def test_only_the_very_object_is_trusted_and_its_decisions_only_when_said() -> None:
    journey = make_journey(make_contact())
    plain, with_decisions = append_changeset(journey), append_changeset(journey)
    vouch(plain)
    vouch(with_decisions, decisions=True)
    assert vouched(plain) and not decisions_vouched(plain)
    assert vouched(with_decisions) and decisions_vouched(with_decisions)
    copy = evolve(with_decisions)
    assert not vouched(copy) and not decisions_vouched(copy)
    assert not vouched(object())
