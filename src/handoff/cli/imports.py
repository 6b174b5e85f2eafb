"""``handoff import``: backfill a help desk's history from a JSON-lines file of inbounds.

Lines go through :meth:`~handoff.Switchboard.bulk` in batches, with the same
idempotency and journey rules as ``receive``, so a re-run stores nothing twice. A bad
line is reported with its number and skipped.
"""

from __future__ import annotations

import argparse
import heapq
import sys
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from handoff.errors import HandoffError, ValidationError
from handoff.events import Inbound
from handoff.serde import from_json
from handoff.switchboard import Switchboard

__all__ = ["EXAMPLE_LINE", "add_import_parser", "run_import"]

#: One line of the file ``handoff import`` reads, as ``--help`` shows it.
EXAMPLE_LINE = (
    '{"channel": "email", "identity": "email:ana@example.com", "name": "Ana K", '
    '"body": "Where is my order A-1042?", "at": "2026-03-10T14:00:00+00:00", "external_id": "msg-1"}'
)


class _InboundLines:
    """The inbounds of a JSON-lines file, read lazily; bad lines are reported, not fatal.

    Each inbound handed out is remembered with its line number for as long as the
    importer may still refuse it (it reads at most a batch ahead), so a refusal that
    comes after later lines were read still names the right line. Reports wait until
    every line before theirs is settled (:meth:`settled`), so they come out in line
    order: a line that is not JSON is known at once, a refused inbound only when its
    batch is planned.
    """

    def __init__(self, path: Path, errors: TextIO, keep: int) -> None:
        self.path = path
        self.errors = errors
        self.line = 0
        self.bad = 0
        self._keep = keep
        # id() -> (the inbound, kept alive so its id stays unique; its line number)
        self._numbers: OrderedDict[int, tuple[Inbound, int]] = OrderedDict()
        self._waiting: list[tuple[int, int, str]] = []  # a heap of (line, arrival, message)

    def __iter__(self) -> Iterator[Inbound]:
        with self.path.open("rb") as lines:
            for number, raw in enumerate(lines, 1):
                self.line = number
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    self._report(
                        number, ValidationError("$", f"not UTF-8 text ({exc.reason} at byte {exc.start})")
                    )
                    continue
                if not text.strip():
                    continue
                try:
                    inbound = from_json(Inbound, text)
                except ValidationError as exc:
                    self._report(number, exc)
                    continue
                self._numbers[id(inbound)] = (inbound, number)
                if len(self._numbers) > self._keep:
                    self._numbers.popitem(last=False)
                yield inbound

    def refuse(self, inbound: Inbound, error: HandoffError) -> None:
        """Report an inbound the importer refused, at the line it came from."""
        found = self._numbers.get(id(inbound))
        self._report(found[1] if found is not None and found[0] is inbound else None, error)

    def settled(self) -> None:
        """Every line read so far has been stored or refused: print their reports."""
        while self._waiting and self._waiting[0][0] <= self.line:
            print(heapq.heappop(self._waiting)[2], file=self.errors)

    def _report(self, number: int | None, error: HandoffError) -> None:
        self.bad += 1
        where = f"{self.path}:{number}" if number is not None else str(self.path)
        order = number if number is not None else self.line
        heapq.heappush(self._waiting, (order, self.bad, f"handoff: {where}: {error}"))


class _Bar:
    """A one-line text progress bar, redrawn in place."""

    def __init__(self, total: int, stream: TextIO, width: int = 30) -> None:
        self.total = max(total, 1)
        self.stream = stream
        self.width = width

    def draw(self, done: int) -> None:
        filled = self.width * min(done, self.total) // self.total
        bar = "#" * filled + "." * (self.width - filled)
        print(f"\r[{bar}] {done}/{self.total} lines", end="", file=self.stream, flush=True)

    def finish(self, done: int) -> None:
        self.draw(done)
        print(file=self.stream)


def _count_lines(path: Path) -> int:
    with path.open("rb") as data:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: data.read(1 << 20), b""))


def run_import(args: argparse.Namespace, out: TextIO) -> int:
    """Backfill a JSON-lines file of inbounds into the store of ``args``; exit status 1 if
    any line was refused, 2 if there is no such file."""
    path: Path = args.file
    if not path.is_file():
        print(f"handoff: no such file: {path}", file=sys.stderr)
        return 2
    url = args.store if args.store is not None else f"sqlite:///{args.db}"
    lines = _InboundLines(path, sys.stderr, keep=args.batch_size)
    show = sys.stderr.isatty() if args.progress is None else args.progress
    bar = _Bar(_count_lines(path), sys.stderr) if show else None
    stored = duplicates = 0
    with Switchboard.open(url) as board:
        bulk = board.bulk(
            batch_size=args.batch_size,
            progress=None if bar is None else (lambda _done: bar.draw(lines.line)),
            on_error=lines.refuse,
        )
        for outcome in bulk.receive(lines):
            # An outcome comes once its batch is committed, before the next line is read.
            lines.settled()
            duplicates += outcome.duplicate
            stored += not outcome.duplicate
        lines.settled()
        if bar is not None:
            bar.finish(lines.line)
        print(
            f"imported {_count(stored, 'new interaction')} from {path} "
            f"({duplicates} already stored, {_count(lines.bad, 'bad line')})",
            file=out,
        )
    return 1 if lines.bad else 0


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"


def _batch_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def add_import_parser(sub: Any) -> None:
    """The ``import`` subcommand and its options."""
    backfill = sub.add_parser(
        "import",
        help="backfill history from a JSON-lines file, one Inbound per line (safe to re-run)",
        description=(
            "Backfill history from a JSON Lines file: one message per line, a JSON object with\n"
            "the fields of handoff.Inbound. channel, identity, body and at (an ISO date-time\n"
            "with its offset) are required; external_id, name, journey_ref, thread_ref,\n"
            "author, agent, kind, metadata and sensitive are optional. A line already stored\n"
            "(the same channel and external_id) is skipped, so an import can be run again."
        ),
        epilog=f"a line of the file:\n  {EXAMPLE_LINE}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = backfill.add_mutually_exclusive_group(required=True)
    target.add_argument("--db", type=Path, help="SQLite file (created if missing)")
    target.add_argument(
        "--store", metavar="URL", help="any store URL, e.g. postgresql://user@host/db (see open_store)"
    )
    backfill.add_argument("--batch-size", type=_batch_size, default=500, help="inbounds per transaction")
    backfill.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="draw a progress bar on stderr (default: when stderr is a terminal)",
    )
    backfill.add_argument("file", type=Path, help="JSON-lines file of inbounds")
