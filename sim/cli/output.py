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

# The option decorators live in sim.cli.options; these names stay importable from here.
from sim.cli.options import force_option as force_option
from sim.cli.options import format_option as format_option
from sim.cli.options import precision_options as precision_options
from sim.cli.options import workers_option as workers_option

if TYPE_CHECKING:
    from sim.analysis.executors import Executor
    from sim.analysis.experiment import Job, Outcome
    from sim.analysis.stats import Target
    from sim.domain.scenario import Scenario
    from sim.domain.sweep_file import Sweep

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


def project_root(marker: str) -> Path | None:
    """Where the shipped files are: the working directory (as the relative Path()) if it
    holds `marker`, a path such as scenarios/reference, else ccsim's own source tree if that
    does, else None."""
    for base in (Path(), Path(__file__).resolve().parents[2]):  # Path(): paths as typed
        if (base / marker).exists():
            return base
    return None


def bundled(name: str) -> Path:
    """A file shipped in scenarios/: from the working directory, else next to the code."""
    root = project_root(f"scenarios/{name}")
    if root is None:
        fail_input([f"scenarios/{name}: not found here; pass the file explicitly"])
    return root / "scenarios" / name


def load(path: Path, overrides: Sequence[str], continues: bool = False) -> Scenario:
    """The scenario, or exit 2 with its problems; `continues`: the command can go on from
    an `initial.from` folder (ccsim run), which others refuse rather than ignore."""
    from sim.domain.scenario_file import ScenarioError, load_scenario

    try:
        scenario = load_scenario(path, overrides)
    except ScenarioError as error:
        fail_input(error.problems)
    if scenario.initial.start_from is not None and not continues:
        fail_input([f"{path}: initial.from: this command starts from time 0; ccsim run, "
                    "compare and sweep go on from a folder"])
    warn_about(path, scenario)
    return scenario


def from_folder(given: Path | None, scenarios: list[Scenario]) -> Path | None:
    """The folder to go on from (--from, or initial.from), or exit 2 if they disagree."""
    from sim.analysis.continuation import ContinuationError, source

    try:
        return source(given, scenarios)
    except ContinuationError as error:
        fail_input([f"--from {error}"])


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


def target_of(text: str | None, kpis: tuple[str, ...], cap: int,
              elsewhere: str = "") -> Target | None:
    """The precision goal of --target-halfwidth TEXT on `kpis` (None without one). A goal
    needs the KPIs it aims at: `--kpi`, or what `elsewhere` says (a sweep file's kpis:)."""
    from sim.analysis.catalogue import KPI_NAMES
    from sim.analysis.stats import Target

    unknown = [name for name in kpis if name not in KPI_NAMES]
    if unknown:
        fail_input([f"--kpi {name}: not a KPI (see docs/kpis.md)" for name in unknown])
    if cap < 1:
        fail_input([f"--max-replications {cap}: must be at least 1"])
    if text is None:
        return None
    if not kpis:
        fail_input([f"--target-halfwidth {text}: which KPI? Name it with --kpi NAME "
                    f"(repeatable){elsewhere}, e.g. --kpi service_level"])
    try:
        return Target.parse(text, kpis, cap)
    except ValueError as error:
        fail_input([f"--target-halfwidth {error}"])


def unreachable(target: Target, scenarios: Sequence[Scenario]) -> dict[str, list[str]]:
    """For each KPI of the goal, why each scenario (sweep point) cannot estimate it; only
    KPIs with at least one reason."""
    from sim.analysis.undefined import cannot_estimate

    reasons = {kpi: [cannot_estimate(kpi, scenario) or "" for scenario in scenarios]
               for kpi in target.kpis}
    return {kpi: found for kpi, found in reasons.items() if any(found)}


def announce(target: Target) -> None:
    say(f"precision goal: {target.describe()}; up to {target.cap} replications", error=True)


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
    from sim.analysis.distributed import ClusterError
    from sim.analysis.outfolder import OutFolderError

    if isinstance(error, OutFolderError | FileExistsError | ClusterError):
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
    few seconds elsewhere (logs, CI), nothing when quiet. Runs under way (here or in this
    machine's workers) move the bar by the parts of their horizons simulated; a lone one
    names the day it has reached.

    It redraws when a run finishes or reports rather than from a refresh thread, so that
    this process stays single-threaded and can fork its workers (see
    sim.analysis.experiment)."""

    def __init__(self, quiet: bool, label: str) -> None:
        import time

        from sim.analysis.progress import LineProgress

        terminal = stderr.is_terminal
        self.label, self.clock, self.drawn, self.whole = label, time.monotonic, 0.0, 0
        self.running: dict[tuple[int, int], tuple[Job, float]] = {}  # runs under way
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
        self.whole = runs
        self.progress.update(self.task, completed=runs, refresh=True)
        if self.lines is not None:
            self.lines.completed(runs)

    def advance(self, outcome: Outcome) -> None:
        self.whole += 1
        self.running.pop((outcome.point, outcome.replication), None)
        self.progress.update(self.task, completed=self.whole, description=self.label,
                             refresh=True)
        if self.lines is not None:
            self.lines.advance(outcome)

    def reached(self, job: Job, at: float) -> None:
        from sim.analysis.progress import simulated_part

        if self.lines is not None:
            self.lines.reached(job, at)
        self.running[job.point, job.replication] = (job, at)
        now = self.clock()
        if now - self.drawn < 0.5:  # a short run reports many days a second
            return
        self.drawn = now
        running = list(self.running.values())
        self.progress.update(self.task, completed=self.whole + simulated_part(running),
                             refresh=True, description=self.label + _day(running))

    def __enter__(self) -> Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def _day(running: list[tuple[Job, float]]) -> str:
    """The day a lone run under way has reached (several: the bar's fraction says it)."""
    if len(running) != 1:
        return ""
    ((job, at),) = running
    return f" (day {at / 86_400:.1f} of {job.scenario.horizon / 86_400:g})"


class _Stderr:
    """click's stderr, looked up at each write (tests capture it)."""

    def write(self, text: str) -> int:
        click.echo(text, err=True, nl=False)
        return len(text)

    def flush(self) -> None:
        sys.stderr.flush()


_ERR: Any = _Stderr()


def continued_plan(plan: Sweep, folder: Path, replications: int) -> Sweep:
    """A sweep or comparison with every run started from `folder`'s end states (--from)."""
    from sim.analysis.continuation import ContinuationError
    from sim.analysis.continuation import continued_plan as continuing

    try:
        continued = continuing(plan, folder, replications)
    except ContinuationError as error:
        fail_input([f"--from {reason}" for reason in error.reasons])
    start = continued.points[0].scenario.start
    say(f"continuing from {folder}: starting {start:%Y-%m-%d %H:%M}, each replication from "
        "its end state")
    return continued
