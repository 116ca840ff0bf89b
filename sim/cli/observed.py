"""What `ccsim calibrate` and `ccsim backtest` share: reading exports into an observed log
(with every malformed record reported), and showing a back-test."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from sim.cli import output
from sim.cli.output import fail_input, say
from sim.cli.tables import interval, show

if TYPE_CHECKING:
    from sim.analysis.calibrate.backtest import BackTest
    from sim.analysis.calibrate.reading import Reading
    from sim.analysis.calibrate.rebuild import Observed

LISTED = 20  # malformed records listed one by one; the rest are counted


def export_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed((
        click.option("--timezone", "zone", default="UTC", show_default=True,
                     help="The center's time zone (UTC, +02:00 or Europe/Berlin): hours of "
                          "the day and shifts are read in it."),
        click.option("--start", help="First local time observed, e.g. 2026-01-05 [default: "
                                     "the list page's StartDate, else midnight of the first "
                                     "event's day]."),
        click.option("--end", help="Last local time observed [default: the list page's "
                                   "EndDate, else the last event, rounded up to the hour]."),
        click.option("--group-by", metavar="ATTRIBUTE",
                     help="Worker attribute that names an agent's group (dotted, e.g. "
                          "team_name) [default: team_name when every worker has it, else the "
                          "queues each worker was offered tasks from]."),
        click.option("--strict", is_flag=True,
                     help="Refuse the export if any record is malformed (default: skip it "
                          "and say so)."),
    )):
        command = option(command)
    return command


def _local(text: str | None, what: str) -> dt.datetime | None:
    if text is None:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        fail_input([f"--{what} {text}: not a date or time such as 2026-01-05 or "
                    "2026-01-05T08:00"])


def read(paths: tuple[Path, ...], zone_text: str, start_text: str | None,
         end_text: str | None, strict: bool, window: float | None = None) -> Observed:
    from sim.analysis import twilio_ids as ids
    from sim.analysis.calibrate.reading import ExportFileError, read_exports
    from sim.analysis.calibrate.rebuild import observe

    try:
        zone = ids.parse_zone(zone_text)
    except ValueError as error:
        fail_input([f"--timezone: {error}"])
    start, end = _local(start_text, "start"), _local(end_text, "end")
    try:
        reading = read_exports(list(paths))
    except ExportFileError as error:
        fail_input([str(error)])
    report(reading, len(paths), strict)
    if start is None and reading.window[0] is not None:
        start = ids.local_of(reading.window[0], zone)
    end_ms = ids.utc_ms(end, zone) if end is not None else reading.window[1]
    observed = observe(reading.records, zone, start, end_ms, window)
    for problem in observed.problems[:LISTED]:
        say(f"warning: {problem}", error=True)
    if observed.not_in_window:
        say(f"skipped {observed.not_in_window:,} events of tasks created before the export "
            "begins (their task.created is not in it)", error=True)
    if not (observed.frame["event"] == "task.created").any():
        fail_input([f"{', '.join(map(str, paths))}: no task.created event in the window: "
                    "nothing to calibrate or compare"])
    return observed


def report(reading: Reading, files: int, strict: bool) -> None:
    for problem in reading.problems[:LISTED]:
        say(f"{problem}: skipped", error=True)
    if len(reading.problems) > LISTED:
        say(f"... and {len(reading.problems) - LISTED:,} more malformed records", error=True)
    if strict and reading.problems:
        fail_input([f"--strict: {len(reading.problems):,} malformed records; nothing read"])
    if not reading.records:
        fail_input([f"no TaskRouter event the model can use in the {files} file(s) "
                    f"({len(reading.problems):,} malformed)"])
    parts = [f"read {len(reading.records):,} events from {files} file(s)"]
    if reading.skipped:
        kinds = ", ".join(f"{kind} ({n:,})" for kind, n in reading.skipped.most_common())
        parts.append(f"skipped {sum(reading.skipped.values()):,} of types the model has no "
                     f"use for: {kinds}")
    if reading.redundant:
        parts.append(f"{reading.redundant:,} reservation.wrapup/completed (told by the task "
                     "events)")
    if reading.duplicates:
        parts.append(f"{reading.duplicates:,} duplicates dropped")
    if reading.problems:
        parts.append(f"{len(reading.problems):,} malformed records skipped")
    say("; ".join(parts), error=True)


def show_backtest(test: BackTest, figures: list[Path], table_path: Path) -> None:
    table = Table(title=f"{test.scenario.name}: observed vs simulated "
                        f"({test.scenario.replications} replications)")
    for column in ("KPI", "observed", "simulated mean (95% CI)", "95% prediction", "inside"):
        table.add_column(column, justify="left" if column == "KPI" else "right")
    for record in test.table.to_dict("records"):
        name, seen, n = str(record["kpi"]), float(record["observed"]), int(record["n"])
        if n == 0 and math.isnan(seen):  # undefined in both
            continue
        mean, low, high = (float(record[k]) for k in ("mean", "ci_low", "ci_high"))
        table.add_row(name, show(name, seen), f"{show(name, mean)} ({interval(name, low, high)})",
                      interval(name, float(record["predict_low"]),
                               float(record["predict_high"])),
                      {True: "yes", False: "NO"}.get(record["inside"], "-"))
    output.stdout.print(table)
    judged = test.table["inside"].dropna()
    say(f"{int(judged.sum())} of {len(judged)} observed KPIs inside the simulation's 95% "
        "prediction interval for one replication")
    say(f"table: {table_path}")
    for path in figures:
        say(f"figure: {path}")


def run_backtest(observed: Observed, scenario: Any, groups: dict[str, str],
                 replications: int, workers: int | None, folder: Path) -> None:
    from sim.analysis.calibrate import backtest
    from sim.analysis.results import atomic_write_text, csv_text
    from sim.cli.output import Bar, executor, guarded

    if replications < 2:
        fail_input([f"--replications {replications}: a back-test needs at least 2"])
    pool = executor(workers, replications)
    with Bar(False, f"backtest {scenario.name}") as bar:
        bar.total(replications)
        test = guarded(lambda: backtest.backtest(observed, scenario, groups, pool,
                                                 replications, bar.advance))
    figures = guarded(lambda: backtest.draw(test, folder))
    table_path = folder / "backtest.csv"
    guarded(lambda: atomic_write_text(table_path, csv_text(test.table)))
    show_backtest(test, figures, table_path)
