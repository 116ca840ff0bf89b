"""The notebooks of notebooks/ (README's Notebooks section): stored without outputs, using
only the public API, writing only where CCSIM_NOTEBOOK_OUT says. pytest runs each of them
(nbmake, pyproject's testpaths); these checks are on what is stored."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
QUESTIONS = {"reassignment.ipynb", "pause.ipynb", "leave_reactivation.ipynb"}


def cells(path: Path, kind: str) -> list[str]:
    notebook: dict[str, Any] = json.loads(path.read_text())
    return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == kind]


def test_there_is_a_notebook_per_question_and_readme_lists_each() -> None:
    assert {path.name for path in NOTEBOOKS} == QUESTIONS
    readme = (ROOT / "README.md").read_text()
    for name in QUESTIONS:
        assert f"`{name}`" in readme, name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_a_notebook_is_stored_without_outputs(path: Path) -> None:
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"]
        assert not cell.get("attachments"), cell["source"]
    assert set(notebook["metadata"]) <= {"kernelspec", "language_info"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_a_notebook_uses_only_the_public_api(path: Path) -> None:
    code = "\n".join(cells(path, "code"))
    assert re.search(r"^import sim$", code, re.MULTILINE)
    assert not re.search(r"\bfrom sim\b|\bimport sim\.|\bsim\.(analysis|domain|engine|cli)\b",
                         code)
    used = set(re.findall(r"\bsim\.(\w+)", code))
    assert used and used <= {"run", "sweep", "compare", "open", "resolve", "load_scenario"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_a_notebook_writes_under_its_out_folder_and_saves_its_figures(path: Path) -> None:
    code = "\n".join(cells(path, "code"))
    assert 'os.environ.get("CCSIM_NOTEBOOK_OUT")' in code
    calls = re.findall(r"sim\.(?:run|sweep|compare)\((?:[^()]|\([^()]*\))*\)", code, re.DOTALL)
    assert len(calls) == len(re.findall(r"sim\.(?:run|sweep|compare)\(", code)) >= 1
    assert all("out=OUT / " in call for call in calls), calls
    assert all("figures=False" in call for call in calls), calls
    assert ".savefig(path" in code and "FIGURES = OUT /" in code
    assert len(re.findall(r"^show\(", code, re.MULTILINE)) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_a_notebook_ends_with_a_conclusion_its_run_checks(path: Path) -> None:
    markdown = cells(path, "markdown")
    assert markdown[-1].startswith("## Conclusion"), markdown[-1][:40]
    assert markdown[0].startswith("# ")
    checks = cells(path, "code")[-1]
    assert checks.count("assert ") >= 3 and "ci_" in checks
