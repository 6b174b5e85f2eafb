"""The full KPI table over a synthetic year in SQLite, against plain SQL and pandas.

Run: ``python benchmarks/bench_metrics.py`` (200,000 journeys, about 2,000,000
interactions; ``--journeys 20000`` for a quicker run; ``--db FILE`` keeps the database
and reuses it on the next run).

1. Setup: a year of journeys written straight into the store's tables (one
   ``executemany`` per table, in batches of journeys ordered by opening time) with the
   records in the JSON shapes the library itself writes: contacts, journeys with their
   path, fact index and derived state, interactions (messages, calls, bot answers,
   transfers, resolutions, surveys) and handoffs. Going through ``receive_many`` would
   give the same rows but take many minutes for two million interactions.
2. The anchor: one plain SQLite query for the headline figures (journeys, median first
   response and median resolution per channel, in calendar time), grouped per journey
   over the same index and with window functions for the medians, as an analyst would
   write it. With ``--floor``, also the floor: one ``GROUP BY journey_id`` over the same
   index reading every column the figures need (survey answers included) and computing
   nothing, the least any report that reads the history can cost; and the floor of the
   problem: that, the other reads every report needs (the period's journeys with the
   contact's next journey, the customer's texts after a handoff, each handoff's first
   reply on its new channel, the fact index of a journey whose customer said a fact
   after a handoff) and the Python no SQL can do (the facts of those texts, the
   duration samples turned into business seconds and sorted), which says what ratio is
   reachable at all.
3. ``handoff.metrics.kpis(store, ...)`` by channel, in business hours: the table a
   support lead opens every Monday, each run in a fresh process, so nothing of an
   earlier run is cached in Python (a report keeps nothing in the database either:
   each reads the history). The anchor and the report take turns, three times each;
   their wall and CPU times, the ratio of their medians (target <= 1.5) and each
   process's peak RSS (target <= 200 MB for a report) are printed, and the reports'
   figures are checked against the anchor's.
4. The same table from a pandas DataFrame of the same rows (loaded with one query per
   table, not timed), computed with vectorised group-bys; the figures are checked
   against the report's and the time ratio to the report printed.

Targets are printed beside the figures, not asserted. A ``--db`` file written by an
earlier schema is upgraded when first opened, before any clock starts. With numpy
installed (``channel-handoff[fast]``) the report converts waits and sorts samples as arrays;
``--without-numpy`` measures the plain loops instead.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from handoff.facts import extract_facts
from handoff.metrics import BusinessCalendar, KpiReport, _vector, kpis
from handoff.metrics.formulas import SortedSamples
from handoff.metrics.journeys import RESTATABLE_KINDS
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


HEADLINE = """WITH per_journey AS MATERIALIZED (
  SELECT json_extract(j.data, '$.path[0].channel') AS channel, j.opened_at,
    (SELECT min(i.at) FROM interactions i INDEXED BY interactions_for_metrics
      WHERE i.journey_id = j.id AND i.author = 'agent' AND i.kind IN ('message', 'call')) AS first_reply,
    (SELECT max(i.at) FROM interactions i INDEXED BY interactions_for_metrics
      WHERE i.journey_id = j.id AND i.kind = 'event' AND i.event_head = 'Resolved by') AS resolved
  FROM journeys j WHERE j.opened_at >= :start AND j.opened_at < :end
),
waits AS (
  SELECT channel, 'first_response' AS measure, (first_reply - opened_at) / 1e6 AS seconds
  FROM per_journey WHERE first_reply IS NOT NULL
  UNION ALL
  SELECT channel, 'resolution', (resolved - opened_at) / 1e6 FROM per_journey WHERE resolved IS NOT NULL
  UNION ALL
  SELECT channel, 'journeys', 0 FROM per_journey
),
ranked AS (
  SELECT channel, measure, seconds,
    row_number() OVER (PARTITION BY channel, measure ORDER BY seconds) AS k,
    count(*) OVER (PARTITION BY channel, measure) AS n
  FROM waits
)
SELECT channel, measure, max(n), avg(seconds) FROM ranked
WHERE k IN ((n + 1) / 2, (n + 2) / 2) GROUP BY channel, measure ORDER BY channel, measure"""
"""The anchor: journeys, and the median first response and resolution per channel."""
FLOOR = """SELECT i.journey_id, count(*), min(i.at), max(i.at), max(i.sequence), max(i.author), max(i.kind),
    max(i.channel), max(i.event_head), max(i.reply_agent), max(i.survey_answers)
FROM interactions i INDEXED BY interactions_for_metrics GROUP BY i.journey_id"""
"""The floor (``--floor``): the cheapest single pass that reads every column of every
interaction the figures need (each survey's id and answers included), from the index
alone, one row per journey, with nothing computed. No report that reads the history can be cheaper."""
JOURNEYS = """SELECT j.id, j.opened_at, j.metric_fields,
    (SELECT n.opened_at FROM journeys n WHERE n.contact_id = j.contact_id
        AND (n.opened_at, n.rowid) > (j.opened_at, j.rowid) ORDER BY n.opened_at, n.rowid LIMIT 1)
FROM journeys j INDEXED BY journeys_for_metrics WHERE j.opened_at >= :start AND j.opened_at < :end"""
"""What every report reads of the period's journeys (``--floor``): their own fields (entry
and current channel, resolution, reopens, assignee) and when the contact came back,
which first-contact resolution needs."""
TEXTS = """SELECT f.jid, x.channel, json_extract(x.data, '$.body')
FROM (SELECT h.journey_id AS jid, min(coalesce(a.at, h.at)) AS first
    FROM handoffs h INDEXED BY handoffs_for_metrics LEFT JOIN interactions a ON a.id = h.anchor_id
    GROUP BY h.journey_id) f
JOIN interactions x INDEXED BY interactions_for_metrics ON x.journey_id = f.jid AND x.at >= f.first
WHERE x.author = 'customer' AND x.kind IN ('message', 'call')"""
"""What the repeat rate must read facts from (``--floor``): the customer's messages from
each journey's earliest handoff on, for every journey with a handoff."""
REPLIES = """SELECT h.journey_id, h.at,
    (SELECT min(x.at) FROM interactions x INDEXED BY interactions_for_metrics
        WHERE x.journey_id = h.journey_id AND x.at >= coalesce(a.at, h.at) AND x.author = 'agent'
            AND x.kind IN ('message', 'call') AND x.channel = h.to_channel)
FROM handoffs h INDEXED BY handoffs_for_metrics LEFT JOIN interactions a ON a.id = h.anchor_id"""
"""What the handoffs' response times need (``--floor``): each handoff with the first agent
reply on its new channel from its key (the instant of the interaction it was anchored to,
else its own)."""
FACT_INDEX = "SELECT json_extract(data, '$.facts') FROM journeys WHERE id = ?"
"""A journey's fact index (``--floor``), read for a journey whose customer said something
after a handoff that the index may already hold."""
_ROUNDS = 3


def _problem(path: Path) -> dict[str, Any]:
    """What a report must do besides the history's pass: read the period's journeys
    (their fields and the contact's next journey), the customer's texts after a
    handoff, each handoff's first reply on its new channel, and the fact index of the
    journeys whose customer said a fact after a handoff that it may hold, each read
    timed alone; and the Python no SQL can do, timed alone on rows fetched untimed:
    reading the facts of those texts (each distinct text and channel once, as a report
    remembers them), the cheapest pass over one row per journey, and turning as many
    duration samples as the report has into seconds and sorting them."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA cache_size = -4096")  # as the report reads: every page once
        rows = conn.execute(FLOOR).fetchall()
        cpu = time.process_time()
        journeys = conn.execute(JOURNEYS, {"start": _micros(T0), "end": _micros(END)}).fetchall()
        journeys_cpu = time.process_time() - cpu
        cpu = time.process_time()
        texts = conn.execute(TEXTS).fetchall()
        texts_cpu = time.process_time() - cpu
        cpu = time.process_time()
        replies = conn.execute(REPLIES).fetchall()
        replies_cpu = time.process_time() - cpu
        distinct = list(dict.fromkeys((body or "", channel) for _, channel, body in texts))
        cpu = time.process_time()
        found = 0
        restating: set[tuple[str, str]] = set()
        for body, channel in distinct:
            facts = extract_facts(body, channel=channel, at=T0, interaction_id="x")
            found += len(facts)
            if any(fact.kind in RESTATABLE_KINDS for fact in facts):
                restating.add((body, channel))
        extracted = time.process_time() - cpu
        # Only a journey whose customer said a restatable fact after a handoff needs its index.
        looked_up = sorted({jid for jid, channel, body in texts if (body or "", channel) in restating})
        cpu = time.process_time()
        for jid in looked_up:
            conn.execute(FACT_INDEX, (jid,)).fetchone()
        index_cpu = time.process_time() - cpu
    cpu = time.process_time()
    total = 0
    for row in rows:  # the least a report can do with each journey's row: add a few ints
        total += row[1] + row[2] + row[3]
    reduced = time.process_time() - cpu
    # The report's own sample counts (read untimed, after everything timed above).
    with SQLiteStore(path) as store:
        report = kpis(store, T0, END, by=("channel",), business_hours=HOURS)
    measures = {name: durations.count for name, durations in report.total.times.items()}
    samples, converted = _samples(rows, measures)
    return {
        "journeys": len(rows),
        "texts": len(texts),
        "distinct": len(distinct),
        "facts": found,
        "reduce_cpu": reduced,
        "extract_cpu": extracted,
        "read_journeys_cpu": journeys_cpu,
        "read_texts_cpu": texts_cpu,
        "period_journeys": len(journeys),
        "handoffs": len(replies),
        "read_replies_cpu": replies_cpu,
        "indexes": len(looked_up),
        "read_index_cpu": index_cpu,
        "samples": samples,
        "convert_cpu": converted,
    }


_SHARED = {"first_response": "response", "first_resolution": "resolution"}
"""Measures whose samples are mostly those of another's (a first reply usually ends the
first wait; most journeys are resolved once): the floor converts them only once."""


def _samples(rows: list[tuple[Any, ...]], measures: dict[str, int]) -> tuple[int, float]:
    """Time what every report does with its duration samples, whatever its design: each
    (start, end) pair turned into calendar and business seconds, and each measure's
    samples sorted for its quantiles. As many samples per measure as the report's own
    (``measures``), their spans taken from the journeys' first and last interactions
    in turn (building them is not timed); a measure whose samples are mostly another's
    is sorted but not converted again, so that this stays a floor."""
    spans = array("q")
    for row in rows:
        spans.extend((row[2], row[3]))
    worktime = HOURS.worktime()
    converted: dict[str, tuple[array[float], array[float]]] = {}
    spent = 0.0
    for name, count in sorted(measures.items(), key=lambda item: item[0] in _SHARED):
        pairs = (spans * (count // len(rows) + 1))[: 2 * count]
        cpu = time.process_time()
        if name in _SHARED:
            calendar, business = (part[:count] for part in converted[_SHARED[name]])
        else:
            fast = _vector.calendar_seconds(pairs)
            calendar = fast if fast is not None else array("d", _spans(pairs))
            business = worktime.seconds_between_pairs(pairs)
            converted[name] = (calendar, business)
        SortedSamples.of(calendar)
        SortedSamples.of(business)
        spent += time.process_time() - cpu
    return sum(measures.values()), spent


def _spans(pairs: array[int]) -> Iterator[float]:
    return ((end - start) / 1e6 for start, end in zip(pairs[::2], pairs[1::2], strict=True))


def _child(what: str, path: Path) -> None:
    """One cold run in this fresh process; prints its wall and CPU time, peak RSS and figures as JSON."""
    began, cpu = time.perf_counter(), time.process_time()
    if what == "problem":
        print(json.dumps(_problem(path)))
        return
    if what == "floor":
        with closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA cache_size = -4096")  # as the report reads: every page once
            journeys = sum(1 for _ in conn.execute(FLOOR))
        figures: dict[str, Any] = {"journeys": journeys}
    elif what == "headline":
        with closing(sqlite3.connect(path)) as conn:
            bounds = {"start": _micros(T0), "end": _micros(END)}
            rows = conn.execute(HEADLINE, bounds).fetchall()
        figures = {
            f"{channel}.{measure}": (n if measure == "journeys" else median)
            for channel, measure, n, median in rows
        }
    else:
        with SQLiteStore(path) as store:
            report = kpis(store, T0, END, by=("channel",), business_hours=HOURS)
        figures = {}
        for row in report.rows:
            channel = row.group[0]
            figures[f"{channel}.journeys"] = row.journeys
            figures[f"{channel}.first_response"] = row.times["first_response"].median
            figures[f"{channel}.resolution"] = row.times["resolution"].median
    took, used = time.perf_counter() - began, time.process_time() - cpu
    print(json.dumps({"seconds": took, "cpu": used, "rss_mb": _rss_mb(), "figures": figures}))


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _cold(what: str, path: Path, without_numpy: bool) -> dict[str, Any]:
    """``what`` run in a fresh process, the file's log checkpointed first."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    command = [
        sys.executable,
        __file__,
        "--db",
        str(path),
        "--child",
        what,
    ]
    if without_numpy:
        command.append("--without-numpy")
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _seconds(runs: list[dict[str, Any]], measure: str = "seconds") -> str:
    return ", ".join(f"{run[measure]:.2f}" for run in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=200_000, help="journeys in the year")
    parser.add_argument("--db", type=Path, help="keep the database here (reused if it exists)")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas comparison")
    parser.add_argument(
        "--without-numpy", action="store_true", help="time the plain loops even with numpy installed"
    )
    parser.add_argument(
        "--floor", action="store_true", help="also time the cheapest single pass over the history"
    )
    parser.add_argument("--child", choices=("headline", "floor", "problem", "report"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.without_numpy:  # as if channel-handoff[fast] were not installed
        _vector._numpy, _vector._looked = None, True
    if args.child:
        _child(args.child, args.db)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "metrics.db"
        if not path.exists():
            began = time.perf_counter()
            count = build(path, args.journeys)
            print(
                f"setup: {args.journeys:,} journeys, {count:,} interactions in "
                f"{time.perf_counter() - began:.1f} s ({path.stat().st_size / 1e6:.0f} MB file)"
            )
        SQLiteStore(path).close()  # a file of an older schema is upgraded before any clock starts
        runs: dict[str, list[dict[str, Any]]] = {"headline": [], "report": []}
        if args.floor:
            runs["floor"] = []
            runs["problem"] = []
        for _ in range(_ROUNDS):
            for what in runs:
                runs[what].append(_cold(what, path, args.without_numpy))
        anchor = statistics.median(run["seconds"] for run in runs["headline"])
        cold = statistics.median(run["seconds"] for run in runs["report"])
        cpu = {
            what: statistics.median(run["cpu"] for run in done)
            for what, done in runs.items()
            if what != "problem"
        }
        theirs = runs["headline"][0]["figures"]
        differ = [
            f"report: {name}"
            for run in runs["report"]
            for name, value in theirs.items()
            if not math.isclose(run["figures"].get(name) or 0, value or 0, rel_tol=1e-9)
        ]
        with SQLiteStore(path) as store:
            report = kpis(store, T0, END, by=("channel",), business_hours=HOURS)
        print(report.render("text"))
        print(
            f"\nkpis(store) by channel, business hours, {'with' if _vector.enabled() else 'without'} numpy, "
            f"cold (a fresh process each time):\n"
            f"  plain SQL, the headline figures (the anchor): "
            f"{_seconds(runs['headline'])} s\n"
            f"  the report: {_seconds(runs['report'])} s\n"
            f"  report / plain SQL, medians: {cold:.2f} / {anchor:.2f} = {cold / anchor:.2f}x "
            f"(target <= 1.5x, and <= 5 s)\n"
            f"  CPU time (less swayed than wall time by other work on the machine): plain SQL "
            f"{_seconds(runs['headline'], 'cpu')} s, report {_seconds(runs['report'], 'cpu')} s;\n"
            f"    medians over plain SQL: {cpu['report'] / cpu['headline']:.2f}x\n"
            f"  peak RSS of a report: {max(run['rss_mb'] for run in runs['report']):.0f} MB "
            f"(target <= 200 MB); of the plain SQL: {max(run['rss_mb'] for run in runs['headline']):.0f} MB\n"
            f"  the reports' journeys and calendar medians "
            f"{'agree with the plain SQL' if not differ else 'differ: ' + ', '.join(differ)}"
        )
        if args.floor:
            floor = statistics.median(run["seconds"] for run in runs["floor"])
            print(
                f"  the floor, one pass over the history computing nothing: {_seconds(runs['floor'])} s, "
                f"CPU {_seconds(runs['floor'], 'cpu')} s;\n"
                f"    medians over plain SQL: wall {floor / anchor:.2f}x, "
                f"CPU {cpu['floor'] / cpu['headline']:.2f}x; the report over the floor: "
                f"wall {cold / floor:.2f}x, CPU {cpu['report'] / cpu['floor']:.2f}x"
            )
            problem = runs["problem"]
            extract = statistics.median(run["extract_cpu"] for run in problem)
            reduce = statistics.median(run["reduce_cpu"] for run in problem)
            journeys = statistics.median(run["read_journeys_cpu"] for run in problem)
            texts = statistics.median(run["read_texts_cpu"] for run in problem)
            replies = statistics.median(run["read_replies_cpu"] for run in problem)
            indexes = statistics.median(run["read_index_cpu"] for run in problem)
            convert = statistics.median(run["convert_cpu"] for run in problem)
            least = cpu["floor"] + journeys + texts + replies + indexes + extract + reduce + convert
            print(
                f"  the floor of the problem: the SQL floor (CPU {cpu['floor']:.2f} s) "
                f"+ the other reads + the Python no SQL can do:\n"
                f"    the period's {problem[0]['period_journeys']:,} journeys with their fields and the "
                f"contact's next journey: CPU {_seconds(problem, 'read_journeys_cpu')} s;\n"
                f"    the customer's texts after a handoff: CPU {_seconds(problem, 'read_texts_cpu')} s;\n"
                f"    each handoff's first reply on its new channel ({problem[0]['handoffs']:,} handoffs): "
                f"CPU {_seconds(problem, 'read_replies_cpu')} s;\n"
                f"    the fact index of the {problem[0]['indexes']:,} journeys whose customer said a "
                f"restatable fact after a handoff: CPU {_seconds(problem, 'read_index_cpu')} s;\n"
                f"    facts of {problem[0]['distinct']:,} distinct customer texts after a handoff "
                f"({problem[0]['texts']:,} texts): CPU {_seconds(problem, 'extract_cpu')} s;\n"
                f"    one pass adding a few ints per journey row ({problem[0]['journeys']:,} rows): "
                f"CPU {_seconds(problem, 'reduce_cpu')} s;\n"
                f"    {problem[0]['samples']:,} duration samples in calendar and business seconds, "
                f"sorted per measure: CPU {_seconds(problem, 'convert_cpu')} s;\n"
                f"    sum {least:.2f} s CPU / plain SQL {cpu['headline']:.2f} s = "
                f"{least / cpu['headline']:.2f}x "
                f"({'within' if least <= 1.5 * cpu['headline'] else 'beyond'} the 1.5x target); "
                f"the report over it: {cpu['report'] / least:.2f}x"
            )
        if not args.no_pandas:
            compare_with_pandas(path, report, cold)
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
        f"{pandas_took:.2f} s; handoff.metrics (a cold report) takes {took / pandas_took:.2f}x as long; "
        f"the figures {agreement}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
