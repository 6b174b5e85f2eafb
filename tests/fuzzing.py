"""Hypothesis helpers for fuzzing the ingestion adapters with hostile or broken payloads.

Every adapter makes the same promise about untrusted input: it returns a ``Parsed`` or
raises an ``IngestError`` that names the place in the payload, and nothing else escapes.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from handoff.channels import get as get_channel
from handoff.errors import IngestError
from handoff.identity import parse_identity
from handoff.ingest.base import Parsed


def fuzz_examples() -> int:
    """Thorough in CI, quick on a laptop."""
    return 1000 if os.environ.get("CI") else 200


def fuzz() -> settings:
    """Settings for a fuzz test: ``fuzz_examples()`` examples, no deadline."""
    return settings(
        max_examples=fuzz_examples(),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every node of a decoded JSON document, the root (``()``) first."""
    yield path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from nodes(child, (*path, key))


def keys_of(documents: Iterable[Any]) -> list[str]:
    """Every object key in ``documents``: the keys an adapter reads, so random JSON reaches deep."""
    return sorted({key for doc in documents for path in nodes(doc) for key in path if isinstance(key, str)})


def json_values(
    keys: Sequence[str] = (),
    *,
    text_size: int = 12,
    key_size: int = 6,
    dict_size: int = 4,
    max_leaves: int = 24,
) -> st.SearchStrategy[Any]:
    """Any JSON value; object keys are drawn from ``keys`` as often as made up."""
    made_up = st.text(max_size=key_size)
    names = st.sampled_from(sorted(keys)) | made_up if keys else made_up

    def containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=dict_size)

    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=text_size)
    return st.recursive(scalars, containers, max_leaves=max_leaves)


def mutated(originals: Sequence[Any], values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """One of ``originals`` with a few parts deleted, replaced by one of ``values``, or cut short."""

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        payload = copy.deepcopy(draw(st.sampled_from(originals)))
        for _ in range(draw(st.integers(1, 4))):
            paths = [path for path in nodes(payload) if path]
            if not paths:
                break
            *parents, key = draw(st.sampled_from(paths))
            parent = payload
            for step in parents:
                parent = parent[step]
            action = draw(st.sampled_from(["delete", "replace", "truncate"]))
            if action == "delete":
                del parent[key]
            elif action == "replace":
                parent[key] = draw(values)
            elif isinstance(parent[key], str | list):
                parent[key] = parent[key][: draw(st.integers(0, len(parent[key])))]
            else:
                parent[key] = str(parent[key])
        return payload

    return build()


def cut_short(bodies: Sequence[bytes]) -> st.SearchStrategy[bytes]:
    """Random bytes, or one of ``bodies`` (genuine request bodies) cut short anywhere."""
    cut = st.sampled_from(bodies).flatmap(lambda body: st.integers(0, len(body)).map(lambda n: body[:n]))
    return st.binary(max_size=200) | cut


def assert_named(error: IngestError) -> None:
    """The error says where in the payload the problem is, and what it is."""
    assert error.field.startswith("$"), error
    assert "unexpected payload shape" not in error.problem, error


def reads_or_rejects(parse: Callable[[Any], Parsed], payload: object) -> Parsed | None:
    """Parse untrusted input: a sound ``Parsed``, or None when it raised a named IngestError.

    Sound means: every error names its place, every time is UTC, and every identity
    reaches the channel of its Inbound.
    """
    try:
        parsed = parse(payload)
    except IngestError as exc:
        assert_named(exc)
        return None
    assert isinstance(parsed, Parsed)
    for error in parsed.errors:
        assert_named(error)
    for when in [inbound.at for inbound in parsed.inbounds] + [event.at for event in parsed.events]:
        assert when.utcoffset() == timedelta(0)
    for inbound in parsed.inbounds:
        assert parse_identity(str(inbound.identity)).kind in get_channel(inbound.channel).identity_kinds
    return parsed
