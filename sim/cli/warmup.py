"""`ccsim warmup [FILE]`: suggest a warm-up from MSER-5 on the backlog, with a figure."""

from __future__ import annotations

from pathlib import Path

import click

from sim.analysis import warmup as warmups
from sim.analysis.cycle import chosen_cycle
from sim.analysis.outfolder import name_problem
from sim.cli.options import executor_options, force_option
from sim.cli.output import (
    Bar,
    bundled,
    check_memory,
    executor,
    fail_input,
    guarded,
    load,
    say,
)
from sim.domain.durations import format_duration


@click.command(name="warmup")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("-r", "--replications", type=int, help="Replications [default: the file's].")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a setting by dotted key (keys: docs/reference.md).")
@click.option("--out", type=click.Path(path_type=Path),
              help="Figure to write [default: results/<scenario>/warmup.png].")
@click.option("--cycle", metavar="DURATION|none",
              help="The backlog's period, averaged out before MSER-5 [default: the "
                   "scenario's: 7d, 1d or none].")
@executor_options
@force_option
def command(file: Path | None, replications: int | None, overrides: tuple[str, ...],
            out: Path | None, cycle: str | None, workers: int | None, scheduler: str | None,
            force: bool) -> None:
    """Suggest a warm-up length (MSER-5 on the backlog).

    The backlog is averaged over replications and over a trailing cycle first: a week when
    arrivals or shifts differ by weekday, a day when they differ by hour, else none."""
    if out is not None and out.suffix.lower() != ".png":
        fail_input([f"--out {out}: the figure is a PNG image; name it .png"])
    if out is not None and name_problem(out) is not None:
        fail_input([f"--out {out}: {name_problem(out)}"])
    source = file or bundled("baseline.yaml")
    scenario = load(source, list(overrides))
    try:
        period = chosen_cycle(cycle, scenario)
    except ValueError as error:
        fail_input([f"--cycle {cycle}: {error}"])
    count = replications if replications is not None else scenario.replications
    if count < 1:
        fail_input([f"--replications {count}: must be at least 1"])
    pool = executor(workers, count, scheduler)
    check_memory(source, [scenario], pool, force, kept_logs=count)  # every log is kept
    say(f"cycle: {period.describe()}, " + (f"because {period.reason}; --cycle overrides it"
                                           if cycle is None else "as given with --cycle"))
    with Bar(False, f"warmup {scenario.name}") as bar:
        bar.total(count)
        found = guarded(lambda: warmups.suggest(scenario, count, pool, period, bar.advance))
    path = out or Path("results") / scenario.name / "warmup.png"
    guarded(lambda: warmups.draw(found, path, f"{scenario.name}: backlog over "
                                 f"{count} replications, no warm-up"))
    say(f"suggested warmup: {found.suggestion()}; the scenario says "
        f"{format_duration(scenario.warmup)}")
    say(f"  (MSER-5 on the hourly backlog over {count} replications, {found.smoothing()})")
    held = scenario.initial.conversations
    if held:
        say(f"the scenario starts from a backlog (initial: {held} conversations): if that "
            "is the state the center is in, the warm-up may be 0, since the run does not "
            "start empty; the suggestion is how long until the backlog forgets that start")
    if found.at_limit:
        say("the minimum is at the search limit (half the horizon): the backlog may not "
            "settle within the horizon; lengthen it and look at the figure", error=True)
    say(f"figure: {path}")
