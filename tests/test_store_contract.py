"""What ``handoff.stores.base`` and the conformance kit promise, whichever the backend."""

from __future__ import annotations

import bisect
from typing import Any

import pytest
from attrs import evolve
from hypothesis import given
from hypothesis import strategies as st

from handoff.errors import NotFound, ValidationError
from handoff.identity import parse_identity
from handoff.models import Notification
from handoff.stores import BulkImport, Changeset, ContactRecords, MemoryStore, SQLiteStore, Store
from handoff.stores.capabilities import IntakeReads, IntakeRecords
from handoff.testing import StoreConformance
from handoff.testing._conflicts import _SPOILERS
from handoff.testing._intake import SINCE, IntakeConformance
from handoff.testing.factories import make_contact, make_interaction, make_journey

_RECORD_FIELDS = ("interactions", "handoffs", "notifications", "decisions")

# Anything that is not a sequence of records; a string would be a sequence of characters.
_not_sequences = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.binary(),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@given(field=st.sampled_from(_RECORD_FIELDS), value=_not_sequences)
def test_a_changeset_refuses_what_is_not_a_sequence_by_name(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        Changeset(**{field: value})
    assert caught.value.field == field


def test_contact_records_refuse_journeys_that_are_not_a_sequence() -> None:
    with pytest.raises(ValidationError) as caught:
        ContactRecords(contact=make_contact(), journeys=None, interactions=(), handoffs=(), notifications=())  # type: ignore[arg-type]
    assert caught.value.field == "journeys"


def test_any_iterable_of_records_becomes_a_tuple() -> None:
    journey = make_journey()
    made = [make_interaction(journey, sequence=n) for n in (1, 2)]
    assert Changeset(interactions=iter(made)).interactions == tuple(made)
    assert Changeset(interactions=made).interactions == tuple(made)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_batch_names_the_changeset_with_a_version_too_big_to_store(kind: str) -> None:
    store = MemoryStore() if kind == "memory" else SQLiteStore(":memory:")
    assert isinstance(store, BulkImport)
    fine, too_big = make_contact(), make_contact(version=2**31)
    with pytest.raises(ValidationError) as caught:
        store.commit_many([Changeset(contact=fine), Changeset(contact=too_big)])
    assert caught.value.field == "changes[1].contact.version"
    assert store.find_contact(fine.identities[0]) is None


class _TrustingStore(MemoryStore, IntakeReads):
    """Intake reads that never check their arguments, as ``validates_input = False`` allows."""

    def load_intake(self, *args: Any) -> IntakeRecords:
        return IntakeRecords()


class _TrustingKit(IntakeConformance):
    validates_input = False


def test_intake_refusals_are_skipped_for_a_store_that_trusts_its_caller() -> None:
    """``validates_input = False`` skips every refusal test, as documented."""
    identity = parse_identity("email:a@example.com")
    with pytest.raises(pytest.skip.Exception, match="validates_input = False"):
        _TrustingKit().test_bad_intake_arguments_name_the_field(
            _TrustingStore(), (identity, 5, None, (), (), SINCE), "channel"
        )


# -- the kit catches stores that break the contract, and passes one that keeps it -------------
class _FirstInteractionOnly(MemoryStore):
    """Keeps the first interaction of each changeset and silently drops the rest."""

    def _apply(self, changes: Changeset) -> None:
        super()._apply(evolve(changes, interactions=changes.interactions[:1]))


class _FirstHandoffOnly(MemoryStore):
    def _apply(self, changes: Changeset) -> None:
        super()._apply(evolve(changes, handoffs=changes.handoffs[:1]))


class _EverythingDue(MemoryStore):
    """Queues every committed notification for sending, whatever its status."""

    def _put_notification(self, notification: Notification) -> None:
        super()._put_notification(notification)
        if notification.status != "pending":
            key = self._key(notification.send_at, notification.id)
            bisect.insort(self._pending, key)
            self._pending_keys[notification.id] = key


@pytest.mark.parametrize(
    ("store_class", "test"),
    [
        (_FirstInteractionOnly, "test_one_changeset_keeps_every_record_of_each_kind"),
        (_FirstInteractionOnly, "test_each_changeset_of_a_batch_keeps_every_record"),
        (_FirstHandoffOnly, "test_one_changeset_keeps_every_record_of_each_kind"),
        (_FirstHandoffOnly, "test_each_changeset_of_a_batch_keeps_every_record"),
        (_EverythingDue, "test_only_pending_notifications_are_due_whatever_the_changeset"),
    ],
)
def test_the_kit_fails_a_store_that_loses_or_misfiles_records(store_class: type[Store], test: str) -> None:
    with pytest.raises(AssertionError):
        getattr(StoreConformance(), test)(store_class())


class _ReferencesFirst(MemoryStore):
    """Checks that the journey and records name stored ones before checking uniqueness:
    the contract lets a store refuse a changeset with either fault first."""

    def commit(self, changes: Changeset) -> None:
        with self._lock:
            contact_ids = {*self._contacts, *([changes.contact.id] if changes.contact else [])}
            journey_ids = {*self._journeys, *([changes.journey.id] if changes.journey else [])}
            if changes.journey is not None and changes.journey.contact_id not in contact_ids:
                raise NotFound("contact", changes.journey.contact_id)
            for record in (*changes.interactions, *changes.handoffs, *changes.notifications):
                if record.journey_id not in journey_ids:
                    raise NotFound("journey", record.journey_id)
            super().commit(changes)


@pytest.mark.parametrize("spoiler", sorted(_SPOILERS))
def test_each_refused_changeset_of_the_kit_has_one_fault(spoiler: str) -> None:
    """A store may check references before uniqueness: the kit must not fail it for that."""
    StoreConformance().test_a_refused_changeset_writes_nothing(_ReferencesFirst(), spoiler)
