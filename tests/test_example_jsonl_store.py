"""The example third-party backend in examples/jsonl_store: the conformance kit passes, and
its entry point makes ``open_store("jsonl://...")`` work once the package is installed.

Installing is simulated without pip or network: the package's source and a ``dist-info``
directory built from its own pyproject.toml are put in a directory on ``sys.path``, which
is all ``importlib.metadata`` reads. The registry is shown only the entry points of that
directory, so the test says the same whether or not the example is really installed
(``pip install -e examples/jsonl_store``, as the storage-plugin guide suggests).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tomllib
from datetime import datetime, timezone
from importlib.metadata import EntryPoint, distributions
from pathlib import Path

import pytest

from handoff import Inbound, Switchboard
from handoff.errors import StoreUnavailable
from handoff.stores import open_store, registry

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "jsonl_store"
if str(EXAMPLE) not in sys.path:
    sys.path.append(str(EXAMPLE))  # the example's tests import handoff_jsonl_store


def _load_example_tests() -> object:
    spec = importlib.util.spec_from_file_location(
        "jsonl_store_example_tests", EXAMPLE / "tests" / "test_jsonl_store.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_example = _load_example_tests()
# Everything the example's test module defines runs here too: the whole kit and its own tests.
globals().update(
    {name: getattr(_example, name) for name in dir(_example) if name.startswith(("Test", "test_"))}
)


def _install(site: Path) -> None:
    """What ``pip install`` leaves behind that matters here: the package and its entry points."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dist = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n", encoding="utf-8"
    )
    lines = [
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items())
        for group, entries in project["entry-points"].items()
    ]
    (dist / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    shutil.copytree(EXAMPLE / "handoff_jsonl_store", site / "handoff_jsonl_store")


def _entry_points_in(site: Path) -> tuple[EntryPoint, ...]:
    """The ``handoff.stores`` entry points of the packages installed in ``site`` alone."""
    return tuple(
        entry
        for dist in distributions(path=[str(site)])
        for entry in dist.entry_points
        if entry.group == registry.ENTRY_POINT_GROUP
    )


def test_the_entry_point_opens_jsonl_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"jsonl:///{tmp_path / 'data'}"  # jsonl:////absolute/dir
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(registry, "_entry_points", lambda: _entry_points_in(site))
    with pytest.raises(StoreUnavailable, match="jsonl"):
        open_store(url)
    _install(site)
    monkeypatch.syspath_prepend(str(site))

    at = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)
    with Switchboard.open(url) as board:
        assert type(board.store).__name__ == "JsonlStore"
        first = board.receive(
            Inbound(channel="email", identity="email:ana@example.com", body="Order A-1042?", at=at)
        )
    assert (tmp_path / "data" / "log.jsonl").is_file()
    with Switchboard.open(url) as again:
        assert again.journey(first.journey.reference) == first.journey
        assert [i.body for i in again.history(first.journey.id)] == ["Order A-1042?"]
