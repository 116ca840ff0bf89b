"""ccsim: a discrete-event simulation of a Flex-style email contact center.

The package is drawn in layers, one sub-package each; a module imports only from its own
layer or those below (tests/test_architecture.py checks it, docs/architecture.md draws it):

- `sim.domain`: the lifecycle tables, scenarios and their files, distributions, streams,
  calendars and demand (no SimPy, no pandas);
- `sim.engine`: the SimPy model of one replication and its event log;
- `sim.analysis`: KPIs, experiments and executors, results, plots, theory and checks;
- `sim.cli`: the `ccsim` command line.

The public API below is imported on first use, so `import sim` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.domain.scenario import Scenario
    from sim.domain.scenario_file import ScenarioError, load_scenario, parse_scenario
    from sim.engine.model import Replication, run_replication

_PUBLIC = {
    "Replication": "sim.engine.model",
    "Scenario": "sim.domain.scenario",
    "ScenarioError": "sim.domain.scenario_file",
    "load_scenario": "sim.domain.scenario_file",
    "parse_scenario": "sim.domain.scenario_file",
    "run_replication": "sim.engine.model",
}

__all__ = [
    "Replication",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "parse_scenario",
    "run_replication",
]
assert sorted(__all__) == sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
