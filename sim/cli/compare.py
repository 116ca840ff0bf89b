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
from sim.analysis.display import change_interval, interval, show, show_change
from sim.cli import output
from sim.cli.options import (
    executor_options,
    force_option,
    format_option,
    from_option,
    report_option,
)
from sim.cli.output import (
    Bar,
    check_memory,
    continued_plan,
    executor,
    fail_input,
    from_folder,
    say,
    warn_about,
)
from sim.cli.report import write as write_report
from sim.cli.tables import kpi_tables

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
              help="Override a setting in every scenario, e.g. horizon=14d (keys: "
                   "docs/reference.md).")
@click.option("--out", type=click.Path(path_type=Path),
              help="Comparison folder [default: results/comparisons/<A>-vs-<B>]; rerun to "
                   "resume.")
@executor_options
@click.option("--kpi", "kpis", multiple=True, metavar="NAME",
              help="KPIs of the table and figures (repeatable) [default: the headline ones].")
@click.option("--events/--no-events", default=False, help="Write each run's event log.")
@click.option("--figures/--no-figures", default=True, help="Draw figures per KPI.")
@format_option
@from_option
@force_option
@report_option
@click.option("-q", "--quiet", is_flag=True, help="No progress or table.")
def command(files: tuple[Path, ...], replications: int | None, seed: int | None,
            overrides: tuple[str, ...], out: Path | None, workers: int | None,
            scheduler: str | None, kpis: tuple[str, ...], events: bool, figures: bool,
            table_format: str, previous: Path | None, force: bool, report: bool,
            quiet: bool) -> None:
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
    previous = from_folder(previous, [point.scenario for point in plan.points])
    if previous is not None:
        plan = continued_plan(plan, previous, plan.replications)
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
        for table in comparison_tables(plan, result, chosen, output.stdout.width):
            output.stdout.print(table)
    say(f"results: {folder}  ({len(plan.points)} scenarios x {plan.replications} "
        f"replications on the same seeds; {result.wall:.1f} s, {pool.name})")
    if report:
        write_report(folder)


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


def comparison_tables(plan: Sweep, done: SweepRun, kpis: tuple[str, ...],
                      width: int) -> list[Table]:
    """KPIs down; each scenario's mean and interval, then each one's paired difference
    from the first; in as many tables as it takes to fit `width` columns."""
    names = [str(point.settings["scenario"]) for point in plan.points]
    summary = _rows(done.result.summary)
    differences = _rows(done.result.differences)
    columns = [(name, [_cell(kpi, summary[(p.index, kpi)], show, interval) for kpi in kpis])
               for name, p in zip(names, plan.points, strict=True)]
    columns += [(f"{name} - {names[0]}",
                 [_cell(kpi, differences[(p.index, kpi)], show_change, change_interval)
                  for kpi in kpis]) for name, p in zip(names[1:], plan.points[1:], strict=True)]
    return kpi_tables(f"{' vs '.join(names)}: {plan.replications} replications on the same "
                      "seeds (mean, 95% CI)", kpis, columns, width, VALUE_WIDTH)


VALUE_WIDTH = 15  # a scenario's column: "+20.5 pts .." on a line, and its borders


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
