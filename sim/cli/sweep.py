"""`ccsim sweep SWEEP.yaml`: every grid point over the same replication seeds, resumable."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.table import Table

from sim.analysis import sweep
from sim.analysis.catalogue import KPI_NAMES
from sim.analysis.executors import Executor
from sim.analysis.experiment import interruptible
from sim.analysis.outfolder import OutFolderError, claimed, name_problem
from sim.analysis.stats import Target
from sim.analysis.sweep_run import SweepOptions, run_sweep
from sim.cli import output
from sim.cli.output import (
    EXIT_INTERRUPTED,
    Bar,
    check_memory,
    executor,
    fail_input,
    force_option,
    format_option,
    precision_options,
    refused,
    say,
    step_of,
    target_of,
    workers_option,
)
from sim.cli.tables import change_interval, interval, report_target, show, show_change
from sim.domain.scenario_file import ScenarioError
from sim.domain.sweep_file import Sweep, load_sweep


@click.command(name="sweep")
@click.argument("file", type=click.Path(path_type=Path))
@workers_option
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run on a dask.distributed cluster (pip install 'ccsim[distributed]').")
@click.option("--out", type=click.Path(path_type=Path),
              help="Sweep folder [default: results/sweeps/<sweep>]; rerun to resume.")
@click.option("-r", "--replications", type=int, help="Replications per point (overrides).")
@click.option("--events/--no-events", default=True, help="Write each run's event log.")
@click.option("--figures/--no-figures", default=True, help="Draw KPI-vs-setting figures.")
@format_option
@precision_options
@force_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or tables.")
def command(file: Path, workers: int | None, scheduler: str | None, out: Path | None,
            replications: int | None, events: bool, figures: bool, table_format: str,
            target_halfwidth: str | None, kpis: tuple[str, ...], max_replications: int,
            force: bool, quiet: bool) -> None:
    """Run every grid point of a sweep file over the same seeds."""
    try:
        spec = load_sweep(file, KPI_NAMES, force)
    except ScenarioError as error:
        fail_input(error.problems)
    chosen = kpis or spec.kpis or sweep.DEFAULT_KPIS
    target = target_of(target_halfwidth, chosen, max_replications)
    if replications is not None and replications < 1:
        fail_input([f"--replications {replications}: must be at least 1"])
    wanted = replications if replications is not None else spec.replications
    folder = out or Path("results") / "sweeps" / spec.name
    problem = name_problem(folder)
    if problem is not None:
        fail_input([f"--out {folder}: {problem}"])
    pool = executor(workers, len(spec.points) * wanted, scheduler)
    check_memory(file, [point.scenario for point in spec.points], pool, force)
    plan = Plan(spec, folder, wanted, pool, events, figures, target, chosen, kpis, workers,
                quiet, table_format == "xlsx")
    try:
        with claimed(folder):
            run_plan(plan)
    except (OutFolderError, OSError) as error:
        refused(error)


@dataclass(frozen=True)
class Plan:
    spec: Sweep
    folder: Path
    wanted: int
    pool: Executor
    events: bool
    figures: bool
    target: Target | None
    chosen: tuple[str, ...]  # KPIs of the figures and the precision goal
    shown: tuple[str, ...]  # KPIs of the tables (--kpi), all when empty
    workers: int | None
    quiet: bool
    workbook: bool = False


def run_plan(plan: Plan) -> None:
    spec, folder, target = plan.spec, plan.folder, plan.target
    options = SweepOptions(plan.events, plan.figures, plan.chosen, target, step_of(plan.workers),
                           workbook=plan.workbook)
    store = sweep.Store(folder)
    with Bar(plan.quiet, spec.name) as bar:
        done = guarded_sweep(lambda: run_sweep(spec, folder, plan.wanted, plan.pool, options,
                                               bar), store)
    for note in done.notes:
        say(note, error=True)
    result, wanted = done.result, done.replications
    if not plan.quiet:
        shown = plan.shown or spec.kpis or KPI_NAMES
        for point in spec.points:
            output.stdout.print(point_table(spec, point.index, result, shown))
        output.stdout.print(overview_table(spec, result, plan.shown or plan.chosen))
    if target is not None:
        report_target(target, result.summary.assign(ratio=target.ratios(result.summary))
                      .dropna(subset=["ratio"]), wanted)
    say(f"results: {folder}  ({len(spec.points)} points x {wanted} replications; "
        f"{done.ran} runs now, {done.resumed} resumed from before; {done.wall:.1f} s, "
        f"{plan.pool.name})")


def guarded_sweep(work: Callable[[], Any], store: sweep.Store) -> Any:
    try:
        with interruptible():
            return work()
    except KeyboardInterrupt:
        say(f"interrupted: {len(store.done())} runs are saved in {store.root}; run the same "
            "command again to finish the rest", error=True)
        sys.exit(EXIT_INTERRUPTED)
    except sweep.SweepFolderError as error:
        fail_input([str(error)])
    except Exception as error:
        refused(error)


COLUMNS = ("mean", "ci_low", "ci_high", "n")


def numbers(frame: pd.DataFrame, kpi: str) -> list[float]:
    """A summary row's mean, interval and n as floats."""
    return [float(value) for value in frame.loc[kpi, list(COLUMNS)].to_numpy()]


def point_table(spec: Sweep, index: int, result: sweep.SweepResult,
                kpis: tuple[str, ...]) -> Table:
    point = spec.points[index]
    base = spec.points[spec.base_point]
    title = f"point {index}: {spec.describe(point)}"
    if index != spec.base_point:
        title += f"   (differences against point {base.index}: {spec.describe(base)})"
    else:
        title += "   (the base point)"
    table = Table(title=title, title_justify="left")
    for column in ("KPI", "mean", "95% CI", "difference", "95% CI of difference", "n"):
        table.add_column(column, justify="left" if column == "KPI" else "right")
    summary = result.summary[result.summary["point"] == index].set_index("kpi")
    differences = result.differences[result.differences["point"] == index].set_index("kpi")
    base_point = index == spec.base_point
    for name in kpis:
        mean, low, high, n = numbers(summary, name)
        change, change_low, change_high, _ = numbers(differences, name)
        table.add_row(name, show(name, mean), interval(name, low, high),
                      "" if base_point else show_change(name, change),
                      "" if base_point else change_interval(name, change_low, change_high),
                      str(int(n)))
    return table


def overview_table(spec: Sweep, result: sweep.SweepResult, kpis: tuple[str, ...]) -> Table:
    """Points down, KPIs across: the mean of each, to see the whole sweep at once."""
    table = Table(title=f"{spec.name}: mean of each KPI per point (95% CIs in the tables "
                        "above)", title_justify="left")
    for column in ("point", *spec.keys):
        table.add_column(column)
    for name in kpis:
        table.add_column(name.replace("_", " "), justify="right")
    means = result.summary.set_index(["point", "kpi"])["mean"]
    for point in spec.points:
        table.add_row(str(point.index), *(str(point.settings[key]) for key in spec.keys),
                      *(show(name, float(means[(point.index, name)])) for name in kpis))
    return table
