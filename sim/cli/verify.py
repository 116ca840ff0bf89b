"""`ccsim verify`: the simulator against Erlang C and the lifecycle's closed forms."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from sim.analysis.verify import CONFIDENCE, per_check_confidence, total_jobs, verify
from sim.cli import output
from sim.cli.options import executor_options
from sim.cli.output import Bar, executor, fail_input, guarded, say


@click.command(name="verify")
@click.option("-r", "--replications", default=20, show_default=True,
              help="Replications per configuration.")
@executor_options
def command(replications: int, workers: int | None, scheduler: str | None) -> None:
    """Check the simulator against queueing theory.

    Exits 1 when a check fails."""
    if replications < 2:
        fail_input([f"--replications {replications}: need at least 2 for an interval"])
    pool = executor(workers, total_jobs(replications), scheduler)
    with Bar(False, "verify") as bar:
        bar.total(total_jobs(replications))
        checks = guarded(lambda: verify(replications, pool, bar.advance))
    each = per_check_confidence(len(checks))
    table = Table(title=f"ccsim verify: theory vs simulation ({replications} replications; "
                        f"{CONFIDENCE:.0%} for all checks together, so {each:.3%} each)")
    for column in ("check", "theory", "simulated", f"{each:.2%} CI", "result"):
        table.add_column(column, justify="left" if column == "check" else "right")
    for check in checks:
        table.add_row(check.name, f"{check.theory:.4g}", f"{check.estimate:.4g}",
                      f"{check.low:.4g} .. {check.high:.4g}",
                      "[green]pass[/]" if check.passed else "[red]FAIL[/]")
    output.stdout.print(table)
    failed = [check.name for check in checks if not check.passed]
    if failed:
        say(f"{len(failed)} of {len(checks)} checks failed: {', '.join(failed)}", error=True)
        sys.exit(1)
    say(f"all {len(checks)} checks passed")
