"""Reading Twilio's form fields: required ones, and the ones copied into metadata."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from handoff.errors import IngestError

__all__ = ["MAX_FIELD", "form_metadata", "required"]

MAX_FIELD = 1_000


def required(fields: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = fields.get(name, "").strip()
        if value:
            if len(value) > MAX_FIELD:
                raise IngestError(f"$.{name}", f"longer than {MAX_FIELD} characters")
            return value
    raise IngestError(f"$.{names[0]}", "missing")


def form_metadata(fields: Mapping[str, str], pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    return {key: fields[name][:MAX_FIELD] for name, key in pairs if fields.get(name, "").strip()}
