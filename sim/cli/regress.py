"""`ccsim regress`: re-run the reference scenarios and compare with committed baselines."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click
from rich.table import Table

from sim.analysis import regress
from sim.cli import output
from sim.cli.options import executor_options
from sim.cli.output import Bar, executor, fail_input, guarded, project_root, say
from sim.domain.scenario_file import ScenarioError

REFERENCES, BASELINES = Path("scenarios/reference"), Path("results/reference")


@click.command(name="regress")
@click.option("--references", type=click.Path(path_type=Path), default=None,
              help="Folder of reference scenarios [default: scenarios/reference of the root].")
@click.option("--baselines", type=click.Path(path_type=Path), default=None,
              help="Folder of committed baselines [default: results/reference of the root].")
@click.option("--statistical", is_flag=True,
              help="Compare KPI confidence intervals instead of event-log digests.")
@click.option("--update", is_flag=True, help="Rewrite the baselines and say what changed.")
@executor_options
def command(references: Path | None, baselines: Path | None, statistical: bool,
            update: bool, workers: int | None, scheduler: str | None) -> None:
    """Re-run the reference scenarios against baselines.

    The root is this folder if it has scenarios/reference, else ccsim's source tree; both
    defaults come from it. Exits 1 if behaviour changed, 2 if there are no baselines."""
    references, baselines = folders(references, baselines)
    try:
        scenarios = regress.references(references)
    except ScenarioError as error:
        fail_input(error.problems)
    if not scenarios:
        fail_input([f"{references}: no reference scenarios (*.yaml)"])
    if not update and not regress.recorded([name for name, _ in scenarios], baselines):
        fail_input([f"{baselines}: no baselines for the reference scenarios in {references}; "
                    "record them with `ccsim regress --update`, or pass --baselines"])
    say(f"reference scenarios: {references}; baselines: {baselines}")
    jobs = sum(scenario.replications for _, scenario in scenarios)
    pool = executor(workers, jobs, scheduler)
    with Bar(False, "regress") as bar:
        bar.total(jobs)
        runs = guarded(lambda: regress.rerun(scenarios, pool, bar.advance))
    failed = 0
    for found in runs:
        finding = regress.compare(found, baselines, statistical)
        if update:
            regress.write_baseline(found, baselines)
        failed += report(finding, update)
    if update:
        say(f"baselines written to {baselines}")
    elif failed:
        say(f"{failed} of {len(runs)} reference scenarios changed", error=True)
        sys.exit(1)
    else:
        say(f"all {len(runs)} reference scenarios match their baselines "
            f"({'KPI intervals' if statistical else 'event-log digests'})")


def folders(references: Path | None, baselines: Path | None) -> tuple[Path, Path]:
    """The reference and baseline folders: as given, else both from the same root."""
    if references is not None and baselines is not None:
        return references, baselines
    root = project_root(str(REFERENCES))
    if root is None:
        fail_input([f"{REFERENCES}: not found here or in ccsim's source tree; pass "
                    "--references and --baselines"])
    return references or root / REFERENCES, baselines or root / BASELINES


def report(finding: regress.Finding, update: bool) -> int:
    """Print one scenario's comparison; 1 if it changed."""
    changed = not finding.ok or (update and finding.moved is not None and len(finding.moved))
    say(f"{finding.name}: " + ("updated" if update and changed else
                               "ok" if finding.ok else "CHANGED"))
    for line in finding.problems + finding.notes:
        say(f"  {line}")
    if finding.moved is not None and len(finding.moved) and (changed or not finding.ok):
        table = Table("KPI", "baseline", "now", "change", title=f"{finding.name}: KPIs moved")
        for kpi, baseline, now, change in finding.moved.itertuples(index=False, name=None):
            table.add_row(str(kpi), f"{baseline:.6g}", f"{now:.6g}",
                          "-" if math.isnan(float(change)) else f"{float(change):+.6g}")
        output.stdout.print(table)
    return 0 if finding.ok else 1
