"""Running the `ccsim` CLI in process, for the CLI, sweep and warm-up tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from sim import cli
from sim.cli import output

WIDE = 10_000  # columns


def ccsim(*args: str | Path, wide: bool = True) -> Result:
    """Invoke the CLI in process.

    `wide` swaps the CLI's rich consoles (tables, progress) for very wide ones, so table
    cells are not wrapped in what the tests read; problem lines are plain and never wrap
    (test_long_problem_lines_are_not_wrapped).
    """
    with pytest.MonkeyPatch.context() as patch:
        if wide:
            patch.setattr(output, "stdout", Console(width=WIDE))
            patch.setattr(output, "stderr", Console(stderr=True, width=WIDE))
        return CliRunner().invoke(cli.main, [str(arg) for arg in args])


def no_crash(result: Result) -> None:
    assert "Traceback" not in result.output, result.output
    assert "internal error" not in result.output, result.output


def refused_at(path: Path, line: int, field: str, message: str) -> None:
    """`ccsim validate path` refuses it with `file:line:col: field: ...message`."""
    result = ccsim("validate", path)
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert re.search(rf"{re.escape(path.name)}:{line}:\d+: {re.escape(field)}: "
                     rf".*{re.escape(message)}", result.output), result.output
