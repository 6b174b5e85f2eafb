"""What every part of the conformance kit shares: capability flags and store making."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings

from handoff.models import Contact, Journey
from handoff.stores.base import Changeset, Store
from handoff.testing.factories import make_contact, make_journey


class KitBase:
    """Flags and hooks a backend's test class may override; see ``StoreConformance``."""

    supports_concurrency: ClassVar[bool] = True
    """Several threads may share one store object."""

    supports_multiprocess: ClassVar[bool] = False
    """Several processes may open the same store (via :meth:`store_url`) at once."""

    validates_input: ClassVar[bool] = True
    """Bad arguments raise ValidationError naming the field; records naming a missing
    journey or contact raise NotFound; a version that does not grow is refused."""

    state_machine_settings: ClassVar[settings] = settings(
        max_examples=40,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )

    def make_store(self, directory: Path) -> Store:
        """A new, empty store keeping any files under ``directory``.

        Override it to run everything; the default skips the tests that need it.
        """
        pytest.skip(
            f"{type(self).__name__} defines neither make_store(directory) nor a `store` fixture; "
            "the state machine needs make_store to get a fresh store per example"
        )

    def store_url(self, directory: Path) -> str:
        """A URL that :func:`handoff.stores.open_store` opens in another process."""
        pytest.skip(f"{type(self).__name__} defines no store_url(directory) for the multi-process test")

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        """The store under test: :meth:`make_store`, closed afterwards."""
        made = self.make_store(tmp_path)
        yield made
        made.close()

    def require_make_store(self) -> None:
        """Skip, saying why, when the class only has a ``store`` fixture and no make_store."""
        if type(self).make_store is KitBase.make_store:
            pytest.skip(
                f"{type(self).__name__} defines no make_store(directory); the state machine needs "
                "a fresh store for every example"
            )

    def require(self, flag: str) -> None:
        """Skip, with the reason shown, a test that needs a capability the store lacks."""
        if not getattr(self, flag):
            pytest.skip(f"{type(self).__name__} sets {flag} = False")


def seed(store: Store, *identities: str, **journey_overrides: object) -> tuple[Contact, Journey]:
    """Commit a new contact with one journey; return both as stored."""
    contact = make_contact(*identities)
    journey = make_journey(contact, **journey_overrides)
    store.commit(Changeset(contact=contact, journey=journey))
    return contact, journey
