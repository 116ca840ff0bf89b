"""`ccsim calibrate EXPORT...`: fit a scenario to TaskRouter event exports, and with --check
simulate it against what was observed."""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.observed import export_options, read, run_backtest
from sim.cli.output import fail_input, guarded, say, workers_option


@click.command(name="calibrate")
@click.argument("exports", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path),
              help="Scenario file to write [default: print it].")
@click.option("--name", help="Scenario name [default: the --out file's name, else calibrated].")
@export_options
@click.option("--check", is_flag=True,
              help="Then back-test it: simulate the window and compare KPIs and figures.")
@click.option("-r", "--replications", default=5, show_default=True,
              help="Replications of the back-test.")
@click.option("--figures", type=click.Path(path_type=Path),
              help="Back-test folder [default: results/<name>/backtest].")
@workers_option
def command(exports: tuple[Path, ...], out: Path | None, name: str | None, zone: str,
            start: str | None, end: str | None, group_by: str | None, strict: bool,
            check: bool, replications: int, figures: Path | None, workers: int | None
            ) -> None:
    """Fit a scenario to TaskRouter event exports.

    EXPORT is an Events API list page, a JSON array or JSON lines of Event resources, or
    Event Streams CloudEvents; several files are read as one history."""
    from sim.analysis.calibrate.calibration import CalibrationError, calibrate
    from sim.analysis.calibrate.rebuild import observed_with_window
    from sim.analysis.results import atomic_write_text
    from sim.domain.scenario_file import scenario_name

    if check and out is None:
        fail_input(["--check needs --out: the back-test's table would mix with the scenario "
                    "printed on stdout"])
    chosen = scenario_name(name or (out.stem if out else "calibrated"))
    observed = read(exports, zone, start, end, strict)
    try:
        found = calibrate(observed, chosen, [path.name for path in exports], group_by)
    except CalibrationError as error:
        fail_input([f"{', '.join(map(str, exports))}: {error}"])
    for warning in found.warnings:
        say(f"warning: {warning}", error=True)
    missing = found.settings.not_inferred()
    if out is None:
        click.echo(found.text, nl=False)
    else:
        guarded(lambda: atomic_write_text(out, found.text))
        say(f"{out}: scenario {chosen} ({len(found.groups)} agent groups; "
            f"{len(missing)} settings not inferred, at their defaults; see its comments)")
    if check:
        observed = observed_with_window(observed, found.scenario.flex.leave.window)
        folder = figures or Path("results") / chosen / "backtest"
        run_backtest(observed, found.scenario, found.group_of(), replications, workers, folder)
