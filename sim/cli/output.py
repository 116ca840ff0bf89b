"""What every command shares: the consoles, plain problem lines, exit codes, loading a
scenario, choosing an executor, guarding work against interrupts, and the progress bar."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

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

if TYPE_CHECKING:
    from sim.analysis.executors import Executor
    from sim.analysis.experiment import Outcome
    from sim.analysis.stats import Target
    from sim.domain.scenario import Scenario

EXIT_INPUT = 2
EXIT_INTERRUPTED = 130
_WIDTH = None if sys.stdout.isatty() else 140  # logs and pipes: wide enough for the tables
# Commands print through these module attributes (output.stdout), so tests can swap them.
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
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = base / "scenarios" / name
        if candidate.exists():
            return candidate
    fail_input([f"scenarios/{name}: not found here; pass the file explicitly"])


def load(path: Path, overrides: Sequence[str]) -> Scenario:
    from sim.domain.scenario_file import ScenarioError, load_scenario

    try:
        scenario = load_scenario(path, overrides)
    except ScenarioError as error:
        fail_input(error.problems)
    warn_about(path, scenario)
    return scenario


def warn_about(path: Path, scenario: Scenario) -> None:
    """Set-ups that are valid but manufacture an outcome (a staffing gap longer than the
    TTL): one line each on stderr; the command goes on."""
    from sim.domain.coverage import ttl_warnings

    for warning in ttl_warnings(scenario):
        say(f"{path}: warning: flex.task_ttl: {warning}", error=True)


def executor(workers: int | None, jobs: int, scheduler: str | None = None) -> Executor:
    """Where to run `jobs`: workers are capped at the jobs and the cores, and a cluster must
    answer before anything starts."""
    from sim.analysis.distributed import SchedulerError
    from sim.analysis.executors import executor_for

    if workers is not None and workers < 1:
        fail_input([f"--workers {workers}: must be at least 1"])
    if scheduler is not None and workers is not None:
        fail_input(["--workers and --scheduler: choose one (the cluster has its own workers)"])
    try:
        pool = executor_for(workers, jobs, scheduler)
        check = getattr(pool, "check", None)
        if check is not None:
            check()
    except SchedulerError as error:
        fail_input([str(error)])
    return pool


def check_memory(source: Path | str, scenarios: Sequence[Scenario], pool: Executor,
                 force: bool, kept_logs: int = 0) -> None:
    """Refuse to start what would need more memory than there is (unless --force)."""
    from sim.analysis.resources import memory_refusal

    problem = None if force else memory_refusal(scenarios, pool, kept_logs)
    if problem is not None:
        fail_input([f"{source}: {problem}"])


def force_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--force", is_flag=True,
                        help="Run even past the safety limits (memory estimate, grid size); "
                             "see docs/limits.md.")(command)


def format_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--format", "table_format", type=click.Choice(["csv", "xlsx"]),
                        default="csv", show_default=True,
                        help="xlsx: also every KPI table in one workbook, tables.xlsx (the "
                             "CSV files are always written).")(command)


def target_of(text: str | None, kpis: tuple[str, ...], cap: int) -> Target | None:
    from sim.analysis.catalogue import KPI_NAMES
    from sim.analysis.stats import Target

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


def workers_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("-w", "--workers", type=int,
                        help="Worker processes [default: one per core].")(command)


def guarded(work: Callable[[], Any]) -> Any:
    """Run `work` with Ctrl-C and SIGTERM as a stop request; turn what goes wrong into one
    line."""
    from sim.analysis.experiment import interruptible

    try:
        with interruptible():
            return work()
    except KeyboardInterrupt:
        say("interrupted: nothing was written", error=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as error:
        refused(error)


def refused(error: Exception) -> NoReturn:
    """Exit 2 with one line for what is the input's or the machine's fault, not ccsim's
    (a taken or unwritable --out, a full disk); re-raise anything else, a bug."""
    from sim.analysis.outfolder import OutFolderError

    if isinstance(error, OutFolderError | FileExistsError):
        fail_input([str(error)])
    if isinstance(error, OSError):
        where = error.filename or "results"
        fail_input([f"{where}: cannot write there: {error.strerror or error}"])
    raise error


def step_of(workers: int | None) -> int:
    """Replications added at a time towards a precision goal: one round of the workers."""
    return max(1, workers or os.cpu_count() or 1)


class Bar:
    """Progress across runs with an ETA, on stderr: a bar on a terminal, plain lines every
    few seconds elsewhere (logs, CI), nothing when quiet.

    It redraws when a run finishes rather than from a refresh thread, so that this process
    stays single-threaded and can fork its workers (see sim.analysis.experiment)."""

    def __init__(self, quiet: bool, label: str) -> None:
        from sim.analysis.progress import LineProgress

        terminal = stderr.is_terminal
        self.lines = None if quiet or terminal else LineProgress(label, _ERR)
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=stderr,
            transient=True, disable=quiet or not terminal, auto_refresh=False)
        self.task = self.progress.add_task(label, total=None)

    def total(self, runs: int) -> None:
        self.progress.update(self.task, total=runs, refresh=True)
        if self.lines is not None:
            self.lines.total(runs)

    def completed(self, runs: int) -> None:
        self.progress.update(self.task, completed=runs, refresh=True)
        if self.lines is not None:
            self.lines.completed(runs)

    def advance(self, outcome: Outcome) -> None:
        self.progress.update(self.task, advance=1, refresh=True)
        if self.lines is not None:
            self.lines.advance(outcome)

    def __enter__(self) -> Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


class _Stderr:
    """click's stderr, looked up at each write (tests capture it)."""

    def write(self, text: str) -> int:
        click.echo(text, err=True, nl=False)
        return len(text)

    def flush(self) -> None:
        sys.stderr.flush()


_ERR: Any = _Stderr()
