"""The public rules every backend enforces (:mod:`handoff.stores.rules`), as properties."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from attrs import evolve
from hypothesis import given
from hypothesis import strategies as st

from handoff.errors import ValidationError
from handoff.models import Notification
from handoff.stores import Changeset, rules
from handoff.testing.factories import T0, make_contact, make_journey, make_notification

_STATUSES = st.sampled_from(rules.MARKABLE_STATUSES)
_PROVIDER_IDS = st.none() | st.sampled_from(["SM1", "SM2", "wamid.3"])
_reports = st.lists(st.tuples(_STATUSES, st.integers(0, 10_000), _PROVIDER_IDS), max_size=8)


def _pending() -> Notification:
    return make_notification(make_journey(make_contact()))


@given(reports=_reports)
def test_marked_follows_the_delivery_state_machine(reports: list[tuple[str, int, str | None]]) -> None:
    notification = _pending()
    for status, seconds, provider_id in reports:
        at = T0 + timedelta(seconds=seconds)
        after = rules.marked(notification, status, at, provider_id)
        if notification.status == "read" and status in ("sent", "delivered"):
            assert after == notification  # a late callback changes nothing
        else:
            assert after.status == status
            assert after.sent_at == (at if status == "sent" else notification.sent_at)
            expected = notification.provider_id if provider_id is None else provider_id
            assert after.provider_id == expected
            assert evolve(after, status=notification.status, sent_at=notification.sent_at,
                          provider_id=notification.provider_id) == notification  # fmt: skip
        notification = after


@given(status=st.text(max_size=12).filter(lambda s: s not in rules.MARKABLE_STATUSES))
def test_check_mark_refuses_an_unknown_status_by_name(status: str) -> None:
    with pytest.raises(ValidationError) as caught:
        rules.check_mark("nt_1", status, T0)
    assert caught.value.field == "status"


def test_check_mark_names_each_bad_argument() -> None:
    for args, field in (
        ((1, "sent", T0), "notification_id"),
        (("nt_1", "sent", datetime(2026, 3, 10)), "at"),
        (("nt_1", "sent", T0, ""), "provider_id"),
        (("nt_1", "sent", T0, 5), "provider_id"),
        (("nt_1", "sent", T0, "SM\x00"), "provider_id"),
    ):
        with pytest.raises(ValidationError) as caught:
            rules.check_mark(*args)
        assert caught.value.field == field, args
    at = T0.astimezone(timezone(timedelta(hours=9)))
    assert rules.check_mark("nt_1", "read", at, "SM1") == ("nt_1", "read", at, "SM1")


@given(text=st.text(max_size=20), field=st.sampled_from(["journey.id", "interactions[3].external_id"]))
def test_check_key_refuses_exactly_text_holding_nul(text: str, field: str) -> None:
    if "\x00" in text:
        with pytest.raises(ValidationError) as caught:
            rules.check_key(text, field)
        assert caught.value.field == field
    else:
        rules.check_key(text, field)
    rules.check_key(None, field)  # no key at all is fine


@given(value=st.integers(-(2**64), 2**64) | st.booleans() | st.floats() | st.none() | st.text(max_size=3))
def test_whole_numbers_are_bounded_for_every_backend(value: object) -> None:
    for check, maximum, field in (
        (rules.check_limit, rules.MAX_LIMIT, "limit"),
        (lambda v: rules.check_whole(v, "version", rules.MAX_VERSION), rules.MAX_VERSION, "version"),
    ):
        fits = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= maximum
        if fits:
            assert check(value) == value
        else:
            with pytest.raises(ValidationError) as caught:
                check(value)
            assert caught.value.field == field


@given(refs=st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=8))
def test_thread_references_are_deduplicated_in_order(refs: list[str]) -> None:
    assert rules.check_refs(refs) == tuple(dict.fromkeys(refs))


def test_a_lone_string_is_not_taken_for_references() -> None:
    with pytest.raises(ValidationError) as caught:
        rules.check_refs("abc")
    assert caught.value.field == "refs"


@given(name=st.sampled_from(["id", "reference", "contact_id"]), cut=st.integers(0, 12))
def test_check_changeset_names_the_journey_key_holding_nul(name: str, cut: int) -> None:
    contact = make_contact()
    journey = make_journey(contact)
    value = getattr(journey, name)
    spoiled = evolve(journey, **{name: value[:cut] + "\x00" + value[cut:]})
    with pytest.raises(ValidationError) as caught:
        rules.check_changeset(Changeset(contact=contact, journey=spoiled))
    assert caught.value.field == f"journey.{name}"
    assert rules.check_changeset(Changeset(contact=contact, journey=journey)).journey == journey


def test_check_batch_names_the_changeset_and_its_field() -> None:
    contact = make_contact()
    spoiled = evolve(make_journey(contact), reference="J-\x00")
    with pytest.raises(ValidationError) as caught:
        rules.check_batch([Changeset(contact=contact), Changeset(journey=spoiled)])
    assert caught.value.field == "changes[1].journey.reference"
    with pytest.raises(ValidationError) as caught:
        rules.check_batch("not a batch")
    assert caught.value.field == "changes"
