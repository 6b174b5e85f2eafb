"""Injectable time and identifiers, so that every test can be deterministic."""

from __future__ import annotations

import random
import re
import secrets
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

from handoff.errors import ValidationError

__all__ = [
    "Clock",
    "FixedClock",
    "IdFactory",
    "RandomIds",
    "SeededIds",
    "SystemClock",
    "ensure_aware",
    "from_micros",
    "micros",
    "quoted_references",
]

# Crockford's base32 without the letters that are easy to confuse when read aloud
# over the phone (I, L, O, U): a reference is something a customer quotes to an agent.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_REFERENCE_LENGTH = 5
_REFERENCE_RE = re.compile(rf"(?i)(?<![\w-])J-[{_REFERENCE_ALPHABET}]{{{_REFERENCE_LENGTH}}}(?![\w-])")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


@runtime_checkable
class Clock(Protocol):
    """Anything with ``now()`` returning a timezone-aware datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that only moves when told to; for tests, demos and simulations."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_aware(start, "start")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = ensure_aware(when, "when")

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` (or ``timedelta(**kwargs)``); return the new time."""
        step = delta if delta is not None else timedelta(**kwargs)
        with self._lock:
            self._now = self._now + step
            return self._now

    def __repr__(self) -> str:
        return f"FixedClock({self._now.isoformat()})"


class IdFactory(Protocol):
    """Makes record ids and the short journey references customers quote."""

    def new_id(self, prefix: str) -> str: ...

    def new_reference(self) -> str: ...


class RandomIds:
    """Unpredictable ids (uuid4) and references (from :mod:`secrets`)."""

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{uuid.uuid4().hex}"

    def new_reference(self) -> str:
        chars = (secrets.choice(_REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))
        return "J-" + "".join(chars)


class SeededIds:
    """Reproducible ids and references from a seed; never use in production."""

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def new_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}_{self._random.getrandbits(128):032x}"

    def new_reference(self) -> str:
        with self._lock:
            chars = (self._random.choice(_REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))
            return "J-" + "".join(chars)


def ensure_aware(value: object, field: str) -> datetime:
    """Return ``value`` if it is a timezone-aware datetime, else raise ValidationError."""
    if not isinstance(value, datetime):
        raise ValidationError(field, f"expected a timezone-aware datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, "naive datetime; give it a time zone (e.g. tzinfo=timezone.utc)")
    return value


def micros(when: datetime) -> int:
    """UTC microseconds since the epoch: one integer orders instants across offsets."""
    return (when - _EPOCH) // _MICROSECOND


def from_micros(at: int) -> datetime:
    """The UTC instant ``at`` microseconds after the epoch; the inverse of :func:`micros`."""
    return _EPOCH + timedelta(microseconds=at)


def quoted_references(text: str) -> list[str]:
    """Journey references (``J-7F3K9``) quoted in free text, upper-cased, in order."""
    return list(dict.fromkeys(m.group().upper() for m in _REFERENCE_RE.finditer(text)))
