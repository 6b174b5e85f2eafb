"""Channel profiles: the traits of each support channel that policy and summaries read.

A new channel is one :func:`register` call; nothing else in the library names
channels in code, so custom channels behave like built-in ones.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from datetime import timedelta
from typing import Literal

from attrs import define, field

from handoff import _validate as v
from handoff.errors import ValidationError
from handoff.identity import identity_kinds

__all__ = ["ChannelProfile", "get", "names", "profiles", "register"]

Visibility = Literal["public", "private"]
Mode = Literal["sync", "async"]

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _check_name(_inst: object, _attr: object, value: str) -> None:
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise ValidationError("name", f"channel names match {_NAME_RE.pattern}, got {value!r}")


def _kinds(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        raise ValidationError("identity_kinds", "expected a set of identity kinds, not one string")
    return frozenset(value)


@define(frozen=True)
class ChannelProfile:
    """What a channel is like.

    ``identity_kinds`` are the identity kinds that reach a person there (a phone number
    reaches sms, whatsapp and phone). ``max_chars`` is a practical length for one message
    to the customer there (an agent's summary is sized for their screen instead).
    ``service_window`` is how long after the customer's last message free-form messages
    are allowed (WhatsApp: 24 h); outside it a pre-approved template is needed. ``voice``
    is true where the agent speaks with the customer (a call): their summary then holds a
    spoken opening.
    """

    name: str = field(validator=_check_name)
    label: str = field(validator=v.text(allow_empty=False))
    visibility: Visibility = field(validator=v.one_of(("public", "private")))
    mode: Mode = field(validator=v.one_of(("sync", "async")))
    identity_kinds: frozenset[str] = field(converter=_kinds)
    max_chars: int = field(validator=v.positive_int)
    service_window: timedelta | None = None
    icon: str = "•"
    voice: bool = field(default=False, validator=v.boolean)

    @property
    def is_public(self) -> bool:
        return self.visibility == "public"

    @property
    def is_async(self) -> bool:
        return self.mode == "async"


_H24 = timedelta(hours=24)
_BUILTIN = (
    ChannelProfile("email", "Email", "private", "async", {"email"}, 20_000, icon="✉"),
    ChannelProfile(
        "chat", "Live chat", "private", "sync", {"email", "phone", "portal", "visitor"}, 4_000, icon="💬"
    ),
    ChannelProfile("phone", "Phone", "private", "sync", {"phone"}, 600, icon="☎", voice=True),
    ChannelProfile("sms", "SMS", "private", "async", {"phone"}, 640, icon="✆"),
    ChannelProfile("whatsapp", "WhatsApp", "private", "async", {"phone"}, 4_096, _H24, icon="🟢"),
    ChannelProfile("messenger", "Messenger", "private", "async", {"messenger"}, 2_000, _H24, icon="🗨"),
    ChannelProfile("instagram", "Instagram DM", "private", "async", {"instagram"}, 1_000, _H24, icon="📷"),
    ChannelProfile("twitter", "Twitter", "public", "async", {"twitter"}, 280, icon="🐦"),
    ChannelProfile("twitter_dm", "Twitter DM", "private", "async", {"twitter"}, 10_000, icon="🐦"),
    ChannelProfile("facebook", "Facebook", "public", "async", {"facebook"}, 8_000, icon="📘"),
    ChannelProfile("portal", "Help portal", "private", "async", {"email", "portal"}, 20_000, icon="🌐"),
)

_REGISTRY: dict[str, ChannelProfile] = {p.name: p for p in _BUILTIN}
_LOCK = threading.Lock()


def register(profile: ChannelProfile, *, replace: bool = False) -> ChannelProfile:
    """Add a channel profile (or, with ``replace=True``, change an existing one)."""
    if not isinstance(profile, ChannelProfile):
        raise ValidationError("profile", f"expected a ChannelProfile, got {type(profile).__name__}")
    unknown = profile.identity_kinds - identity_kinds()
    if unknown or not profile.identity_kinds:
        raise ValidationError(
            "identity_kinds", f"unknown identity kinds {sorted(unknown)}" if unknown else "must not be empty"
        )
    with _LOCK:
        if profile.name in _REGISTRY and not replace:
            raise ValidationError("name", f"channel {profile.name!r} is already registered")
        _REGISTRY[profile.name] = profile
    return profile


def get(name: str, field_name: str = "channel") -> ChannelProfile:
    """The profile of a channel; an unknown name is a ValidationError naming ``field_name``."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(_REGISTRY))
        raise ValidationError(field_name, f"unknown channel {name!r} (known: {known})") from None


def names() -> tuple[str, ...]:
    """The registered channel names, sorted."""
    return tuple(sorted(_REGISTRY))


def profiles() -> tuple[ChannelProfile, ...]:
    return tuple(_REGISTRY[n] for n in names())
