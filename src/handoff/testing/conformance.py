"""The storage conformance kit: every promise of :class:`~handoff.stores.Store`, as tests.

A backend author combines :class:`StoreConformance` with a way to make the store::

    from handoff.testing import StoreConformance

    class TestMyStore(StoreConformance):
        def make_store(self, directory):
            return MyStore(directory / "data")

That runs everything. A class that only has a ``store`` fixture also works; the
state machine, which needs a fresh store per example, then skips and says why::

    class TestMyStore(StoreConformance):
        @pytest.fixture
        def store(self, tmp_path):
            return MyStore(tmp_path / "x")
"""

from __future__ import annotations

from handoff.testing._active import ActiveJourneyConformance
from handoff.testing._arguments import ArgumentConformance
from handoff.testing._bulk_import import BulkImportConformance
from handoff.testing._callbacks import CallbackConformance
from handoff.testing._concurrency import ConcurrencyConformance
from handoff.testing._conflicts import ConflictConformance
from handoff.testing._decisions import DecisionConformance
from handoff.testing._delivery import DeliveryConformance
from handoff.testing._intake import IntakeConformance
from handoff.testing._metrics import MetricsConformance
from handoff.testing._privacy import PrivacyConformance
from handoff.testing._records import RecordConformance
from handoff.testing._rules import RuleConformance
from handoff.testing._serialized import SerializedWritesConformance
from handoff.testing._stateful import StatefulConformance, StoreMachine

__all__ = ["StoreConformance", "StoreMachine"]


class StoreConformance(
    RecordConformance,
    RuleConformance,
    ConflictConformance,
    ArgumentConformance,
    ConcurrencyConformance,
    PrivacyConformance,
    BulkImportConformance,
    DecisionConformance,
    DeliveryConformance,
    IntakeConformance,
    SerializedWritesConformance,
    ActiveJourneyConformance,
    MetricsConformance,
    CallbackConformance,
    StatefulConformance,
):
    """Mix into a ``Test...`` class; override ``make_store`` or the ``store`` fixture.

    Hooks:

    * ``make_store(self, directory) -> Store``: a new, empty store; the default
      ``store`` fixture calls it (and closes the store afterwards).
    * ``store_url(self, directory) -> str``: a URL that ``open_store`` opens in other
      processes; needed only with ``supports_multiprocess = True``.

    Capability flags (class attributes); a test needing one the store lacks is
    skipped with the reason shown, never passed silently:

    * ``supports_concurrency = True``: one store object is shared by threads.
    * ``supports_multiprocess = False``: several processes open the same store.
    * ``validates_input = True``: bad arguments raise ValidationError naming the
      field; records naming a missing journey or contact raise NotFound; a contact
      or journey whose version does not grow raises ValidationError.

    Optional capabilities are read from the store itself: a store that is not a
    :class:`~handoff.stores.capabilities.BulkImport` has its ``commit_many`` tests skipped, visibly,
    and likewise one that is not :class:`~handoff.stores.capabilities.IntakeReads` its ``load_intake`` tests,
    and one that is not :class:`~handoff.stores.capabilities.CallbackBook` its callback tests.

    ``state_machine_settings`` (hypothesis ``settings``) sizes the stateful test.
    """
