"""Rules: a name, the events it listens to, and a callable that explains itself.

A :class:`DeclarativeRule` is data (``when`` a condition holds, run ``actions``) and is
what policy files contain. A Python rule is a small callable class with the same shape;
registering its class under a kind name lets a policy holding it be written out and
loaded back like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs
from attrs import define, field

from handoff.errors import ValidationError
from handoff.policy.actions import Action, Outputs
from handoff.policy.conditions import Condition, Explainer, Test, compile_explainer
from handoff.policy.facts import Facts
from handoff.policy.situation import RuleResult

__all__ = ["DeclarativeRule", "Rule", "python_rule_kinds", "register_rule", "rule_kind_of"]


@runtime_checkable
class Rule(Protocol):
    """Anything with a ``name``, the ``events`` it listens to, and ``rule(facts) -> RuleResult``.

    Read the situation through ``facts["customer.idle"]`` (or ``facts.situation``): what
    is read through ``facts`` is logged in the decision.
    """

    @property
    def name(self) -> str: ...

    @property
    def events(self) -> frozenset[str]: ...

    def __call__(self, facts: Facts) -> RuleResult: ...


_Apply = Callable[[Facts, str, Outputs], None]


def _events(names: Iterable[str]) -> frozenset[str]:
    return frozenset(names)


def _actions(actions: Iterable[Action]) -> tuple[Action, ...]:
    return tuple(actions)


@define(frozen=True)
class DeclarativeRule:
    """``on`` these events, ``when`` the condition holds, run the ``actions``.

    Each action may carry its own ``when``, for a choice inside one rule.
    """

    name: str
    events: frozenset[str] = field(converter=_events)
    actions: tuple[Action, ...] = field(converter=_actions)
    when: Condition | None = None
    description: str = ""
    _why: Explainer | None = field(init=False, eq=False, repr=False)
    _steps: tuple[tuple[Test | None, _Apply], ...] = field(init=False, eq=False, repr=False)
    _run: Callable[[Facts], tuple[bool, str, Outputs | None]] = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_why", None if self.when is None else compile_explainer(self.when))
        object.__setattr__(self, "_steps", tuple((action._test, action.apply) for action in self.actions))
        object.__setattr__(self, "_run", self._make_run())

    def __call__(self, facts: Facts) -> RuleResult:
        matched, reason, out = self.evaluate(facts)
        if out is None:
            return RuleResult(matched, reason)
        return RuleResult(
            matched,
            reason,
            tuple(out.notify),
            out.summary,
            tuple(out.suggestions),
            tuple(out.suppress),
            out.priority,
        )

    def evaluate(self, facts: Facts) -> tuple[bool, str, Outputs | None]:
        """Whether the rule matched, why, and what its actions produced (None when nothing ran).

        The engine calls this rather than ``rule(facts)``: it skips building a
        :class:`RuleResult` for the many rules that do not match.
        """
        return self._run(facts)

    def _make_run(self) -> Callable[[Facts], tuple[bool, str, Outputs | None]]:
        """:meth:`evaluate` as a closure over the rule's parts, for the engine's loop."""
        why, name, steps = self._why, self.name, self._steps
        always = self.description or "applies to every such event"

        def run(facts: Facts) -> tuple[bool, str, Outputs | None]:
            if why is None:
                reason = always
            else:
                matched, reason = why(facts)
                if not matched:
                    return False, reason, None
            out = Outputs()
            for test, apply in steps:
                if test is None or test(facts):
                    apply(facts, name, out)
            return True, reason, out

        return run


_KINDS: dict[str, type[Any]] = {}


def register_rule(kind: str, cls: type[Any]) -> type[Any]:
    """Let policies holding rules of ``cls`` be written out and loaded back as ``kind``.

    ``cls`` is an attrs class with a ``name`` field whose other fields (its ``params``)
    are plain TOML values: text, numbers, booleans and lists (use ``converter=tuple``
    for list fields so that a loaded rule equals the original).
    """
    if not isinstance(kind, str) or not kind.isidentifier():
        raise ValidationError("kind", f"expected a plain name, got {kind!r}")
    if not attrs.has(cls) or "name" not in attrs.fields_dict(cls):
        raise ValidationError(
            "cls", f"{getattr(cls, '__name__', cls)!r} is not an attrs class with a name field"
        )
    known = _KINDS.get(kind)
    if known is not None and known is not cls:
        raise ValidationError("kind", f"{kind!r} is already registered for {known.__name__}")
    _KINDS[kind] = cls
    return cls


def python_rule_kinds() -> Mapping[str, type[Any]]:
    """The registered Python rule kinds."""
    return dict(_KINDS)


def rule_kind_of(rule: object) -> str | None:
    """The kind name ``rule``'s class is registered under, if any."""
    return next((kind for kind, cls in _KINDS.items() if type(rule) is cls), None)
