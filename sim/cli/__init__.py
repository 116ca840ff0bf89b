"""The `ccsim` command line (and `python -m sim`, the same CLI).

Each command lives in its own module and is imported only when it runs, so `ccsim --help`
and `ccsim validate` do not pay for pandas, SciPy or matplotlib. Bad input exits 2 with every
problem as `file:line:col: dotted.path: message`; an interrupt exits 130; nothing the user
typed produces a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from sim.cli.output import EXIT_INTERRUPTED, say

# name -> (module, one-line summary shown by `ccsim --help`; tests check it is the command's)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("sim.cli.run", "Run a scenario and write its results folder."),
    "sweep": ("sim.cli.sweep", "Run every grid point of a sweep file over the same seeds."),
    "compare": ("sim.cli.compare", "Compare scenarios on the same seeds, with paired differences."),
    "validate": ("sim.cli.validate", "Check scenario files; print OK or every problem."),
    "warmup": ("sim.cli.warmup", "Suggest a warm-up length (MSER-5 on the backlog)."),
    "verify": ("sim.cli.verify", "Check the simulator against queueing theory."),
    "regress": ("sim.cli.regress", "Re-run the reference scenarios against baselines."),
    "schema": ("sim.cli.schema", "Print the JSON Schema of scenario files."),
    "export": ("sim.cli.export", "Write a run's log as TaskRouter events, OCEL 2.0 or XES."),
    "calibrate": ("sim.cli.calibrate", "Fit a scenario to TaskRouter event exports."),
    "backtest": ("sim.cli.backtest", "Simulate a scenario against TaskRouter exports."),
}


class Commands(click.Group):
    """Commands imported on first use; an unexpected error becomes one line
    (CCSIM_DEBUG=1 shows the traceback)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        command: click.Command = importlib.import_module(COMMANDS[name][0]).command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_, summary) in COMMANDS.items()])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            say("interrupted", error=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as error:
            if os.environ.get("CCSIM_DEBUG"):
                raise
            say(f"internal error: {type(error).__name__}: {error}\n"
                "This is a bug in ccsim; rerun with CCSIM_DEBUG=1 to see where.", error=True)
            sys.exit(1)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ccsim")
def main() -> None:
    """ccsim: simulate a Flex-style email contact center."""
