"""`ccsim staff SCENARIO --target ... --vary ...`: the cheapest staffing meeting every target
with the stated confidence (docs/staffing.md)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
import pandas as pd
from rich.table import Table

from sim.analysis.display import show
from sim.analysis.executors import Executor
from sim.analysis.outfolder import name_problem
from sim.analysis.staffing import answer, default_folder, largest, write_staffing
from sim.analysis.staffing_question import CAP_FACTOR, Question, read_question
from sim.analysis.staffing_result import StaffingResult, describe
from sim.analysis.staffing_targets import StaffingInputError
from sim.cli import output
from sim.cli.options import executor_options, force_option
from sim.cli.output import Bar, fail_input, say
from sim.domain.scenario import Scenario

EXIT_NO_ANSWER = 1


@click.command(name="staff")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--target", "targets", multiple=True, metavar="KPI>=VALUE",
              help="A level to meet: service_level>=0.8, unanswered_rate<=0.02, "
                   "first_response_time_p90<=4h; repeatable.")
@click.option("--vary", "varies", multiple=True, metavar="agents.GROUP.count",
              help="An agent count to choose; repeatable (several: the cheapest mix).")
@click.option("--range", "ranges", multiple=True, metavar="LOW:HIGH",
              help="Counts to consider: one for all groups, one per --vary in order, or "
                   "GROUP=LOW:HIGH [default: 1 (0 with several groups) to past the guess].")
@click.option("--cost", metavar="GROUP=COST,...", help="Cost of an agent per group, e.g. "
              "tier1=1,tier2=1.3 [default: 1 each].")
@click.option("-r", "--replications", type=int,
              help="Replications each staffing starts with [default: the scenario's].")
@click.option("--max-replications", type=int, help="Most replications a staffing too close "
              f"to call gets [default: {CAP_FACTOR} x the starting ones].")
@click.option("--confidence", type=float, default=0.95, show_default=True,
              help="Confidence of each bound a target is judged on (one-sided).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a setting by dotted key, as in ccsim run.")
@click.option("--out", type=click.Path(path_type=Path),
              help="Results folder [default: results/staffing/<scenario>/<run-id>].")
@executor_options
@force_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or candidate table.")
def command(file: Path, targets: tuple[str, ...], varies: tuple[str, ...],
            ranges: tuple[str, ...], cost: str | None, replications: int | None,
            max_replications: int | None, confidence: float, overrides: tuple[str, ...],
            out: Path | None, workers: int | None, scheduler: str | None, force: bool,
            quiet: bool) -> None:
    """Find the cheapest staffing that meets every target."""
    scenario = output.load(file, overrides)
    try:
        question = read_question(scenario, targets, varies, ranges, cost, replications,
                                 max_replications, confidence)
    except StaffingInputError as error:
        fail_input(error.problems)
    folder = out or default_folder(scenario)
    problem = name_problem(folder)
    if problem is not None:
        fail_input([f"--out {folder}: {problem}"])
    if folder.exists():
        fail_input([f"{folder}: already exists; choose another --out"])
    pool = output.executor(workers, question.cap, scheduler)
    output.check_memory(file, [largest(scenario, question)], pool, force)
    started = time.perf_counter()
    with Bar(quiet, f"staffing {scenario.name}") as bar:
        result = output.guarded(lambda: _answered(scenario, question, pool, bar))
    result = output.guarded(lambda: write_staffing(result, folder, scenario, pool,
                                            time.perf_counter() - started))
    report(result, quiet)
    say(f"results: {folder}  ({result.runs_made} runs, {time.perf_counter() - started:.1f} s, "
        f"{pool.name})")
    if result.answer is None:
        sys.exit(EXIT_NO_ANSWER)


def _answered(scenario: Scenario, question: Question, pool: Executor, bar: Bar
              ) -> StaffingResult:
    try:
        return answer(scenario, question, pool, bar, int(getattr(pool, "workers", 1)))
    except StaffingInputError as error:  # a target undefined in this scenario
        fail_input(error.problems)


def report(result: StaffingResult, quiet: bool) -> None:
    q = result.question
    if not quiet:
        output.stdout.print(candidate_table(result))
    say(f"first guess from the formulas (docs/staffing.md): {describe(q.guess)}")
    for line in result.sentences():
        say(line)


def candidate_table(result: StaffingResult) -> Table:
    q = result.question
    table = Table(title=f"candidates (cheapest first; bounds one-sided at "
                        f"{q.confidence:.0%})", title_justify="left")
    for column in (*q.groups, "cost", "replications", *(g.text for g in q.goals), "verdict"):
        table.add_column(column, justify="right" if column != "verdict" else "left")
    for _, row in result.candidates.iterrows():
        cells = [str(int(row[g])) for g in q.groups]
        cells += [f"{row['cost']:g}", str(int(row["replications"]))]
        cells += [_bounds(row, g.kpi) for g in q.goals]
        answer = result.answer is not None and all(row[g] == n for g, n in
                                                   result.answer.items())
        cells.append(f"{row['verdict']}{'  <- answer' if answer else ''}")
        table.add_row(*cells)
    return table


def _bounds(row: pd.Series, kpi: str) -> str:
    mean, low, high = (float(row[f"{kpi}_{end}"]) for end in ("mean", "low", "high"))
    return f"{show(kpi, mean)} [{show(kpi, low)}, {show(kpi, high)}]"
