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

import types
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

__all__ = ["build", "builder", "maker", "replace"]

R = TypeVar("R")

_BUILDERS: dict[type, Callable[..., Any]] = {}
_MAKERS: dict[type, Callable[..., Any]] = {}
_REPLACERS: dict[tuple[Any, ...], Callable[[Any, dict[str, Any]], Any]] = {}


def replace(record: R, **changes: Any) -> R:
    """``attrs.evolve`` without validators, for changes computed from checked parts.

    Written once per record class and set of changed names (a call site changes the same
    few fields every time): the fields kept are copied, the changed ones taken, with no
    test per field of whether it changed."""
    key = (type(record), *changes)
    made = _REPLACERS.get(key) or _replacer(key)
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


def builder(cls: type[R]) -> Callable[..., R]:
    """The function :func:`build` calls for ``cls``, to call directly where one record is
    built on every event: its fields by name, defaults bound, no validators."""
    made: Callable[..., R] = _BUILDERS.get(cls) or _builder(cls)
    return made


def maker(cls: type[R]) -> Callable[..., R]:
    """A function taking every field of ``cls`` by position, in the class's order, and
    making the record without validators: the cheapest way to build one record many
    times over from parts at hand (a summary's lines)."""
    made: Callable[..., R] = _MAKERS.get(cls) or _maker(cls)
    return made


def _maker(cls: type) -> Callable[..., Any]:
    names = [f.name for f in attrs.fields(cls)]
    scope = _scope(cls)
    lines = [_setting(scope, name, name) for name in names]
    made: Callable[..., Any] = _compiled(cls, "make", ", ".join(names), lines, scope)
    _MAKERS[cls] = made
    return made


def _scope(cls: type) -> dict[str, Any]:
    return {"_new": object.__new__, "_set": object.__setattr__, "_cls": cls}


def _setting(scope: dict[str, Any], name: str, value: str) -> str:
    """The line that sets field ``name`` of ``made`` to the expression ``value``: through
    the field's slot itself when the record has slots (the cheapest store there is, and
    like ``object.__setattr__`` it passes by a frozen record's refusal), else as attrs'
    own ``__init__`` does."""
    slot = getattr(scope["_cls"], name, None)
    if isinstance(slot, types.MemberDescriptorType):
        setter = f"_slot_{name}"
        scope[setter] = slot.__set__
        return f"{setter}(made, {value})"
    return f"_set(made, {name!r}, {value})"


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
        lines.append(_setting(scope, name, value))
    scope["_UNSET"] = _UNSET
    made: Callable[..., Any] = _compiled(
        cls, f"build_{cls.__name__}", "*, " + ", ".join(params), lines, scope
    )
    _BUILDERS[cls] = made
    return made


_UNSET = object()


def _replacer(key: tuple[Any, ...]) -> Callable[[Any, dict[str, Any]], Any]:
    cls, changed = key[0], frozenset(key[1:])
    names = [f.name for f in attrs.fields(cls)]
    unknown = changed.difference(names)
    if unknown:  # as attrs.evolve says it
        raise TypeError(f"{cls.__name__}.__init__() got an unexpected keyword argument {min(unknown)!r}")
    scope = _scope(cls)
    lines = [
        _setting(scope, name, f"changes[{name!r}]" if name in changed else f"record.{name}") for name in names
    ]
    made: Callable[[Any, dict[str, Any]], Any] = _compiled(cls, "replace", "record, changes", lines, scope)
    if len(_REPLACERS) < _MAX_REPLACERS:  # call sites change a bounded few sets of fields
        _REPLACERS[key] = made
    return made


_MAX_REPLACERS = 1024
