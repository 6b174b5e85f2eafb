"""Every Python example in the README, the documentation and examples/ runs, so none of them can rot,
and prints what the page shows it printing, so none of them can mislead.

A page's ``python`` blocks run in order in one namespace (a page may build on its earlier
blocks), in a scratch directory. A block that must not run is written as ``text``,
``toml`` or ``sh``; nothing is skipped by a marker. A block that prints is followed, before
the next ``python`` block, by its output: a fenced block opened with
```` ```text title="Output" ````, which must be exactly what the block prints (trailing
spaces and blank lines aside; ``…`` stands for any text within a line, for what changes
beside the point, such as a policy's revision). A block that prints nothing has no output
block.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import inspect
import io
import re
import runpy
import subprocess
import sys
import tomllib
from importlib.metadata import version
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
_FENCED = re.compile(r"^```([^\s`]*)([^\n]*)\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
OUTPUT = 'title="Output"'


@attrs.frozen
class Sample:
    """A ``python`` block of a page, where it starts, and the output the page shows for it."""

    where: str
    line: int
    code: str
    shown: str | None = None


def python_blocks(path: Path) -> list[str]:
    return _BLOCK.findall(path.read_text(encoding="utf-8"))


def samples(path: Path) -> list[Sample]:
    """Each python block with its output block; an output block anywhere else is an error."""
    text = path.read_text(encoding="utf-8")
    found: list[Sample] = []
    for match in _FENCED.finditer(text):
        language, info, body = match.groups()
        line = text.count("\n", 0, match.start(3)) + 1
        where = f"{path.name}:{line}"
        if language == "python":
            found.append(Sample(where, line, body))
        elif OUTPUT in info:
            assert language == "text", f"{where}: an output block is written ```text {OUTPUT}"
            assert found and found[-1].shown is None, f"{where}: an output block follows the block it shows"
            found[-1] = attrs.evolve(found[-1], shown=body)
    return found


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def _same_output(printed: str, shown: str) -> bool:
    """Line by line; ``…`` in a shown line stands for any text (a policy's revision, say)."""
    got, want = _lines(printed), _lines(shown)
    return len(got) == len(want) and all(
        re.fullmatch(".*".join(map(re.escape, expected.split("…"))), actual)
        for actual, expected in zip(got, want, strict=True)
    )


def run_page(path: Path, namespace: dict[str, object]) -> str:
    """Run a page's samples in order; check each one prints what the page shows. All output."""
    printed_all = []
    for sample in samples(path):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile("\n" * (sample.line - 1) + sample.code, str(path), "exec"), namespace)
        output = printed.getvalue()
        if sample.shown is None:
            assert not output.strip(), f"{sample.where}: show what this block prints:\n{output}"
        else:
            if not _same_output(output, sample.shown):
                assert _lines(output) == _lines(sample.shown), f"{sample.where}: the page shows other output"
        printed_all.append(output)
    return "".join(printed_all)


def doc_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def test_readme_python_blocks_run_in_order_and_print_what_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = python_blocks(ROOT / "README.md")
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    out = run_page(ROOT / "README.md", {"__name__": "readme"})
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


def test_the_contributor_loop_is_the_one_ci_runs() -> None:
    """CI runs the README's whole-suite command; the README also names the quick one and the
    ``slow`` marker, and ruff is pinned so that its checks agree on every machine."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    whole = re.search(r"^pip install -e '\.\[dev\]' && (.+)$", readme, re.MULTILINE)
    assert whole is not None
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert [line for line in ci if line and not line.startswith("#")][-1] == whole.group(1)
    assert "`pytest -n auto`" in readme and '`pytest -m "not slow"`' in readme
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert any(marker.startswith("slow:") for marker in config["tool"]["pytest"]["ini_options"]["markers"])
    assert [dep for dep in config["project"]["optional-dependencies"]["dev"] if dep.startswith("ruff")] == [
        f"ruff=={version('ruff')}"
    ]


_INSTALL_NAME = re.compile(r"(?<![\w.-])handoff\[|pip install handoff\b|\[\"handoff\"\]")


def test_every_install_line_and_hint_names_the_distribution() -> None:
    """``handoff`` on PyPI is another project: ``pip install 'handoff[postgres]'`` would install it."""
    texts = [ROOT / "README.md", ROOT / "pyproject.toml", *doc_pages(), *(ROOT / "examples").rglob("*.*")]
    texts += [*(ROOT / "src").rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py")]
    for path in texts:
        if path.suffix in (".md", ".py", ".toml", ".ipynb"):
            stale = _INSTALL_NAME.search(path.read_text(encoding="utf-8"))
            assert stale is None, f"{path.relative_to(ROOT)}: {stale.group() if stale else ''}"
    plugin = tomllib.loads((ROOT / "examples" / "jsonl_store" / "pyproject.toml").read_text(encoding="utf-8"))
    assert plugin["project"]["dependencies"] == ["channel-handoff"]
    assert plugin["project"]["optional-dependencies"]["testing"] == ["channel-handoff[testing]"]
    ours = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert ours["name"] == "channel-handoff"
    assert all(dep.startswith("channel-handoff[") for dep in ours["optional-dependencies"]["dev"][:1])


def test_quickstart_script_prints_what_the_readme_shows(capsys: pytest.CaptureFixture[str]) -> None:
    (first, *_rest) = samples(ROOT / "README.md")
    assert first.shown is not None
    runpy.run_path(str(ROOT / "examples" / "quickstart.py"), run_name="__main__")
    assert _lines(capsys.readouterr().out) == _lines(first.shown)


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
def test_docs_python_blocks_run_in_order_and_print_what_they_show(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # blocks may write files (a SQLite database, an export...)
    monkeypatch.setattr(channels, "_REGISTRY", dict(channels._REGISTRY))  # a page may register one
    run_page(page, {"__name__": "docs"})


def test_output_blocks_are_checked(tmp_path: Path) -> None:
    """The check itself: a wrong output, a missing one and a misplaced one are all caught."""
    page = tmp_path / "page.md"
    shown = '```python\nprint("a")\n```\n\nprints:\n\n```text title="Output"\n{}\n```\n'
    page.write_text(shown.format("a"), encoding="utf-8")
    assert run_page(page, {}) == "a\n"
    page.write_text(shown.format("b"), encoding="utf-8")
    with pytest.raises(AssertionError, match="other output"):
        run_page(page, {})
    page.write_text('```python\nprint("a")\n```\n', encoding="utf-8")
    with pytest.raises(AssertionError, match="show what this block prints"):
        run_page(page, {})
    page.write_text('```text title="Output"\na\n```\n', encoding="utf-8")
    with pytest.raises(AssertionError, match="follows the block"):
        run_page(page, {})
    page.write_text(
        '```python\nprint("policy 12ab")\n```\n```text title="Output"\npolicy …\n```\n', encoding="utf-8"
    )
    assert run_page(page, {}) == "policy 12ab\n"
    page.write_text('```python\nprint("a\\nb")\n```\n```text title="Output"\na\n```\n', encoding="utf-8")
    with pytest.raises(AssertionError, match="other output"):
        run_page(page, {})


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


# -- the API reference: a page per public package, signatures as users write them -----------------

PUBLIC_PACKAGES = ("handoff", "policy", "ingest", "stores", "metrics", "testing", "show")


def test_every_public_package_has_its_reference_page() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for package in PUBLIC_PACKAGES:
        name = "handoff" if package == "handoff" else f"handoff.{package}"
        page = DOCS / "reference" / f"{package}.md"
        assert f"- {name}: reference/{package}.md" in config, name
        assert f"::: {name}" in page.read_text(encoding="utf-8"), name
    for page in (DOCS / "reference").glob("*.md"):
        assert "show_if_no_docstring: true" not in page.read_text(encoding="utf-8"), page.name
    assert "show_if_no_docstring: false" in config  # only documented members are listed
    assert "docs/_hooks/griffe_attrs.py:AttrsClasses" in config


def _public_attrs_classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for package in PUBLIC_PACKAGES:
        module = importlib.import_module("handoff" if package == "handoff" else f"handoff.{package}")
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if isinstance(value, type) and attrs.has(value):
                found[f"{module.__name__}.{name}"] = value
    return found


def _literal(value: object) -> object:
    try:
        return ast.literal_eval(str(value))
    except (ValueError, SyntaxError):
        return _UNKNOWN


_UNKNOWN = object()


def test_reference_signatures_of_attrs_classes_are_those_users_call() -> None:
    """The reference reads the source; attrs writes ``__init__`` at import time. The griffe
    extension must give every public attrs class the signature it has when called."""
    griffe = pytest.importorskip("griffe")
    extensions = griffe.load_extensions(f"{DOCS / '_hooks' / 'griffe_attrs.py'}:AttrsClasses")
    package = griffe.load("handoff", search_paths=[str(ROOT / "src")], extensions=extensions)
    classes = _public_attrs_classes()
    assert len(classes) >= 20
    for path, cls in classes.items():
        documented = package[path.removeprefix("handoff.")].final_target
        shown = [p for p in documented.members["__init__"].parameters if p.name != "self"]
        called = list(inspect.signature(cls).parameters.values())
        assert [(p.name, p.kind.value) for p in shown] == [(p.name, p.kind.description) for p in called], path
        for attribute, parameter in zip(attrs.fields(cls), shown, strict=False):
            if not attribute.init:
                continue
            default = attribute.default
            if default is attrs.NOTHING:
                assert parameter.default is None, (path, parameter.name)
                continue
            value = default.factory() if isinstance(default, attrs.Factory) else default  # type: ignore[arg-type]
            literal = _literal(parameter.default)
            assert literal is _UNKNOWN or literal == value, (path, parameter.name, str(parameter.default))
        for member in documented.members.values():
            assert "field(" not in str(getattr(member, "value", "")), (path, member.name)
