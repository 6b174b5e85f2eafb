"""Omnichannel support KPIs: per channel, per switch path, in business hours.

Give :func:`kpis` a store (``board.store``) or one :class:`JourneyRecords` per journey
and get a :class:`KpiReport`: records, a DataFrame, a coloured terminal table, or HTML
for a notebook with each figure judged against its :class:`Targets`; :func:`dashboard`
makes a self-contained HTML page of it with weekly trend charts. :func:`sla_breaches`
gives the share of journeys that breached each SLA target, by channel, priority, queue
or week.
"""

from handoff.metrics._tally import tally
from handoff.metrics.aggregate import DIMENSIONS, Aggregator, Counts, GroupTotals, combine
from handoff.metrics.calendar import BusinessCalendar, Opening
from handoff.metrics.callbacks import CallbackReport, CallbackRow, callback_figures
from handoff.metrics.compute import journey_records, kpis, kpis_with_weeks
from handoff.metrics.dashboard import dashboard
from handoff.metrics.formulas import (
    Durations,
    Target,
    Targets,
    ces_mean,
    ces_share_high,
    csat_percent,
    mean,
    median,
    nps,
    p90,
)
from handoff.metrics.journeys import HandoffFigures, JourneyFigures, JourneyRecords, Wait, journey_figures
from handoff.metrics.report import FIGURES, KpiReport, KpiRow
from handoff.metrics.sla import SLA_DIMENSIONS, SlaReport, SlaRow, sla_breaches

__all__ = [
    "DIMENSIONS",
    "FIGURES",
    "SLA_DIMENSIONS",
    "Aggregator",
    "BusinessCalendar",
    "CallbackReport",
    "CallbackRow",
    "Counts",
    "Durations",
    "GroupTotals",
    "HandoffFigures",
    "JourneyFigures",
    "JourneyRecords",
    "KpiReport",
    "KpiRow",
    "Opening",
    "SlaReport",
    "SlaRow",
    "Target",
    "Targets",
    "Wait",
    "callback_figures",
    "ces_mean",
    "ces_share_high",
    "combine",
    "csat_percent",
    "dashboard",
    "journey_figures",
    "journey_records",
    "kpis",
    "kpis_with_weeks",
    "mean",
    "median",
    "nps",
    "p90",
    "sla_breaches",
    "tally",
]
