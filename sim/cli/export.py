"""`ccsim export RUN_FOLDER --format F`: a replication's log as TaskRouter events, Event
Streams CloudEvents, OCEL 2.0 or XES."""

from __future__ import annotations

from pathlib import Path

import click

from sim.analysis import run_export
from sim.analysis.outfolder import name_problem
from sim.analysis.results import atomic_write_text
from sim.analysis.twilio_ids import parse_zone
from sim.cli.output import fail_input, guarded, say


@click.command(name="export")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--format", "form", type=click.Choice(list(run_export.FORMATS)),
              default="taskrouter", show_default=True, help="What to write.")
@click.option("-r", "--replication", default=0, show_default=True,
              help="Which replication of the run.")
@click.option("--timezone", "zone", default="UTC", show_default=True,
              help="The zone of the scenario's calendar (UTC, +02:00 or Europe/Berlin); "
                   "times are written in UTC.")
@click.option("--out", type=click.Path(path_type=Path),
              help="File to write [default: RUN_FOLDER/exports/<format>-r<N>.<ext>].")
def command(folder: Path, form: str, replication: int, zone: str, out: Path | None) -> None:
    """Write a run's log as TaskRouter events, OCEL 2.0 or XES."""
    try:
        tz = parse_zone(zone)
    except ValueError as error:
        fail_input([f"--timezone: {error}"])
    path = out or run_export.default_path(folder, form, replication)
    if name_problem(path) is not None:
        fail_input([f"--out {path}: {name_problem(path)}"])
    try:
        scenario, frame = run_export.read_run(folder, replication)
    except run_export.ExportError as error:
        fail_input([str(error)])
    text = run_export.export_text(form, frame, scenario, replication, tz)
    guarded(lambda: atomic_write_text(path, text))
    say(f"{path}: {run_export.FORMATS[form][1]}, replication {replication} of "
        f"{scenario.name} ({len(frame):,} log rows)")
