"""Flat encoders generated per record: plain data and JSON text without cattrs' dispatch.

cattrs looks up a hook for every field of every record at every call; a journey and an
interaction are encoded on every event, and that lookup is most of their cost. For the
records :func:`handoff.serde.flatten` names, this module writes two functions once, from
the fields' types: one builds the same plain data as cattrs (a dict display, field by
field), one the same JSON text as ``json.JSONEncoder(ensure_ascii=False)`` would write
for it, with each tuple of records (a journey's path, facts, notes) kept as text while
the very same tuple object comes back, as it does from one event to the next. A field
of any other shape defers to the converter. The tests compare both functions with
cattrs and ``json`` on generated records.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal, Union, get_args, get_origin

import attrs

from handoff.identity import Identity

__all__ = ["plain_function", "text_function"]

_SIMPLE = (str, int, float, bool, type(None))
_string = json.encoder.encode_basestring  # what an ensure_ascii=False encoder writes for text
_Kept = dict[int, tuple[object, str]]  # id of a tuple of records -> (the tuple, its JSON)
_kept: list[_Kept] = [{}, {}]  # the texts kept lately, and those kept before them
_MOST_TEXTS = 4096
"""Texts kept in each generation: a full one becomes the older, the older one is dropped,
so a tuple that came back lately stays kept (a journey's path and facts come back with
its next message, a few batches later in an import)."""


def _optional(kind: Any) -> Any | None:
    """``X`` for ``X | None``, else None."""
    origin, args = get_origin(kind), get_args(kind)
    if (origin is types.UnionType or origin is Union) and len(args) == 2 and type(None) in args:
        return next(arg for arg in args if arg is not type(None))
    return None


def _plain(kind: Any, value: str, names: dict[str, Any], depth: int) -> str:
    """Source turning ``value`` of type ``kind`` into plain data, as the converter would."""
    origin, args = get_origin(kind), get_args(kind)
    if kind in _SIMPLE or origin is Literal:
        return value
    if kind is datetime:
        return f"{value}.isoformat()"
    if kind is Identity:
        return f"str({value})"
    inner_kind = _optional(kind)
    if inner_kind is not None:
        inner = _plain(inner_kind, value, names, depth)
        return value if inner == value else f"(None if {value} is None else {inner})"
    item = f"x{depth}"
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        inner = _plain(args[0], item, names, depth + 1)
        return f"list({value})" if inner == item else f"[{inner} for {item} in {value}]"
    if origin is dict and len(args) == 2 and args[0] is str:
        inner = _plain(args[1], item, names, depth + 1)
        if inner == item and args[1] in _SIMPLE:
            return f"dict({value})"
        return f"{{k{depth}: {inner} for k{depth}, {item} in {value}.items()}}"
    if attrs.has(kind):
        name = f"_plain_{kind.__name__}"
        names[name] = plain_function(kind, names["_unstructure"])
        return f"{name}({value})"
    return f"_unstructure({value}, {_named(names, kind)})"


def _text(kind: Any, value: str, names: dict[str, Any], depth: int) -> str:
    """Source turning ``value`` of type ``kind`` into JSON text, as ``json`` would."""
    origin, args = get_origin(kind), get_args(kind)
    if kind is str or (origin is Literal and all(isinstance(arg, str) for arg in args)):
        return f"_string({value})"
    if kind is bool:
        return f"('true' if {value} is True else 'false' if {value} is False else _encode({value}))"
    if kind is int:
        return f"(_int_text({value}) if type({value}) is int else _encode({value}))"
    if kind is datetime:
        return f"('\"' + {value}.isoformat() + '\"')"
    if kind is Identity:
        return f"_string(str({value}))"
    inner_kind = _optional(kind)
    if inner_kind is not None:
        return f"('null' if {value} is None else {_text(inner_kind, value, names, depth)})"
    if origin is dict and len(args) == 2 and args[0] is str and args[1] is Any and "_any" in names:
        # Free-form data (a decision's): handed to the encoder whole; anything but a dict defers.
        slow = f"_encode(_unstructure({value}, {_named(names, kind)}))"
        return f"(_any({value}) if type({value}) is dict else {slow})"
    item = f"x{depth}"
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        if attrs.has(args[0]):
            return f"('[]' if not {value} else _records({value}, {_text_of(args[0], names)}))"
        inner = _text(args[0], item, names, depth + 1)
        return f"('[' + ', '.join([{inner} for {item} in {value}]) + ']')"
    if origin is dict and len(args) == 2 and args[0] is str:
        inner = _text(args[1], item, names, depth + 1)
        pairs = f"_string(k{depth}) + ': ' + {inner} for k{depth}, {item} in {value}.items()"
        return f"('{{' + ', '.join([{pairs}]) + '}}')"
    if attrs.has(kind):
        return f"{_text_of(kind, names)}({value})"
    return f"_encode(_unstructure({value}, {_named(names, kind)}))"


def _named(names: dict[str, Any], kind: Any) -> str:
    name = f"_type_{len(names)}"
    names[name] = kind
    return name


def _text_of(kind: type, names: dict[str, Any]) -> str:
    name = f"_text_{kind.__name__}"
    if name not in names:
        names[name] = text_function(kind, names["_unstructure"], names["_encode"])
    return name


def _compiled(cls: type, prefix: str, body: str, names: dict[str, Any]) -> Callable[[Any], Any]:
    source = f"def {prefix}_{cls.__name__}(o):\n    return {body}\n"
    exec(compile(source, f"<handoff flat {prefix} {cls.__name__}>", "exec"), names)
    made: Callable[[Any], Any] = names[f"{prefix}_{cls.__name__}"]
    return made


def plain_function(cls: type, unstructure: Callable[..., Any]) -> Callable[[Any], dict[str, Any]]:
    """A function giving ``cls``'s plain data; other shapes go to ``unstructure(value, type)``."""
    attrs.resolve_types(cls)
    names: dict[str, Any] = {"_unstructure": unstructure}
    items = [f"{a.name!r}: {_plain(a.type, f'o.{a.name}', names, 0)}" for a in attrs.fields(cls)]
    return _compiled(cls, "unstructure", "{" + ", ".join(items) + "}", names)


def text_function(
    cls: type,
    unstructure: Callable[..., Any],
    encode: Callable[[Any], str],
    encode_data: Callable[[Any], str] | None = None,
) -> Callable[[Any], str]:
    """A function giving ``cls``'s JSON text, as ``encode(plain data)`` would write it.

    ``encode_data``, when given, writes a ``dict[str, Any]`` field (free-form data) as
    ``encode(unstructure(value))`` would, without copying it into plain data first: the
    encoder takes what JSON knows as it is and asks for the plain data of anything else."""
    attrs.resolve_types(cls)
    names: dict[str, Any] = {
        "_unstructure": unstructure,
        "_encode": encode,
        "_string": _string,
        "_int_text": int.__repr__,  # what json writes for an int (a bool is written as one)
        "_records": _records,
    }
    if encode_data is not None:
        names["_any"] = _data_text(encode_data, unstructure, encode)
    parts: list[str] = []
    for i, a in enumerate(attrs.fields(cls)):
        key = ("{" if i == 0 else ", ") + _string(a.name) + ": "
        parts += [repr(key), _text(a.type, f"o.{a.name}", names, 0)]
    # One join: a chain of ``+`` would copy the growing text once per field.
    body = "''.join((" + ", ".join(parts) + ", '}'))" if parts else "'{}'"
    return _compiled(cls, "text", body, names)


def _data_text(
    encode_data: Callable[[Any], str], unstructure: Callable[..., Any], encode: Callable[[Any], str]
) -> Callable[[Any], str]:
    """Free-form data's JSON text: ``encode_data`` first; what it refuses (a key JSON does
    not take, an object without plain data) goes the converter's way, which says why."""

    def data_text(value: Any) -> str:
        try:
            return encode_data(value)
        except (TypeError, ValueError):
            return encode(unstructure(value, dict[str, Any]))

    return data_text


def _records(items: Sequence[Any], encode: Callable[[Any], str]) -> str:
    """The JSON of a tuple of records, kept while that very tuple comes back."""
    if not items:
        return "[]"
    key = id(items)
    recent, older = _kept
    held = recent.get(key) or older.get(key)
    if held is not None and held[0] is items:
        if key not in recent:
            _keep(key, held)
        return held[1]
    text = "[" + ", ".join([encode(item) for item in items]) + "]"
    _keep(key, (items, text))  # holding the tuple keeps its id from being reused
    return text


def _keep(key: int, held: tuple[object, str]) -> None:
    recent = _kept[0]
    if len(recent) >= _MOST_TEXTS:
        recent = {}
        _kept[:] = [recent, _kept[0]]  # one step: a thread encoding meanwhile sees either pair
    recent[key] = held
