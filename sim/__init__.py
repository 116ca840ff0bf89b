"""ccsim: a discrete-event simulation of a Flex-style email contact center.

The package is drawn in layers, one sub-package each; a module imports only from its own
layer or those below (tests/test_architecture.py checks it, docs/architecture.md draws it):

- `sim.domain`: the lifecycle tables, scenarios and their files, distributions, streams,
  calendars and demand (no SimPy, no pandas);
- `sim.engine`: the SimPy model of one replication and its event log;
- `sim.analysis`: KPIs, experiments and executors, results, plots, theory and checks;
- `sim.cli`: the `ccsim` command line.

The public API below is imported on first use, so `import sim` stays cheap.

The engine's hot modules may be compiled with mypyc at install time (setup.py). The same
source runs either way, with identical results; `sim.NATIVE` says which is in use. The
Python sources are used when CCSIM_PURE_PYTHON is set, or when a compiled module is missing
or older than its source (an edit since the last install: reinstall to recompile).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.analysis.api import Refused, compare, open, report, resolve, run, staff, sweep
    from sim.analysis.run_folder import NotAResultsFolder, Run
    from sim.analysis.staffing_result import StaffingResult
    from sim.analysis.staffing_targets import StaffingInputError
    from sim.analysis.sweep_results import Comparison, SweepResults
    from sim.domain.scenario import Scenario
    from sim.domain.scenario_file import ScenarioError, load_scenario, parse_scenario
    from sim.engine.model import Replication, run_replication

_PUBLIC = {
    "run": "sim.analysis.api",
    "open": "sim.analysis.api",
    "sweep": "sim.analysis.api",
    "compare": "sim.analysis.api",
    "report": "sim.analysis.api",
    "resolve": "sim.analysis.api",
    "Refused": "sim.analysis.api",
    "Run": "sim.analysis.run_folder",
    "NotAResultsFolder": "sim.analysis.run_folder",
    "SweepResults": "sim.analysis.sweep_results",
    "Comparison": "sim.analysis.sweep_results",
    "Replication": "sim.engine.model",
    "Scenario": "sim.domain.scenario",
    "ScenarioError": "sim.domain.scenario_file",
    "load_scenario": "sim.domain.scenario_file",
    "parse_scenario": "sim.domain.scenario_file",
    "run_replication": "sim.engine.model",
    "staff": "sim.analysis.api",
    "StaffingResult": "sim.analysis.staffing_result",
    "StaffingInputError": "sim.analysis.staffing_targets",
}

__all__ = [
    "Comparison",
    "NotAResultsFolder",
    "Refused",
    "Replication",
    "Run",
    "Scenario",
    "ScenarioError",
    "StaffingInputError",
    "StaffingResult",
    "SweepResults",
    "compare",
    "load_scenario",
    "open",
    "parse_scenario",
    "report",
    "resolve",
    "run",
    "run_replication",
    "staff",
    "sweep",
]
assert sorted(__all__) == sorted(_PUBLIC)

# The modules setup.py compiles (tests/test_architecture.py checks the two lists agree).
COMPILED = ("sim.domain.calendar", "sim.engine.agents", "sim.engine.clock", "sim.engine.codes",
            "sim.engine.customers", "sim.engine.entities", "sim.engine.eventlog",
            "sim.engine.pools", "sim.engine.recorder", "sim.engine.router", "sim.engine.timeline")
_HERE = Path(__file__).resolve().parent


def _source(name: str) -> Path:
    return _HERE.joinpath(*name.split(".")[1:]).with_suffix(".py")


def _compiled(name: str) -> Path | None:
    source = _source(name)
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = source.with_suffix(suffix)
        if candidate.exists():
            return candidate
    return None


def _native_problem() -> str | None:
    """Why the compiled modules cannot be used (None: they can)."""
    if os.environ.get("CCSIM_PURE_PYTHON"):
        return "CCSIM_PURE_PYTHON is set"
    built = {name: _compiled(name) for name in COMPILED}
    if not any(built.values()):
        return "not compiled"
    stale = [name for name, path in built.items()
             if path is None or path.stat().st_mtime < _source(name).stat().st_mtime]
    if stale:
        return f"{stale[0]} is older than its source"
    return None


class _Sources(importlib.abc.MetaPathFinder):
    """Imports the compiled modules from their Python sources instead."""

    def find_spec(self, name: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if name not in COMPILED:
            return None
        return importlib.util.spec_from_file_location(name, _source(name))


_PROBLEM = _native_problem()
NATIVE = _PROBLEM is None
if not NATIVE:
    sys.meta_path.insert(0, _Sources())
    if _PROBLEM not in ("not compiled", "CCSIM_PURE_PYTHON is set"):
        warnings.warn(f"ccsim: running the engine from its Python sources ({_PROBLEM}); "
                      "reinstall (pip install -e .) to recompile it", stacklevel=1)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
