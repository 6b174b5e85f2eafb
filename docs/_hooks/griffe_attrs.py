"""A griffe extension: attrs classes documented as their users write them.

Static analysis sees an attrs class as its source: attributes assigned
``field(validator=..., converter=...)`` and no ``__init__`` (attrs writes it at import
time). This extension gives each ``@define``/``@frozen``/``@mutable`` class the
``__init__`` attrs makes — the fields in order, their defaults, keyword-only where the
class or the field says so, nothing for ``init=False`` — and shows each field's default
as its value, so the reference never prints how a field is checked or converted.
"""

from __future__ import annotations

from typing import Any

from griffe import (
    Attribute,
    Class,
    Expr,
    ExprCall,
    ExprKeyword,
    ExprName,
    Extension,
    Function,
    Module,
    Object,
    Parameter,
    ParameterKind,
    Parameters,
)

_DECORATORS = {
    f"{module}.{name}" for module in ("attrs", "attr") for name in ("define", "frozen", "mutable", "s")
}
_FIELDS = {"attrs.field", "attr.field", "attr.ib", "attrs.Factory", "attr.Factory"}
_EMPTY = {"dict": "{}", "list": "[]", "tuple": "()"}


def _attrs_decorator(cls: Class) -> Expr | str | None:
    for decorator in cls.decorators:
        value = decorator.value
        called = value.function if isinstance(value, ExprCall) else value
        path = getattr(called, "canonical_path", "")
        if path in _DECORATORS:
            return value
    return None


def _keywords(call: Expr | str | None) -> dict[str, Any]:
    if not isinstance(call, ExprCall):
        return {}
    return {arg.name: arg.value for arg in call.arguments if isinstance(arg, ExprKeyword)}


def _field_call(attribute: Attribute) -> ExprCall | None:
    value = attribute.value
    if isinstance(value, ExprCall) and value.function.canonical_path in _FIELDS:
        return value
    return None


def _default(attribute: Attribute) -> tuple[bool, Any]:
    """Whether the field has a default, and the default as a user would write it."""
    call = _field_call(attribute)
    if call is None:
        return attribute.value is not None, attribute.value
    options = _keywords(call)
    if "default" in options:
        default = options["default"]
        if isinstance(default, ExprCall) and default.function.canonical_path in _FIELDS:  # Factory(...)
            return True, _made_by(default.arguments[0])
        return True, default
    if "factory" in options:
        return True, _made_by(options["factory"])
    return False, None


def _made_by(factory: Any) -> Any:
    name = str(factory)
    return _EMPTY.get(name) or ExprCall(function=ExprName(name), arguments=[])


def _fields(cls: Class) -> list[tuple[Attribute, dict[str, Any]]]:
    found = []
    for member in cls.members.values():
        if member.is_alias or not isinstance(member, Attribute) or member.annotation is None:
            continue
        if "instance-attribute" not in member.labels or "property" in member.labels:
            continue  # a ClassVar, or a property
        call = _field_call(member)
        found.append((member, _keywords(call)))
    return found


def _parameters(cls: Class) -> list[Parameter]:
    """The ``__init__`` parameters the fields of ``cls`` itself make (their defaults shown)."""
    options = _keywords(_attrs_decorator(cls))
    class_kw_only = str(options.get("kw_only", "False")) == "True"
    parameters = []
    for attribute, field_options in _fields(cls):
        has_default, default = _default(attribute)
        attribute.value = default if has_default else None
        if str(field_options.get("init", "True")) == "False":
            continue
        keyword_only = class_kw_only or str(field_options.get("kw_only", "False")) == "True"
        name = str(field_options.get("alias", "")).strip("'\"") or attribute.name.lstrip("_")
        parameters.append(
            Parameter(
                name,
                annotation=attribute.annotation,
                kind=ParameterKind.keyword_only if keyword_only else ParameterKind.positional_or_keyword,
                default=default if has_default else None,
                docstring=attribute.docstring,
            )
        )
    return parameters


def _document(cls: Class, made: dict[str, list[Parameter]]) -> None:
    """Give ``cls`` the ``__init__`` attrs writes: inherited fields first, positional
    parameters before keyword-only ones, as ``inspect.signature`` shows it."""
    decorator = _attrs_decorator(cls)
    if decorator is None or "__init__" in cls.members:
        return
    if str(_keywords(decorator).get("init", "True")) == "False":
        return
    try:
        bases = [base for base in reversed(cls.mro()) if _attrs_decorator(base) is not None]
    except ValueError:
        bases = []
    collected: dict[str, Parameter] = {}
    for owner in [*bases, cls]:
        if owner.path not in made:
            made[owner.path] = _parameters(owner)
        for parameter in made[owner.path]:
            collected.pop(parameter.name, None)  # a field defined again moves to the end
            collected[parameter.name] = parameter
    ordered = sorted(collected.values(), key=lambda p: p.kind is ParameterKind.keyword_only)
    self = Parameter("self", kind=ParameterKind.positional_or_keyword)
    cls.set_member(
        "__init__",
        Function("__init__", parent=cls, parameters=Parameters(self, *ordered), returns="None"),
    )


def _walk(obj: Object, seen: set[str], made: dict[str, list[Parameter]]) -> None:
    if obj.path in seen:
        return
    seen.add(obj.path)
    if isinstance(obj, Class):
        _document(obj, made)
    for member in obj.members.values():
        if not member.is_alias and isinstance(member, (Module, Class)):
            _walk(member, seen, made)


class AttrsClasses(Extension):
    """Give attrs classes their ``__init__`` and show their fields' defaults."""

    def on_package(self, *, pkg: Module, **kwargs: Any) -> None:
        _walk(pkg, set(), {})
