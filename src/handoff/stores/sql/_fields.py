"""A metrics read's stored fields made into a tally's: times and survey answers.

A SQL store's metrics read gives a journey's resolution time as its record holds it (ISO
text) and its surveys as the index holds them (each one's id, a space and the JSON array
of its CSAT, NPS and CES answers as stored, separated by ``\x1e``). Both are checked as
the walk checks them: stored data can be imported.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from handoff.errors import StoreError
from handoff.events import SURVEY_SCALES, _stored_answer

__all__ = ["answers", "iso_micros"]

_SURVEYS = "\x1e"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)

_ANSWERED: dict[str, tuple[int | None, int | None, int | None]] = {}
_ANSWERED_KEPT = 4096
_ONE_SURVEY: dict[str, tuple[bytes, bytes, bytes]] = {}


def answers(surveys: str) -> tuple[bytes, bytes, bytes]:
    """Each scale's answers, one per byte, from the surveys (each the id, a space and the
    JSON array of the answers), checked as the walk checks them (stored data can be
    imported): a whole number of the scale, written as text. A journey surveyed once (most
    are) takes the answers remembered for the same JSON."""
    if _SURVEYS not in surveys:
        given = surveys.partition(" ")[2]
        found = _ONE_SURVEY.get(given)
        if found is None:
            if len(_ONE_SURVEY) >= _ANSWERED_KEPT:
                _ONE_SURVEY.clear()
            found = _ONE_SURVEY[given] = _each([surveys])
        return found
    return _each(surveys.split(_SURVEYS))


def _each(surveys: list[str]) -> tuple[bytes, bytes, bytes]:
    scales: tuple[list[int], list[int], list[int]] = ([], [], [])
    for survey in surveys:
        iid, _, given = survey.partition(" ")
        checked = _ANSWERED.get(given)
        if checked is None:
            checked = _checked_answers(iid, given)
            if len(_ANSWERED) >= _ANSWERED_KEPT:
                _ANSWERED.clear()
            _ANSWERED[given] = checked
        for scale, answer in zip(scales, checked, strict=True):
            if answer is not None:
                scale.append(answer)
    return bytes(scales[0]), bytes(scales[1]), bytes(scales[2])


def _checked_answers(iid: str, given: str) -> tuple[int | None, int | None, int | None]:
    csat, nps, ces = (
        None if raw is None else _stored_answer(name, raw, iid)
        for raw, name in zip(json.loads(given), SURVEY_SCALES, strict=True)
    )
    return csat, nps, ces


def iso_micros(text: str) -> int:
    """A stored time (ISO text with its offset) in UTC microseconds."""
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        when = None
    if when is None or when.tzinfo is None:
        raise StoreError(f"a stored journey has an unreadable time: {text!r}")
    return (when - _EPOCH) // _MICROSECOND
