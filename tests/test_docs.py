"""Docs that must match the code: state diagrams and the KPI list."""

from __future__ import annotations

import re
from pathlib import Path

from sim.analysis.metrics import KPI_NAMES
from sim.analysis.timeweighted import TARGET
from sim.domain.diagrams import MACHINES, render
from sim.domain.lifecycle import TASK

ROOT = Path(__file__).resolve().parent.parent


def test_state_diagrams_in_model_md_match_the_tables() -> None:
    document = (ROOT / "docs" / "model.md").read_text()
    assert render(document) == document, "run: python -m sim.domain.diagrams docs/model.md"
    for name in MACHINES:
        assert f"<!-- diagram:{name} -->" in document


def test_every_kpi_is_defined_in_kpis_md() -> None:
    document = (ROOT / "docs" / "kpis.md").read_text()
    defined = set(re.findall(r"^\| `(\w+)` \|", document, re.MULTILINE))
    defined |= set(re.findall(r"^- `(\w+)`:", document, re.MULTILINE))
    assert set(KPI_NAMES) <= defined, set(KPI_NAMES) - defined


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
