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
from sim.analysis.display import change_interval, interval, show, show_change
from sim.analysis.executors import Executor
from sim.analysis.experiment import interruptible
from sim.analysis.outfolder import OutFolderError, claimed, name_problem
from sim.analysis.stats import Target
from sim.analysis.sweep_run import SweepOptions, estimable, run_sweep
from sim.cli import output
from sim.cli.options import (
    executor_options,
    force_option,
    format_option,
    from_option,
    precision_options,
    report_option,
)
from sim.cli.output import (
    EXIT_INTERRUPTED,
    Bar,
    announce,
    check_memory,
    continued_plan,
    executor,
    fail_input,
    from_folder,
    refused,
    say,
    step_of,
    target_of,
    unreachable,
)
from sim.cli.report import write as write_report
from sim.cli.tables import kpi_frame, kpi_tables, report_target
from sim.domain.scenario_file import ScenarioError
from sim.domain.sweep_file import Sweep, load_sweep


@click.command(name="sweep")
@click.argument("file", type=click.Path(path_type=Path))
@executor_options
@click.option("--out", type=click.Path(path_type=Path),
              help="Sweep folder [default: results/sweeps/<sweep>]; rerun to resume.")
@click.option("-r", "--replications", type=int, help="Replications per point (overrides).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a setting of the base scenario, e.g. horizon=7d.")
@click.option("--events/--no-events", default=True, help="Write each run's event log.")
@click.option("--figures/--no-figures", default=True, help="Draw KPI-vs-setting figures.")
@format_option
@precision_options
@from_option
@force_option
@report_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or tables.")
def command(file: Path, workers: int | None, scheduler: str | None, out: Path | None,
            replications: int | None, overrides: tuple[str, ...], events: bool, figures: bool,
            table_format: str, target_halfwidth: str | None, kpis: tuple[str, ...],
            max_replications: int, previous: Path | None, force: bool, report: bool,
            quiet: bool) -> None:
    """Run every grid point of a sweep file over the same seeds."""
    try:
        spec = load_sweep(file, KPI_NAMES, force, overrides)
    except ScenarioError as error:
        fail_input(error.problems)
    chosen = kpis or spec.kpis or sweep.DEFAULT_KPIS
    target = target_of(target_halfwidth, kpis or spec.kpis, max_replications,
                       " or under kpis: in the sweep file")
    skipped = frozenset() if target is None else unestimable_points(target, spec)
    if replications is not None and replications < 1:
        fail_input([f"--replications {replications}: must be at least 1"])
    wanted = replications if replications is not None else spec.replications
    previous = from_folder(previous, [point.scenario for point in spec.points])
    if previous is not None:
        spec = continued_plan(spec, previous, wanted)
    folder = out or Path("results") / "sweeps" / spec.name
    problem = name_problem(folder)
    if problem is not None:
        fail_input([f"--out {folder}: {problem}"])
    pool = executor(workers, len(spec.points) * wanted, scheduler)
    check_memory(file, [point.scenario for point in spec.points], pool, force)
    if target is not None:
        announce(target)
    plan = Plan(spec, folder, wanted, pool, events, figures, target, chosen, kpis, workers,
                quiet, skipped, table_format == "xlsx")
    try:
        with claimed(folder):
            run_plan(plan)
    except (OutFolderError, OSError) as error:
        refused(error)
    if report:
        write_report(folder)


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
    skipped: frozenset[tuple[int, str]] = frozenset()  # (point, KPI) no goal can apply to
    workbook: bool = False


def run_plan(plan: Plan) -> None:
    spec, folder, target = plan.spec, plan.folder, plan.target
    options = SweepOptions(plan.events, plan.figures, plan.chosen, target, step_of(plan.workers),
                           workbook=plan.workbook, skipped=plan.skipped)
    store = sweep.Store(folder)
    with Bar(plan.quiet, spec.name) as bar:
        done = guarded_sweep(lambda: run_sweep(spec, folder, plan.wanted, plan.pool, options,
                                               bar), store)
    for note in done.notes:
        say(note, error=True)
    result, wanted = done.result, done.replications
    if not plan.quiet:  # every KPI, unless --kpi (or the file's kpis:) narrows the tables
        shown = plan.shown or spec.kpis or KPI_NAMES
        for point in spec.points:
            output.stdout.print(point_table(spec, point.index, result, shown))
        for table in overview_tables(spec, result, plan.shown or plan.chosen,
                                     output.stdout.width):
            output.stdout.print(table)
    if target is not None:
        report_target(target, target.reached(estimable(result.summary, plan.skipped)), wanted)
    say(f"results: {folder}  ({len(spec.points)} points x {wanted} replications; "
        f"{done.ran} runs now, {done.resumed} resumed from before; {done.wall:.1f} s, "
        f"{plan.pool.name})")


def unestimable_points(target: Target, spec: Sweep) -> frozenset[tuple[int, str]]:
    """The (point, KPI) pairs the goal cannot apply to, said on stderr; a KPI that no point
    can estimate is refused."""
    skipped: set[tuple[int, str]] = set()
    problems = []
    for kpi, reasons in unreachable(target, [point.scenario for point in spec.points]).items():
        points = [index for index, reason in enumerate(reasons) if reason]
        first = next(reason for reason in reasons if reason)
        if len(points) == len(spec.points):
            problems.append(f"--kpi {kpi}: no precision goal possible, no point of the sweep "
                            f"can estimate it: {first}")
        else:
            say(f"--kpi {kpi}: points {', '.join(map(str, points))} cannot estimate it "
                f"({first}); the precision goal applies to the others", error=True)
        skipped.update((index, kpi) for index in points)
    if problems:
        fail_input(problems)
    return frozenset(skipped)


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
    """A point's KPIs: mean over its interval, and (but for the base point) the paired
    difference from the base point over its interval; stacked, so it fits 80 columns."""
    point = spec.points[index]
    base = spec.points[spec.base_point]
    base_point = index == spec.base_point
    title = f"point {index}: {spec.describe(point)}"
    title += ("   (the base point)" if base_point else
              f"   (differences against point {base.index}: {spec.describe(base)})")
    columns = ("mean\n95% CI", *(() if base_point else ("difference\n95% CI",)), "n")
    table = kpi_frame(title, kpis, columns, justify="left")
    summary = result.summary[result.summary["point"] == index].set_index("kpi")
    differences = result.differences[result.differences["point"] == index].set_index("kpi")
    for name in kpis:
        mean, low, high, n = numbers(summary, name)
        change, change_low, change_high, _ = numbers(differences, name)
        cells = [f"{show(name, mean)}\n{interval(name, low, high)}"]
        if not base_point:
            cells.append(f"{show_change(name, change)}\n"
                         f"{change_interval(name, change_low, change_high)}")
        table.add_row(name, *cells, str(int(n)))
    return table


def overview_tables(spec: Sweep, result: sweep.SweepResult, kpis: tuple[str, ...],
                    width: int) -> list[Table]:
    """KPIs down, points across: the mean of each, to see the whole sweep at once; as many
    tables as it takes for the points to fit `width` columns."""
    means = result.summary.set_index(["point", "kpi"])["mean"]
    columns = [(f"point {p.index}\n" + "\n".join(str(p.settings[key]) for key in spec.keys),
                [show(name, float(means[(p.index, name)])) for name in kpis])
               for p in spec.points]
    return kpi_tables(f"{spec.name}: means per point (under each, {', '.join(spec.keys)})",
                      kpis, columns, width, POINT_WIDTH)


POINT_WIDTH = 11  # a point's column: its widest mean ("12h 30m", "100.0%") and borders
