"""The command line: demo, show, colour and errors."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handoff
from handoff.cli import main
from handoff.cli.imports import EXAMPLE_LINE
from handoff.clock import FixedClock, SeededIds
from handoff.events import Inbound
from handoff.metrics import kpis
from handoff.serde import from_json, to_json
from handoff.stores import SQLiteStore
from handoff.switchboard import Switchboard


def run(*argv: str, clock: FixedClock | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stream=out, clock=clock)
    return code, out.getvalue()


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    installed = metadata.version("channel-handoff")
    assert handoff.__version__ == installed
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"handoff {installed}\n"


def test_the_package_metadata_names_where_the_project_lives() -> None:
    urls = dict(
        entry.split(", ", 1) for entry in metadata.metadata("channel-handoff").get_all("Project-URL") or []
    )
    assert urls["Homepage"] == "https://pypi.org/project/channel-handoff/"
    assert all(url.startswith("https://") for url in urls.values())


def test_demo_tells_the_whole_story(tmp_path: Path) -> None:
    code, out = run("demo", "--db", str(tmp_path / "d.db"), "--color", "never")
    assert code == 0
    assert "\033[" not in out
    for channel_move in ("twitter → twitter_dm", "twitter_dm → chat", "chat → phone"):
        assert channel_move in out
    assert "bob will call you at +14155550100" in out
    assert "why: [survey_after_resolution]" in out
    assert "path: 🐦 twitter → 🐦 twitter_dm → 💬 chat → ☎ phone" in out


def test_demo_keeps_its_database_and_the_commands_it_suggests_work(tmp_path: Path) -> None:
    db = tmp_path / "my support.db"
    code, out = run("demo", "--db", str(db), "--color", "never")
    assert code == 0 and db.exists()
    suggested = out.split("Try next:\n", 1)[1].splitlines()
    assert [line.split()[:2] for line in suggested] == [["handoff", "show"], ["handoff", "kpis"]]
    show, kpis = (shlex.split(line)[1:] for line in suggested)
    code, journey = run(*show, "--color", "never")
    assert code == 0 and "resolved · Ana K" in journey
    code, report = run(*kpis, "--color", "never")
    assert code == 0
    assert re.search(r"^twitter +1 ", report, re.MULTILINE), report  # the demo's journey, in its period
    assert "journeys opened 2026-03-10;" in report


def test_demo_without_a_database_names_no_file_it_removes(tmp_path: Path) -> None:
    code, out = run("demo", "--color", "never")
    assert code == 0
    assert ".db" not in out.replace("--db support.db", "")
    assert "temporary database, now removed" in out


def test_colour_when_asked(tmp_path: Path) -> None:
    code, out = run("demo", "--db", str(tmp_path / "d.db"), "--color", "always")
    assert code == 0
    assert "\033[1;36m" in out


def test_no_color_environment_wins_over_auto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    _code, out = run("demo", "--db", str(tmp_path / "d.db"))
    assert "\033[" not in out


def test_demo_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "d.db"
    db.write_text("keep me")
    code, _out = run("demo", "--db", str(db))
    assert code == 2
    assert db.read_text() == "keep me"
    assert "exists" in capsys.readouterr().err


def test_show_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("show", "--db", str(tmp_path / "missing.db"), "J-AAAAA")
    assert code == 2
    assert "no such database" in capsys.readouterr().err
    run("demo", "--db", str(tmp_path / "d.db"))
    code, _ = run("show", "--db", str(tmp_path / "d.db"), "J-ZZZZZ")
    assert code == 1
    assert "not found" in capsys.readouterr().err


def test_show_prints_history_handoffs_and_notifications(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    _code, demo = run("demo", "--db", str(db), "--color", "never")
    reference = demo.split("store:")[0]  # header line
    ref = next(word for word in demo.split() if word.startswith("J-") and len(word.rstrip(".")) == 7).rstrip(
        "."
    )
    code, out = run("show", "--db", str(db), ref, "--color", "never")
    assert code == 0, reference
    assert out.startswith(f"{ref} · resolved · Ana K")
    assert "history" in out and "notifications" in out
    assert out.count("handoff ") >= 3


# -- kpis ----------------------------------------------------------------------------------------

KPI_T0 = datetime(2025, 3, 12, 14, 0, tzinfo=timezone.utc)  # a Wednesday


def _kpi_db(path: Path) -> Path:
    """Three journeys whose figures are worked out by hand in the tests below."""
    _kpi_history(f"sqlite:///{path}")
    return path


def _kpi_history(url: str) -> None:
    minute = timedelta(minutes=1)
    with Switchboard.open(url, clock=FixedClock(KPI_T0), ids=SeededIds(3)) as board:
        # chat: answered after 4 min, resolved after 30 min, CSAT 5 / NPS 9 / CES 6
        a = board.receive(Inbound(channel="chat", identity="email:ana@example.com", body="hi", at=KPI_T0))
        board.reply(a.journey.id, agent="sam", body="Hello!", at=KPI_T0 + 4 * minute)
        board.resolve(a.journey.id, by="sam", at=KPI_T0 + 30 * minute)
        board.rate(a.journey.id, csat=5, nps=9, ces=6, at=KPI_T0 + 35 * minute)
        # email at 15:00: answered after 20 min; moves to chat and repeats its order number;
        # answered there, resolved at 18:00; CSAT 2 / NPS 3 / CES 2
        t = KPI_T0 + 60 * minute
        b = board.receive(
            Inbound(channel="email", identity="email:bob@example.com", body="order A-1042 is lost", at=t)
        )
        board.reply(b.journey.id, agent="lee", body="Looking", at=t + 20 * minute)
        board.receive(
            Inbound(
                channel="chat",
                identity="email:bob@example.com",
                journey_ref=b.journey.reference,
                body="it is order A-1042",
                at=t + 60 * minute,
            )
        )
        board.reply(b.journey.id, agent="lee", body="Found it", at=t + 70 * minute)
        board.resolve(b.journey.id, by="lee", at=t + 180 * minute)
        board.rate(b.journey.id, csat=2, nps=3, ces=2, at=t + 185 * minute)
        # twitter at 16:00: nobody has answered
        board.receive(
            Inbound(channel="twitter", identity="twitter:@cy", body="hello?", at=KPI_T0 + 120 * minute)
        )


def test_kpis_json_has_the_hand_worked_figures(tmp_path: Path) -> None:
    db = _kpi_db(tmp_path / "k.db")
    code, out = run("kpis", "--db", str(db), "--from", "2025-03-12", "--to", "2025-03-12", "--format", "json")
    assert code == 0
    data = json.loads(out)
    rows = {row["channel"]: row for row in data["rows"]}
    assert rows["chat"] == {
        "channel": "chat",
        "journeys": 1,
        "csat": 100.0,
        "nps": 100.0,
        "ces": 6.0,
        "first_response_s": 240.0,
        "resolution_s": 1800.0,
        "fcr": 100.0,
        "reopen_rate": 0.0,
        "handoffs": 0.0,
        "repeat_rate": None,
    }
    email = rows["email"]
    assert (email["csat"], email["nps"], email["ces"]) == (0.0, -100.0, 2.0)
    assert (email["first_response_s"], email["resolution_s"]) == (1200.0, 10800.0)
    assert (email["handoffs"], email["repeat_rate"]) == (1.0, 100.0)  # A-1042 said again on chat
    twitter = rows["twitter"]
    assert twitter["first_response_s"] is None and twitter["csat"] is None and twitter["fcr"] == 0.0
    total = data["total"]
    assert total["journeys"] == 3 and total["backlog"] == 1
    assert total["first_response_s"] == 720.0  # the median of 240 s and 1200 s
    assert total["resolution_s"] == 6300.0  # the median of 30 min and 3 h
    assert total["csat"] == 50.0 and total["nps"] == 0.0 and total["ces"] == 4.0
    assert total["fcr"] == pytest.approx(200 / 3)
    assert data["time"] == "calendar"


def test_kpis_csv_in_business_hours(tmp_path: Path) -> None:
    db = _kpi_db(tmp_path / "k.db")
    code, out = run(
        "kpis", "--db", str(db), "--from", "2025-03-12", "--to", "2025-03-13",
        "--hours", "mon-fri=09:00-16:00", "--format", "csv",
    )  # fmt: skip
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["channel"] for r in rows] == ["chat", "email", "twitter", "total"]
    email = rows[1]
    # 15:00 to 18:00, but the team works until 16:00: one working hour
    assert float(email["resolution_s"]) == 3600.0
    assert float(rows[0]["resolution_s"]) == 1800.0
    assert rows[2]["csat"] == ""  # no data is an empty cell


def test_kpis_hours_for_the_same_days_twice_keep_both_spans(tmp_path: Path) -> None:
    db = _kpi_db(tmp_path / "k.db")
    period = ("--from", "2025-03-12", "--to", "2025-03-12", "--format", "json")
    split = ("--hours", "mon-fri=09:00-15:30", "--hours", "mon-fri=17:00-20:00")
    code, out = run("kpis", "--db", str(db), *period, *split)
    assert code == 0
    email = {row["channel"]: row for row in json.loads(out)["rows"]}["email"]
    # resolved 15:00 to 18:00: 15:00-15:30 in the first span, 17:00-18:00 in the second
    assert email["resolution_s"] == 5400.0
    code, joined = run("kpis", "--db", str(db), *period, "--hours", "mon-fri=09:00-15:30, 17:00-20:00")
    assert code == 0 and json.loads(joined)["rows"] == json.loads(out)["rows"]
    code, _ = run("kpis", "--db", str(db), *period, *split, "--hours", "mon-fri=15:00-16:00")
    assert code == 1  # spans that overlap are still refused, not merged


def test_kpis_by_queue_groups_journeys_by_the_queue_that_took_them(tmp_path: Path) -> None:
    db = _kpi_db(tmp_path / "k.db")
    period = ("--from", "2025-03-12", "--to", "2025-03-12", "--format", "json")
    code, out = run("kpis", "--db", str(db), *period, "--by", "queue")
    assert code == 0
    rows = {row["queue"]: row for row in json.loads(out)["rows"]}
    # the email journey moved to chat, routed to the chat queue; the others never moved
    assert sorted(rows) == ["chat", "none"]
    assert rows["chat"]["journeys"] == 1 and rows["chat"]["resolution_s"] == 10800.0
    assert rows["none"]["journeys"] == 2
    code, out = run("kpis", "--db", str(db), *period, "--by", "queue,channel")
    assert code == 0
    crossed = {(row["queue"], row["channel"]): row["journeys"] for row in json.loads(out)["rows"]}
    assert crossed == {("chat", "email"): 1, ("none", "chat"): 1, ("none", "twitter"): 1}


def test_kpis_text_html_and_targets(tmp_path: Path) -> None:
    db = _kpi_db(tmp_path / "k.db")
    page = tmp_path / "dash.html"
    targets = tmp_path / "targets.json"
    targets.write_text(json.dumps({"csat": 40, "first_response_s": {"goal": 300, "near": 60}}))
    code, out = run(
        "kpis", "--db", str(db), "--from", "2025-03-12", "--to", "2025-03-12", "--by", "path",
        "--html", str(page), "--targets", str(targets), "--color", "always",
    )  # fmt: skip
    assert code == 0
    assert "email → chat" in out and "\033[32m" in out
    assert "CSAT ≥ 40.0%" in out and "1st response ≤ 5m 00s" in out
    assert "journeys opened 2025-03-12; times are medians" in out  # one day, not "to 2025-03-13"
    html = page.read_text()
    assert "3 journeys opened 2025-03-12, by path" in html
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<table" in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html)
    assert "<script" not in html.lower() and "@import" not in html


def test_kpis_default_period_is_the_last_28_whole_days_of_the_clock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _kpi_db(tmp_path / "k.db")
    tomorrow = FixedClock(KPI_T0 + timedelta(days=1, hours=3, microseconds=17))
    code, out = run("kpis", "--db", str(db), "--format", "json", clock=tomorrow)
    assert code == 0
    data = json.loads(out)
    assert (data["start"], data["end"]) == ("2025-02-14T00:00:00+00:00", "2025-03-14T00:00:00+00:00")
    assert data["total"]["journeys"] == 3
    code, out = run("kpis", "--db", str(db), "--color", "never", clock=tomorrow)
    assert "journeys opened 2025-02-14 to 2025-03-13; times are medians" in out
    assert capsys.readouterr().err == ""
    later = FixedClock(KPI_T0 + timedelta(days=60))
    code, out = run("kpis", "--db", str(db), "--color", "never", clock=later)
    assert code == 0 and "total           0" in out
    assert "--from and --to" in capsys.readouterr().err  # an empty default period says what to do


def test_kpis_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("kpis", "--db", str(tmp_path / "missing.db"))
    assert code == 2
    assert "no such database" in capsys.readouterr().err
    db = _kpi_db(tmp_path / "k.db")
    code, _ = run("kpis", "--db", str(db), "--by", "colour")
    assert code == 1
    assert "colour" in capsys.readouterr().err
    code, _ = run("kpis", "--db", str(db), "--from", "yesterday")
    assert code == 1
    assert "--from" in capsys.readouterr().err
    bad = tmp_path / "t.json"
    bad.write_text('{"speed": 3}')
    code, _ = run("kpis", "--db", str(db), "--targets", str(bad))
    assert code == 1
    assert "speed" in capsys.readouterr().err


def _one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run a command that should fail; its exit status and its one line of error."""
    capsys.readouterr()
    try:
        code = main(argv, stream=io.StringIO())
    except SystemExit as exit:  # a mistake on the command line
        code = exit.code if isinstance(exit.code, int) else 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("handoff"), err
    assert "Traceback" not in err
    return code, err


def test_user_errors_are_one_line_and_a_status_of_1_or_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(_kpi_db(tmp_path / "k.db"))
    missing = str(tmp_path / "no" / "such" / "dir")
    cases: list[tuple[list[str], str]] = [
        (["demo", "--db", f"{missing}/x.db"], "x.db"),
        (["show", "--db", f"{missing}.db", "J-AAAAA"], "no such database"),
        (["show", "--db", db, "J-AAAAA"], "not found"),
        (["show", "--store", "nosuch://x", "J-AAAAA"], "nosuch"),
        (["kpis", "--db", db, "--html", f"{missing}/x.html"], "--html"),
        (["kpis", "--db", db, "--from", "yesterday"], "--from"),
        (["kpis", "--db", db, "--targets", f"{missing}/t.json"], "--targets"),
        (["kpis", "--db", str(tmp_path)], str(tmp_path)),
        (["kpis", "--db", db, "--format", "xml"], "--format"),
        (["kpis"], "--db"),
        (["nosuch"], "nosuch"),
        (["import", "--db", db, f"{missing}/h.jsonl"], "h.jsonl"),
        (["import", "--db", db, str(tmp_path)], str(tmp_path)),
        (["import", "--db", db, "--batch-size", "0", f"{missing}/h.jsonl"], "--batch-size"),
    ]
    for argv, named in cases:
        code, err = _one_line_error(argv, capsys)
        assert code in (1, 2), (argv, code)
        assert named in err, (argv, err)


@pytest.mark.parametrize("command", [["demo"], ["import", "--help"], ["show", "--db", "{db}", "J-3D25V"]])
def test_a_reader_that_goes_away_is_not_an_error(command: list[str], tmp_path: Path) -> None:
    """``handoff ... | head``: the output stops quietly, with status 0."""
    db = tmp_path / "d.db"
    assert run("demo", "--db", str(db))[0] == 0
    argv = [sys.executable, "-m", "handoff", *(arg.format(db=db) for arg in command)]
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the command has written anything
    try:
        done = subprocess.run(argv, stdout=write, capture_output=False, stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""


def test_kpis_from_a_store_url_match_the_sqlite_file(tmp_path: Path, postgres_url: str) -> None:
    db = _kpi_db(tmp_path / "k.db")
    _kpi_history(postgres_url)
    period = ["--from", "2025-03-12", "--to", "2025-03-12", "--by", "path", "--format", "json"]
    code, from_file = run("kpis", "--db", str(db), *period)
    assert code == 0
    code, from_url = run("kpis", "--store", f"sqlite:///{db}", *period)
    assert code == 0 and from_url == from_file
    code, from_postgres = run("kpis", "--store", postgres_url, *period)
    assert code == 0 and from_postgres == from_file
    assert json.loads(from_file)["total"]["journeys"] == 3


@pytest.mark.parametrize("command", [["kpis"], ["show", "J-AAAAA"]])
def test_kpis_and_show_need_exactly_one_of_db_and_store(command: list[str]) -> None:
    with pytest.raises(SystemExit):
        main(command)
    with pytest.raises(SystemExit):
        main([*command, "--db", "x.db", "--store", "memory://"])


def test_kpis_and_show_from_an_unknown_store_fail_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("kpis", "--store", "nosuch://x")[0] == 1
    assert "nosuch" in capsys.readouterr().err
    assert run("show", "--store", "nosuch://x", "J-AAAAA")[0] == 1
    assert "nosuch" in capsys.readouterr().err


def test_show_through_a_store_url(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    _code, demo = run("demo", "--db", str(db), "--color", "never")
    ref = next(word.rstrip(".") for word in demo.split() if re.fullmatch(r"J-[A-Z0-9]{5}\.?", word))
    assert run("show", "--store", f"sqlite:///{db}", ref, "--color", "never") == run(
        "show", "--db", str(db), ref, "--color", "never"
    )


# -- import --------------------------------------------------------------------------------------
_T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)


def _line(n: int, *, bad: bool = False) -> str:
    """Message ``n`` of a JSON-lines history; a bad one names a journey that does not exist."""
    inbound = Inbound(
        channel="email",
        identity=f"email:person{n % 4}@example.com",
        body=f"message {n}",
        at=_T0 + timedelta(minutes=n),
        external_id=f"line-{n}",
        journey_ref="J-NOPE42" if bad else None,
    )
    return to_json(inbound)


def test_import_into_postgresql_through_store_url(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [_line(n, bad=n == 4) for n in range(1, 8)]
    lines.insert(2, "{not json")
    source = tmp_path / "history.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    argv = ["import", "--store", postgres_url, "--batch-size", "3", "--no-progress", str(source)]
    code, out = run(*argv)
    assert code == 1
    assert "imported 6 new interactions" in out and "2 bad lines" in out
    err = capsys.readouterr().err
    # The refused message is planned after its whole batch was read, yet keeps its line.
    assert re.findall(r"history\.jsonl:(\d+): ", err) == ["3", "5"]
    assert "journey_ref" in err
    code, out = run(*argv)
    assert code == 1
    assert "imported 0 new interactions" in out and "(6 already stored, 2 bad lines)" in out
    with Switchboard.open(postgres_url) as board:
        for n in (1, 2, 3, 5, 6, 7):
            assert board.store.find_interaction("email", f"line-{n}") is not None
        assert board.store.find_interaction("email", "line-4") is None


@given(bad=st.lists(st.booleans(), min_size=1, max_size=12), batch_size=st.integers(1, 5))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_import_reports_each_refused_line_by_its_number(
    tmp_path: Path, bad: list[bool], batch_size: int
) -> None:
    source = tmp_path / "lines.jsonl"
    source.write_text("".join(_line(n, bad=b) + "\n" for n, b in enumerate(bad, 1)), encoding="utf-8")
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        code, out = run("import", "--store", "memory://", "--batch-size", str(batch_size), str(source))
    assert code == (1 if any(bad) else 0)
    reported = [int(n) for n in re.findall(r"lines\.jsonl:(\d+): ", errors.getvalue())]
    assert reported == [n for n, b in enumerate(bad, 1) if b]
    stored = bad.count(False)
    assert f"imported {stored} new interaction{'' if stored == 1 else 's'} from" in out


_LINE_KINDS = st.sampled_from(["good", "refused", "garbled", "blank"])


def _lines_of(kinds: list[str]) -> str:
    text = {"garbled": lambda n: '{"channel": "email", ', "blank": lambda n: "   "}
    return "".join(
        text[kind](n) + "\n" if kind in text else _line(n, bad=kind == "refused") + "\n"
        for n, kind in enumerate(kinds, 1)
    )


@given(kinds=st.lists(_LINE_KINDS, min_size=1, max_size=14), batch_size=st.integers(1, 5))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_import_reports_bad_lines_in_line_order(tmp_path: Path, kinds: list[str], batch_size: int) -> None:
    """A line that is not JSON is known when it is read, a refused one only once its batch
    is planned; the reports still come out in the order of the file."""
    source = tmp_path / "mixed.jsonl"
    source.write_text(_lines_of(kinds), encoding="utf-8")
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        code, out = run("import", "--store", "memory://", "--batch-size", str(batch_size), str(source))
    bad = [n for n, kind in enumerate(kinds, 1) if kind in ("refused", "garbled")]
    assert code == (1 if bad else 0)
    assert [int(n) for n in re.findall(r"mixed\.jsonl:(\d+): ", errors.getvalue())] == bad
    stored = kinds.count("good")
    assert f"imported {stored} new interaction{'' if stored == 1 else 's'} from" in out
    assert out.rstrip().endswith(f"{len(bad)} bad line{'' if len(bad) == 1 else 's'})")


def test_import_help_shows_a_line_of_the_format_it_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    assert EXAMPLE_LINE in capsys.readouterr().out
    assert from_json(Inbound, EXAMPLE_LINE).external_id == "msg-1"
    source = tmp_path / "one.jsonl"
    source.write_text(EXAMPLE_LINE + "\n", encoding="utf-8")
    code, out = run("import", "--db", str(tmp_path / "one.db"), "--no-progress", str(source))
    assert code == 0 and "imported 1 new interaction from" in out and "(0 already stored, 0 bad lines)" in out


@pytest.mark.parametrize("target", [[], ["--db", "x.db", "--store", "memory://"]])
def test_import_needs_exactly_one_of_db_and_store(target: list[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["import", *target, str(tmp_path / "f.jsonl")])


def test_import_into_an_unknown_store_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "one.jsonl"
    source.write_text(_line(1) + "\n", encoding="utf-8")
    code, _ = run("import", "--store", "nosuch://x", str(source))
    assert code == 1
    assert "nosuch" in capsys.readouterr().err


def test_import_writes_the_journeys_a_report_reads(tmp_path: Path) -> None:
    source = tmp_path / "history.jsonl"
    source.write_text("".join(_line(n) + "\n" for n in range(1, 13)), encoding="utf-8")
    db = tmp_path / "t.db"
    code, out = run("import", "--db", str(db), "--no-progress", str(source))
    assert code == 0 and "imported 12 new interactions" in out
    with SQLiteStore(db) as store:
        journeys = len(list(store.journeys_opened(_T0, _T0 + timedelta(days=1))))
        assert journeys == 4  # one per person
        assert kpis(store, _T0 - timedelta(days=1), _T0 + timedelta(days=1)).total.journeys == journeys
    code, out = run("import", "--db", str(db), "--no-progress", str(source))  # a re-run writes nothing
    assert code == 0 and "imported 0 new interactions" in out


def test_import_into_a_store_without_tallies_says_nothing_of_them(tmp_path: Path) -> None:
    source = tmp_path / "history.jsonl"
    source.write_text(_line(1) + "\n", encoding="utf-8")
    code, out = run("import", "--store", "memory://", "--no-progress", str(source))
    assert code == 0 and "imported 1 new interaction from" in out
    assert "tallies" not in out
