"""The command line: demo, show, colour and errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from handoff.cli import main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stream=out)
    return code, out.getvalue()


def test_demo_tells_the_whole_story(tmp_path: Path) -> None:
    code, out = run("demo", "--db", str(tmp_path / "d.db"), "--color", "never")
    assert code == 0
    assert "\033[" not in out
    for channel_move in ("twitter → twitter_dm", "twitter_dm → chat", "chat → phone"):
        assert channel_move in out
    assert "bob will call you at +14155550100" in out
    assert "why: [survey_after_resolution]" in out
    assert "path: 🐦 twitter → 🐦 twitter_dm → 💬 chat → ☎ phone" in out


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
