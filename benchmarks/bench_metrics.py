"""The full KPI table over a synthetic year in SQLite, against the same table in pandas.

Run: ``python benchmarks/bench_metrics.py`` (200,000 journeys, about 2,000,000
interactions; ``--journeys 20000`` for a quicker run; ``--db FILE`` keeps the database
and reuses it on the next run).

1. Setup: a year of journeys written straight into the store's tables (one
   ``executemany`` per table, in batches of journeys ordered by opening time) with the
   records in the JSON shapes the library itself writes: contacts, journeys with their
   path, fact index and derived state, interactions (messages, calls, bot answers,
   transfers, resolutions, surveys) and handoffs. Going through ``receive_many`` would
   give the same rows but take many minutes for two million interactions.
2. ``handoff.metrics.kpis(store, ...)`` by channel, in business hours: the table a
   support lead opens every Monday, three times. The first report walks every
   journey's history and keeps its tally (:class:`~handoff.stores.base.MetricTallies`);
   the next reads the tallies alone; then 1% of the tallies are made stale, as if those
   journeys had moved on, and the third report walks just those. Wall times, the
   process's peak RSS growth over the three and the peak of Python allocations of a
   next report (tracemalloc, in a fourth run) are reported; the reports must agree.
   Last, with the tallies dropped again, the store's reads of a first report are timed
   alone (every history fetched and grouped by journey, nothing computed), to tell
   them from the work on the figures.
3. The same table from a pandas DataFrame of the same rows (loaded with one query per
   table, not timed), computed with vectorised group-bys; the figures are checked
   against the report's and the time ratio to a next report printed.

The targets (5 s, 500 MB) are printed beside the figures, not asserted. A ``--db`` file
written by an earlier schema is upgraded when first opened, before the clock starts
(version 3 builds the metrics index: about 7 s for two million interactions), and its
kept tallies are dropped first, so every run starts from none. With numpy installed
(``channel-handoff[fast]``) the report converts waits and sorts samples as arrays;
``--without-numpy`` measures the plain loops instead. Where a next report's time goes,
roughly: with numpy, two thirds reading the 200,000 tally rows and adding them to their
groups; without it, a quarter more each for business seconds and sorting.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from handoff.metrics import TALLY_FORM, BusinessCalendar, KpiReport, _vector, kpis
from handoff.stores import SQLiteStore

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
END = datetime(2026, 1, 1, tzinfo=timezone.utc)
HOURS = BusinessCalendar.weekly("Europe/Madrid", {"mon-fri": "08:00-20:00", "sat": "10:00-14:00"})
CHANNELS = ("email", "chat", "phone", "whatsapp", "twitter", "sms")
WEIGHTS = (30, 30, 15, 10, 10, 5)
AGENTS = tuple(f"agent{n:02d}" for n in range(40))
_BATCH = 2000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _iso(us: int) -> str:
    return (_EPOCH + timedelta(microseconds=us)).isoformat()


class _Journey:
    """One synthetic journey: its interactions, handoffs and derived state, as rows."""

    def __init__(self, rng: random.Random, n: int, contact: str, opened: int) -> None:
        self.rng, self.n, self.contact, self.opened = rng, n, contact, opened
        self.id, self.ref = f"jr_{n:07d}", f"J-{n:07d}"
        self.rows: list[tuple[Any, ...]] = []
        self.handoffs: list[tuple[Any, ...]] = []
        self.channel = rng.choices(CHANNELS, WEIGHTS)[0]
        self.path = [{"channel": self.channel, "at": _iso(opened)}]
        self.facts: list[dict[str, str]] = []
        self.t = opened
        self.resolved_at: int | None = None
        self.reopens = 0
        self.assignee: str | None = None
        self.order = f"A-{rng.randrange(10000, 99999)}"

    def _add(self, author: str, body: str, kind: str = "message", **extra: Any) -> str:
        seq = len(self.rows) + 1
        iid = f"ix_{self.n:07d}_{seq:02d}"
        data = {
            "id": iid,
            "journey_id": self.id,
            "contact_id": self.contact,
            "channel": self.channel,
            "author": author,
            "body": body,
            "at": _iso(self.t),
            "sequence": seq,
            "kind": kind,
            "external_id": f"x-{iid}" if author == "customer" else None,
            "agent": extra.get("agent"),
            "identity": None,
            "thread_refs": [],
            "metadata": extra.get("metadata", {}),
            "sensitive": False,
        }
        self.rows.append(
            (
                iid,
                self.id,
                self.contact,
                seq,
                self.channel,
                author,
                kind,
                self.t,
                data["external_id"],
                json.dumps(data),
            )
        )
        return iid

    def wait(self, mean_minutes: float) -> None:
        self.t += int(self.rng.expovariate(1 / mean_minutes) * 60e6) + 1_000_000

    def customer(self, body: str) -> str:
        if self.resolved_at is not None:
            self.resolved_at, self.reopens = None, self.reopens + 1
        return self._add("customer", body)

    def agent(self) -> None:
        self.assignee = self.assignee or self.rng.choice(AGENTS)
        self._add("agent", "Thanks, I am checking that for you.", agent=self.assignee)

    def move(self, to: str, by_agent: bool) -> None:
        before, self.channel = self.channel, to
        if by_agent:
            who = self.assignee or "agent00"
            iid = self._add(
                "agent",
                f"Transferred from {before} to {to} by {who}",
                "event",
                agent=who,
                metadata={"transfer": "1", "from_channel": before, "reason": "escalation"},
            )
        else:
            body = f"Hi again, about order {self.order}" if self.rng.random() < 0.4 else "Hi, me again"
            iid = self.customer(body)
        reason = "escalation" if by_agent else "customer_choice"
        self.path.append({"channel": to, "at": _iso(self.t)})
        hid = f"ho_{self.n:07d}_{len(self.handoffs) + 1}"
        data = {
            "id": hid,
            "journey_id": self.id,
            "interaction_id": iid,
            "from_channel": before,
            "to_channel": to,
            "initiated_by": "agent" if by_agent else "customer",
            "reason": reason,
            "at": _iso(self.t),
            "summary": {"journey_id": self.id, "reference": self.ref},
            "from_agent": None,
            "to_agent": None,
            "warm": False,
        }
        self.handoffs.append(
            (
                hid,
                self.id,
                self.contact,
                self.t,
                before,
                to,
                "agent" if by_agent else "customer",
                reason,
                json.dumps(data),
            )
        )

    def resolve(self) -> None:
        who = self.assignee or "agent00"
        self._add("agent", f"Resolved by {who}", "event", agent=who)
        self.resolved_at = self.t

    def story(self) -> None:
        rng = self.rng
        slow = self.channel in ("email", "twitter")
        first = f"My order {self.order} has not arrived" if rng.random() < 0.6 else "I need help"
        iid = self.customer(first)
        if "order" in first:
            self.facts.append(
                {
                    "kind": "order",
                    "value": self.order,
                    "text": self.order,
                    "channel": self.channel,
                    "at": _iso(self.t),
                    "interaction_id": iid,
                }
            )
        if rng.random() < 0.2:
            self.wait(0.2)
            self._add("bot", "A bot answer", agent="bot")
        for _ in range(rng.randint(2, 5)):
            self.wait(240 if slow else 20)
            self.agent()
            self.wait(60)
            self.customer("ok, thanks" if rng.random() < 0.5 else "any news?")
        if rng.random() < 0.3:
            self.wait(10)
            self.move(rng.choice([c for c in CHANNELS if c != self.channel]), rng.random() < 0.5)
            self.wait(30)
            self.agent()
        if rng.random() < 0.85:
            self.wait(120)
            self.resolve()
            if rng.random() < 0.05:
                self.wait(1440)
                self.customer("It happened again")
                self.wait(60)
                self.agent()
                self.wait(60)
                self.resolve()
            if rng.random() < 0.35:
                self.wait(30)
                csat = rng.choices((1, 2, 3, 4, 5), (5, 5, 10, 30, 50))[0]
                scores = {
                    "csat": str(csat),
                    "nps": str(min(10, csat * 2 + rng.randint(-1, 0))),
                    "ces": str(min(7, csat + rng.randint(0, 2))),
                }
                self._add("customer", "survey", "survey", metadata=scores)

    def journey_row(self) -> tuple[Any, ...]:
        data = {
            "id": self.id,
            "reference": self.ref,
            "contact_id": self.contact,
            "status": "resolved" if self.resolved_at is not None else "open",
            "current_channel": self.channel,
            "opened_at": _iso(self.opened),
            "updated_at": _iso(self.t),
            "version": len(self.rows),
            "subject": "",
            "path": self.path,
            "last_customer_at": {},
            "last_agent_at": {},
            "last_customer_channel": self.channel,
            "first_response_at": None,
            "resolved_at": None if self.resolved_at is None else _iso(self.resolved_at),
            "resolved_by": None,
            "reopen_count": self.reopens,
            "unresolved_messages": 0,
            "handoff_count": len(self.handoffs),
            "assignee": self.assignee,
            "responder": "agent",
            "facts": self.facts,
            "notes": [],
            "commitments": [],
            "surveyed": False,
        }
        return (
            self.id,
            self.contact,
            self.ref,
            data["status"],
            len(self.rows),
            self.opened,
            self.t,
            json.dumps(data),
        )


def build(path: Path, journeys: int, seed: int = 2025) -> int:
    """Write a year of ``journeys`` into a new store at ``path``; the interaction count."""
    SQLiteStore(path).close()  # the schema, as the library creates it
    rng = random.Random(seed)
    span = (END - T0) // timedelta(microseconds=1)
    start = (T0 - _EPOCH) // timedelta(microseconds=1)
    opened = sorted(start + rng.randrange(span) for _ in range(journeys))
    contacts = max(1, int(journeys * 0.7))
    count = 0
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("PRAGMA synchronous = OFF")  # setup only: nothing to lose
        conn.executemany(
            "INSERT INTO contacts (id, version, data) VALUES (?, 1, ?)",
            (
                (f"ct_{c:07d}", json.dumps({"id": f"ct_{c:07d}", "name": None, "links": []}))
                for c in range(contacts)
            ),
        )
        for low in range(0, journeys, _BATCH):
            batch = []
            for n in range(low, min(low + _BATCH, journeys)):
                journey = _Journey(rng, n, f"ct_{rng.randrange(contacts):07d}", opened[n])
                journey.story()
                batch.append(journey)
            conn.executemany(
                "INSERT INTO journeys (id, contact_id, reference, status, version, opened_at, updated_at,"
                " data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (j.journey_row() for j in batch),
            )
            rows = sorted((row for j in batch for row in j.rows), key=lambda row: row[7])
            count += len(rows)
            conn.executemany(
                "INSERT INTO interactions (id, journey_id, contact_id, sequence, channel, author, kind, at,"
                " external_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.executemany(
                "INSERT INTO handoffs (id, journey_id, contact_id, at, from_channel, to_channel,"
                " initiated_by, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (h for j in batch for h in j.handoffs),
            )
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # measure reads of the file, not of the log
    return count


def _rss_mb() -> float:
    scale = 1024 if sys.platform != "darwin" else 1024 * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


@dataclass
class Timings:
    reads: float
    """The reads of a first report alone: every history fetched and grouped, nothing computed."""
    first: float
    """The first report: every history walked, every journey's tally kept."""
    next: list[float]
    """Next reports, three in a row: every journey read from its kept tally."""
    moved: float
    """After 1% of the journeys moved on: those walked again, the rest read."""
    grown: float
    peak: float


def _report(path: Path) -> tuple[KpiReport, float]:
    with SQLiteStore(path) as store:
        began = time.perf_counter()
        report = kpis(store, T0, END, by=("channel",), business_hours=HOURS)
        return report, time.perf_counter() - began


def measure(path: Path) -> tuple[KpiReport, Timings]:
    """The report three times over (first, next, after 1% moved on), the RSS growth over all
    three and the tracemalloc peak of a next report (both MB); each report must agree."""
    SQLiteStore(path).close()  # a file of an older schema is upgraded before any clock starts
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("DELETE FROM journey_tallies")  # a reused --db starts from no tallies too
    before = _rss_mb()
    report, first = _report(path)
    following = []
    for _ in range(3):
        again, took = _report(path)
        following.append(took)
    with closing(sqlite3.connect(path)) as conn, conn:  # as if 1% had a new message since
        conn.execute("UPDATE journey_tallies SET version = version - 1 WHERE random() % 100 = 0")
    moved_on, moved = _report(path)
    grown = _rss_mb() - before
    if not report.to_records() == again.to_records() == moved_on.to_records():
        raise SystemExit("the reports made from kept tallies differ from the first")
    tracemalloc.start()
    _report(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("DELETE FROM journey_tallies")  # a first report's reads again, after the RSS figure
    with SQLiteStore(path) as store:
        began = time.perf_counter()
        for _ in store.metric_tallies(T0, END, form=TALLY_FORM):
            pass
        reads = time.perf_counter() - began
    return report, Timings(reads, first, following, moved, grown, peak / 1e6)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=200_000, help="journeys in the year")
    parser.add_argument("--db", type=Path, help="keep the database here (reused if it exists)")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas comparison")
    parser.add_argument(
        "--without-numpy", action="store_true", help="time the plain loops even with numpy installed"
    )
    args = parser.parse_args(argv)
    if args.without_numpy:  # as if channel-handoff[fast] were not installed
        _vector._numpy, _vector._looked = None, True
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "metrics.db"
        if not path.exists():
            began = time.perf_counter()
            count = build(path, args.journeys)
            print(
                f"setup: {args.journeys:,} journeys, {count:,} interactions in "
                f"{time.perf_counter() - began:.1f} s ({path.stat().st_size / 1e6:.0f} MB file)"
            )
        report, timings = measure(path)
        print(report.render("text"))
        print(
            f"\nkpis(store) by channel, business hours, {'with' if _vector.enabled() else 'without'} numpy "
            f"(target <= 5 s):\n"
            f"  first report (walks every history, keeps a tally per journey): {timings.first:.2f} s\n"
            f"    of which the store's reads alone (every history fetched and grouped, nothing "
            f"computed): {timings.reads:.2f} s\n"
            f"  next report (reads the kept tallies), three runs: "
            f"{', '.join(f'{took:.2f}' for took in timings.next)} s\n"
            f"  after 1% of journeys moved on (walks those, reads the rest): {timings.moved:.2f} s\n"
            f"peak RSS growth {timings.grown:.0f} MB, peak Python allocations of a next report "
            f"{timings.peak:.0f} MB (target <= 500 MB)"
        )
        if not args.no_pandas:
            compare_with_pandas(path, report, statistics.median(timings.next))
    return 0


# -- the same table in pandas ---------------------------------------------------------------------

_LOAD_STEPS = """SELECT i.journey_id, i.at, i.sequence, i.author, i.kind,
    CASE WHEN i.kind = 'event' THEN substr(json_extract(i.data, '$.body'), 1, 11) END AS body,
    CAST(json_extract(i.data, '$.metadata.csat') AS INTEGER) AS csat,
    CAST(json_extract(i.data, '$.metadata.nps') AS INTEGER) AS nps,
    CAST(json_extract(i.data, '$.metadata.ces') AS INTEGER) AS ces
FROM interactions i"""
_LOAD_JOURNEYS = """SELECT id AS journey_id, contact_id, opened_at,
    json_extract(data, '$.path[0].channel') AS channel FROM journeys"""
_LOAD_HANDOFFS = "SELECT journey_id FROM handoffs"
_WEEK_US = 7 * 86400 * 10**6


def compare_with_pandas(path: Path, report: KpiReport, took: float) -> None:
    """The table's figures by channel from DataFrames of the same rows; print the ratio.

    Loading the rows is not timed; the repeat rate needs fact extraction from message
    text, which does not vectorise, so it is left out of the pandas table.
    """
    try:
        import numpy as np
        import pandas as pd
    except ImportError:
        print("pandas comparison skipped: pip install pandas")
        return
    with sqlite3.connect(path) as conn:
        steps = pd.read_sql(_LOAD_STEPS, conn)
        journeys = pd.read_sql(_LOAD_JOURNEYS, conn)
        handoffs = pd.read_sql(_LOAD_HANDOFFS, conn)
    work = HOURS.worktime()
    work.seconds_between(int(steps["at"].min()) - 1, int(steps["at"].max()) + 1)  # cover the year
    opens, closes, before = (np.asarray(a, dtype=np.int64) for a in work.openings())

    def working(at: Any) -> Any:
        i = np.maximum(np.searchsorted(opens, at, side="right") - 1, 0)
        done = before[i] + np.minimum(at, closes[i]) - opens[i]
        return np.where(at >= opens[0], done, 0)

    def business(start: Any, end: Any) -> Any:
        return np.where(end > start, (working(end) - working(start)) / 1e6, 0.0)

    began = time.perf_counter()
    steps = steps.sort_values(["journey_id", "at", "sequence"], kind="stable")
    talk = steps["kind"].isin(["message", "call"])
    customer = talk & (steps["author"] == "customer")
    agent = talk & (steps["author"] == "agent")
    resolve = (steps["kind"] == "event") & steps["body"].fillna("").str.startswith("Resolved by")
    j = journeys.set_index("journey_id")
    j["first_reply"] = steps[agent].groupby("journey_id")["at"].min()
    turns = steps.loc[customer | resolve, ["journey_id", "at"]].assign(res=resolve[customer | resolve])
    previous = turns.groupby("journey_id")["res"].shift(1, fill_value=False)
    j["reopens"] = (~turns["res"] & previous).groupby(turns["journey_id"]).sum()
    last = turns.groupby("journey_id").tail(1).set_index("journey_id")
    j["resolved_at"] = last["at"].where(last["res"])
    j = j.sort_values(["contact_id", "opened_at"], kind="stable")
    j["next_contact"] = j.groupby("contact_id")["opened_at"].shift(-1)
    j["reopens"] = j["reopens"].fillna(0)
    resolved = j["resolved_at"].notna()
    back = (j["next_contact"] >= j["resolved_at"]) & (j["next_contact"] <= j["resolved_at"] + _WEEK_US)
    j["fcr"] = resolved & (j["reopens"] == 0) & ~back
    j["reopened"] = j["reopens"] > 0
    replied = j["first_reply"].notna()
    j["first_response"] = business(j["opened_at"].to_numpy(), j["first_reply"].fillna(0).to_numpy())
    j["first_response"] = j["first_response"].where(replied)
    j["resolution"] = business(j["opened_at"].to_numpy(), j["resolved_at"].fillna(0).to_numpy())
    j["resolution"] = j["resolution"].where(resolved)
    j["handoffs"] = handoffs.groupby("journey_id").size().reindex(j.index, fill_value=0)
    surveys = steps[steps["kind"] == "survey"].merge(j["channel"], left_on="journey_id", right_index=True)
    by = j.groupby("channel")
    answers = surveys.groupby("channel")
    table = pd.DataFrame(
        {
            "journeys": by.size(),
            "first_response_s": by["first_response"].median(),
            "resolution_s": by["resolution"].median(),
            "fcr": by["fcr"].mean() * 100,
            "reopen_rate": by["reopened"].mean() * 100,
            "handoffs": by["handoffs"].mean(),
            "csat": answers["csat"].apply(lambda s: (s >= 4).mean() * 100),
            "nps": answers["nps"].apply(lambda s: ((s >= 9).mean() - (s <= 6).mean()) * 100),
            "ces": answers["ces"].mean(),
        }
    )
    pandas_took = time.perf_counter() - began
    ours = {row.group[0]: row for row in report.rows}
    differ = [
        f"{channel}.{name}"
        for channel, figures in table.iterrows()
        for name, value in figures.items()
        if not math.isclose(float(ours[str(channel)].figure(str(name)) or 0), float(value), rel_tol=1e-9)
    ]
    agreement = "agree" if not differ else "differ: " + ", ".join(differ)
    print(
        f"pandas, the same table without the repeat rate, from DataFrames already loaded: "
        f"{pandas_took:.2f} s; handoff.metrics (a next report) takes {took / pandas_took:.2f}x as long; "
        f"the figures {agreement}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
