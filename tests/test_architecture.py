"""The layers of DESIGN.md section 4 as packages: `sim.domain`, `sim.engine`, `sim.analysis`,
`sim.cli`. A module imports only from its own layer or those below, uses only the third-party
libraries its layer may, imports no module that imports it back (type-only imports
included), and stays small enough to read at once."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sim.analysis.codemap import import_graph, module_name

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "sim"
ORDER = ["domain", "engine", "analysis", "cli"]
# Third-party libraries a layer must not use (domain: no SimPy, no pandas; analysis: no SimPy).
FORBIDDEN = {
    "domain": {"simpy", "pandas", "matplotlib", "scipy", "pyarrow", "click", "rich"},
    "engine": {"matplotlib", "scipy", "pyarrow", "click", "rich"},
    "analysis": {"simpy", "click", "rich"},
    "cli": {"simpy"},
}
TOP = {"sim", "sim.__main__"}  # the public API and `python -m sim`: above every layer
MAX_LINES = 400

GRAPH = import_graph(SIM)
MODULES = sorted(GRAPH)


def layer(module: str) -> str:
    return "top" if module in TOP else module.split(".")[1]


def test_every_module_is_in_a_layer_package() -> None:
    loose = [m for m in MODULES if m not in TOP and layer(m) not in ORDER]
    assert not loose, f"modules outside sim/domain, engine, analysis, cli: {loose}"


@pytest.mark.parametrize("module", MODULES)
def test_imports_go_downwards(module: str) -> None:
    if module in TOP:
        return
    mine = ORDER.index(layer(module))
    for target in GRAPH[module].sim:
        if target in TOP:
            pytest.fail(f"{module} imports the top-level package {target}")
        assert ORDER.index(layer(target)) <= mine, (
            f"{module} ({layer(module)}) imports {target} ({layer(target)})")


@pytest.mark.parametrize("module", [m for m in MODULES if m not in TOP])
def test_third_party_libraries_fit_the_layer(module: str) -> None:
    used = GRAPH[module].third_party & FORBIDDEN[layer(module)]
    assert not used, f"{module} ({layer(module)}) imports {sorted(used)}"


def test_no_import_cycles_type_only_imports_included() -> None:
    cycles = []
    state: dict[str, int] = {}  # 1 on the stack, 2 finished
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH[module].sim):
            if target not in GRAPH:
                continue
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target):], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in MODULES:
        if module not in state:
            visit(module)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("path", sorted(SIM.rglob("*.py")), ids=lambda p: module_name(SIM, p))
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"


def test_graph_reads_type_only_and_relative_imports() -> None:
    # The checks above are only as good as the graph; make sure it sees what they rely on.
    source = ("from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
              "if TYPE_CHECKING:\n    from sim.engine.agents import Agent\n"
              "from sim.domain import lifecycle\nimport numpy as np\n")
    from sim.analysis.codemap import imports_of

    found = imports_of(ast.parse(source), "sim.engine.router")
    assert found.sim == {"sim.engine.agents", "sim.domain.lifecycle"}
    assert found.third_party == {"numpy", "typing", "__future__"}


def test_setup_compiles_exactly_the_modules_sim_falls_back_for() -> None:
    import sim

    tree = ast.parse((ROOT / "setup.py").read_text())
    listed = next(node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == "COMPILED" for t in node.targets))
    paths = ast.literal_eval(listed)
    assert sorted(path.removesuffix(".py").replace("/", ".") for path in paths) == sorted(
        sim.COMPILED)
