"""SQLite writes a batch's journeys setting only what a journey's next version changes; a
journey whose owner, reference or opening changed too is written as ``commit`` writes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from attrs import evolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.models import Contact, Interaction, Journey
from handoff.stores import Changeset, SQLiteStore
from handoff.stores.sqlite import _writes as writes
from handoff.testing.factories import appended
from tests.test_bulk_batches import OP, change, contact_records, outcome, seeded

_REKEY = ("reference", "opened_at", "contact_id")
REKEYED = st.tuples(st.sampled_from(_REKEY), st.integers(0, 5), st.integers(1, 5))
OPS = st.lists(st.one_of(OP.map(lambda op: ("plain", op)), REKEYED.map(lambda op: ("rekey", op))), max_size=8)


def rekeyed(key: str, seed: tuple[Contact, Journey, Interaction], other: Contact, minutes: int) -> Changeset:
    """The journey's next version with one of its key columns changed as well."""
    _contact, journey, _interaction = seed
    after, message = appended(journey)
    if key == "reference":
        after = evolve(after, reference=f"J-R{minutes}{journey.reference[-3:]}")
    elif key == "opened_at":
        after = evolve(after, opened_at=journey.opened_at - timedelta(minutes=minutes))
    else:
        after = evolve(after, contact_id=other.id)
    return Changeset(journey=after, expected_journey_version=journey.version, interactions=(message,))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_a_batch_with_a_journey_moved_or_renamed_stores_what_one_changeset_after_another_stores(
    ops: list[tuple[str, tuple[object, ...]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds = seeded()
    contacts = [contact for contact, _, _ in seeds]
    batch = []
    for kind, op in ops:
        if kind == "plain":
            name, n, extras = op
            assert isinstance(n, int) and isinstance(name, str) and isinstance(extras, bool)
            batch.append(change(name, seeds[n], extras, contacts[n + 1 :] + contacts[: n + 1]))
        else:
            key, n, minutes = op
            assert isinstance(key, str) and isinstance(n, int) and isinstance(minutes, int)
            batch.append(rekeyed(key, seeds[n], contacts[(n + 1) % len(contacts)], minutes))
    grouped, one_by_one = SQLiteStore(), SQLiteStore()
    for store in (grouped, one_by_one):
        for contact, journey, interaction in seeds:
            store.commit(Changeset(contact=contact, journey=journey, interactions=(interaction,)))
    with monkeypatch.context() as patch:
        patch.setattr(writes, "_groupable", lambda batch: False)
        expected = outcome(one_by_one, batch)
    assert outcome(grouped, batch) == expected
    everyone = {c.contact.id for c in batch if c.contact is not None} | {c.id for c in contacts}
    for contact_id in everyone:
        assert contact_records(grouped, contact_id) == contact_records(one_by_one, contact_id)
    for _contact, journey, _interaction in seeds:
        for store in (grouped, one_by_one):
            found = store.find_journey_by_reference(store.get_journey(journey.id).reference)
            assert found is not None and found.id == journey.id
