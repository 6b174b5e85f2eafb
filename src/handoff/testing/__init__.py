"""Helpers for testing code that uses ``handoff``, and storage backends for it.

:mod:`handoff.testing.factories` builds valid records and needs nothing but
``handoff``. :class:`StoreConformance` is the conformance kit for storage backends;
it needs pytest and hypothesis, so it is imported only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handoff.testing.conformance import StoreConformance

__all__ = ["StoreConformance"]


def __getattr__(name: str) -> Any:
    if name == "StoreConformance":
        import pytest

        # Plain asserts in the kit then report their values, as in the user's own tests.
        for module in (
            "_active",
            "_arguments",
            "_bulk_import",
            "_concurrency",
            "_conflicts",
            "_decisions",
            "_delivery",
            "_intake",
            "_metrics",
            "_privacy",
            "_records",
            "_rules",
            "_serialized",
            "_stateful",
        ):
            pytest.register_assert_rewrite(f"handoff.testing.{module}")
        from handoff.testing.conformance import StoreConformance

        return StoreConformance
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
