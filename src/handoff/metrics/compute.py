"""``kpis()``: the KPI report for a period, from a store or from journeys already loaded.

A store that offers :class:`~handoff.stores.capabilities.MetricsSource` (SQLite, PostgreSQL)
reduces each journey to its :class:`~handoff.stores.metric_rows.MetricTally` in the database,
so a year of history never leaves it as interactions; the tallies are folded straight
into the groups (:mod:`handoff.metrics._fold`). A report only reads, it never writes.
Any other store that can list its
journeys (:class:`~handoff.stores.capabilities.JourneyIndex`) is read journey by journey
through the ordinary :class:`~handoff.stores.base.Store` look-ups, and its models go
through :func:`~handoff.metrics.journeys.journey_figures`: the walk, the reference
every source is held to, to the last bit, by the store tests and the conformance kit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone

from handoff.errors import StoreError, ValidationError
from handoff.metrics._fold import fold
from handoff.metrics._tally import complete
from handoff.metrics.aggregate import Aggregator, GroupTotals, combine
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
from handoff.stores.base import Store
from handoff.stores.capabilities import JourneyIndex, MetricsSource
from handoff.stores.metric_rows import MetricTally
from handoff.stores.sql._metrics import period

__all__ = ["journey_records", "kpis", "kpis_with_weeks"]

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
    ``reason``, ``agent``, ``queue``, ``week``). A journey's ``queue`` is the one that
    ended up handling it: the queue of its last handoff (in time order) that the policy
    routed to one; a journey with no routed handoff falls in ``none``, as one that never
    changed hands does for ``reason``. With ``business_hours`` the headline times are
    working time and weeks are those of its time zone (else UTC). A journey counts as
    first-contact resolved only if its contact stays away ``fcr_window``. See
    :mod:`handoff.metrics.formulas` for every formula.
    """
    return _reports(source, start, end, by, business_hours, targets, fcr_window, weekly=False)[0]


def kpis_with_weeks(
    source: Store | Iterable[JourneyRecords],
    start: datetime,
    end: datetime,
    by: Sequence[str] = ("channel",),
    business_hours: BusinessCalendar | None = None,
    targets: Targets | None = None,
    *,
    fcr_window: timedelta = DEFAULT_FCR_WINDOW,
) -> tuple[KpiReport, KpiReport]:
    """The report :func:`kpis` makes, and the same period sliced ``by=("week",)`` (what
    :func:`~handoff.metrics.dashboard` charts), from one read of ``source``.

    The journeys are grouped once by ``by`` and by week; both reports are those groups
    merged, so they are exactly the two reports :func:`kpis` would make.
    """
    reports = _reports(source, start, end, by, business_hours, targets, fcr_window, weekly=True)
    return reports[0], reports[1]


def _reports(
    source: object,
    start: datetime,
    end: datetime,
    by: Sequence[str],
    business_hours: BusinessCalendar | None,
    targets: Targets | None,
    fcr_window: timedelta,
    *,
    weekly: bool,
) -> tuple[KpiReport, ...]:
    """The report by ``by``, and with ``weekly`` the one by week, from one read."""
    start, end = period(start, end)
    if targets is not None and not isinstance(targets, Targets):
        raise ValidationError("targets", f"expected Targets, got {type(targets).__name__}")
    if business_hours is not None and not isinstance(business_hours, BusinessCalendar):
        raise ValidationError(
            "business_hours", f"expected a BusinessCalendar, got {type(business_hours).__name__}"
        )
    check_fcr_window(fcr_window)
    week_zone = business_hours.zone if business_hours is not None else timezone.utc
    by = Aggregator(by, end=end, week_zone=week_zone).by  # checked before anything is read
    grouped = (*by, "week") if weekly and "week" not in by else by
    aggregator = Aggregator(grouped, end=end, week_zone=week_zone)
    if isinstance(source, MetricsSource):
        worktime = None if business_hours is None else business_hours.worktime()
        tallies = _checked(source, source.metric_tallies(start, end, agents="agent" in by))
        fold(aggregator, tallies, worktime, fcr_window // _MICROSECOND)
    else:
        for figures in _figures(source, start, end, business_hours, fcr_window):
            aggregator.add(figures)
    groups = aggregator.totals()

    def report(dimensions: tuple[str, ...], totals: list[GroupTotals]) -> KpiReport:
        return KpiReport.from_totals(
            totals, by=dimensions, start=start, end=end, business_hours=business_hours, targets=targets
        )

    if not weekly:
        return (report(by, groups),)
    week = grouped.index("week")
    main = groups if grouped == by else _regrouped(groups, lambda key: key[: len(by)])
    return report(by, main), report(("week",), _regrouped(groups, lambda key: (key[week],)))


def _regrouped(
    groups: list[GroupTotals], key_of: Callable[[tuple[str, ...]], tuple[str, ...]]
) -> list[GroupTotals]:
    """``groups`` merged by a part of their keys, in order of that part."""
    parts: dict[tuple[str, ...], list[GroupTotals]] = {}
    for group in groups:
        parts.setdefault(key_of(group.key), []).append(group)
    return [combine(parts[key], key) for key in sorted(parts)]


def _checked(source: MetricsSource, tallies: Iterable[MetricTally]) -> Iterator[MetricTally]:
    """The source's tallies, their handoffs read from their legs where it left them."""
    for item in tallies:
        if type(item) is not MetricTally:
            raise StoreError(
                f"{type(source).__name__}.metric_tallies gave a {type(item).__name__}; expected a MetricTally"
            )
        if item.legs is not None:
            item = complete(item)
        yield item


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
