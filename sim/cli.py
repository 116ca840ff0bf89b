"""The `ccsim` command line (and `python -m sim`, the same CLI).

Bad input exits 2 with every problem as `file:line:col: dotted.path: message`; an interrupt
exits 130 (a run leaves no results folder, a sweep keeps its finished runs for resuming);
nothing the user typed produces a traceback.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from sim import regress, sweep
from sim import warmup as warmups
from sim.durations import DurationError, format_duration, parse_duration
from sim.experiment import Executor, Outcome, executor_for, interruptible
from sim.metrics import KPI_NAMES, RATES, TIMES
from sim.plots import sweep_figures
from sim.runner import RunOptions, default_folder, run_scenario
from sim.scenario import Scenario
from sim.scenario_file import ScenarioError, load_scenario
from sim.schema import scenario_json_schema
from sim.stats import Target, replications_for
from sim.sweep_file import Sweep, load_sweep
from sim.verify import CONFIDENCE, total_jobs, verify

EXIT_INPUT = 2
EXIT_INTERRUPTED = 130
_WIDTH = None if sys.stdout.isatty() else 140  # logs and pipes: wide enough for the tables
stdout = Console(width=_WIDTH)
stderr = Console(stderr=True, width=_WIDTH)


def say(text: str, error: bool = False) -> None:
    """One plain line: never wrapped, never read as markup (paths may contain brackets)."""
    click.echo(text, err=error)


def fail_input(problems: Sequence[object]) -> NoReturn:
    for problem in problems:
        say(str(problem), error=True)
    sys.exit(EXIT_INPUT)


def bundled(name: str) -> Path:
    """A file shipped in scenarios/: from the working directory, else next to the code."""
    for base in (Path.cwd(), Path(__file__).resolve().parent.parent):
        candidate = base / "scenarios" / name
        if candidate.exists():
            return candidate
    fail_input([f"scenarios/{name}: not found here; pass the file explicitly"])


def load(path: Path, overrides: Sequence[str]) -> Scenario:
    try:
        return load_scenario(path, overrides)
    except ScenarioError as error:
        fail_input(error.problems)


def executor(workers: int | None, jobs: int, scheduler: str | None = None) -> Executor:
    if workers is not None and workers < 1:
        fail_input([f"--workers {workers}: must be at least 1"])
    if scheduler is not None and workers is not None:
        fail_input(["--workers and --scheduler: choose one (the cluster has its own workers)"])
    return executor_for(workers, jobs, scheduler)


def target_of(text: str | None, kpis: tuple[str, ...], cap: int) -> Target | None:
    unknown = [name for name in kpis if name not in KPI_NAMES]
    if unknown:
        fail_input([f"--kpi {name}: not a KPI (see docs/kpis.md)" for name in unknown])
    if cap < 1:
        fail_input([f"--max-replications {cap}: must be at least 1"])
    if text is None:
        return None
    try:
        return Target.parse(text, kpis, cap)
    except ValueError as error:
        fail_input([f"--target-halfwidth {error}"])


class Guarded(click.Group):
    """Turns an unexpected error into one line (CCSIM_DEBUG=1 shows the traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            say("interrupted", error=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as error:
            if os.environ.get("CCSIM_DEBUG"):
                raise
            say(f"internal error: {type(error).__name__}: {error}\n"
                "This is a bug in ccsim; rerun with CCSIM_DEBUG=1 to see where.", error=True)
            sys.exit(1)


@click.group(cls=Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ccsim")
def main() -> None:
    """ccsim: simulate a Flex-style email contact center."""


# validate, schema ---------------------------------------------------------------------------

@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check scenario files; print OK per file or every problem, exit 2 on any."""
    problems: list[object] = []
    for path in files:
        try:
            load_scenario(path)
            say(f"{path}: OK")
        except ScenarioError as error:
            problems.extend(error.problems)
    if problems:
        fail_input(problems)


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    click.echo(json.dumps(scenario_json_schema(), indent=2))


# run ----------------------------------------------------------------------------------------

def precision_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed((
        click.option("--target-halfwidth", metavar="WIDTH",
                     help="Add replications until each chosen KPI's 95% CI half-width is "
                          "within WIDTH: 5% of the mean, or a number in the KPI's unit."),
        click.option("--kpi", "kpis", multiple=True, metavar="NAME",
                     help="KPIs the precision goal, sweep figures and sweep tables apply to; "
                          "repeatable."),
        click.option("--max-replications", default=200, show_default=True,
                     help="Cap on replications when a precision goal is set."),
    )):
        command = option(command)
    return command


@main.command()
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("-r", "--replications", type=int, help="Replications (overrides the file).")
@click.option("--seed", type=int, help="Base seed (overrides the file).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a setting by dotted key, e.g. agents.tier1.count=12.")
@click.option("--out", type=click.Path(path_type=Path),
              help="Results folder to create [default: results/<scenario>/<run-id>].")
@click.option("-w", "--workers", type=int, help="Worker processes [default: one per core].")
@click.option("--events/--no-events", default=True, help="Write events.parquet.")
@click.option("--figures/--no-figures", default=True, help="Draw figures/*.png.")
@precision_options
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or KPI table.")
def run(file: Path | None, replications: int | None, seed: int | None,
        overrides: tuple[str, ...], out: Path | None, workers: int | None, events: bool,
        figures: bool, target_halfwidth: str | None, kpis: tuple[str, ...],
        max_replications: int, quiet: bool) -> None:
    """Run a scenario (default: the bundled scenarios/baseline.yaml) and write its results."""
    settings = list(overrides)
    if replications is not None:
        settings.append(f"replications={replications}")
    if seed is not None:
        settings.append(f"seed={seed}")
    scenario = load(file or bundled("baseline.yaml"), settings)
    target = target_of(target_halfwidth, kpis or ("service_level",), max_replications)
    folder = out or default_folder(Path("results"), scenario)
    if folder.exists():
        fail_input([f"{folder}: already exists; choose another --out"])
    pool = executor(workers, scenario.replications)
    with Bar(quiet, scenario.name) as bar:
        result = guarded(lambda: run_scenario(
            scenario, folder, pool, RunOptions(events, figures), bar, target,
            step=max(1, workers or os.cpu_count() or 1)))
    if not quiet:
        stdout.print(kpi_table(result.summary, result.scenario))
    if target is not None and result.reached is not None:
        report_target(target, result.reached, result.scenario.replications)
    say(f"results: {result.folder}  ({result.wall:.1f} s, {pool.name})")


def guarded(work: Callable[[], Any]) -> Any:
    try:
        with interruptible():
            return work()
    except KeyboardInterrupt:
        say("interrupted: nothing was written", error=True)
        sys.exit(EXIT_INTERRUPTED)
    except FileExistsError as error:
        fail_input([str(error)])
    except OSError as error:
        fail_input([f"{error.filename}: cannot write results there: {error.strerror}"])


class Bar:
    """Progress across runs with an ETA, on stderr; silent when quiet.

    It redraws when a run finishes rather than from a refresh thread, so that this process
    stays single-threaded and can fork its workers (see sim.experiment)."""

    def __init__(self, quiet: bool, label: str) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=stderr,
            transient=True, disable=quiet, auto_refresh=False)
        self.task = self.progress.add_task(label, total=None)

    def total(self, runs: int) -> None:
        self.progress.update(self.task, total=runs, refresh=True)

    def advance(self, outcome: Outcome) -> None:
        self.progress.update(self.task, advance=1, refresh=True)

    def __enter__(self) -> Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def show(name: str, value: float) -> str:
    if math.isnan(value):
        return "-"
    if name in RATES:
        return f"{value:.1%}"
    if name in TIMES:
        return clock_time(value)
    return f"{value:,.2f}" if value != int(value) else f"{int(value):,}"


def clock_time(seconds: float) -> str:
    """A duration to read at a glance: 2d 04h, 4h 07m, 12m 30s, 45s."""
    sign, rest = ("-" if seconds < 0 else ""), round(abs(seconds))
    days, rest = divmod(rest, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours:02d}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"


def interval(name: str, low: float, high: float) -> str:
    return "-" if math.isnan(low) else f"{show(name, low)} .. {show(name, high)}"


def kpi_table(summary: pd.DataFrame, scenario: Scenario) -> Table:
    table = Table(title=f"{scenario.name}: {scenario.replications} replications, "
                        f"KPIs over [{format_duration(scenario.warmup)}, "
                        f"{format_duration(scenario.horizon)}]")
    for column in ("KPI", "mean", "95% CI", "n"):
        table.add_column(column, justify="left" if column == "KPI" else "right")
    for name, mean, low, high, n in summary.itertuples(index=False, name=None):
        table.add_row(name, show(name, mean), interval(name, low, high), str(n))
    return table


def report_target(target: Target, reached: pd.DataFrame, replications: int) -> None:
    worst = float(reached["ratio"].max()) if len(reached) else math.inf
    met = worst <= 1
    say(f"precision goal ({target.describe()}): "
        f"{'met' if met else 'NOT met'} with {replications} replications"
        + ("" if met else f" (cap {target.cap}); widest is {worst:.2f}x the target"))


# sweep --------------------------------------------------------------------------------------

@main.command(name="sweep")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-w", "--workers", type=int, help="Worker processes [default: one per core].")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run on a dask.distributed cluster (pip install 'ccsim[distributed]').")
@click.option("--out", type=click.Path(path_type=Path),
              help="Sweep folder [default: results/sweeps/<sweep>]; rerun to resume.")
@click.option("-r", "--replications", type=int, help="Replications per point (overrides).")
@click.option("--events/--no-events", default=True, help="Write each run's event log.")
@click.option("--figures/--no-figures", default=True, help="Draw KPI-vs-setting figures.")
@precision_options
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or tables.")
def sweep_command(file: Path, workers: int | None, scheduler: str | None, out: Path | None,
                  replications: int | None, events: bool, figures: bool,
                  target_halfwidth: str | None, kpis: tuple[str, ...], max_replications: int,
                  quiet: bool) -> None:
    """Run every grid point of a sweep file over the same replication seeds."""
    try:
        spec = load_sweep(file, KPI_NAMES)
    except ScenarioError as error:
        fail_input(error.problems)
    chosen = kpis or spec.kpis or sweep.DEFAULT_KPIS
    target = target_of(target_halfwidth, chosen, max_replications)
    if replications is not None and replications < 1:
        fail_input([f"--replications {replications}: must be at least 1"])
    wanted = replications if replications is not None else spec.replications
    folder = out or Path("results") / "sweeps" / spec.name
    pool = executor(workers, len(spec.points) * wanted, scheduler)
    try:
        store = sweep.open_store(spec, folder)
    except sweep.SweepFolderError as error:
        fail_input([str(error)])
    already = len([run for run in store.done(events) if run[1] < wanted])
    started = time.perf_counter()
    with Bar(quiet, spec.name) as bar:
        result, wanted = guarded_sweep(lambda: sweep_until(spec, store, wanted, pool, events,
                                                           target, bar, workers), store)
    wall = time.perf_counter() - started
    sweep.write_outputs(spec, store, result, wall, {
        "executor": pool.name, "kpis": list(chosen),
        "target": None if target is None else target.describe()})
    if figures:
        sweep_figures(result.summary, result.points, spec.keys, chosen, folder / "figures")
    if not quiet:  # every KPI, unless --kpi narrows the tables too
        for point in spec.points:
            stdout.print(point_table(spec, point.index, result, kpis or KPI_NAMES))
    if target is not None:
        report_target(target, result.summary.assign(ratio=target.ratios(result.summary))
                      .dropna(subset=["ratio"]), wanted)
    ran = len([run for run in store.done(events) if run[1] < wanted]) - already
    say(f"results: {folder}  ({len(spec.points)} points x {wanted} replications; "
        f"{ran} runs now, {already} resumed from before; {wall:.1f} s, {pool.name})")


def sweep_until(spec: Sweep, store: sweep.Store, wanted: int, pool: Executor, events: bool,
                target: Target | None, bar: Bar, workers: int | None
                ) -> tuple[sweep.SweepResult, int]:
    """Run missing runs; with a precision goal, add replications to every point until met."""
    step = max(1, workers or os.cpu_count() or 1)
    while True:
        bar.total(len(spec.points) * wanted)
        bar.progress.update(bar.task, completed=len(
            [run for run in store.done(events) if run[1] < wanted]))
        sweep.run_missing(spec, store, wanted, pool, events, bar.advance)
        result = sweep.aggregate(spec, store, wanted)
        if target is None:
            return result, wanted
        worst = target.worst(result.summary)
        if worst <= 1 or wanted >= target.cap:
            return result, wanted
        wanted = replications_for(wanted, worst, target.cap, step)


def guarded_sweep(work: Callable[[], Any], store: sweep.Store) -> Any:
    try:
        with interruptible():
            return work()
    except KeyboardInterrupt:
        say(f"interrupted: {len(store.done())} runs are saved in {store.root}; run the same "
            "command again to finish the rest", error=True)
        sys.exit(EXIT_INTERRUPTED)


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


def show_change(name: str, value: float) -> str:
    if math.isnan(value):
        return "-"
    if name in RATES:
        return f"{value * 100:+.1f} pts"
    sign = "+" if value >= 0 else "-"
    return sign + show(name, abs(value))


def change_interval(name: str, low: float, high: float) -> str:
    return "-" if math.isnan(low) else f"{show_change(name, low)} .. {show_change(name, high)}"


# warmup -------------------------------------------------------------------------------------

@main.command(name="warmup")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("-r", "--replications", type=int, help="Replications [default: the file's].")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a setting by dotted key.")
@click.option("--out", type=click.Path(path_type=Path),
              help="Figure to write [default: results/<scenario>/warmup.png].")
@click.option("--cycle", default="1d", show_default=True,
              help="The backlog's period, averaged out before MSER-5 (7d for weekly).")
@click.option("-w", "--workers", type=int, help="Worker processes [default: one per core].")
def warmup_command(file: Path | None, replications: int | None, overrides: tuple[str, ...],
                   out: Path | None, cycle: str, workers: int | None) -> None:
    """Suggest a warm-up length: MSER-5 on the backlog averaged over replications."""
    scenario = load(file or bundled("baseline.yaml"), list(overrides))
    try:
        period = parse_duration(cycle)
        window = warmups.cycle_window(period, scenario.horizon)
    except (DurationError, ValueError) as error:
        fail_input([f"--cycle {cycle}: {error}"])
    count = replications if replications is not None else scenario.replications
    if count < 1:
        fail_input([f"--replications {count}: must be at least 1"])
    pool = executor(workers, count)
    with Bar(False, f"warmup {scenario.name}") as bar:
        bar.total(count)
        found = guarded(lambda: warmups.suggest(scenario, count, pool, period, bar.advance))
    path = out or Path("results") / scenario.name / "warmup.png"
    guarded(lambda: warmups.draw(found, path, f"{scenario.name}: backlog over "
                                 f"{count} replications, no warm-up"))
    say(f"suggested warmup: {format_duration(found.suggested)} (MSER-5 on the hourly "
        f"backlog averaged over {count} replications and a trailing {window}h cycle; the "
        f"scenario says {format_duration(scenario.warmup)})")
    if found.at_limit:
        say("the minimum is at the search limit (half the horizon): the backlog may not "
            "settle within the horizon; lengthen it and look at the figure", error=True)
    say(f"figure: {path}")


# verify, regress ----------------------------------------------------------------------------

@main.command(name="verify")
@click.option("-r", "--replications", default=20, show_default=True,
              help="Replications per configuration.")
@click.option("-w", "--workers", type=int, help="Worker processes [default: one per core].")
def verify_command(replications: int, workers: int | None) -> None:
    """Compare the simulator with queueing theory and closed forms; exit 1 on a failure."""
    if replications < 2:
        fail_input([f"--replications {replications}: need at least 2 for an interval"])
    pool = executor(workers, total_jobs(replications))
    with Bar(False, "verify") as bar:
        bar.total(total_jobs(replications))
        checks = guarded(lambda: verify(replications, pool, bar.advance))
    table = Table(title=f"ccsim verify: theory vs simulation ({CONFIDENCE:.0%} CI, "
                        f"{replications} replications)")
    for column in ("check", "theory", "simulated", f"{CONFIDENCE:.0%} CI", "result"):
        table.add_column(column, justify="left" if column == "check" else "right")
    for check in checks:
        table.add_row(check.name, f"{check.theory:.4g}", f"{check.estimate:.4g}",
                      f"{check.low:.4g} .. {check.high:.4g}",
                      "[green]pass[/]" if check.passed else "[red]FAIL[/]")
    stdout.print(table)
    failed = [check.name for check in checks if not check.passed]
    if failed:
        say(f"{len(failed)} of {len(checks)} checks failed: {', '.join(failed)}", error=True)
        sys.exit(1)
    say(f"all {len(checks)} checks passed")


@main.command(name="regress")
@click.option("--references", type=click.Path(path_type=Path), default=None,
              help="Folder of reference scenarios [default: scenarios/reference].")
@click.option("--baselines", type=click.Path(path_type=Path),
              default=Path("results/reference"), show_default=True,
              help="Folder of committed baselines.")
@click.option("--statistical", is_flag=True,
              help="Compare KPI confidence intervals instead of event-log digests.")
@click.option("--update", is_flag=True, help="Rewrite the baselines and say what changed.")
@click.option("-w", "--workers", type=int, help="Worker processes [default: one per core].")
def regress_command(references: Path | None, baselines: Path, statistical: bool,
                    update: bool, workers: int | None) -> None:
    """Re-run the reference scenarios; exit 1 if behaviour changed."""
    folder = references or bundled("reference")
    try:
        scenarios = regress.references(folder)
    except ScenarioError as error:
        fail_input(error.problems)
    if not scenarios:
        fail_input([f"{folder}: no reference scenarios (*.yaml)"])
    jobs = sum(scenario.replications for _, scenario in scenarios)
    pool = executor(workers, jobs)
    with Bar(False, "regress") as bar:
        bar.total(jobs)
        runs = guarded(lambda: regress.rerun(scenarios, pool, bar.advance))
    failed = 0
    for found in runs:
        finding = regress.compare(found, baselines, statistical)
        if update:
            regress.write_baseline(found, baselines)
        failed += report(finding, update)
    if update:
        say(f"baselines written to {baselines}")
    elif failed:
        say(f"{failed} of {len(runs)} reference scenarios changed", error=True)
        sys.exit(1)
    else:
        say(f"all {len(runs)} reference scenarios match their baselines "
            f"({'KPI intervals' if statistical else 'event-log digests'})")


def report(finding: regress.Finding, update: bool) -> int:
    """Print one scenario's comparison; 1 if it changed."""
    changed = not finding.ok or (update and finding.moved is not None and len(finding.moved))
    say(f"{finding.name}: " + ("updated" if update and changed else
                               "ok" if finding.ok else "CHANGED"))
    for line in finding.problems + finding.notes:
        say(f"  {line}")
    if finding.moved is not None and len(finding.moved) and (changed or not finding.ok):
        table = Table("KPI", "baseline", "now", "change", title=f"{finding.name}: KPIs moved")
        for kpi, baseline, now, change in finding.moved.itertuples(index=False, name=None):
            table.add_row(str(kpi), f"{baseline:.6g}", f"{now:.6g}",
                          "-" if math.isnan(float(change)) else f"{float(change):+.6g}")
        stdout.print(table)
    return 0 if finding.ok else 1
