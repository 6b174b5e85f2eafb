"""Every Python example in the README, the documentation and examples/ runs, so none of them can rot.

A page's ``python`` blocks run in order in one namespace (a page may build on its earlier
blocks), in a scratch directory. A block that must not run is written as ``text``,
``toml`` or ``sh``; nothing is skipped by a marker.
"""

from __future__ import annotations

import importlib.util
import re
import runpy
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from handoff import channels
from handoff.policy.actions import ACTIONS, parse_action
from handoff.policy.conditions import OPERATORS
from handoff.policy.facts import FACT_TYPES, fact_names
from handoff.policy.reference import (
    ACTION_OPTIONS,
    OPERATOR_DOCS,
    SETTING_DOCS,
    TYPE_DOCS,
    action_options,
    policy_reference,
)
from handoff.policy.situation import EVENT_KINDS, PolicySettings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
_FENCE = re.compile(r"^([ \t]*)```([^\s`]*)", re.MULTILINE)


def python_blocks(path: Path) -> list[str]:
    return _BLOCK.findall(path.read_text(encoding="utf-8"))


def python_blocks_with_lines(path: Path) -> list[tuple[int, str]]:
    """Each block and the line of the file it starts on, so tracebacks point into the page."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _BLOCK.finditer(text)]


def doc_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


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


# -- the documentation site ----------------------------------------------------------------------


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_docs_python_blocks_run_in_order(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # blocks may write files (a SQLite database, an export...)
    monkeypatch.setattr(channels, "_REGISTRY", dict(channels._REGISTRY))  # a page may register one
    namespace: dict[str, object] = {"__name__": "docs"}
    for line, block in python_blocks_with_lines(page):
        exec(compile("\n" * line + block, str(page), "exec"), namespace)
    capsys.readouterr()


@pytest.mark.parametrize("page", [ROOT / "README.md", *doc_pages()], ids=lambda p: p.name)
def test_code_blocks_are_either_run_or_plainly_not_python(page: Path) -> None:
    """A Python block under another label (``py``, ``pycon``) or indented would silently not run."""
    text = page.read_text(encoding="utf-8")
    for match in _FENCE.finditer(text):
        indent, language = match.groups()
        lowered = language.lower()
        where = f"{page.name}:{text.count(chr(10), 0, match.start()) + 1}"
        assert not (lowered.startswith("py") and lowered != "python"), f"{where}: write ```python"
        assert not (indent and lowered == "python"), f"{where}: an indented python block is not run"
        assert "skip" not in lowered and "norun" not in lowered, where


def test_guide_pages_run_code() -> None:
    for name in ("getting-started.md", "guide/webhooks.md", "guide/policies.md", "guide/privacy.md"):
        assert python_blocks(DOCS / name), name


def test_docs_nav_names_every_page() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in doc_pages():
        assert str(page.relative_to(DOCS)) in config, page


def test_changelog_page_includes_the_changelog() -> None:
    assert '--8<-- "CHANGELOG.md"' in (DOCS / "changelog.md").read_text(encoding="utf-8")


# -- the policy reference, written from the code -------------------------------------------------


def test_policy_reference_lists_every_fact_operator_action_and_setting() -> None:
    reference = policy_reference()
    for name in fact_names():
        assert f"| `{name}` |" in reference, name
    for kind in FACT_TYPES:
        assert f"**{kind}**: {TYPE_DOCS[kind]}" in reference, kind
    for op in OPERATORS:
        assert OPERATOR_DOCS.get(op), f"describe {op} in handoff.policy.reference.OPERATOR_DOCS"
        assert f"| `{op}` | {OPERATOR_DOCS[op]} |" in reference, op
    for action in ACTIONS:
        assert f'`do = "{action}"`' in reference, action
        for option in action_options(action):
            described = ACTION_OPTIONS.get(action, {}).get(option)
            assert described, f"describe {action}.{option} in handoff.policy.reference.ACTION_OPTIONS"
            assert f"- `{option}`: {described}" in reference, (action, option)
    for setting in attrs.fields(PolicySettings):
        assert f"| `{setting.name}` |" in reference, setting.name
        assert SETTING_DOCS.get(setting.name), (
            f"describe {setting.name} in handoff.policy.reference.SETTING_DOCS"
        )
    for kind in EVENT_KINDS:
        assert f"`{kind}`" in reference, kind


def test_documented_action_options_are_exactly_those_the_loader_accepts() -> None:
    for action in ACTIONS:
        documented = set(ACTION_OPTIONS[action])
        assert documented == set(action_options(action)), action
        problems: list[tuple[str, str]] = []
        parse_action({"do": action, "no_such_option": 1}, "a", problems)
        listed = next(problem for path, problem in problems if path == "a.no_such_option")
        accepted = set(listed.split("options: ", 1)[1].rstrip(")").split(", ")) - {"do"}
        assert accepted == documented, action


def test_the_policy_guide_carries_the_reference_marker() -> None:
    spec = importlib.util.spec_from_file_location("docs_hook", DOCS / "_hooks" / "policy_reference.py")
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    page = (DOCS / "guide" / "policies.md").read_text(encoding="utf-8")
    assert page.count(hook.MARKER) == 1
    built = hook.on_page_markdown(page, None, None, None)
    assert hook.MARKER not in built and "| `customer.idle` |" in built


def test_api_reference_follows_the_public_surface() -> None:
    """The page lists no members by hand, so every name added to ``handoff.__all__`` appears."""
    page = (DOCS / "reference" / "handoff.md").read_text(encoding="utf-8")
    assert "::: handoff\n" in page and "members:" not in page
    for module in ("handoff.metrics", "handoff.testing", "handoff.stores.base", "handoff.ingest"):
        assert any(
            f"::: {module}\n" in p.read_text(encoding="utf-8") for p in (DOCS / "reference").glob("*.md")
        )
