"""`ccsim report FOLDER`: one self-contained HTML file of a run, sweep or comparison folder."""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.output import fail_input, say


@click.command(name="report")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path),
              help="HTML file to write [default: FOLDER/report.html].")
def command(folder: Path, out: Path | None) -> None:
    """Write a self-contained HTML report of a results folder.

    FOLDER is what `ccsim run`, `ccsim sweep` or `ccsim compare` wrote. The page embeds its
    figures and loads nothing from the network, so it can be mailed or shared as it is."""
    write(folder, out)


def write(folder: Path, out: Path | None = None) -> Path:
    """Write the report of `folder` and say where; bad input exits 2."""
    from sim.analysis.api import report
    from sim.analysis.run_folder import NotAResultsFolder
    from sim.domain.scenario_file import ScenarioError

    try:
        path = report(folder, out)
    except NotAResultsFolder as error:
        fail_input([f"{error}; ccsim report reads the folder of a run, a sweep or a "
                    "comparison"])
    except ScenarioError as error:
        fail_input(error.problems)
    except OSError as error:
        fail_input([f"{out or folder}: cannot write the report ({error.strerror or error})"])
    say(f"report: {path}")
    return path
