"""Docs that must match the code: state diagrams and the KPI list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.analysis.catalogue import CATALOGUE, KPI_NAMES
from sim.analysis.timeweighted import TARGET
from sim.domain.diagrams import MACHINES, render
from sim.domain.lifecycle import TASK

ROOT = Path(__file__).resolve().parent.parent


def test_state_diagrams_in_model_md_match_the_tables() -> None:
    document = (ROOT / "docs" / "model.md").read_text()
    assert render(document) == document, "run: python -m sim.domain.diagrams docs/model.md"
    for name in MACHINES:
        assert f"<!-- diagram:{name} -->" in document


def kpi_rows(document: str) -> dict[str, str]:
    """KPI name -> its table row, for the rows of docs/kpis.md that define a KPI."""
    rows: dict[str, str] = {}
    for match in re.finditer(r"^\| `(\w+)` \|.*$", document, re.MULTILINE):
        rows.setdefault(match[1], match[0])  # the first: the departures table comes last
    return rows


def test_every_kpi_is_defined_in_kpis_md_with_its_views() -> None:
    rows = kpi_rows((ROOT / "docs" / "kpis.md").read_text())
    assert set(KPI_NAMES) <= set(rows), set(KPI_NAMES) - set(rows)
    for kpi in CATALOGUE:
        views = rows[kpi.name].rstrip(" |").rsplit("|", 1)[-1]
        assert ("skill" in views) == kpi.by_skill, kpi.name
        assert ("group" in views) == kpi.by_group, kpi.name


def test_every_design_kpi_name_is_kept_or_its_replacement_documented() -> None:
    design = (ROOT.parent / "shared" / "DESIGN.md").read_text()
    listed = re.search(r"KPI names \(columns of kpis.csv\): (.*?)\. Rates", design, re.S)
    assert listed is not None
    names = [name.strip(" `\n") for name in listed[1].split(",")]
    assert len(names) == 21
    document = (ROOT / "docs" / "kpis.md").read_text()
    departures = document[document.index("## Departures from DESIGN.md's KPI list"):]
    for name in names:
        assert name in KPI_NAMES or f"| `{name}` |" in departures, name


def test_every_task_event_leads_to_one_status() -> None:
    # metrics.TARGET relies on it to replay statuses without the previous status.
    targets: dict[str, set[str]] = {}
    for (_, event), target in TASK.edges.items():
        targets.setdefault(event.value, set()).add(target.value)
    assert all(len(found) == 1 for found in targets.values())
    assert set(TARGET) == set(targets)


def test_package_diagram_in_architecture_md_matches_the_imports() -> None:
    from sim.analysis import codemap

    document = (ROOT / "docs" / "architecture.md").read_text()
    assert "<!-- packages -->" in document
    assert codemap.render(document) == document, (
        "run: python -m sim.analysis.codemap docs/architecture.md")


def test_help_summaries_are_the_commands_own() -> None:
    import importlib

    from sim.cli import COMMANDS

    for name, (module, summary) in COMMANDS.items():
        command = importlib.import_module(module).command
        assert command.name == name
        assert (command.help or "").splitlines()[0] == summary, name


def test_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "README shows the Python API"
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    monkeypatch.chdir(tmp_path)  # the example writes results/ where it runs
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert any((tmp_path / "results" / "baseline").iterdir())
