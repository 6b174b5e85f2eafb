"""Small attrs validators that raise :class:`handoff.ValidationError` naming the field."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import datetime, timezone
from typing import Any

import attrs

from handoff.clock import ensure_aware
from handoff.errors import ValidationError

_SLUG_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def to_utc(value: object) -> object:
    """Aware datetimes are kept in UTC, so durations never depend on a zone's DST rules.

    (Python subtracts two datetimes sharing one tzinfo on the wall clock.) Anything else
    is passed through for the validator to refuse.
    """
    if isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(timezone.utc)
    return value


def aware(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    ensure_aware(value, attr.name)


def optional_aware(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        ensure_aware(value, attr.name)


def text(*, allow_empty: bool = True, max_len: int | None = None) -> Validator:
    def check(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str):
            raise ValidationError(attr.name, f"expected text, got {type(value).__name__}")
        if not allow_empty and not value.strip():
            raise ValidationError(attr.name, "must not be empty")
        if max_len is not None and len(value) > max_len:
            raise ValidationError(attr.name, f"longer than {max_len} characters")

    return check


def require_text(value: object, field: str, *, max_len: int = 100_000) -> str:
    """``value`` if it is non-empty text of at most ``max_len`` characters, for plain arguments."""
    if not isinstance(value, str):
        raise ValidationError(field, f"expected text, got {type(value).__name__}")
    if not value.strip():
        raise ValidationError(field, "must not be empty")
    if len(value) > max_len:
        raise ValidationError(field, f"longer than {max_len} characters")
    return value


def optional_text(*, max_len: int | None = None) -> Validator:
    inner = text(allow_empty=False, max_len=max_len)

    def check(inst: object, attr: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            inner(inst, attr, value)

    return check


def one_of(choices: Collection[str]) -> Validator:
    def check(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
        if value not in choices:
            raise ValidationError(attr.name, f"must be one of {sorted(choices)}, got {value!r}")

    return check


def slug(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _SLUG_RE.match(value):
        raise ValidationError(attr.name, f"expected a lower-case word like 'escalation', got {value!r}")


def non_negative_int(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError(attr.name, f"expected a whole number >= 0, got {value!r}")


def positive_int(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError(attr.name, f"expected a whole number >= 1, got {value!r}")


def boolean(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError(attr.name, f"expected true or false, got {value!r}")


def str_mapping(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError(attr.name, "expected a mapping of text to text")


def aware_mapping(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, dict):
        raise ValidationError(attr.name, "expected a mapping of channel to datetime")
    for key, when in value.items():
        if not isinstance(key, str):
            raise ValidationError(attr.name, f"expected channel names as keys, got {key!r}")
        ensure_aware(when, f"{attr.name}[{key!r}]")


def tuple_of(kind: type | tuple[type, ...]) -> Validator:
    def check(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple):
            raise ValidationError(attr.name, f"expected a tuple, got {type(value).__name__}")
        for i, item in enumerate(value):
            if not isinstance(item, kind):
                raise ValidationError(f"{attr.name}[{i}]", f"unexpected {type(item).__name__}")

    return check
