"""Records built from parts that were checked already (pure; no handoff imports).

A record's validators guard what comes from outside: an ``Inbound`` a host made, a row
a store read back, a model a user built. Inside the library every part of a new
journey state, interaction, fact or summary line was checked on its way in (the
inbound, the verb's arguments) or computed from checked parts, so checking it again on
every event would only cost time. :func:`replace` and :func:`build` set the fields as
given, through a function written once per record class (field by field, defaults
bound, no look-up of the class's fields per call); the tests check that what they make
equals what the validating constructors make.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

__all__ = ["build", "maker", "replace"]

R = TypeVar("R")

_BUILDERS: dict[type, Callable[..., Any]] = {}
_MAKERS: dict[type, Callable[..., Any]] = {}
_REPLACERS: dict[type, Callable[[Any, dict[str, Any]], Any]] = {}


def replace(record: R, **changes: Any) -> R:
    """``attrs.evolve`` without validators, for changes computed from checked parts."""
    cls = type(record)
    made = _REPLACERS.get(cls) or _replacer(cls)
    result: R = made(record, changes)
    return result


def build(cls: type[R], **values: Any) -> R:
    """A record from its fields given by name, without validators or converters; a field
    not given takes its default (a record's new field need not be named everywhere)."""
    made = _BUILDERS.get(cls) or _builder(cls)
    try:
        result: R = made(**values)
    except TypeError as exc:  # a field left out, or one the record does not have
        raise TypeError(f"{cls.__name__}: {exc}") from None
    return result


def maker(cls: type[R]) -> Callable[..., R]:
    """A function taking every field of ``cls`` by position, in the class's order, and
    making the record without validators: the cheapest way to build one record many
    times over from parts at hand (a summary's lines)."""
    made: Callable[..., R] = _MAKERS.get(cls) or _maker(cls)
    return made


def _maker(cls: type) -> Callable[..., Any]:
    names = [f.name for f in attrs.fields(cls)]
    lines = [f"_set(made, {name!r}, {name})" for name in names]
    made: Callable[..., Any] = _compiled(cls, "make", ", ".join(names), lines, _scope(cls))
    _MAKERS[cls] = made
    return made


def _scope(cls: type) -> dict[str, Any]:
    return {"_new": object.__new__, "_set": object.__setattr__, "_cls": cls}


def _compiled(cls: type, name: str, signature: str, lines: list[str], scope: dict[str, Any]) -> Any:
    source = "\n    ".join([f"def {name}({signature}):", "made = _new(_cls)", *lines, "return made"])
    exec(compile(source, f"<handoff records {name} {cls.__name__}>", "exec"), scope)
    return scope[name]


def _builder(cls: type) -> Callable[..., Any]:
    """The function ``build`` calls for ``cls``: every field a keyword-only parameter (the
    call matches names to parameters in C), a default bound for each field that has one."""
    scope = _scope(cls)
    params, lines = [], []
    for i, field in enumerate(attrs.fields(cls)):
        name, default = field.name, field.default
        if default is attrs.NOTHING:
            params.append(name)
            value = name
        elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            scope[f"_factory{i}"] = default.factory  # records use no factory taking self
            params.append(f"{name}=_UNSET")
            value = f"_factory{i}() if {name} is _UNSET else {name}"
        else:
            scope[f"_default{i}"] = default
            params.append(f"{name}=_default{i}")
            value = name
        lines.append(f"_set(made, {name!r}, {value})")
    scope["_UNSET"] = _UNSET
    made: Callable[..., Any] = _compiled(cls, "build", "*, " + ", ".join(params), lines, scope)
    _BUILDERS[cls] = made
    return made


_UNSET = object()


def _replacer(cls: type) -> Callable[[Any, dict[str, Any]], Any]:
    lines = [
        f"_set(made, {f.name!r}, changes[{f.name!r}] if {f.name!r} in changes else record.{f.name})"
        for f in attrs.fields(cls)
    ]
    made: Callable[[Any, dict[str, Any]], Any] = _compiled(
        cls, "replace", "record, changes", lines, _scope(cls)
    )
    _REPLACERS[cls] = made
    return made
