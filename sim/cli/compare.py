"""`ccsim compare A.yaml B.yaml [C.yaml ...]`: scenarios on the same replication seeds, each
KPI per scenario and its paired difference against the first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pandas as pd
from rich.table import Table

from sim.analysis.catalogue import KPI_NAMES
from sim.cli import output
from sim.cli.output import (
    Bar,
    check_memory,
    executor,
    fail_input,
    force_option,
    format_option,
    say,
    warn_about,
    workers_option,
)
from sim.cli.tables import change_interval, interval, show, show_change

if TYPE_CHECKING:
    from sim.analysis.executors import Executor
    from sim.analysis.sweep_run import SweepOptions, SweepRun
    from sim.domain.sweep_file import Sweep


@click.command(name="compare")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-r", "--replications", type=int,
              help="Replications of every scenario [default: the first file's].")
@click.option("--seed", type=int, help="Base seed of every scenario [default: the first's].")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a setting in every scenario, e.g. horizon=14d.")
@click.option("--out", type=click.Path(path_type=Path),
              help="Comparison folder [default: results/comparisons/<A>-vs-<B>]; rerun to "
                   "resume.")
@workers_option
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run on a dask.distributed cluster (pip install 'ccsim[distributed]').")
@click.option("--kpi", "kpis", multiple=True, metavar="NAME",
              help="KPIs of the table and figures (repeatable) [default: the headline ones].")
@click.option("--events/--no-events", default=False, help="Write each run's event log.")
@click.option("--figures/--no-figures", default=True, help="Draw figures per KPI.")
@format_option
@force_option
@click.option("-q", "--quiet", is_flag=True, help="No progress or table.")
def command(files: tuple[Path, ...], replications: int | None, seed: int | None,
            overrides: tuple[str, ...], out: Path | None, workers: int | None,
            scheduler: str | None, kpis: tuple[str, ...], events: bool, figures: bool,
            table_format: str, force: bool, quiet: bool) -> None:
    """Compare scenarios on the same seeds, with paired differences."""
    from sim.analysis.api import comparison_plan
    from sim.analysis.comparison import ComparisonError
    from sim.analysis.sweep import DEFAULT_KPIS
    from sim.analysis.sweep_run import SweepOptions
    from sim.domain.scenario_file import ScenarioError

    if len(files) < 2:
        fail_input(["compare needs at least two scenario files"])
    unknown = [name for name in kpis if name not in KPI_NAMES]
    if unknown:
        fail_input([f"--kpi {name}: not a KPI (see docs/kpis.md)" for name in unknown])
    if replications is not None and replications < 1:
        fail_input([f"--replications {replications}: must be at least 1"])
    try:
        plan = comparison_plan(files, overrides, replications, seed)
    except ScenarioError as error:
        fail_input(error.problems)
    except ComparisonError as error:
        fail_input([str(error)])
    for path, point in zip(files, plan.points, strict=True):
        warn_about(path, point.scenario)
    folder = out or Path("results") / "comparisons" / plan.name
    pool = executor(workers, len(plan.points) * plan.replications, scheduler)
    check_memory(files[0], [p.scenario for p in plan.points], pool, force)
    chosen = kpis or DEFAULT_KPIS
    options = SweepOptions(events, figures, chosen, kind="comparison",
                           workbook=table_format == "xlsx")
    result = _run(plan, folder, pool, options, quiet)
    if not quiet:
        output.stdout.print(comparison_table(plan, result, chosen))
    say(f"results: {folder}  ({len(plan.points)} scenarios x {plan.replications} "
        f"replications on the same seeds; {result.wall:.1f} s, {pool.name})")


def _run(plan: Sweep, folder: Path, pool: Executor, options: SweepOptions,
         quiet: bool) -> SweepRun:
    from sim.analysis import sweep
    from sim.analysis.outfolder import OutFolderError, claimed
    from sim.analysis.sweep_run import run_sweep
    from sim.cli.sweep import guarded_sweep

    try:
        with claimed(folder), Bar(quiet, plan.name) as bar:
            done: SweepRun = guarded_sweep(lambda: run_sweep(
                plan, folder, plan.replications, pool, options, bar), sweep.Store(folder))
    except OutFolderError as error:
        fail_input([str(error)])
    for note in done.notes:
        say(note, error=True)
    return done


def comparison_table(plan: Sweep, done: SweepRun, kpis: tuple[str, ...]) -> Table:
    """KPIs down; each scenario's mean and interval, then each one's paired difference
    from the first."""
    names = [str(point.settings["scenario"]) for point in plan.points]
    first = names[0]
    table = Table(title=f"{' vs '.join(names)}: {plan.replications} replications on the "
                        "same seeds (mean, 95% CI)", title_justify="left")
    table.add_column("KPI")
    for name in names:
        table.add_column(name, justify="right")
    for name in names[1:]:
        table.add_column(f"{name} - {first}", justify="right")
    summary = _rows(done.result.summary)
    differences = _rows(done.result.differences)
    for kpi in kpis:
        cells = [_cell(kpi, summary[(p.index, kpi)], show, interval) for p in plan.points]
        cells += [_cell(kpi, differences[(p.index, kpi)], show_change, change_interval)
                  for p in plan.points[1:]]
        table.add_row(kpi, *cells)
    return table


Numbers = tuple[float, float, float, float]  # mean, ci_low, ci_high, n


def _rows(frame: pd.DataFrame) -> dict[tuple[int, str], Numbers]:
    columns = ["point", "kpi", "mean", "ci_low", "ci_high", "n"]
    return {(int(p), str(k)): (float(m), float(lo), float(hi), float(n))
            for p, k, m, lo, hi, n in frame[columns].itertuples(index=False, name=None)}


def _cell(kpi: str, numbers: Numbers, value: Callable[[str, float], str],
          spread: Callable[[str, float, float], str]) -> str:
    mean, low, high, n = numbers
    if n == 0:
        return "undefined"
    return f"{value(kpi, mean)}\n({spread(kpi, low, high)})"
