"""Every record to plain data and back, through one private cattrs Converter.

Untrusted JSON becomes models here, so errors name the path of the problem
(``$.links[0].linked_at: naive datetime``) and unknown keys are refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.v import format_exception as _cattrs_format_exception
from cattrs.v import transform_error

from handoff._flat import plain_function, text_function
from handoff.clock import ensure_aware
from handoff.errors import HandoffError, ValidationError
from handoff.identity import Identity, parse_identity

__all__ = ["from_dict", "from_json", "to_dict", "to_json"]

T = TypeVar("T")


def _new_converter() -> cattrs.Converter:
    return cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)


_converter = _new_converter()
_COMPACT = json.JSONEncoder(ensure_ascii=False)
"""What ``json.dumps(..., ensure_ascii=False)`` builds on every call, built once: records are
encoded on every write."""


def _structure_datetime(value: Any, _type: type) -> datetime:
    if isinstance(value, datetime):
        return ensure_aware(value, "datetime")
    if not isinstance(value, str):
        raise ValidationError("datetime", f"expected ISO 8601 text, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError("datetime", f"not an ISO 8601 timestamp: {value!r}") from None
    return ensure_aware(parsed, "datetime")


def _structure_timedelta(value: Any, _type: type) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError("timedelta", f"expected seconds as a number, got {value!r}")
    return timedelta(seconds=value)


def _structure_identity(value: Any, _type: type) -> Identity:
    if isinstance(value, Identity):
        return value
    if not isinstance(value, str):
        raise ValidationError("identity", f"expected 'kind:value' text, got {type(value).__name__}")
    return parse_identity(value)


def _strict(kind: type) -> Any:
    """cattrs would turn 5 into "5" or "5" into 5; untrusted input must say what it means."""

    def structure(value: Any, _type: type) -> Any:
        if isinstance(value, bool) and kind is not bool:
            raise ValidationError("value", f"expected {kind.__name__}, got a boolean")
        if kind is float and isinstance(value, int):
            return float(value)
        if not isinstance(value, kind):
            raise ValidationError("value", f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return structure


def _configure(converter: cattrs.Converter) -> cattrs.Converter:
    for kind in (str, int, float, bool):
        converter.register_structure_hook(kind, _strict(kind))
    converter.register_unstructure_hook(datetime, lambda d: d.isoformat())
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(timedelta, lambda d: d.total_seconds())
    converter.register_structure_hook(timedelta, _structure_timedelta)
    converter.register_unstructure_hook(Identity, str)
    converter.register_structure_hook(Identity, _structure_identity)
    converter.register_structure_hook_func(lambda t: t == str | Identity, _structure_identity_text)
    return converter


def _structure_identity_text(value: Any, _type: Any) -> str | Identity:
    """``Inbound.identity``: text as given (the Switchboard normalizes it), or an Identity."""
    if isinstance(value, (str, Identity)):
        return value
    raise ValidationError("identity", f"expected 'kind:value' text, got {type(value).__name__}")


_configure(_converter)


def _plain_of(value: Any) -> Any:
    """The plain data of what JSON does not know (a datetime, a record), for :data:`_DATA`."""
    plain = _converter.unstructure(value)
    if type(plain) is type(value):  # no plain form of its own (a set's is a set again)
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    return plain


_DATA = json.JSONEncoder(ensure_ascii=False, default=_plain_of)
""":data:`_COMPACT` for free-form data: a decision's is encoded as it is, not copied into
plain data by the converter first (the copy cost three times the encoding)."""

_TEXT: dict[type, Callable[[Any], str]] = {}


def flatten(*classes: type) -> None:
    """Encode these records with flat generated functions (:mod:`handoff._flat`): their
    plain data and JSON text are what cattrs and ``json`` give, built without dispatch."""
    for cls in classes:
        _converter.register_unstructure_hook(cls, plain_function(cls, _converter.unstructure))
        _TEXT[cls] = text_function(cls, _converter.unstructure, _COMPACT.encode, _DATA.encode)


def _reference() -> cattrs.Converter:
    """The converter as cattrs alone would encode: what the flat functions must equal."""
    return _configure(_new_converter())


def _format(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, ValidationError):
        return exc.problem
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unknown keys {sorted(exc.extra_fields)}"
    return _cattrs_format_exception(exc, type_)


def to_dict(obj: Any) -> Any:
    """A model as plain JSON-ready data (dicts, lists, strings, numbers, booleans)."""
    return _converter.unstructure(obj)


def from_dict(cls: type[T], data: Any) -> T:
    """Build ``cls`` from plain data, or raise ValidationError naming every bad path."""
    try:
        return _converter.structure(data, cls)
    except (ClassValidationError, IterableValidationError) as exc:
        found = [p.rpartition(" @ ")[::2] for p in transform_error(exc, path="$", format_exception=_format)]
        first_path = found[0][-1] if found else "$"
        parts = [msg if path == first_path else f"{path}: {msg}" for msg, path in found]
        raise ValidationError(first_path, "; ".join(parts)) from exc
    except HandoffError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ValidationError("$", f"cannot read {getattr(cls, '__name__', cls)}: {exc}") from exc


def to_json(obj: Any, *, indent: int | None = None) -> str:
    """A model as JSON text: compact, or ``indent``-ed with sorted keys for people."""
    if indent is None:
        text = _TEXT.get(type(obj))
        return text(obj) if text is not None else _COMPACT.encode(to_dict(obj))
    return json.dumps(to_dict(obj), ensure_ascii=False, indent=indent, sort_keys=True)


def from_json(cls: type[T], text: str | bytes) -> T:
    """Build ``cls`` from JSON text, or raise ValidationError; never a parser's own error."""
    try:
        data = json.loads(text)
    except RecursionError:
        # Nesting deeper than the parser's recursion limit (``[[[[...``) is hostile input,
        # not a crash; ``from None``, as a thousand frames of traceback say nothing more.
        raise ValidationError("$", "not valid JSON: nested too deeply") from None
    except (ValueError, TypeError) as exc:
        raise ValidationError("$", f"not valid JSON: {exc}") from exc
    return from_dict(cls, data)
