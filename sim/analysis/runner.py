"""`ccsim run`: replications of one scenario into one results folder (DESIGN.md section 3)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.analysis.catalogue import KPI_NAMES, kpi_range
from sim.analysis.context import Context
from sim.analysis.continuation import END_STATE, end_state_text
from sim.analysis.executors import Executor, run_all
from sim.analysis.experiment import Outcome, Progress, jobs_for
from sim.analysis.figuredata import FigureData
from sim.analysis.results import (
    EVENTS,
    FIGURES,
    KPIS,
    MANIFEST,
    SCENARIO,
    SUMMARY,
    EventsWriter,
    atomic_write_text,
    counts_as_integers,
    csv_text,
    manifest,
    run_id,
    scenario_text,
    staged_folder,
    write_json,
)
from sim.analysis.stats import Target, replications_for, summarize
from sim.analysis.views import View, views
from sim.domain.carried import Carried
from sim.domain.scenario import Scenario


@dataclass(frozen=True)
class RunOptions:
    events: bool = True
    figures: bool = True
    workbook: bool = False  # also tables.xlsx (--format xlsx)
    carried: tuple[Carried, ...] = ()  # by replication: the states it continues from
    source: str = ""  # the folder they were read from (`--from`)


@dataclass(frozen=True)
class RunResult:
    folder: Path
    scenario: Scenario  # as run: replications is the number actually run
    kpis: pd.DataFrame
    summary: pd.DataFrame
    wall: float
    reached: pd.DataFrame | None = None  # the precision goal's ratios, when one was set
    by_skill: View | None = None
    by_group: View | None = None


def default_folder(root: Path, scenario: Scenario) -> Path:
    return root / scenario.name / run_id(scenario_text(scenario))


def kpi_frame(outcomes: list[Outcome]) -> pd.DataFrame:
    rows = [{"replication": o.replication, **{k: o.kpis[k] for k in KPI_NAMES}}
            for o in outcomes]
    return counts_as_integers(pd.DataFrame(rows, columns=["replication", *KPI_NAMES]))


def write_tables(folder: Path, kpis: pd.DataFrame, summary: pd.DataFrame,
                 split: tuple[View, ...], workbook: bool) -> None:
    """The KPI tables as CSV files, and with `workbook` as one Excel file too."""
    tables = {KPIS: kpis, SUMMARY: summary}
    for view in split:
        tables[f"kpis_by_{view.key}.csv"] = view.kpis
        tables[f"summary_by_{view.key}.csv"] = view.summary
    for name, frame in tables.items():
        atomic_write_text(folder / name, csv_text(frame))
    if workbook:
        from sim.analysis.workbook import WORKBOOK, write_workbook

        write_workbook(folder / WORKBOOK, {name.removesuffix(".csv"): frame
                                           for name, frame in tables.items()})


def run_scenario(
    scenario: Scenario, folder: Path, executor: Executor, options: RunOptions = RunOptions(),
    progress: Progress | None = None, target: Target | None = None, step: int = 1,
) -> RunResult:
    """Run the replications of `scenario` (more, up to the target's cap, until the target's
    precision is met) and write its results folder atomically."""
    started = time.perf_counter()
    context = Context.of(scenario)
    figure_data = FigureData(context, scenario.flex.pause.expiry, scenario.flex.leave.window,
                             scenario.name, scenario.flex.pause.enabled,
                             scenario.flex.leave.enabled)
    with staged_folder(folder) as staging:
        writer = EventsWriter(staging / EVENTS, [])

        def done(outcome: Outcome) -> None:
            if outcome.figures is not None:
                figure_data.add(outcome.figures)
                outcome.figures = None
            if outcome.log is not None:
                writer.add(outcome.point, outcome.log)
                outcome.log = None  # written: let it go
            if progress is not None:
                progress.advance(outcome)

        outcomes: list[Outcome] = []
        wanted, reached = scenario.replications, None
        while len(outcomes) < wanted:
            batch = range(len(outcomes), wanted)
            writer.expect([(0, r) for r in batch])
            if progress is not None:
                progress.total(wanted)
            outcomes += run_all(jobs_for(scenario, batch, keep_events=options.events,
                                         figures=options.figures, carried=options.carried,
                                         keep_state=True), executor, done,
                                None if progress is None else progress.reached)
            summary = summarize(kpi_frame(outcomes), KPI_NAMES, ranges=kpi_range)
            if target is not None:
                reached = target.reached(summary)
                worst = target.worst(summary)
                cap = min(target.cap, len(options.carried)) if options.carried else target.cap
                if worst > 1 and wanted < cap:  # continued: no more than there are states
                    wanted = replications_for(wanted, worst, cap, step)
        if options.events:
            writer.close()
        scenario = scenario.model_copy(update={"replications": len(outcomes)})
        text = scenario_text(scenario)
        kpis = kpi_frame(outcomes)
        atomic_write_text(staging / SCENARIO, text)
        atomic_write_text(staging / END_STATE, end_state_text(
            [o.end_state for o in sorted(outcomes, key=lambda o: o.replication)
             if o.end_state is not None]))
        by_skill, by_group = views(outcomes)
        write_tables(staging, kpis, summary, (by_skill, by_group), options.workbook)
        if options.figures:
            # matplotlib only now: its tens of MB are not held through the simulation
            from sim.analysis.plots import draw

            draw(figure_data, staging / FIGURES)
        wall = time.perf_counter() - started
        write_json(staging / MANIFEST, manifest(text, scenario.seed, scenario.replications,
                                                wall, {
            "scenario": scenario.name,
            "run_id": folder.name,
            "command": " ".join(["ccsim", *sys.argv[1:]]),
            "executor": executor.name,
            "events_written": options.events,
            "figures_written": options.figures,
            "target": None if target is None else target.describe(),
            "continued_from": options.source or None,
        }))
    return RunResult(folder, scenario, kpis, summary, wall, reached, by_skill, by_group)
