"""`ccsim run`: replications of one scenario into one results folder (DESIGN.md section 3)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.experiment import Executor, Outcome, jobs_for, run_all
from sim.metrics import KPI_NAMES, Context, kpi_range
from sim.plots import FigureData, draw
from sim.results import (
    EVENTS,
    FIGURES,
    KPIS,
    MANIFEST,
    SCENARIO,
    SUMMARY,
    EventsWriter,
    atomic_write_text,
    csv_text,
    manifest,
    run_id,
    scenario_text,
    staged_folder,
    write_json,
)
from sim.scenario import Scenario
from sim.stats import summarize

Progress = Callable[[Outcome], None]


@dataclass(frozen=True)
class RunOptions:
    events: bool = True
    figures: bool = True


@dataclass(frozen=True)
class RunResult:
    folder: Path
    kpis: pd.DataFrame
    summary: pd.DataFrame
    wall: float


def default_folder(root: Path, scenario: Scenario) -> Path:
    return root / scenario.name / run_id(scenario_text(scenario))


def kpi_frame(outcomes: list[Outcome]) -> pd.DataFrame:
    rows = [{"replication": o.replication, **o.kpis} for o in outcomes]
    return pd.DataFrame(rows, columns=["replication", *KPI_NAMES])


def run_scenario(
    scenario: Scenario, folder: Path, executor: Executor, options: RunOptions = RunOptions(),
    progress: Progress | None = None,
) -> RunResult:
    """Run every replication of `scenario` and write its results folder atomically."""
    started = time.perf_counter()
    jobs = jobs_for(scenario, range(scenario.replications), keep_events=options.events
                    or options.figures)
    text = scenario_text(scenario)
    context = Context.of(scenario)
    figure_data = FigureData(context, scenario.flex.pause.expiry, scenario.flex.leave.window)
    with staged_folder(folder) as staging:
        writer = EventsWriter(staging / EVENTS, [(0, r) for r in range(scenario.replications)])

        def done(outcome: Outcome) -> None:
            if outcome.log is not None:
                if options.figures:
                    figure_data.add(outcome.log.to_frame())
                if options.events:
                    writer.add(outcome.point, outcome.log)
                outcome.log = None  # written: let it go
            if progress is not None:
                progress(outcome)

        outcomes = run_all(jobs, executor, done)
        if options.events:
            writer.close()
        kpis = kpi_frame(outcomes)
        summary = summarize(kpis, KPI_NAMES, ranges=kpi_range)
        atomic_write_text(staging / SCENARIO, text)
        atomic_write_text(staging / KPIS, csv_text(kpis))
        atomic_write_text(staging / SUMMARY, csv_text(summary))
        if options.figures:
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
        }))
    return RunResult(folder, kpis, summary, wall)
