"""The exception tree drawn in the errors module is the tree the code has."""

from __future__ import annotations

import pickle
import re

import handoff
from handoff import errors


def _drawn() -> dict[str, str]:
    """Each class in the docstring's tree with its parent, read from the indentation."""
    tree = errors.__doc__.split("::", 1)[1]  # type: ignore[union-attr]
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in tree.splitlines():
        found = re.match(r"^(\s*)(?:[│ ]*[├└]── )?(\w+)", line)
        if not found or not found.group(2)[0].isupper():
            continue
        depth = len(line) - len(line.lstrip(" │├└─"))
        name = found.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[name] = stack[-1][1] if stack else ""
        stack.append((depth, name))
    return parents


def test_the_docstring_draws_every_exception_under_its_parent() -> None:
    drawn = _drawn()
    public = set(errors.__all__)
    assert set(drawn) == public
    for name, parent in drawn.items():
        cls = getattr(errors, name)
        handoff_bases = [b.__name__ for b in cls.__bases__ if b.__module__ == "handoff.errors"]
        assert handoff_bases == ([parent] if parent else []), name


def test_every_error_is_exported_and_survives_pickling() -> None:
    assert set(errors.__all__) <= set(handoff.__all__)
    for made in (
        errors.ValidationError("field", "problem"),
        errors.NotFound("journey", "J-1"),
        errors.PolicyError([("rules[0]", "bad"), ("rules[1]", "worse")]),
    ):
        again = pickle.loads(pickle.dumps(made))
        assert type(again) is type(made) and str(again) == str(made)
