"""examples/prototyping.ipynb runs top to bottom in a fresh kernel, and is stored without outputs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbclient
import nbformat

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "prototyping.ipynb"


def read() -> Any:
    return nbformat.read(NOTEBOOK, as_version=4)


def test_notebook_is_stored_without_outputs() -> None:
    notebook = read()
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [], cell.source[:60]
        assert cell.execution_count is None, cell.source[:60]
    assert "widgets" not in notebook.metadata


def test_notebook_runs_and_compares_the_two_policies(tmp_path: Path) -> None:
    notebook = read()
    client = nbclient.NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()

    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    figures = {
        name: (int(sent), float(repeated))
        for name, sent, repeated in re.findall(r"^(default|lean)\s+(\d+)\s+([\d.]+)%", text, re.MULTILINE)
    }
    assert set(figures) == {"default", "lean"}
    # What the notebook's prose concludes: fewer messages, more repeating.
    assert figures["lean"][0] < figures["default"][0]
    assert figures["lean"][1] > figures["default"][1]

    pages = [o.data["text/html"] for o in outputs if "data" in o and "text/html" in o.data]
    policy, kpi, timeline, journey, summary, decision = pages
    assert "Policy" in policy and "survey_after_resolution" in policy and "confirm_channel_move" not in policy
    assert "CSAT" in kpi and "repeated" in kpi
    assert "Journey J-" in timeline and "handoff by" in timeline and "notification (sent)" in timeline
    assert "Facts already given" in journey
    assert "Handoff J-" in summary
    assert "rule" in decision and "<script" not in "".join(pages)
