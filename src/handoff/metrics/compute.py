"""``kpis()``: the KPI report for a period, from a store or from journeys already loaded.

A store that offers :class:`~handoff.stores.base.MetricsSource` (SQLite, PostgreSQL)
streams compact rows, so a year of history never becomes models; any other store that
can list its journeys (:class:`~handoff.stores.base.JourneyIndex`) is read journey by
journey through the ordinary :class:`~handoff.stores.base.Store` look-ups. Compact rows
become one :class:`~handoff.stores.base.MetricTally` per journey, which a store with
:class:`~handoff.stores.base.MetricTallies` keeps for the next report, and tallies are
folded straight into the groups (:mod:`handoff.metrics._fold`); models go through
:func:`~handoff.metrics.journeys.journey_figures`; both apply the same per-journey rules
and share the code for handoffs and surveys, and the store tests hold every source to
the same report.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone

from handoff.errors import HandoffWarning, StoreError, ValidationError
from handoff.metrics._fold import fold
from handoff.metrics._tally import TALLY_FORM, tally
from handoff.metrics.aggregate import Aggregator
from handoff.metrics.calendar import BusinessCalendar
from handoff.metrics.formulas import Targets
from handoff.metrics.journeys import (
    DEFAULT_FCR_WINDOW,
    JourneyFigures,
    JourneyRecords,
    check_fcr_window,
    journey_figures,
)
from handoff.metrics.report import KpiReport
from handoff.stores.base import JourneyIndex, MetricJourney, MetricsSource, MetricTallies, MetricTally, Store
from handoff.stores.sql._metrics import period

__all__ = ["journey_records", "kpis", "refresh_tallies"]

_MICROSECOND = timedelta(microseconds=1)


def kpis(
    source: Store | Iterable[JourneyRecords],
    start: datetime,
    end: datetime,
    by: Sequence[str] = ("channel",),
    business_hours: BusinessCalendar | None = None,
    targets: Targets | None = None,
    *,
    fcr_window: timedelta = DEFAULT_FCR_WINDOW,
) -> KpiReport:
    """The KPI report for journeys opened from ``start`` (inclusive) to ``end`` (exclusive).

    ``source`` is a store (``board.store``) or an iterable of :class:`JourneyRecords`,
    consumed once, one journey at a time; journeys opened outside the period are
    skipped. ``by`` names the dimensions to slice by (``channel``, ``path``,
    ``reason``, ``agent``, ``week``); with ``business_hours`` the headline times are
    working time and weeks are those of its time zone (else UTC). A journey counts as
    first-contact resolved only if its contact stays away ``fcr_window``. See
    :mod:`handoff.metrics.formulas` for every formula.
    """
    start, end = period(start, end)
    if targets is not None and not isinstance(targets, Targets):
        raise ValidationError("targets", f"expected Targets, got {type(targets).__name__}")
    if business_hours is not None and not isinstance(business_hours, BusinessCalendar):
        raise ValidationError(
            "business_hours", f"expected a BusinessCalendar, got {type(business_hours).__name__}"
        )
    check_fcr_window(fcr_window)
    week_zone = business_hours.zone if business_hours is not None else timezone.utc
    aggregator = Aggregator(by, end=end, week_zone=week_zone)
    if isinstance(source, MetricsSource):
        worktime = None if business_hours is None else business_hours.worktime()
        if isinstance(source, MetricTallies):
            made: list[MetricTally] = []
            fold(aggregator, _kept_or_made(source, start, end, made), worktime, fcr_window // _MICROSECOND)
            _keep(source, made)
        else:
            tallies = map(tally, source.metric_journeys(start, end, agents="agent" in by))
            fold(aggregator, tallies, worktime, fcr_window // _MICROSECOND)
    else:
        for figures in _figures(source, start, end, business_hours, fcr_window):
            aggregator.add(figures)
    return KpiReport.from_totals(
        aggregator.totals(),
        by=aggregator.by,
        start=start,
        end=end,
        business_hours=business_hours,
        targets=targets,
    )


def refresh_tallies(store: Store | MetricTallies, start: datetime, end: datetime) -> int:
    """Make and keep the tally of every journey opened from ``start`` to ``end`` that has
    no current one; return how many were made.

    A report does this as it goes; doing it ahead of time (after a bulk import, or at
    night) makes the first report over the period read one row per journey instead of
    walking every history. Unlike a report, a store that cannot keep them is an error.
    """
    start, end = period(start, end)
    if not isinstance(store, MetricTallies):
        raise ValidationError(
            "store",
            f"{type(store).__name__} keeps no tallies; it needs the MetricTallies capability "
            "(handoff.stores.base)",
        )
    made: list[MetricTally] = []
    for _ in _kept_or_made(store, start, end, made):
        pass
    if made:
        store.keep_tallies(made, form=TALLY_FORM)
    return len(made)


def _kept_or_made(
    source: MetricTallies, start: datetime, end: datetime, made: list[MetricTally]
) -> Iterator[MetricTally]:
    """The store's current tallies, and a new one for every journey whose history moved."""
    for item in source.metric_tallies(start, end, form=TALLY_FORM):
        if isinstance(item, MetricTally):
            yield item
        elif isinstance(item, MetricJourney):
            fresh = tally(item)
            made.append(fresh)
            yield fresh
        else:
            raise StoreError(
                f"{type(source).__name__}.metric_tallies gave a {type(item).__name__}; "
                "expected a MetricTally or a MetricJourney"
            )


def _keep(source: MetricTallies, made: list[MetricTally]) -> None:
    """Keep the tallies this report made; a store that cannot write (a read-only copy,
    a replica) still gave a correct report, so that is a warning, not an error."""
    if not made:
        return
    try:
        source.keep_tallies(made, form=TALLY_FORM)
    except StoreError as exc:
        warnings.warn(
            f"the report is complete, but its {len(made)} new journey tallies could not be kept, "
            f"so the next report walks those histories again: {exc}",
            HandoffWarning,
            stacklevel=3,
        )


def _figures(
    source: object,
    start: datetime,
    end: datetime,
    calendar: BusinessCalendar | None,
    fcr_window: timedelta,
) -> Iterator[JourneyFigures]:
    if isinstance(source, Store):
        source = journey_records(source, start, end)
    elif isinstance(source, (str, bytes)) or not isinstance(source, Iterable):
        raise ValidationError(
            "source", f"expected a Store or an iterable of JourneyRecords, got {type(source).__name__}"
        )
    for i, item in enumerate(source):
        if not isinstance(item, JourneyRecords):
            raise ValidationError(f"source[{i}]", f"expected JourneyRecords, got {type(item).__name__}")
        if start <= item.journey.opened_at < end:
            yield journey_figures(item, calendar=calendar, fcr_window=fcr_window)


def journey_records(store: Store, start: datetime, end: datetime) -> Iterator[JourneyRecords]:
    """The journeys opened in the period with their history, one at a time, from any store
    that can list them; ``next_contact_at`` comes from the contact's next journey."""
    if not isinstance(store, Store):
        raise ValidationError("store", f"expected a Store, got {type(store).__name__}")
    if not isinstance(store, JourneyIndex):
        raise ValidationError(
            "store",
            f"{type(store).__name__} cannot list the journeys of a period; give it the JourneyIndex "
            "capability (handoff.stores.base) or pass an iterable of JourneyRecords",
        )
    for journey in store.journeys_opened(start, end):
        later = store.journeys_of(journey.contact_id)
        mine = next((i for i, other in enumerate(later) if other.id == journey.id), len(later))
        following = later[mine + 1] if mine + 1 < len(later) else None
        yield JourneyRecords(
            journey,
            store.interactions(journey.id),
            store.handoffs(journey.id),
            None if following is None else following.opened_at,
        )
