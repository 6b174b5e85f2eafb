"""``handoff kpis``: the KPI table of a store for a period, for people or machines.

Text is the coloured table (colour on a terminal or with ``--color always``); ``csv``
and ``json`` carry the same figures unrounded; ``--html FILE`` also writes the
self-contained dashboard page with weekly trend charts.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tomllib
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, TextIO

from handoff.errors import ValidationError
from handoff.metrics import (
    DIMENSIONS,
    FIGURES,
    BusinessCalendar,
    KpiReport,
    Target,
    Targets,
    kpis,
    kpis_with_weeks,
)
from handoff.metrics.callbacks import CALLBACK_DIMENSIONS, CallbackReport, callback_figures
from handoff.metrics.dashboard import dashboard
from handoff.metrics.report import KpiRow
from handoff.policy.schedule import zone as time_zone
from handoff.stores import open_store

__all__ = ["add_kpis_parser", "run_kpis"]

_DEFAULT_DAYS = 28


def add_kpis_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``kpis`` on the ``handoff`` command's subparsers."""
    kpi = sub.add_parser(
        "kpis",
        parents=[common],
        help="KPIs for a period: CSAT, NPS, CES, response and resolution times, FCR, handoff quality",
        description=(
            "Journeys opened from --from (inclusive) to --to (inclusive when a date), sliced --by "
            f"one or more of {', '.join(DIMENSIONS)} (comma-separated). Default: the "
            f"{_DEFAULT_DAYS} whole days up to today, by channel, in calendar time."
        ),
    )
    source = kpi.add_mutually_exclusive_group(required=True)
    source.add_argument("--db", type=Path, help="SQLite file")
    source.add_argument(
        "--store", metavar="URL", help="any store URL, e.g. postgresql://user@host/db (see open_store)"
    )
    kpi.add_argument("--from", dest="start", help="first day (YYYY-MM-DD) or an ISO date-time")
    kpi.add_argument(
        "--to", dest="end", help="last day (YYYY-MM-DD, included) or an ISO date-time (excluded)"
    )
    kpi.add_argument(
        "--by", default="channel", help="channel, path, reason, agent, queue or week; a,b to cross"
    )
    kpi.add_argument("--format", choices=("text", "csv", "json"), default="text", help="output format")
    kpi.add_argument("--html", type=Path, help="also write a self-contained dashboard page to this file")
    kpi.add_argument("--targets", type=Path, help='JSON or TOML file of targets, e.g. {"csat": 85}')
    kpi.add_argument(
        "--hours",
        action="append",
        metavar="DAYS=SPANS",
        help=(
            "business hours, e.g. mon-fri=09:00-17:00 (repeat for more days or spans); "
            "times become working time"
        ),
    )
    kpi.add_argument("--timezone", default="UTC", help="time zone of the business hours and of dates")
    kpi.add_argument("--holiday", action="append", default=[], metavar="YYYY-MM-DD", help="a day off")


def run_kpis(args: argparse.Namespace, out: TextIO, color: bool, now: datetime) -> int:
    """Compute and print the report; 2 when the SQLite file does not exist.

    Without ``--to`` the period ends with the day of ``now`` in ``--timezone``; without
    ``--from`` it is the :data:`_DEFAULT_DAYS` whole days up to its end.
    """
    if args.db is not None and not args.db.exists():
        print(f"handoff: no such database: {args.db}", file=sys.stderr)
        return 2
    calendar = _calendar(args.hours, args.timezone, args.holiday)
    zone = calendar.zone if calendar is not None else time_zone(args.timezone, "--timezone")
    today = now.astimezone(zone).date().isoformat()
    end = _moment(args.end or today, "--to", zone, end=True)
    start = _moment(args.start, "--from", zone) if args.start else _days_before(end, _DEFAULT_DAYS, zone)
    by = tuple(part.strip() for part in args.by.split(",") if part.strip())
    targets = _targets(args.targets) if args.targets else None
    with open_store(args.store if args.db is None else f"sqlite:///{args.db}") as store:
        if args.html is None:
            report = kpis(store, start, end, by=by, business_hours=calendar, targets=targets)
        else:  # the table and the weekly charts from one read of the store
            report, weekly = kpis_with_weeks(
                store, start, end, by=by, business_hours=calendar, targets=targets
            )
            _write(args.html, dashboard(report, weekly))
        calls = callback_figures(
            store, start, end, [d for d in by if d in CALLBACK_DIMENSIONS], week_zone=zone
        )
    if args.format == "csv":
        _csv(report, out)
    elif args.format == "json":
        data = _json(report)
        if calls.total.scheduled:
            data["callbacks"] = {"rows": calls.to_records(), "total": _callback_total(calls)}
        json.dump(data, out, indent=2, ensure_ascii=False)
        print(file=out)
    else:
        print(report.render("text", color=color), file=out)
        if calls.total.scheduled:
            print(f"\nCallbacks\n{calls.render()}", file=out)
    if args.html is not None and args.format == "text":
        print(f"dashboard written to {args.html}", file=out)
    if not report.total.journeys and not (args.start or args.end):
        print(
            f"handoff: no journeys were opened in the last {_DEFAULT_DAYS} days; "
            "choose the period with --from and --to",
            file=sys.stderr,
        )
    return 0


def _days_before(end: datetime, days: int, zone: tzinfo) -> datetime:
    """Local midnight ``days`` calendar days before the midnight ``end`` (across DST too)."""
    return datetime.combine(end.date() - timedelta(days=days), datetime.min.time(), tzinfo=zone)


def _write(path: Path, page: str) -> None:
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ValidationError("--html", f"cannot write {path}: {exc.strerror or exc}") from None


def _moment(text: str, flag: str, zone: tzinfo, *, end: bool = False) -> datetime:
    """A date is local midnight in ``zone`` (an end date means the midnight after it)."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1 if end else 0), datetime.min.time(), tzinfo=zone)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(flag, f"expected YYYY-MM-DD or an ISO date-time, got {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _calendar(hours: Sequence[str] | None, zone: str, holidays: Sequence[str]) -> BusinessCalendar | None:
    if not hours:
        if holidays:
            raise ValidationError("--holiday", "holidays need business hours (--hours)")
        return None
    spans: dict[str, str] = {}
    for spec in hours:
        days, sep, times = spec.partition("=")
        if not sep:
            raise ValidationError("--hours", f"expected DAYS=SPANS such as mon-fri=09:00-17:00, got {spec!r}")
        # The same days given twice (mon-fri=09:00-12:00 and mon-fri=13:00-17:00) keep both
        # spans: a second --hours adds to the first instead of replacing it.
        key = days.strip()
        spans[key] = f"{spans[key]},{times}" if key in spans else times
    days_off = []
    for text in holidays:
        try:
            days_off.append(date.fromisoformat(text))
        except ValueError:
            raise ValidationError("--holiday", f"expected YYYY-MM-DD, got {text!r}") from None
    return BusinessCalendar.weekly(zone, spans, days_off)


def _targets(path: Path) -> Targets:
    """Targets from a file: a figure's goal as a number, or ``{goal, near}``; others keep
    their defaults (and a goal keeps its figure's direction)."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except OSError as exc:
        raise ValidationError("--targets", f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError is one too
        raise ValidationError(
            "--targets", f"{path} is not valid {path.suffix[1:] or 'JSON'}: {exc}"
        ) from None
    if not isinstance(raw, dict):
        raise ValidationError("--targets", "expected a table of figure names to goals")
    defaults = Targets()
    chosen: dict[str, Target] = {}
    for name, value in raw.items():
        current = getattr(defaults, name, None) if name != "journeys" else None
        if not isinstance(current, Target):
            names = ", ".join(n for n in FIGURES if n != "journeys")
            raise ValidationError(f"--targets.{name}", f"not a figure with a target; use one of {names}")
        if isinstance(value, dict):
            goal, near = value.get("goal", current.goal), value.get("near", current.near)
        else:
            goal, near = value, current.near
        for part, number in (("goal", goal), ("near", near)):
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise ValidationError(f"--targets.{name}.{part}", f"expected a number, got {number!r}")
        chosen[name] = Target(float(goal), float(near), current.higher_is_better)
    return Targets(**chosen)


def _csv(report: KpiReport, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*report.by, *FIGURES])
    rows = report.to_records()
    if report.by:
        rows.append({**dict.fromkeys(report.by, "total"), **_figures(report.total)})
    for record in rows:
        writer.writerow(["" if value is None else value for value in record.values()])


def _json(report: KpiReport) -> dict[str, Any]:
    total = report.total
    return {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "by": list(report.by),
        "time": "business" if report.business_hours is not None else "calendar",
        "rows": report.to_records(),
        "total": {
            **_figures(total),
            "backlog": total.backlog,
            "resolved": total.resolved,
            "handoff_count": total.handoff_count,
            "repeated": total.repeated,
        },
    }


def _callback_total(calls: CallbackReport) -> dict[str, Any]:
    total = calls.total
    return {
        "scheduled": total.scheduled,
        "kept": total.kept,
        "missed": total.missed,
        "cancelled": total.cancelled,
        "open": total.open,
        "kept_rate": total.kept_rate,
    }


def _figures(row: KpiRow) -> dict[str, Any]:
    return {name: row.figure(name) for name in FIGURES}
