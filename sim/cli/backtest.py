"""`ccsim backtest SCENARIO EXPORT...`: simulate a scenario over the window of TaskRouter
exports and compare its KPIs and figures with what was observed."""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.observed import export_options, read, run_backtest
from sim.cli.output import load, workers_option


@click.command(name="backtest")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("exports", nargs=-1, required=True, type=click.Path(path_type=Path))
@export_options
@click.option("-r", "--replications", default=5, show_default=True,
              help="Replications to simulate.")
@click.option("--figures", type=click.Path(path_type=Path),
              help="Folder for the table and figures [default: results/<scenario>/backtest].")
@workers_option
def command(scenario: Path, exports: tuple[Path, ...], zone: str, start: str | None,
            end: str | None, group_by: str | None, strict: bool, replications: int,
            figures: Path | None, workers: int | None) -> None:
    """Simulate a scenario against TaskRouter exports.

    Agents are put in the scenario's groups by --group-by (as `ccsim calibrate` does); the
    simulation covers the exports' window, from its first day."""
    from sim.analysis.calibrate.groups import form_groups

    fitted = load(scenario, [])
    observed = read(exports, zone, start, end, strict, fitted.flex.leave.window)
    groups = {agent: group.name for group in form_groups(observed, group_by)
              for agent in group.agents}
    folder = figures or Path("results") / fitted.name / "backtest"
    run_backtest(observed, fitted, groups, replications, workers, folder)
