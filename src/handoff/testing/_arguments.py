"""Conformance: bad arguments are refused with a ValidationError naming the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from handoff.errors import ValidationError
from handoff.stores.base import Changeset, Store
from handoff.testing._kit import KitBase
from handoff.testing.factories import T0, make_contact, make_interaction, make_journey

# One past the largest number every backend can keep: versions and sequences go into 32-bit
# columns (PostgreSQL's integer), limits are bound as 64-bit integers.
_VERSION_TOO_BIG = 2**31
_LIMIT_TOO_BIG = 2**63

# (what is wrong, the call, the field the error must name)
_BAD_CALLS: dict[str, tuple[Callable[[Any], object], str]] = {
    "id that is not text": (lambda s: s.get_contact(42), "contact_id"),
    "journey id that is not text": (lambda s: s.interactions(["jr_1"]), "journey_id"),
    "last that is not a number": (lambda s: s.interactions("jr_1", last="3"), "last"),
    "negative last": (lambda s: s.interactions("jr_1", last=-1), "last"),
    "now as text": (lambda s: s.due_notifications("2024-05-06T09:30:00+00:00"), "now"),
    "naive now": (lambda s: s.due_notifications(T0.replace(tzinfo=None)), "now"),
    "negative limit": (lambda s: s.due_notifications(T0, limit=-1), "limit"),
    "one ref instead of a list": (lambda s: s.find_journey_by_thread("<m@mail>"), "refs"),
    "identity as text": (lambda s: s.find_contact("email:ana@example.com"), "identity"),
    "unknown status": (lambda s: s.mark_notification("nt_1", "shipped", T0), "status"),
    "provider id that is not text": (
        lambda s: s.mark_notification("nt_1", "sent", T0, provider_id=7),
        "provider_id",
    ),
    "empty provider id": (lambda s: s.mark_notification("nt_1", "sent", T0, provider_id=""), "provider_id"),
    "look-up by a provider id that is not text": (lambda s: s.find_notification(None), "provider_id"),
    "decision id that is not text": (lambda s: s.get_decision(7), "decision_id"),
    "negative active limit": (lambda s: s.active_journeys(limit=-1), "limit"),
    "active limit as text": (lambda s: s.active_journeys(limit="10"), "limit"),
    "decision that is not a record": (
        lambda s: s.commit(Changeset(decisions=({"id": "dc_1"},))),  # type: ignore[arg-type]
        "decisions[0]",
    ),
    "naive mark time": (lambda s: s.mark_notification("nt_1", "sent", T0.replace(tzinfo=None)), "at"),
    "not a changeset": (lambda s: s.commit({"contact": None}), "changes"),
    "negative version": (
        lambda s: s.commit(Changeset(expected_journey_version=-1)),
        "expected_journey_version",
    ),
    "version without record": (
        lambda s: s.commit(Changeset(expected_contact_version=3)),
        "expected_contact_version",
    ),
    "wrong record type": (lambda s: s.commit(Changeset(journey=make_contact())), "journey"),  # type: ignore[arg-type]
    "limit beyond 64 bits": (lambda s: s.due_notifications(T0, limit=_LIMIT_TOO_BIG), "limit"),
    "active limit beyond 64 bits": (lambda s: s.active_journeys(limit=_LIMIT_TOO_BIG), "limit"),
    "last beyond 64 bits": (lambda s: s.interactions("jr_1", last=_LIMIT_TOO_BIG), "last"),
    "contact version beyond 32 bits": (
        lambda s: s.commit(Changeset(contact=make_contact(version=_VERSION_TOO_BIG))),
        "contact.version",
    ),
    "journey version beyond 32 bits": (
        lambda s: s.commit(Changeset(journey=make_journey(version=_VERSION_TOO_BIG))),
        "journey.version",
    ),
    "sequence beyond 32 bits": (
        lambda s: s.commit(Changeset(interactions=(make_interaction(sequence=_VERSION_TOO_BIG),))),
        "interactions[0].sequence",
    ),
    "journey at version 0": (
        lambda s: s.commit(Changeset(journey=make_journey(version=0))),
        "journey.version",
    ),
}


class ArgumentConformance(KitBase):
    @pytest.mark.parametrize("case", sorted(_BAD_CALLS))
    def test_bad_arguments_name_the_field(self, store: Store, case: str) -> None:
        self.require("validates_input")
        call, field = _BAD_CALLS[case]
        with pytest.raises(ValidationError) as caught:
            call(store)
        assert caught.value.field == field
