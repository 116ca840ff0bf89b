"""Running a sweep (or a comparison, a sweep whose points are scenario files) into its
folder: resume what is there, run what is missing, add replications towards a precision
goal, and write the tables and figures. `ccsim sweep`, `ccsim compare`, `sim.sweep` and
`sim.compare` all come through here."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis import sweep
from sim.analysis.executors import Executor
from sim.analysis.experiment import Progress
from sim.analysis.stats import Target, replications_for
from sim.analysis.sweep_repair import repair
from sim.domain.sweep_file import Sweep


@dataclass(frozen=True)
class SweepOptions:
    events: bool = True
    figures: bool = True
    kpis: tuple[str, ...] = sweep.DEFAULT_KPIS  # of the figures and the precision goal
    target: Target | None = None
    step: int = 1  # replications added at a time towards the target
    kind: str = "sweep"  # or "comparison"
    workbook: bool = False  # also tables.xlsx (--format xlsx)
    skipped: frozenset[tuple[int, str]] = frozenset()  # (point, KPI) no goal can apply to
    extra: dict[str, Any] = field(default_factory=dict)  # more for the manifest


@dataclass(frozen=True)
class SweepRun:
    """What running a sweep did."""

    result: sweep.SweepResult
    replications: int  # per point, as finally run
    ran: int  # runs made now
    resumed: int  # runs found done from before
    notes: list[str]  # what was repaired or rebuilt in the folder
    wall: float


def run_sweep(spec: Sweep, folder: Path, replications: int, executor: Executor,
              options: SweepOptions = SweepOptions(),
              progress: Progress | None = None) -> SweepRun:
    """Run `spec` into `folder` (resuming it) and write its outputs."""
    notes: list[str] = []
    store = sweep.open_store(spec, folder, notes)
    notes += repair(store)
    already = _done(store, options.events, replications)
    started = time.perf_counter()
    result, wanted = _until_precise(spec, store, replications, executor, options, progress)
    wall = time.perf_counter() - started
    sweep.write_outputs(spec, store, result, wall, {
        "kind": options.kind, "executor": executor.name, "kpis": list(options.kpis),
        "target": None if options.target is None else options.target.describe(),
        "continued_from": spec.continued_from or None, **options.extra}, options.workbook)
    if options.figures:
        from sim.analysis.charts import sweep_figures  # matplotlib, only when drawing

        sweep_figures(result.summary, result.points, spec.keys, options.kpis,
                      folder / "figures", spec.name)
    ran = _done(store, options.events, wanted) - already
    return SweepRun(result, wanted, ran, already, notes, wall)


def _done(store: sweep.Store, events: bool, replications: int) -> int:
    return len([run for run in store.done(events) if run[1] < replications])


def _until_precise(spec: Sweep, store: sweep.Store, wanted: int, executor: Executor,
                   options: SweepOptions, progress: Progress | None
                   ) -> tuple[sweep.SweepResult, int]:
    """Run missing runs; with a precision goal, add replications to every point until met."""
    target = options.target
    while True:
        if progress is not None:
            progress.total(len(spec.points) * wanted)
            progress.completed(_done(store, options.events, wanted))
        sweep.run_missing(spec, store, wanted, executor, options.events,
                          None if progress is None else progress.advance,
                          None if progress is None else progress.reached)
        result = sweep.aggregate(spec, store, wanted)
        if target is None:
            return result, wanted
        worst = target.worst(estimable(result.summary, options.skipped))
        cap = min(target.cap, _states(spec))  # continued: no more than there are states
        if worst <= 1 or wanted >= cap:
            return result, wanted
        wanted = replications_for(wanted, worst, cap, options.step)


def _states(spec: Sweep) -> int:
    """How many replications a continued sweep has states for (no limit otherwise)."""
    return min((len(states) for states in spec.carried), default=10**9)


def estimable(summary: pd.DataFrame, skipped: frozenset[tuple[int, str]]) -> pd.DataFrame:
    """The summary without the rows the precision goal cannot apply to."""
    pairs = list(zip(summary["point"], summary["kpi"], strict=True))
    return summary[[pair not in skipped for pair in pairs]]
