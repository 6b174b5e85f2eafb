"""Parse and normalize identities: the ``kind:value`` strings that name a person on a channel.

Two identities are the same person only when their normalized forms are equal, so
normalization is where "Ana@Example.com" and "ana@example.com", or "+1 (415) 555-0100"
and "+14155550100", become one. Nothing here guesses beyond that.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable

from attrs import define, field

from handoff.errors import ValidationError

__all__ = [
    "Identity",
    "identity_kinds",
    "parse_identity",
    "register_identity_kind",
]

Normalizer = Callable[[str, "str | None"], str]
"""Turns a raw value (and an optional default phone region) into its canonical form."""

_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_EMAIL_RE = re.compile(r"^[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+\.[^\s@<>()\[\],;:\".]+$")
_HANDLE_RE = re.compile(r"^@?[a-z0-9_.]{1,64}$")
_SCOPED_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")


@define(frozen=True, order=True)
class Identity:
    """A normalized ``kind:value`` pair, e.g. ``phone:+14155550100``.

    Build one with :func:`parse_identity`; the constructor trusts its input.
    """

    kind: str
    value: str = field()

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"

    def masked(self) -> str:
        """The identity with most of its value hidden, for public or restricted views."""
        if self.kind == "email" and "@" in self.value:
            local, domain = self.value.split("@", 1)
            return f"email:{local[:1]}***@{domain}"
        if self.kind == "phone":
            return f"phone:{self.value[:2]}******{self.value[-2:]}"
        keep = self.value[:2] if len(self.value) > 4 else ""
        return f"{self.kind}:{keep}***"


def _normalize_email(raw: str, _region: str | None) -> str:
    value = raw.strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    if not _EMAIL_RE.match(value):
        raise ValidationError("identity", f"not an email address: {raw!r}")
    local, domain = value.rsplit("@", 1)
    # Domains are case-insensitive by standard; local parts are case-insensitive at
    # every provider that matters, and treating them so is what users expect.
    return f"{local.casefold()}@{domain.casefold()}"


def _normalize_phone(raw: str, region: str | None) -> str:
    value = raw.strip()
    if value.lower().startswith("tel:"):
        value = value[4:]
    try:
        import phonenumbers
    except ImportError:  # pragma: no cover - exercised through _normalize_phone_strict
        return _normalize_phone_strict(value)
    try:
        parsed = phonenumbers.parse(value, region.upper() if region else None)
    except phonenumbers.NumberParseException as exc:
        hint = (
            ""
            if value.startswith("+") or region
            else "; give an international '+' number or set default_region"
        )
        raise ValidationError("identity", f"not a phone number: {raw!r} ({exc}){hint}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationError("identity", f"not a possible phone number: {raw!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _normalize_phone_strict(value: str) -> str:
    """E.164 without the ``phonenumbers`` library: international numbers only."""
    compact = _PHONE_PUNCTUATION.sub("", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not _E164_RE.match(compact):
        raise ValidationError(
            "identity",
            f"not an international phone number: {value!r}; national formats need "
            "`pip install 'channel-handoff[phone]'` and a default_region",
        )
    return compact


def _normalize_handle(raw: str, _region: str | None) -> str:
    value = raw.strip().casefold()
    if not _HANDLE_RE.match(value):
        raise ValidationError("identity", f"not a handle: {raw!r}")
    return value if value.startswith("@") else "@" + value


def _normalize_scoped_id(raw: str, _region: str | None) -> str:
    value = raw.strip()
    if not _SCOPED_ID_RE.match(value):
        raise ValidationError("identity", f"not an id: {raw!r} (letters, digits and _.:- only)")
    return value


_KINDS: dict[str, Normalizer] = {
    "email": _normalize_email,
    "phone": _normalize_phone,
    "twitter": _normalize_handle,
    # Page- and app-scoped ids: a Messenger PSID and an Instagram IGSID are different
    # namespaces even when the digits match, hence separate kinds.
    "messenger": _normalize_scoped_id,
    "instagram": _normalize_scoped_id,
    "facebook": _normalize_scoped_id,
    "portal": _normalize_scoped_id,
    "visitor": _normalize_scoped_id,
}
_KINDS_LOCK = threading.Lock()


def register_identity_kind(kind: str, normalizer: Normalizer, *, replace: bool = False) -> None:
    """Teach ``handoff`` a new identity kind, e.g. for a custom channel's user ids."""
    if not isinstance(kind, str) or not _KIND_RE.match(kind):
        raise ValidationError("kind", f"must match {_KIND_RE.pattern}, got {kind!r}")
    if not callable(normalizer):
        raise ValidationError("normalizer", "must be callable(value, default_region) -> str")
    with _KINDS_LOCK:
        if kind in _KINDS and not replace:
            raise ValidationError("kind", f"identity kind {kind!r} is already registered")
        _KINDS[kind] = normalizer
        _parse_cached.cache_clear()


def identity_kinds() -> frozenset[str]:
    """The identity kinds currently known."""
    return frozenset(_KINDS)


def parse_identity(text: str | Identity, default_region: str | None = None) -> Identity:
    """Parse ``kind:value`` into a normalized :class:`Identity`.

    A bare email address or ``+``-prefixed phone number is accepted without a kind,
    because that is what webhooks and forms usually hand over.
    """
    if isinstance(text, Identity):
        return text
    if not isinstance(text, str):
        raise ValidationError("identity", f"expected 'kind:value' text, got {type(text).__name__}")
    if default_region is not None and not isinstance(default_region, str):
        raise ValidationError("default_region", f"expected a region code like 'US', got {default_region!r}")
    return _parse_cached(text, default_region)


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str, default_region: str | None) -> Identity:
    """Normalizing a phone number costs tens of microseconds; webhooks repeat senders."""
    return _parse(text, default_region)


def _parse(text: str, default_region: str | None) -> Identity:
    raw = text.strip()
    if not raw:
        raise ValidationError("identity", "is empty")
    kind, sep, value = raw.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in _KINDS:
        if "@" in raw and not raw.startswith("@"):
            kind, value = "email", raw
        elif raw.startswith("+"):
            kind, value = "phone", raw
        elif not sep:
            raise ValidationError("identity", f"expected 'kind:value', got {text!r}")
        else:
            known = ", ".join(sorted(_KINDS))
            raise ValidationError("identity", f"unknown identity kind {kind!r} (known: {known})")
    if not value.strip():
        raise ValidationError("identity", f"no value after {kind!r}")
    normalized = _KINDS[kind](value, default_region)
    if not normalized:
        raise ValidationError("identity", f"{kind} normalizer returned an empty value")
    return Identity(kind, normalized)
