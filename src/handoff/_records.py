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

__all__ = ["build", "builder", "maker", "replace"]

R = TypeVar("R")

_BUILDERS: dict[type, Callable[[dict[str, Any]], Any]] = {}
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
    result: R = made(values)
    return result


def builder(cls: type[R]) -> Callable[[dict[str, Any]], R]:
    """:func:`build`'s function for ``cls``, to call with the fields in a dict where one
    record is built many times over (a summary's lines)."""
    made: Callable[[dict[str, Any]], R] = _BUILDERS.get(cls) or _builder(cls)
    return made


def maker(cls: type[R]) -> Callable[..., R]:
    """A function taking every field of ``cls`` by position, in the class's order, and
    making the record without validators: the cheapest way to build one record many
    times over from parts at hand (a summary's lines)."""
    made: Callable[..., R] | None = _MAKERS.get(cls)
    if made is None:
        names = [f.name for f in attrs.fields(cls)]
        lines = [f"_set(made, {name!r}, {name})" for name in names]
        made = _compiled(cls, "make", ", ".join(names), lines, _scope(cls))
        _MAKERS[cls] = made
    return made


def _scope(cls: type) -> dict[str, Any]:
    return {"_new": object.__new__, "_set": object.__setattr__, "_cls": cls}


def _compiled(cls: type, name: str, signature: str, lines: list[str], scope: dict[str, Any]) -> Any:
    source = "\n    ".join([f"def {name}({signature}):", "made = _new(_cls)", *lines, "return made"])
    exec(compile(source, f"<handoff records {name} {cls.__name__}>", "exec"), scope)
    return scope[name]


def _builder(cls: type) -> Callable[[dict[str, Any]], Any]:
    scope = _scope(cls)
    lines = []
    for i, field in enumerate(attrs.fields(cls)):
        name, default = field.name, field.default
        if default is attrs.NOTHING:
            scope[f"_needs{i}"] = _needs(cls, name)
            value = f"values[{name!r}] if {name!r} in values else _needs{i}()"
        elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            scope[f"_factory{i}"] = default.factory  # records use no factory taking self
            value = f"values[{name!r}] if {name!r} in values else _factory{i}()"
        else:
            scope[f"_default{i}"] = default
            value = f"values.get({name!r}, _default{i})"
        lines.append(f"_set(made, {name!r}, {value})")
    made: Callable[[dict[str, Any]], Any] = _compiled(cls, "build", "values", lines, scope)
    _BUILDERS[cls] = made
    return made


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


def _needs(cls: type, name: str) -> Callable[[], Any]:
    def missing() -> Any:
        raise TypeError(f"{cls.__name__} needs its {name!r}")

    return missing
