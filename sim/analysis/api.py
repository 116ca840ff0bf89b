"""The public Python API (`sim.run`, `sim.open`, `sim.sweep`, `sim.compare`, `sim.staff`,
`sim.report`; docs/api.md).

Each call does what its `ccsim` command does, with the same checks and the same files, and
returns an object over the folder it wrote, so results made in a notebook and on the command
line are read the same way. Ctrl-C (a notebook's interrupt) stops between runs: a run leaves
nothing, a sweep or comparison keeps its finished runs and resumes when called again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sim.analysis.comparison import comparison
from sim.analysis.executors import Executor, executor_for
from sim.analysis.experiment import Progress, interruptible
from sim.analysis.progress import LineProgress
from sim.analysis.resources import memory_refusal
from sim.analysis.results import scenario_text
from sim.analysis.run_folder import NotAResultsFolder, Run
from sim.analysis.staffing import ANSWER as STAFFING_ANSWER
from sim.analysis.staffing import open_staffing
from sim.analysis.stats import Target
from sim.analysis.sweep_results import Comparison, SweepResults
from sim.analysis.sweep_run import SweepOptions, run_sweep
from sim.domain.carried import Carried
from sim.domain.scenario import Scenario
from sim.domain.scenario_file import load_scenario, parse_scenario
from sim.domain.sweep_file import Sweep, load_sweep, parse_sweep

if TYPE_CHECKING:
    from sim.analysis.staffing_result import StaffingResult

ScenarioLike = str | Path | Scenario
T = TypeVar("T")


class Refused(RuntimeError):
    """The work would not fit (memory) or cannot start; the message says why."""


def run(scenario: ScenarioLike, *, replications: int | None = None, seed: int | None = None,
        overrides: Iterable[str] = (), workers: int | None = None,
        scheduler: str | None = None, out: str | Path | None = None, events: bool = True,
        figures: bool = True, target_halfwidth: str | None = None,
        kpis: Iterable[str] = ("service_level",), max_replications: int = 200,
        progress: bool = False, force: bool = False,
        start_from: str | Path | None = None) -> Run:
    """Run a scenario (a file, or one loaded or built in Python) and write its results
    folder: `out`, else results/<scenario>/<run-id> under the working directory. With
    `start_from` (an earlier run's folder), each replication starts from the state that
    folder's replication ended in (`ccsim run --from`)."""
    from sim.analysis.continuation import ContinuationError, carried_from, source
    from sim.analysis.runner import RunOptions, default_folder, run_scenario

    chosen = resolve(scenario, overrides, replications, seed)
    carried: list[Carried] = []
    try:
        start_from = source(None if start_from is None else Path(start_from), [chosen])
        if start_from is not None:
            chosen, carried = carried_from(start_from, chosen, replications is not None)
    except ContinuationError as error:
        raise Refused(str(error)) from None
    folder = Path(out) if out is not None else default_folder(Path("results"), chosen)
    pool = _executor(workers, chosen.replications, scheduler, [chosen], force)
    target = None if target_halfwidth is None else Target.parse(
        target_halfwidth, tuple(kpis), max_replications)
    step = max(1, int(getattr(pool, "workers", 1)))
    options = RunOptions(events, figures, carried=tuple(carried),
                         source="" if start_from is None else str(start_from))
    _stoppable(lambda: run_scenario(chosen, folder, pool, options,
                                    _progress(progress, chosen.name), target, step))
    return Run(folder)


def open(folder: str | Path) -> Run | SweepResults | Comparison | StaffingResult:
    """The results object of a folder written by a run, a sweep, a comparison or a
    staffing search."""
    path = Path(folder)
    if not path.is_dir():
        raise NotAResultsFolder(f"{path}: no such folder")
    if (path / STAFFING_ANSWER).exists():
        return open_staffing(path)
    if (path / "sweep.json").exists():
        results = SweepResults.open(path)
        return Comparison(path) if results.manifest.get("kind") == "comparison" else results
    return Run.open(path)


def report(results: str | Path | Run | SweepResults, out: str | Path | None = None) -> Path:
    """Write the HTML report of a results folder (or of a result object) to `out`, by
    default report.html in the folder; returns the file written."""
    from sim.analysis.report import write_report

    chosen = results if isinstance(results, Run | SweepResults) else open(results)
    if not isinstance(chosen, Run | SweepResults):
        raise NotAResultsFolder(f"{chosen.folder}: a staffing folder, which has no report "
                                "(its answer.json, candidates.csv and figures/staffing.png "
                                "are what it found)")
    return write_report(chosen, None if out is None else Path(out))


def sweep(spec: str | Path | Mapping[str, Any], *, replications: int | None = None,
          overrides: Iterable[str] = (), workers: int | None = None,
          scheduler: str | None = None,
          out: str | Path | None = None, events: bool = False, figures: bool = True,
          kpis: Iterable[str] = (), progress: bool = False, force: bool = False,
          start_from: str | Path | None = None) -> SweepResults:
    """Run every point of a sweep (a sweep file, or the same as a dict, whose `base:` is
    then relative to the working directory) over the same seeds, resuming its folder.
    `overrides` apply to the base scenario before the grid; `start_from` starts every run
    where that run folder's replication ended (`ccsim sweep --from`)."""
    from sim.analysis.catalogue import KPI_NAMES

    plan = _continued(_sweep_plan(spec, KPI_NAMES, force, list(overrides)), start_from,
                      replications)
    chosen = tuple(kpis) or plan.kpis
    folder = Path(out) if out is not None else Path("results") / "sweeps" / plan.name
    _run_plan(plan, folder, replications, workers, scheduler, force, progress,
              SweepOptions(events, figures, chosen or _default_kpis()))
    return SweepResults.open(folder)


def compare(*scenarios: ScenarioLike, replications: int | None = None,
            seed: int | None = None, overrides: Iterable[str] = (),
            workers: int | None = None, scheduler: str | None = None,
            out: str | Path | None = None, events: bool = False, figures: bool = True,
            kpis: Iterable[str] = (), progress: bool = False, force: bool = False,
            start_from: str | Path | None = None) -> Comparison:
    """Run scenarios on the same replication seeds (the first's seed unless `seed`) and
    take paired differences against the first. `overrides` apply to every scenario;
    `start_from` starts every run where that run folder's replication ended."""
    plan = _continued(comparison_plan(scenarios, overrides, replications, seed), start_from)
    folder = Path(out) if out is not None else Path("results") / "comparisons" / plan.name
    _run_plan(plan, folder, None, workers, scheduler, force, progress,
              SweepOptions(events, figures, tuple(kpis) or _default_kpis(),
                           kind="comparison"))
    return Comparison(folder)


def staff(scenario: ScenarioLike, targets: str | Iterable[str], vary: str | Iterable[str],
          *, ranges: str | Iterable[str] = (), cost: str | None = None,
          replications: int | None = None, max_replications: int | None = None,
          confidence: float = 0.95, overrides: Iterable[str] = (),
          workers: int | None = None, scheduler: str | None = None,
          out: str | Path | None = None, progress: bool = False, force: bool = False
          ) -> StaffingResult:
    """The cheapest staffing of the `vary` groups (`agents.GROUP.count`) meeting every
    target (`service_level>=0.8`) with `confidence`, as `ccsim staff` finds it, and its
    results folder (`out`, else results/staffing/<scenario>/<run-id>). Bad input raises
    StaffingInputError (`.problems`), or ScenarioError for the scenario."""
    import time

    from sim.analysis.staffing import answer, default_folder, largest, write_staffing
    from sim.analysis.staffing_question import read_question

    chosen = resolve(scenario, overrides)
    question = read_question(chosen, _listed(targets), _listed(vary), _listed(ranges), cost,
                             replications, max_replications, confidence)
    folder = Path(out) if out is not None else default_folder(chosen)
    started = time.perf_counter()
    pool = _executor(workers, question.cap, scheduler, [largest(chosen, question)], force)
    step = max(1, int(getattr(pool, "workers", 1)))
    result = _stoppable(lambda: answer(chosen, question, pool,
                                       _progress(progress, chosen.name), step))
    return write_staffing(result, folder, chosen, pool, time.perf_counter() - started)


def _listed(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def comparison_plan(scenarios: Iterable[ScenarioLike], overrides: Iterable[str] = (),
                    replications: int | None = None, seed: int | None = None) -> Sweep:
    given = list(scenarios)
    settings = list(overrides)
    loaded = [resolve(s, settings) for s in given]
    sources = [str(s) if not isinstance(s, Scenario) else s.name for s in given]
    return comparison(loaded, sources, seed, replications)


def resolve(scenario: ScenarioLike, overrides: Iterable[str] = (),
            replications: int | None = None, seed: int | None = None) -> Scenario:
    """A scenario with overrides applied and validated as a file's would be (a loaded one
    is written out and read back, so an override is checked the same way)."""
    settings = list(overrides)
    if replications is not None:
        settings.append(f"replications={replications}")
    if seed is not None:
        settings.append(f"seed={seed}")
    if isinstance(scenario, Scenario):
        if not settings:
            return scenario
        return parse_scenario(scenario_text(scenario), f"<{scenario.name}>", settings)
    return load_scenario(scenario, settings)


def _continued(plan: Sweep, start_from: str | Path | None,
               replications: int | None = None) -> Sweep:
    from sim.analysis.continuation import ContinuationError, continued_plan, source

    try:
        folder = source(None if start_from is None else Path(start_from),
                        [point.scenario for point in plan.points])
        if folder is None:
            return plan
        return continued_plan(plan, folder, replications or plan.replications)
    except ContinuationError as error:
        raise Refused(str(error)) from None


def _sweep_plan(spec: str | Path | Mapping[str, Any], kpi_names: tuple[str, ...],
                force: bool, overrides: list[str]) -> Sweep:
    if isinstance(spec, Mapping):  # JSON is YAML: read it as the same file would be
        text = json.dumps(dict(spec), default=str)
        return parse_sweep(text, Path.cwd() / "sweep", kpi_names, force, overrides)
    return load_sweep(spec, kpi_names, force, overrides)


def _run_plan(plan: Sweep, folder: Path, replications: int | None, workers: int | None,
              scheduler: str | None, force: bool, progress: bool,
              options: SweepOptions) -> None:
    from sim.analysis.outfolder import claimed

    wanted = replications or plan.replications
    pool = _executor(workers, len(plan.points) * wanted, scheduler,
                     [p.scenario for p in plan.points], force)
    with claimed(folder):
        _stoppable(lambda: run_sweep(plan, folder, wanted, pool, options,
                                     _progress(progress, plan.name)))


def _executor(workers: int | None, jobs: int, scheduler: str | None,
              scenarios: list[Scenario], force: bool) -> Executor:
    if workers is not None and workers < 1:
        raise ValueError(f"workers={workers}: must be at least 1")
    pool = executor_for(workers, jobs, scheduler)
    problem = None if force else memory_refusal(scenarios, pool)
    if problem is not None:
        raise Refused(f"{problem} (force=True runs it anyway)")
    return pool


def _stoppable(work: Callable[[], T]) -> T:
    """Run with Ctrl-C as a stop request between runs (only the main thread can take
    signals; elsewhere the work simply runs)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return work()
    with interruptible():
        return work()


def _progress(wanted: bool, label: str) -> Progress | None:
    return LineProgress(label) if wanted else None


def _default_kpis() -> tuple[str, ...]:
    from sim.analysis.sweep import DEFAULT_KPIS

    return DEFAULT_KPIS


