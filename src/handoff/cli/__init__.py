"""The ``handoff`` command: a guided demo, a journey viewer, a JSON-lines importer and KPIs."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import NoReturn, TextIO

from handoff import __version__, channels
from handoff.cli.imports import add_import_parser, run_import
from handoff.cli.kpis import add_kpis_parser, run_kpis
from handoff.cli.schema import add_schema_parser, run_schema
from handoff.clock import Clock, FixedClock, SeededIds, SystemClock
from handoff.errors import HandoffError
from handoff.events import Inbound, JourneyOutcome
from handoff.switchboard import Switchboard

__all__ = ["main"]

_DEMO_START = datetime(2026, 3, 10, 14, 2, tzinfo=timezone.utc)


class _Style:
    """ANSI colour when the terminal supports it; plain text otherwise (and with NO_COLOR)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def title(self, text: str) -> str:
        return self._wrap("1;36", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def good(self, text: str) -> str:
        return self._wrap("32", text)

    def warn(self, text: str) -> str:
        return self._wrap("33", text)


def _use_colour(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _minutes(when: datetime) -> str:
    return when.isoformat(timespec="minutes")


def _print_outcome(out: JourneyOutcome, style: _Style, stream: TextIO) -> None:
    ix = out.interaction
    who = ix.agent or ix.author
    print(f"{style.dim(ix.at.strftime('%H:%M'))} [{ix.channel}] {who}: {ix.body}", file=stream)
    if out.handoff is not None:
        h = out.handoff
        print(
            style.title(f"  ⇄ handoff {h.from_channel} → {h.to_channel} ({h.initiated_by}, {h.reason})"),
            file=stream,
        )
        print(_indent(h.summary.render("text")), file=stream)
    for n in out.notifications:
        when = n.send_at.strftime("%Y-%m-%d %H:%M %Z")
        print(style.good(f"  ✉ notify via {n.channel} to {n.to} at {when}: {n.body}"), file=stream)
        print(style.dim(f"    why: [{n.rule}] {n.reason}"), file=stream)


def _demo(board: Switchboard, clock: FixedClock, style: _Style, stream: TextIO) -> str:
    """The classic scenario: a public complaint becomes a DM, a chat, a call, a resolution."""

    def at(minutes: int) -> datetime:
        return clock.advance(minutes=minutes)

    steps: list[JourneyOutcome] = []
    first = board.receive(
        Inbound(
            channel="twitter",
            identity="twitter:@ana_k",
            name="Ana K",
            body="@AcmeSupport my order A-1042 never arrived and nobody answers!",
            at=at(0),
            external_id="tw-981",
        )
    )
    steps.append(first)
    ref = first.journey.reference
    jid = first.journey.id
    steps.append(
        board.reply(
            jid, agent="sam", body="Sorry, Ana! Please send us a DM so we can look into it.", at=at(4)
        )
    )
    steps.append(
        board.receive(
            Inbound(
                channel="twitter_dm",
                identity="twitter:@ana_k",
                body="Hi, order A-1042, I paid $89.90 on 2026-03-02. My email is ana.k@example.com",
                at=at(3),
                external_id="dm-77",
            )
        )
    )
    steps.append(
        board.reply(
            jid,
            agent="sam",
            body=f"Thanks! Live chat is faster: quote {ref} there and we'll pick it up.",
            at=at(2),
        )
    )
    steps.append(
        board.receive(
            Inbound(
                channel="chat",
                identity="email:ana.k@example.com",
                journey_ref=ref,
                body="Hi, moving here from Twitter. You can reach me on +1 415 555 0100.",
                at=at(6),
                external_id="chat-1",
            )
        )
    )
    board.link(first.contact.id, "phone:+1 415 555 0100", at=at(1))
    steps.append(
        board.reply(
            jid,
            agent="alice",
            body="Hi Ana, I can see your order. Let me get a colleague to call you.",
            at=at(1),
        )
    )
    steps.append(
        board.transfer(jid, to_channel="phone", reason="escalation", by="alice", to_agent="bob", at=at(2))
    )
    steps.append(
        board.receive(
            Inbound(
                channel="phone",
                identity="phone:+14155550100",
                kind="call",
                body="Call answered (bob called back)",
                at=at(6),
                external_id="call-1",
            )
        )
    )
    steps.append(
        board.reply(
            jid,
            channel="phone",
            agent="bob",
            body="Reshipping A-1042 by express; it arrives Friday.",
            at=at(4),
        )
    )
    steps.append(board.resolve(jid, by="bob", at=at(3)))
    for out in steps:
        _print_outcome(out, style, stream)
    return ref


def _show(board: Switchboard, key: str, style: _Style, stream: TextIO) -> None:
    journey = board.journey(key)
    contact = board.contact(journey.contact_id)
    path = " → ".join(f"{channels.get(c).icon} {c}" for c in journey.channels)
    print(style.title(f"{journey.reference} · {journey.status} · {contact.name or contact.id}"), file=stream)
    print(f"path: {path}", file=stream)
    print(
        f"opened {journey.opened_at.isoformat(timespec='minutes')}, {journey.version} interactions, "
        f"{journey.handoff_count} handoffs",
        file=stream,
    )
    print(style.title("\nhistory"), file=stream)
    for ix in board.history(journey.id):
        who = ix.agent or ix.author
        kind = "" if ix.kind == "message" else f" ({ix.kind})"
        print(
            f"  {style.dim(ix.at.strftime('%Y-%m-%d %H:%M'))} [{ix.channel}] {who}{kind}: {ix.body}",
            file=stream,
        )
    for h in board.handoffs(journey.id):
        print(
            style.title(
                f"\nhandoff {h.from_channel} → {h.to_channel} at {h.at.strftime('%H:%M')} ({h.reason})"
            ),
            file=stream,
        )
        print(_indent(h.summary.render("text")), file=stream)
    pending = board.store.notifications(journey.id)
    if pending:
        print(style.title("\nnotifications"), file=stream)
    for n in pending:
        print(
            f"  [{n.status}] {n.purpose} via {n.channel} at {_minutes(n.send_at)}: {n.body}",
            file=stream,
        )
        print(style.dim(f"    why: [{n.rule}] {n.reason}"), file=stream)


class _Parser(argparse.ArgumentParser):
    """argparse, with a mistake on the command line told in one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour output")
    parser = _Parser(prog="handoff", description="Channel-switch context handoff for customer support.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", parents=[common], help="run the Twitter → DM → chat → phone scenario on a SQLite file"
    )
    demo.add_argument(
        "--db", type=Path, help="SQLite file to create and keep (default: a temporary one, removed at exit)"
    )
    show = sub.add_parser(
        "show", parents=[common], help="print one journey: path, history, handoffs, notifications"
    )
    shown = show.add_mutually_exclusive_group(required=True)
    shown.add_argument("--db", type=Path, help="SQLite file")
    shown.add_argument(
        "--store", metavar="URL", help="any store URL, e.g. postgresql://user@host/db (see open_store)"
    )
    show.add_argument("journey", help="journey reference (J-7F3K9) or id")
    add_import_parser(sub)
    add_kpis_parser(sub, common)
    add_schema_parser(sub)
    return parser


def _run_demo(db: Path | None, style: _Style, out: TextIO) -> int:
    """The demo on a new SQLite file that is kept, or on a temporary one that is not."""
    if db is not None and db.exists():
        _say(f"{db} exists; the demo writes a new database")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        clock = FixedClock(_DEMO_START)
        url = f"sqlite:///{db or Path(tmp) / 'demo.db'}"
        with Switchboard.open(url, clock=clock, ids=SeededIds(7)) as board:
            print(style.title("handoff demo"), file=out)
            ref = _demo(board, clock, style, out)
            print(style.title("\nThe whole journey"), file=out)
            _show(board, ref, style, out)
    print(file=out)
    if db is None:
        print("The demo ran on a temporary database, now removed. To keep one and explore it:", file=out)
        print("  handoff demo --db support.db", file=out)
        return 0
    day = _DEMO_START.date().isoformat()
    where = shlex.quote(str(db))
    print(f"The journey is kept in {db}. Try next:", file=out)
    print(f"  handoff show --db {where} {ref}", file=out)
    print(f"  handoff kpis --db {where} --from {day} --to {day}", file=out)
    return 0


def _run(args: argparse.Namespace, out: TextIO, clock: Clock) -> int:
    if args.command == "import":
        return run_import(args, out)
    if args.command == "kpis":
        return run_kpis(args, out, _use_colour(args.color, out), clock.now())
    if args.command == "schema":
        return run_schema(args, out)
    style = _Style(_use_colour(args.color, out))
    if args.command == "demo":
        return _run_demo(args.db, style, out)
    if args.db is not None and not args.db.exists():
        _say(f"no such database: {args.db}")
        return 2
    with Switchboard.open(args.store if args.db is None else f"sqlite:///{args.db}") as board:
        _show(board, args.journey, style, out)
    return 0


def _say(message: str) -> None:
    """One line on standard error, prefixed with the command's name."""
    with contextlib.suppress(BrokenPipeError):  # nobody is listening: nothing to tell
        print(f"handoff: {message}", file=sys.stderr)


def _os_error(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename is not None else ""
    return f"{where}{exc.strerror or exc}"


def _stop_writing(stream: TextIO) -> None:
    """After the reader went away (``handoff show ... | head``): send what is still
    buffered for ``stream`` nowhere, so that closing it at exit does not fail again."""
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError):  # not a file (a StringIO in a test): nothing is buffered out
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, descriptor)
    finally:
        os.close(devnull)


def main(
    argv: Sequence[str] | None = None, stream: TextIO | None = None, *, clock: Clock | None = None
) -> int:
    """Run the ``handoff`` command; returns its exit status.

    0 on success and when the reader of the output goes away (``| head``); 1 when the
    work was refused (a bad value, a journey not found, a file that cannot be read or
    written, a line an import refused); 2 for a database or file that does not exist and
    for a mistake on the command line. Every error is one line on standard error.
    ``clock`` gives today's date to the commands whose default period ends today.
    """
    out = stream or sys.stdout
    args = _parser().parse_args(argv)
    try:
        code = _run(args, out, clock or SystemClock())
        out.flush()
    except BrokenPipeError:
        _stop_writing(out)
        return 0
    except HandoffError as exc:
        _say(str(exc))
        return 1
    except OSError as exc:
        _say(_os_error(exc))
        return 1
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    return code
