"""The `ccsim` command line: validate, run, schema (and `python -m sim`, the same CLI).

Bad input exits 2 with every problem as `file:line:col: dotted.path: message`; an interrupt
exits 130 and leaves no results folder; nothing the user typed produces a traceback.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
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

from sim import regress
from sim.durations import format_duration
from sim.experiment import Outcome, executor_for
from sim.metrics import RATES, TIMES
from sim.runner import RunOptions, default_folder, run_scenario
from sim.scenario import Scenario
from sim.scenario_file import ScenarioError, load_scenario
from sim.schema import scenario_json_schema
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
    """A scenario shipped in scenarios/: from the working directory, else next to the code."""
    for base in (Path.cwd(), Path(__file__).resolve().parent.parent):
        candidate = base / "scenarios" / name
        if candidate.exists():
            return candidate
    fail_input([f"{name}: the bundled scenario is not here; pass a scenario file"])


def load(path: Path, overrides: Sequence[str]) -> Scenario:
    try:
        return load_scenario(path, overrides)
    except ScenarioError as error:
        fail_input(error.problems)


class Guarded(click.Group):
    """Turns an unexpected error into one line (CCSIM_DEBUG=1 shows the traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            stderr.print("interrupted")
            sys.exit(EXIT_INTERRUPTED)
        except Exception as error:
            if os.environ.get("CCSIM_DEBUG"):
                raise
            stderr.print(f"internal error: {type(error).__name__}: {error}\n"
                         "This is a bug in ccsim; rerun with CCSIM_DEBUG=1 to see where.",
                         markup=False, highlight=False)
            sys.exit(1)


@click.group(cls=Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ccsim")
def main() -> None:
    """ccsim: simulate a Flex-style email contact center."""


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
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or KPI table.")
def run(file: Path | None, replications: int | None, seed: int | None,
        overrides: tuple[str, ...], out: Path | None, workers: int | None, events: bool,
        figures: bool, quiet: bool) -> None:
    """Run a scenario (default: the bundled scenarios/baseline.yaml) and write its results."""
    settings = list(overrides)
    if replications is not None:
        settings.append(f"replications={replications}")
    if seed is not None:
        settings.append(f"seed={seed}")
    scenario = load(file or bundled("baseline.yaml"), settings)
    folder = out or default_folder(Path("results"), scenario)
    if folder.exists():
        fail_input([f"{folder}: already exists; choose another --out"])
    if workers is not None and workers < 1:
        fail_input([f"--workers {workers}: must be at least 1"])
    executor = executor_for(workers, scenario.replications)
    with progress_bar(quiet, scenario.replications, f"{scenario.name}") as advance:
        result = guarded(lambda: run_scenario(scenario, folder, executor,
                                              RunOptions(events, figures), advance))
    if not quiet:
        stdout.print(kpi_table(result.summary, scenario))
    say(f"results: {result.folder}  ({result.wall:.1f} s, {executor.name})")


@main.command(name="verify")
@click.option("-r", "--replications", default=20, show_default=True,
              help="Replications per configuration.")
@click.option("-w", "--workers", type=int, help="Worker processes [default: one per core].")
def verify_command(replications: int, workers: int | None) -> None:
    """Compare the simulator with queueing theory and closed forms; exit 1 on a failure."""
    if replications < 2:
        fail_input([f"--replications {replications}: need at least 2 for an interval"])
    executor = executor_for(workers, total_jobs(replications))
    with progress_bar(False, total_jobs(replications), "verify") as advance:
        checks = guarded(lambda: verify(replications, executor, advance))
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
        stderr.print(f"{len(failed)} of {len(checks)} checks failed: {', '.join(failed)}")
        sys.exit(1)
    stdout.print(f"all {len(checks)} checks passed")


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
    with progress_bar(False, jobs, "regress") as advance:
        runs = guarded(lambda: regress.rerun(scenarios, executor_for(workers, jobs), advance))
    failed = 0
    for run in runs:
        finding = regress.compare(run, baselines, statistical)
        if update:
            regress.write_baseline(run, baselines)
        failed += report(finding, update)
    if update:
        say(f"baselines written to {baselines}")
    elif failed:
        stderr.print(f"{failed} of {len(runs)} reference scenarios changed")
        sys.exit(1)
    else:
        stdout.print(f"all {len(runs)} reference scenarios match their baselines "
                     f"({'KPI intervals' if statistical else 'event-log digests'})")


def report(finding: regress.Finding, update: bool) -> int:
    """Print one scenario's comparison; 1 if it changed."""
    changed = not finding.ok or (update and finding.moved is not None and len(finding.moved))
    status = "[yellow]updated[/]" if update and changed else (
        "[green]ok[/]" if finding.ok else "[red]CHANGED[/]")
    stdout.print(f"{finding.name}: {status}")
    for line in finding.problems + finding.notes:
        say(f"  {line}")
    if finding.moved is not None and len(finding.moved) and (changed or not finding.ok):
        table = Table("KPI", "baseline", "now", "change", title=f"{finding.name}: KPIs moved")
        for kpi, baseline, now, change in finding.moved.itertuples(index=False, name=None):
            table.add_row(str(kpi), f"{baseline:.6g}", f"{now:.6g}",
                          "-" if math.isnan(float(change)) else f"{float(change):+.6g}")
        stdout.print(table)
    return 0 if finding.ok else 1


def guarded(work: Callable[[], Any]) -> Any:
    try:
        return work()
    except KeyboardInterrupt:
        say("interrupted: nothing was written", error=True)
        sys.exit(EXIT_INTERRUPTED)
    except FileExistsError as error:
        fail_input([str(error)])
    except OSError as error:
        fail_input([f"{error.filename}: cannot write results there: {error.strerror}"])


class progress_bar:
    """Progress across replications with an ETA, on stderr; silent when quiet."""

    def __init__(self, quiet: bool, total: int, label: str) -> None:
        self.quiet, self.total, self.label = quiet, total, label
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=stderr,
            transient=True, disable=quiet)

    def __enter__(self) -> Callable[[Outcome], None]:
        self.progress.start()
        task = self.progress.add_task(self.label, total=self.total)
        return lambda _outcome: self.progress.advance(task)

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def show(name: str, value: float) -> str:
    if math.isnan(value):
        return "-"
    if name in RATES:
        return f"{value:.1%}"
    if name in TIMES:
        return format_duration(round(value))
    return f"{value:,.2f}" if value != int(value) else f"{int(value):,}"


def kpi_table(summary: Any, scenario: Scenario) -> Table:
    table = Table(title=f"{scenario.name}: {scenario.replications} replications, "
                        f"KPIs over [{format_duration(scenario.warmup)}, "
                        f"{format_duration(scenario.horizon)}]")
    for column in ("KPI", "mean", "95% CI", "n"):
        table.add_column(column, justify="left" if column == "KPI" else "right")
    for row in summary.itertuples(index=False):
        interval = ("-" if math.isnan(row.ci_low) else
                    f"{show(row.kpi, row.ci_low)} .. {show(row.kpi, row.ci_high)}")
        table.add_row(row.kpi, show(row.kpi, row.mean), interval, str(row.n))
    return table
