"""`ccsim validate FILE...`: OK per file, or every problem of every file."""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.output import fail_input, say, warn_about
from sim.domain.scenario_file import ScenarioError, load_scenario


@click.command(name="validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def command(files: tuple[Path, ...]) -> None:
    """Check scenario files; print OK or every problem."""
    problems: list[object] = []
    for path in files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            problems.extend(error.problems)
            continue
        say(f"{path}: OK")
        warn_about(path, scenario)
    if problems:
        fail_input(problems)
