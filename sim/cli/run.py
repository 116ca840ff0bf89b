"""`ccsim run [FILE]`: replications of one scenario into one results folder."""

from __future__ import annotations

from pathlib import Path

import click

from sim.analysis.outfolder import name_problem
from sim.analysis.runner import RunOptions, default_folder, run_scenario
from sim.cli import output
from sim.cli.output import (
    Bar,
    bundled,
    check_memory,
    executor,
    fail_input,
    force_option,
    format_option,
    guarded,
    load,
    precision_options,
    say,
    step_of,
    target_of,
    workers_option,
)
from sim.cli.tables import kpi_table, report_target, view_table


@click.command(name="run")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("-r", "--replications", type=int, help="Replications (overrides the file).")
@click.option("--seed", type=int, help="Base seed (overrides the file).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a setting by dotted key, e.g. agents.tier1.count=12.")
@click.option("--out", type=click.Path(path_type=Path),
              help="Results folder to create [default: results/<scenario>/<run-id>].")
@workers_option
@click.option("--events/--no-events", default=True, help="Write events.parquet.")
@click.option("--figures/--no-figures", default=True, help="Draw figures/*.png.")
@format_option
@precision_options
@force_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or KPI table.")
def command(file: Path | None, replications: int | None, seed: int | None,
            overrides: tuple[str, ...], out: Path | None, workers: int | None, events: bool,
            figures: bool, table_format: str, target_halfwidth: str | None,
            kpis: tuple[str, ...], max_replications: int, force: bool, quiet: bool) -> None:
    """Run a scenario and write its results folder.

    FILE defaults to the bundled scenarios/baseline.yaml."""
    settings = list(overrides)
    if replications is not None:
        settings.append(f"replications={replications}")
    if seed is not None:
        settings.append(f"seed={seed}")
    source = file or bundled("baseline.yaml")
    scenario = load(source, settings)
    target = target_of(target_halfwidth, kpis or ("service_level",), max_replications)
    folder = out or default_folder(Path("results"), scenario)
    problem = name_problem(folder)
    if problem is not None:
        fail_input([f"--out {folder}: {problem}"])
    if folder.exists():
        fail_input([f"{folder}: already exists; choose another --out"])
    pool = executor(workers, scenario.replications)
    check_memory(source, [scenario], pool, force)
    with Bar(quiet, scenario.name) as bar:
        options = RunOptions(events, figures, workbook=table_format == "xlsx")
        result = guarded(lambda: run_scenario(scenario, folder, pool, options, bar, target,
                                              step=step_of(workers)))
    if not quiet:
        output.stdout.print(kpi_table(result.summary, result.scenario))
        for view in (result.by_skill, result.by_group):
            if view is not None and len(view.names) > 1:
                output.stdout.print(view_table(view, result.scenario))
    if target is not None and result.reached is not None:
        report_target(target, result.reached, result.scenario.replications)
    say(f"results: {result.folder}  ({result.wall:.1f} s, {pool.name})")
