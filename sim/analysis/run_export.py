"""`ccsim export`: one replication of a run folder in another tool's format (docs/export.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from sim.analysis import process_mining as mining
from sim.analysis import taskrouter_export as taskrouter
from sim.analysis.results import EVENTS, SCENARIO
from sim.domain.scenario import Scenario
from sim.domain.scenario_file import ScenarioError, load_scenario

# format -> (file name ending, what it is)
FORMATS = {
    "taskrouter": (".json", "TaskRouter Events API list page"),
    "cloudevents": (".ndjson", "Event Streams CloudEvents, one a line"),
    "ocel": (".jsonocel", "OCEL 2.0 JSON"),
    "xes": (".xes", "XES, a case per task"),
}


class ExportError(ValueError):
    """A run folder that cannot be exported, and why (one line, naming the file)."""


def read_run(folder: Path, replication: int) -> tuple[Scenario, pd.DataFrame]:
    """The resolved scenario and one replication's rows of a run folder."""
    events = folder / EVENTS
    if not (folder / SCENARIO).is_file() or not events.is_file():
        raise ExportError(f"{folder}: not a run folder with an event log (it needs "
                          f"{SCENARIO} and {EVENTS}; `ccsim run --no-events` writes none)")
    try:
        scenario = load_scenario(folder / SCENARIO)
    except ScenarioError as error:
        raise ExportError(str(error.problems[0])) from None
    frame = pq.read_table(events, filters=[("replication", "==", replication)]).to_pandas()
    if frame.empty:
        present = sorted(set(pq.read_table(events, columns=["replication"]).column(0)
                             .to_pylist()))
        raise ExportError(f"{events}: no replication {replication} (it has "
                          f"{', '.join(map(str, present)) or 'none'})")
    return scenario, frame.reset_index(drop=True)


def export_text(form: str, frame: pd.DataFrame, scenario: Scenario, replication: int,
                zone: dt.tzinfo) -> str:
    if form in ("taskrouter", "cloudevents"):
        events = taskrouter.export_events(frame, scenario, replication, zone)
        if form == "cloudevents":
            return taskrouter.cloudevents_text(events)
        page = taskrouter.list_page(events, scenario, zone)
        return json.dumps(page, separators=(",", ":")) + "\n"
    rows = mining.rows_of(frame, scenario, zone)
    if form == "ocel":
        groups = {f"{g.name}-{i + 1}": g.name for g in scenario.agents for i in range(g.count)}
        return json.dumps(mining.ocel_document(rows, groups), separators=(",", ":")) + "\n"
    return mining.xes_text(rows, f"{scenario.name} replication {replication}")


def default_path(folder: Path, form: str, replication: int) -> Path:
    return folder / "exports" / f"{form}-r{replication}{FORMATS[form][0]}"
