"""Options that several commands share, as decorators, so that each reads and behaves the
same everywhere.

A command that runs replications takes `@executor_options` (-w/--workers and --scheduler)
and hands both to `sim.cli.output.executor(workers, jobs, scheduler)`, which refuses the two
together, checks that the cluster answers before anything runs, and returns where to run:

    @click.command(name="compare")
    @executor_options
    def command(..., workers: int | None, scheduler: str | None) -> None:
        pool = executor(workers, jobs, scheduler)

Every executor gives the same outcomes for the same jobs (tests/test_cluster.py), so a
command needs nothing else to run on a cluster. `@precision_options` adds --target-halfwidth,
--kpi and --max-replications (parsed by `sim.cli.output.target_of`), `@force_option` --force,
`@format_option` --format csv|xlsx, `@report_option` --report.
Help texts are one line each; docs/reference.md lists them (generated, see sim.cli.reference).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def stacked(*options: Decorator) -> Decorator:
    """Options in the order given, as one decorator."""
    def apply(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


workers_option = click.option(
    "-w", "--workers", type=int,
    help="Worker processes on this machine [default: one per core].")

scheduler_option = click.option(
    "--scheduler", metavar="tcp://HOST:PORT",
    help="Run the replications on a dask cluster instead (needs ccsim[distributed]).")

executor_options = stacked(workers_option, scheduler_option)

force_option = click.option(
    "--force", is_flag=True,
    help="Run even past the safety limits (memory estimate, grid size); see docs/limits.md.")

format_option = click.option(
    "--format", "table_format", type=click.Choice(["csv", "xlsx"]), default="csv",
    show_default=True,
    help="xlsx: also every KPI table in one workbook, tables.xlsx (the CSV files are always "
         "written).")

from_option = click.option(
    "--from", "previous", type=click.Path(path_type=Path), metavar="FOLDER",
    help="Start from the state an earlier run's results FOLDER ended in (ccsim run).")

report_option = click.option(
    "--report", is_flag=True,
    help="Also write report.html in the results folder (see ccsim report).")

precision_options = stacked(
    click.option("--target-halfwidth", metavar="WIDTH",
                 help="Add replications until each --kpi's 95% CI half-width is within "
                      "WIDTH (5% of the mean, or a number in the KPI's unit)."),
    click.option("--kpi", "kpis", multiple=True, metavar="NAME",
                 help="A KPI to show and to aim the precision goal at; repeatable."),
    click.option("--max-replications", default=200, show_default=True,
                 help="Cap on replications when a precision goal is set."),
)
