"""Records built from parts that were checked already (pure; no handoff imports).

A record's validators guard what comes from outside: an ``Inbound`` a host made, a row
a store read back, a model a user built. Inside the library every part of a new
journey state, interaction, fact or summary line was checked on its way in (the
inbound, the verb's arguments) or computed from checked parts, so checking it again on
every event would only cost time. :func:`replace` and :func:`build` set the fields as
given; the tests check that what they make equals what the validating constructors make.
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs

__all__ = ["build", "replace"]

R = TypeVar("R")

_set = object.__setattr__
_NAMES: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(a.name for a in attrs.fields(cls))
    return names


def replace(record: R, **changes: Any) -> R:
    """``attrs.evolve`` without validators, for changes computed from checked parts."""
    made: R = object.__new__(type(record))
    get = record.__getattribute__
    for name in _names(type(record)):
        _set(made, name, changes[name] if name in changes else get(name))
    return made


def build(cls: type[R], **values: Any) -> R:
    """A record from its fields given by name, without validators or converters; a field
    not given takes its default (a record's new field need not be named everywhere)."""
    made: R = object.__new__(cls)
    for name in _names(cls):
        value = values.get(name, _MISSING)
        _set(made, name, _default(cls, name) if value is _MISSING else value)
    return made


_MISSING = object()


def _default(cls: type, name: str) -> Any:
    default: Any = attrs.fields_dict(cls)[name].default
    if default is attrs.NOTHING:
        raise TypeError(f"{cls.__name__} needs its {name!r}")
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return default.factory()  # records use no factory taking self
    return default
