"""Path-aware reading of decoded JSON payloads, shared by the JSON ingestion adapters.

Every reader names the JSON path of what it read, so a malformed or hostile payload
raises an :class:`~handoff.IngestError` that says exactly where the problem is
(``$.entry[0].messaging[2].timestamp``) instead of a bare ``KeyError``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from dateutil.parser import isoparse

from handoff.errors import IngestError, ValidationError
from handoff.events import MAX_BODY_CHARS, Inbound
from handoff.identity import parse_identity
from handoff.ingest._limits import refuse_large_json
from handoff.ingest.base import DeliveryEvent, Parsed, Skipped

JsonObject = Mapping[str, object]

MAX_NAME_CHARS = 200
MAX_METADATA_CHARS = 2_000
_MAX_EPOCH_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second datetime can hold
_SHOWN_CHARS = 60


def load(payload: object) -> JsonObject:
    """The payload as a JSON object; raw request bodies (``bytes`` or ``str``) are decoded first."""
    return as_object(load_document(payload), "$")


def load_document(payload: object) -> JsonObject | Sequence[object]:
    """The payload as a JSON object or array (API list endpoints return bare arrays)."""
    if isinstance(payload, bytes | bytearray | memoryview):
        try:
            payload = bytes(payload).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IngestError("$", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except RecursionError:
            raise IngestError("$", "JSON nested too deeply") from None
        except ValueError as exc:
            raise IngestError("$", f"not JSON ({exc})") from None
    if isinstance(payload, list | tuple):
        return payload
    return as_object(payload, "$")


def kind_of(value: object) -> str:
    """The JSON name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return type(value).__name__


def shown(value: object) -> str:
    """A short, safe rendering of an untrusted value for an error message."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def as_object(value: object, path: str) -> JsonObject:
    if not isinstance(value, Mapping):
        raise IngestError(path, f"expected an object, got {kind_of(value)}")
    return value


def as_list(value: object, path: str) -> Sequence[object]:
    if not isinstance(value, list | tuple):
        raise IngestError(path, f"expected an array, got {kind_of(value)}")
    return value


def required(obj: JsonObject, key: str, path: str) -> object:
    """``obj[key]``, which must be present and not null."""
    value = obj.get(key)
    if value is None:
        raise IngestError(f"{path}.{key}", "is missing")
    return value


def opt_object(obj: JsonObject, key: str, path: str) -> JsonObject | None:
    value = obj.get(key)
    return None if value is None else as_object(value, f"{path}.{key}")


def opt_list(obj: JsonObject, key: str, path: str) -> Sequence[object]:
    """``obj[key]`` as an array; missing or null is an empty one."""
    value = obj.get(key)
    return () if value is None else as_list(value, f"{path}.{key}")


def clean(text: str) -> str:
    """Drop NUL characters and lone surrogates: JSON allows them, storage engines do not."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def text(obj: JsonObject, key: str, path: str) -> str:
    """A required, non-blank text field."""
    value = opt_text(obj, key, path)
    if value is None or not value.strip():
        raise IngestError(f"{path}.{key}", "is missing" if value is None else "is empty")
    return value


def opt_text(obj: JsonObject, key: str, path: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise IngestError(f"{path}.{key}", f"expected text, got {kind_of(value)}")
    return clean(value)


def ident(obj: JsonObject, key: str, path: str) -> str:
    """A required id, given as text or as a whole number (providers do both)."""
    value = opt_ident(obj, key, path)
    if value is None:
        raise IngestError(f"{path}.{key}", "is missing")
    return value


def opt_ident(obj: JsonObject, key: str, path: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip() and len(value) <= 500:
        return clean(value.strip())
    raise IngestError(f"{path}.{key}", f"expected an id, got {shown(value)}")


def flag(obj: JsonObject, key: str, path: str, default: bool = False) -> bool:
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise IngestError(f"{path}.{key}", f"expected true or false, got {shown(value)}")
    return value


def opt_count(obj: JsonObject, key: str, path: str) -> int | None:
    """A whole number >= 0, given as a number or as digits."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit() and len(value) < 19:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, float) and value.is_integer() and 0 <= value < 1e18:
        return int(value)
    raise IngestError(f"{path}.{key}", f"expected a whole number >= 0, got {shown(value)}")


def epoch(value: object, path: str, *, millis: bool = False) -> datetime:
    """Epoch seconds (or milliseconds), as a number or as digits, to an aware UTC datetime."""
    number: float
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 20:
        number = int(value.strip())
    elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        number = value
    else:
        unit = "milliseconds" if millis else "seconds"
        raise IngestError(path, f"expected epoch {unit}, got {shown(value)}")
    seconds = number / 1000 if millis else number
    if not 0 <= seconds <= _MAX_EPOCH_SECONDS:
        raise IngestError(path, f"timestamp {shown(value)} is out of range")
    return datetime.fromtimestamp(seconds, UTC)


def iso_time(obj: JsonObject, key: str, path: str) -> datetime:
    """A required ISO 8601 time with a time zone, as an aware UTC datetime."""
    raw = obj.get(key)
    where = f"{path}.{key}"
    if not isinstance(raw, str):
        raise IngestError(
            where, "is missing" if raw is None else f"expected an ISO 8601 time, got {kind_of(raw)}"
        )
    try:
        when = isoparse(raw.strip())
    except (ValueError, OverflowError):
        raise IngestError(where, f"not an ISO 8601 time: {shown(raw)}") from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise IngestError(where, f"time {shown(raw)} has no time zone")
    try:
        return when.astimezone(UTC)
    except (ValueError, OverflowError):
        raise IngestError(where, f"time {shown(raw)} is out of range") from None


def clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def compact(**values: str | None) -> dict[str, str]:
    """Metadata from keyword arguments, leaving out the missing ones and clipping long values."""
    return {key: clip(value, MAX_METADATA_CHARS) for key, value in values.items() if value}


def identity(kind: str, raw: str, path: str) -> str:
    """``kind:raw`` normalized, or an IngestError at ``path`` saying why it is not one."""
    try:
        return str(parse_identity(f"{kind}:{raw}"))
    except ValidationError as exc:
        raise IngestError(path, exc.problem) from None


def inbound(path: str, *, body: str, name: str | None = None, **fields: Any) -> Inbound:
    """Build an Inbound, clipping what real payloads overfill and naming ``path`` on failure."""
    if len(body) > MAX_BODY_CHARS:
        body = clip(body, MAX_BODY_CHARS)
        fields["metadata"] = {**fields.get("metadata", {}), "truncated": "true"}
    if name is not None:
        name = clip(name.strip(), MAX_NAME_CHARS) or None
    try:
        return Inbound(body=body, name=name, **fields)
    except ValidationError as exc:
        raise IngestError(path, f"{exc.field}: {exc.problem}") from None


def event(path: str, **fields: Any) -> DeliveryEvent:
    try:
        return DeliveryEvent(**fields)
    except ValidationError as exc:
        raise IngestError(path, f"{exc.field}: {exc.problem}") from None


def each(
    items: Iterable[object], path: str, handle: Callable[[object, str], Parsed], errors: list[IngestError]
) -> list[Parsed]:
    """Apply ``handle`` to every item; a bad item becomes an error and the rest go on."""
    parts: list[Parsed] = []
    for i, item in enumerate(items):
        try:
            parts.append(handle(item, f"{path}[{i}]"))
        except IngestError as exc:
            errors.append(exc)
    return parts


def combine(
    parts: Iterable[Parsed], errors: Iterable[IngestError] = (), skipped: Iterable[Skipped] = ()
) -> Parsed:
    """One Parsed from many, inbounds and events in time order (payload order breaks ties)."""
    inbounds: list[Inbound] = []
    events: list[DeliveryEvent] = []
    all_skipped: list[Skipped] = []
    all_errors: list[IngestError] = []
    for part in parts:
        inbounds.extend(part.inbounds)
        events.extend(part.events)
        all_skipped.extend(part.skipped)
        all_errors.extend(part.errors)
    all_skipped.extend(skipped)
    all_errors.extend(errors)
    inbounds.sort(key=lambda item: item.at)
    events.sort(key=lambda item: item.at)
    return Parsed(inbounds, events, all_skipped, all_errors)


def skip(path: str, reason: str) -> Parsed:
    return Parsed(skipped=[Skipped(path, reason)])


def guarded(read: Callable[[object], Parsed], payload: object, max_bytes: int) -> Parsed:
    """Run an adapter so that nothing but IngestError escapes it.

    A payload larger than ``max_bytes`` is refused before it is read. The readers above
    already turn every malformed part into an IngestError; this is the last line, so
    that an unforeseen shape still fails as documented.
    """
    try:
        refuse_large_json(payload, max_bytes)
        return read(payload)
    except IngestError:
        raise
    except (
        ValidationError,
        LookupError,
        TypeError,
        ValueError,
        AttributeError,
        ArithmeticError,
        RecursionError,
    ) as exc:
        raise IngestError(
            "$", f"unexpected payload shape ({type(exc).__name__}: {clip(str(exc), 200)})"
        ) from None
