"""Layers of DESIGN.md section 4: a module imports only from its own layer or those below."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parent.parent / "sim"

LAYERS: dict[str, tuple[str, ...]] = {
    "domain": ("lifecycle", "durations", "distributions", "streams", "scenario",
               "scenario_file", "schema", "calendar", "demand", "diagrams", "sweep_file"),
    "engine": ("clock", "eventlog", "entities", "recorder", "router", "agents", "customers",
               "model"),
    "analysis": ("audit", "metrics", "stats", "experiment", "results", "plots", "runner",
                 "theory", "versions", "verify", "regress", "sweep", "distributed", "warmup"),
    "interface": ("cli", "__main__", "__init__"),
}
ORDER = list(LAYERS)
LAYER_OF = {module: layer for layer, modules in LAYERS.items() for module in modules}
# Third-party libraries a layer must not use (domain: no SimPy, no pandas; analysis: no SimPy).
FORBIDDEN = {
    "domain": {"simpy", "pandas", "matplotlib"},
    "engine": {"matplotlib", "click", "rich"},
    "analysis": {"simpy", "click"},
    "interface": set(),
}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == "sim":
            found |= {f"sim.{alias.name}" for alias in node.names}  # from sim import theory
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


MODULES = sorted(path.stem for path in SIM.glob("*.py"))


def test_every_module_has_a_layer() -> None:
    assert set(MODULES) == set(LAYER_OF), "assign new modules to a layer in this test"


@pytest.mark.parametrize("module", MODULES)
def test_imports_go_downwards(module: str) -> None:
    layer = LAYER_OF[module]
    for name in imports(SIM / f"{module}.py"):
        top = name.split(".")[0]
        if top == "sim":
            target = name.split(".")[1] if "." in name else "__init__"
            assert ORDER.index(LAYER_OF[target]) <= ORDER.index(layer), (
                f"{module} ({layer}) imports {target} ({LAYER_OF[target]})")
        assert top not in FORBIDDEN[layer], f"{module} ({layer}) imports {top}"
