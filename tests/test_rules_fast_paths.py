"""The store rules tell the usual arguments at once: their answer must be the full checks'.

``check_intake`` and ``check_lock_key`` take a short way for arguments of the exact types
the write path passes; on anything else (wrong types, subclasses, naive times, NUL) they
must accept, return and refuse exactly as their full checks (each argument in turn) do,
naming the same field.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from handoff.errors import ValidationError
from handoff.identity import parse_identity
from handoff.stores.rules import _checked_intake, _checked_lock_key, check_intake, check_lock_key


class _Text(str):
    pass


class _Instant(datetime):
    pass


def _answer(check: object, *args: object) -> object:
    try:
        return ("accepted", check(*args))  # type: ignore[operator]
    except ValidationError as exc:
        return ("refused", exc.field, exc.problem)


_T0 = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)
_texts_or_not = st.one_of(
    st.text(max_size=4), st.builds(_Text, st.text(max_size=3)), st.none(), st.integers(), st.just(b"x")
)
_times = st.sampled_from(
    [
        _T0,
        _T0.replace(tzinfo=None),
        _T0.astimezone(timezone(timedelta(hours=-5))),
        _Instant(2026, 3, 10, tzinfo=timezone.utc),
        _Instant(2026, 3, 10),
        "2026-03-10",
        None,
    ]
)
_sequences = st.one_of(
    st.just(()),
    st.lists(_texts_or_not, max_size=3).map(tuple),
    st.lists(st.text(max_size=3), max_size=3),
    st.text(max_size=3),
    st.none(),
)


@given(
    st.tuples(
        st.sampled_from([parse_identity("phone:+14155550100"), "phone:+14155550100", None]),
        _texts_or_not,
        _texts_or_not,
        _sequences,
        _sequences,
        _times,
    )
)
def test_check_intake_answers_as_the_checks_one_by_one(args: tuple[object, ...]) -> None:
    assert _answer(check_intake, *args) == _answer(_checked_intake, *args)


@given(st.text(max_size=3), st.none() | st.text(max_size=3), _sequences, _sequences, _times)
def test_check_intake_of_the_usual_types_answers_as_the_checks_one_by_one(
    channel: str, external_id: str | None, references: object, thread_refs: object, since: object
) -> None:
    """The write path's own types, with every kind of time and sequence."""
    args = (parse_identity("phone:+14155550100"), channel, external_id, references, thread_refs, since)
    assert _answer(check_intake, *args) == _answer(_checked_intake, *args)


@given(st.one_of(_texts_or_not, st.text(alphabet="ab\x00", max_size=4)))
def test_check_lock_key_answers_as_the_checks_one_by_one(value: object) -> None:
    assert _answer(check_lock_key, value) == _answer(_checked_lock_key, value)
