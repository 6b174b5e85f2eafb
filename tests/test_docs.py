"""Every Python example in the README and in examples/ runs, so none of them can rot."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(path: Path) -> list[str]:
    return _BLOCK.findall(path.read_text(encoding="utf-8"))


def test_readme_python_blocks_run_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = python_blocks(ROOT / "README.md")
    assert len(blocks) >= 2
    namespace: dict[str, object] = {"__name__": "readme"}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "A-1042" in out
    assert "send via" in out


def test_readme_names_the_two_setup_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install -e . && handoff demo" in text
    assert "pip install -e '.[dev]' && pytest" in text


@pytest.mark.parametrize("script", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_example_scripts_run(script: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out.strip()


def test_demo_runs_as_a_module(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "handoff", "demo", "--db", str(tmp_path / "demo.db"), "--color", "never"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for expected in ("twitter → twitter_dm", "chat → phone", "survey", "Facts already given"):
        assert expected in done.stdout
    reference = re.search(r"J-[0-9A-Z]{5}", done.stdout)
    assert reference is not None
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "handoff",
            "show",
            "--db",
            str(tmp_path / "demo.db"),
            reference.group(),
            "--color",
            "never",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert "resolved" in again.stdout
