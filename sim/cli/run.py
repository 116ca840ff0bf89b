"""`ccsim run [FILE]`: replications of one scenario into one results folder."""

from __future__ import annotations

from pathlib import Path

import click

from sim.analysis.outfolder import name_problem
from sim.analysis.runner import RunOptions, default_folder, run_scenario
from sim.analysis.stats import Target
from sim.analysis.views import View
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
    Bar,
    announce,
    bundled,
    check_memory,
    executor,
    fail_input,
    from_folder,
    guarded,
    load,
    say,
    step_of,
    target_of,
    unreachable,
)
from sim.cli.report import write as write_report
from sim.cli.tables import kpi_table, report_target, view_table
from sim.domain.carried import Carried
from sim.domain.durations import format_duration
from sim.domain.scenario import Scenario


@click.command(name="run")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("-r", "--replications", type=int, help="Replications (overrides the file).")
@click.option("--seed", type=int, help="Base seed (overrides the file).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a setting by dotted key, e.g. agents.tier1.count=12 (keys: "
                   "docs/reference.md).")
@click.option("--out", type=click.Path(path_type=Path),
              help="Results folder to create [default: results/<scenario>/<run-id>].")
@from_option
@executor_options
@click.option("--events/--no-events", default=True, help="Write events.parquet.")
@click.option("--figures/--no-figures", default=True, help="Draw figures/*.png.")
@format_option
@precision_options
@force_option
@report_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or KPI table.")
def command(file: Path | None, replications: int | None, seed: int | None,
            overrides: tuple[str, ...], out: Path | None, previous: Path | None,
            workers: int | None,
            scheduler: str | None, events: bool, figures: bool, table_format: str,
            target_halfwidth: str | None, kpis: tuple[str, ...], max_replications: int,
            force: bool, report: bool, quiet: bool) -> None:
    """Run a scenario and write its results folder.

    FILE defaults to the bundled scenarios/baseline.yaml."""
    settings = list(overrides)
    if replications is not None:
        settings.append(f"replications={replications}")
    if seed is not None:
        settings.append(f"seed={seed}")
    source = file or bundled("baseline.yaml")
    scenario = load(source, settings, continues=True)
    carried: tuple[Carried, ...] = ()
    previous = from_folder(previous, [scenario])
    if previous is not None:  # --from, or initial.from in the file
        scenario, carried = continue_from(previous, scenario, replications is not None)
    target = target_of(target_halfwidth, kpis, max_replications)
    if target is not None:
        refuse_unreachable(target, scenario)
    folder = out or default_folder(Path("results"), scenario)
    problem = name_problem(folder)
    if problem is not None:
        fail_input([f"--out {folder}: {problem}"])
    if folder.exists():
        fail_input([f"{folder}: already exists; choose another --out"])
    pool = executor(workers, scenario.replications, scheduler)
    check_memory(source, [scenario], pool, force)
    if target is not None:
        announce(target)
    with Bar(quiet, scenario.name) as bar:
        options = RunOptions(events, figures, workbook=table_format == "xlsx",
                             carried=carried, source=str(previous or ""))
        result = guarded(lambda: run_scenario(scenario, folder, pool, options, bar, target,
                                              step=step_of(workers)))
    if not quiet:  # every KPI, unless --kpi narrows the tables
        output.stdout.print(kpi_table(result.summary, result.scenario, kpis))
        for view in (result.by_skill, result.by_group):
            if view is not None and len(view.names) > 1 and view_has(view, kpis):
                output.stdout.print(view_table(view, result.scenario, kpis))
    if target is not None and result.reached is not None:
        report_target(target, result.reached, result.scenario.replications)
    say(f"results: {result.folder}  ({result.wall:.1f} s, {pool.name})")
    if report:
        write_report(result.folder)


def continue_from(folder: Path, scenario: Scenario, asked: bool
                  ) -> tuple[Scenario, tuple[Carried, ...]]:
    """The scenario as it goes on from `folder`'s end (its replications: carried_from)."""
    from sim.analysis.continuation import ContinuationError, carried_from

    try:
        continued, carried = carried_from(folder, scenario, asked)
    except ContinuationError as error:
        fail_input([f"--from {reason}" for reason in error.reasons])
    say(f"continuing from {folder}: {len(carried)} replications, starting "
        f"{continued.start:%Y-%m-%d %H:%M}" + (
            f"; KPIs still skip a warm-up of {format_duration(continued.warmup)} "
            "(--set warmup=0s measures from the start)" if continued.warmup else ""))
    return continued, tuple(carried)


def refuse_unreachable(target: Target, scenario: Scenario) -> None:
    """A goal on a KPI no run of the scenario can estimate would run to the cap for nothing."""
    problems = [f"--kpi {kpi}: no precision goal possible, this scenario cannot estimate it: "
                f"{reason}" for kpi, (reason,) in unreachable(target, [scenario]).items()]
    if problems:
        fail_input(problems)


def view_has(view: View, kpis: tuple[str, ...]) -> bool:
    return not kpis or bool(set(kpis) & set(view.summary["kpi"]))
