"""`ccsim sweep SWEEP.yaml`: every grid point over the same replication seeds, resumable."""

from __future__ import annotations

import sys
import time
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
from sim.analysis.stats import Target, replications_for
from sim.analysis.sweep_repair import repair
from sim.cli import output
from sim.cli.options import executor_options, force_option, precision_options
from sim.cli.output import (
    EXIT_INTERRUPTED,
    Bar,
    announce,
    check_memory,
    executor,
    fail_input,
    refused,
    say,
    step_of,
    target_of,
    unreachable,
)
from sim.cli.tables import change_interval, interval, report_target, show, show_change
from sim.domain.scenario_file import ScenarioError
from sim.domain.sweep_file import Sweep, load_sweep


@click.command(name="sweep")
@click.argument("file", type=click.Path(path_type=Path))
@executor_options
@click.option("--out", type=click.Path(path_type=Path),
              help="Sweep folder [default: results/sweeps/<sweep>]; rerun to resume.")
@click.option("-r", "--replications", type=int, help="Replications per point (overrides).")
@click.option("--events/--no-events", default=True, help="Write each run's event log.")
@click.option("--figures/--no-figures", default=True, help="Draw KPI-vs-setting figures.")
@precision_options
@force_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or tables.")
def command(file: Path, workers: int | None, scheduler: str | None, out: Path | None,
            replications: int | None, events: bool, figures: bool,
            target_halfwidth: str | None, kpis: tuple[str, ...], max_replications: int,
            force: bool, quiet: bool) -> None:
    """Run every grid point of a sweep file over the same seeds."""
    try:
        spec = load_sweep(file, KPI_NAMES, force)
    except ScenarioError as error:
        fail_input(error.problems)
    chosen = kpis or spec.kpis or sweep.DEFAULT_KPIS
    target = target_of(target_halfwidth, kpis or spec.kpis, max_replications,
                       " or under kpis: in the sweep file")
    skipped = frozenset() if target is None else unestimable_points(target, spec)
    if replications is not None and replications < 1:
        fail_input([f"--replications {replications}: must be at least 1"])
    wanted = replications if replications is not None else spec.replications
    folder = out or Path("results") / "sweeps" / spec.name
    problem = name_problem(folder)
    if problem is not None:
        fail_input([f"--out {folder}: {problem}"])
    pool = executor(workers, len(spec.points) * wanted, scheduler)
    check_memory(file, [point.scenario for point in spec.points], pool, force)
    if target is not None:
        announce(target)
    plan = Plan(spec, folder, wanted, pool, events, figures, target, chosen, kpis, workers,
                quiet, skipped)
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
    skipped: frozenset[tuple[int, str]] = frozenset()  # (point, KPI) no goal can apply to


def run_plan(plan: Plan) -> None:
    spec, folder, target, events = plan.spec, plan.folder, plan.target, plan.events
    notes: list[str] = []
    try:
        store = sweep.open_store(spec, folder, notes)
    except sweep.SweepFolderError as error:
        fail_input([str(error)])
    for note in notes + repair(store):
        say(note, error=True)
    already = len([run for run in store.done(events) if run[1] < plan.wanted])
    started = time.perf_counter()
    with Bar(plan.quiet, spec.name) as bar:
        result, wanted = guarded_sweep(lambda: sweep_until(plan, store, bar), store)
    wall = time.perf_counter() - started
    sweep.write_outputs(spec, store, result, wall, {
        "executor": plan.pool.name, "kpis": list(plan.chosen),
        "target": None if target is None else target.describe()})
    if plan.figures:
        from sim.analysis.plots import sweep_figures  # matplotlib, only when drawing

        sweep_figures(result.summary, result.points, spec.keys, plan.chosen, folder / "figures")
    if not plan.quiet:  # every KPI, unless --kpi narrows the tables too
        for point in spec.points:
            output.stdout.print(point_table(spec, point.index, result, plan.shown or KPI_NAMES))
    if target is not None:
        report_target(target, target.reached(estimable(result.summary, plan.skipped)), wanted)
    ran = len([run for run in store.done(events) if run[1] < wanted]) - already
    say(f"results: {folder}  ({len(spec.points)} points x {wanted} replications; "
        f"{ran} runs now, {already} resumed from before; {wall:.1f} s, {plan.pool.name})")


def sweep_until(plan: Plan, store: sweep.Store, bar: Bar) -> tuple[sweep.SweepResult, int]:
    """Run missing runs; with a precision goal, add replications to every point until met."""
    spec, wanted, target = plan.spec, plan.wanted, plan.target
    while True:
        bar.total(len(spec.points) * wanted)
        bar.completed(len([run for run in store.done(plan.events) if run[1] < wanted]))
        sweep.run_missing(spec, store, wanted, plan.pool, plan.events, bar.advance)
        result = sweep.aggregate(spec, store, wanted)
        if target is None:
            return result, wanted
        worst = target.worst(estimable(result.summary, plan.skipped))
        if worst <= 1 or wanted >= target.cap:
            return result, wanted
        wanted = replications_for(wanted, worst, target.cap, step_of(plan.workers))


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


def estimable(summary: pd.DataFrame, skipped: frozenset[tuple[int, str]]) -> pd.DataFrame:
    """The summary without the rows the goal cannot apply to."""
    pairs = list(zip(summary["point"], summary["kpi"], strict=True))
    return summary[[pair not in skipped for pair in pairs]]


def guarded_sweep(work: Callable[[], Any], store: sweep.Store) -> Any:
    try:
        with interruptible():
            return work()
    except KeyboardInterrupt:
        say(f"interrupted: {len(store.done())} runs are saved in {store.root}; run the same "
            "command again to finish the rest", error=True)
        sys.exit(EXIT_INTERRUPTED)
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
