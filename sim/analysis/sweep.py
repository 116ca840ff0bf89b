"""`ccsim sweep`: every grid point x the same replication seeds, resumable.

The output folder is stable (not time-stamped) so that running the same sweep again resumes
it. Each run commits by writing its event log and then, last, its KPI file
(`runs/point=P/replication=R.json`): a run whose KPI file exists is complete, and one without
it is run again, so an interrupted sweep (even killed) loses nothing and duplicates nothing.
Tables, CSV files and figures are rebuilt from the committed runs at the end.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.catalogue import KPI_NAMES, kpi_range
from sim.analysis.executors import Executor, run_all
from sim.analysis.experiment import Job, Outcome, Reached
from sim.analysis.results import (
    atomic_write_bytes,
    atomic_write_text,
    counts_as_integers,
    csv_text,
    digest,
    events_bytes,
    scenario_text,
    write_json,
)
from sim.analysis.stats import summarize, t_interval
from sim.analysis.versions import versions
from sim.analysis.views import views
from sim.domain.scenario_file import ScenarioError, load_scenario
from sim.domain.sweep_file import Sweep

RUN = re.compile(r"point=(\d+)/replication=(\d+)\.json$")
DEFAULT_KPIS = ("service_level", "unanswered_rate", "first_response_time_p90",
                "reservation_timeout_rate", "declined_task_rate", "pause_expiry_rate",
                "reactivation_rate", "unanswered_conversations_mean", "slot_occupancy",
                "agent_utilization")


class SweepFolderError(ValueError):
    """The output folder holds another sweep."""


@dataclass(frozen=True)
class Store:
    root: Path

    def run_file(self, point: int, replication: int) -> Path:
        return self.root / "runs" / f"point={point}" / f"replication={replication}.json"

    def events_file(self, point: int, replication: int) -> Path:
        return (self.root / "events" / f"point={point}" / f"replication={replication}"
                / "part-0.parquet")

    def done(self, events: bool = False) -> set[tuple[int, int]]:
        """Committed runs; with `events`, only those whose event log was written too (a run
        made with --no-events is run again when a resume asks for events)."""
        found = set()
        for path in (self.root / "runs").glob("point=*/replication=*.json"):
            match = RUN.search(path.as_posix())
            if match:
                point, replication = int(match[1]), int(match[2])
                if not events or self.events_file(point, replication).exists():
                    found.add((point, replication))
        return found

    def commit(self, outcome: Outcome) -> None:
        """Event log first, KPIs last: the KPI file is the mark of a complete run. The log
        leaves out `replication`: the folder names say it (hive partitioning), so that
        `pandas.read_parquet(<sweep>/events)` reads every run as one table."""
        record: dict[str, Any] = {"point": outcome.point, "replication": outcome.replication,
                                  "seconds": round(outcome.seconds, 3), "kpis": outcome.kpis,
                                  "by_skill": outcome.by_skill, "by_group": outcome.by_group}
        if outcome.log is not None:
            data = events_bytes(outcome.log)
            atomic_write_bytes(self.events_file(outcome.point, outcome.replication), data)
            # so that a resume can tell a truncated or altered part (sim.analysis.sweep_repair)
            record["events"] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        atomic_write_text(self.run_file(outcome.point, outcome.replication),
                          json.dumps(record) + "\n")

    def records(self) -> list[dict[str, Any]]:
        """The committed runs' files, in point and replication order."""
        records = [json.loads(path.read_text())
                   for path in (self.root / "runs").glob("point=*/replication=*.json")]
        return sorted(records, key=lambda record: (record["point"], record["replication"]))



def identity(sweep: Sweep) -> str:
    """What makes two sweeps the same: every point's resolved scenario, bar its replication
    count (a re-run may add replications), and the end states it continues from, if any."""
    texts = [scenario_text(p.scenario.model_copy(update={"replications": 1}))
             for p in sweep.points]
    if sweep.continued_digest:  # --from: the same states too, not only the same start
        texts.append(f"continued from end states {sweep.continued_digest}")
    return digest("\n---\n".join(texts))


def open_store(sweep: Sweep, root: Path, notes: list[str] | None = None) -> Store:
    """The sweep's folder: new, or one this same sweep started (to resume). A folder whose
    sweep.json was lost is taken back when its points/ match the sweep (said in `notes`)."""
    store = Store(root)
    marker = root / "sweep.json"
    if marker.exists():
        if _recorded_identity(marker) != identity(sweep):
            raise SweepFolderError(
                f"{root} holds results of a different sweep (its points differ); choose "
                "another --out or remove that folder")
    elif root.exists() and any(root.iterdir()):
        if not (root / "points").is_dir():
            raise SweepFolderError(f"{root} exists and is not a sweep folder; choose another "
                                   "--out")
        if not _points_match(sweep, root):
            raise SweepFolderError(
                f"{root} has no sweep.json and its points/ are not this sweep's; choose "
                "another --out or remove that folder")
        if notes is not None:
            notes.append(f"{marker}: was missing; rebuilt from {sweep.source} (its points "
                         "match points/)")
    _write_points(sweep, root)  # before the marker: a marker means the points are there
    if not marker.exists():
        write_json(marker, {"identity": identity(sweep), "sweep": sweep.name,
                            "source": str(sweep.source), "base": str(sweep.base_path),
                            "keys": list(sweep.keys)})
    return store


def _recorded_identity(marker: Path) -> Any:
    try:
        return json.loads(marker.read_text()).get("identity")
    except (OSError, ValueError, AttributeError):
        return None  # unreadable: not this sweep's, so refused like another sweep's


def _point_file(root: Path, index: int) -> Path:
    return root / "points" / f"point={index}" / "scenario.yaml"


def _write_points(sweep: Sweep, root: Path) -> None:
    for point in sweep.points:
        if not _point_file(root, point.index).exists():
            resolved = point.scenario.model_copy(update={"replications": sweep.replications})
            atomic_write_text(_point_file(root, point.index), scenario_text(resolved))


def _points_match(sweep: Sweep, root: Path) -> bool:
    """Whether the folder's point scenarios are exactly this sweep's points."""
    written = {p.name for p in (root / "points").iterdir()}
    if written != {f"point={p.index}" for p in sweep.points}:
        return False
    for point in sweep.points:
        try:
            found = load_scenario(_point_file(root, point.index))
        except ScenarioError:
            return False
        if (found.model_copy(update={"replications": 1}).model_dump()
                != point.scenario.model_copy(update={"replications": 1}).model_dump()):
            return False
    return True


def missing_jobs(sweep: Sweep, store: Store, replications: int, events: bool) -> list[Job]:
    done = store.done(events)
    carried = {p.index: states for p, states in zip(sweep.points, sweep.carried,
                                                     strict=True)} if sweep.carried else {}
    return [Job(point.scenario, r, point.scenario.seed, keep_events=events, point=point.index,
                carried=carried[point.index][r] if carried else None)
            for r in range(replications) for point in sweep.points
            if (point.index, r) not in done]


def run_missing(sweep: Sweep, store: Store, replications: int, executor: Executor,
                events: bool, progress: Callable[[Outcome], None] | None = None,
                reached: Reached | None = None) -> int:
    """Run the runs not yet committed; returns how many ran."""
    jobs = missing_jobs(sweep, store, replications, events)

    def done(outcome: Outcome) -> None:
        store.commit(outcome)
        outcome.log = None
        if progress is not None:
            progress(outcome)

    run_all(jobs, executor, done, reached)
    return len(jobs)


# aggregation -------------------------------------------------------------------------------

@dataclass(frozen=True)
class SweepResult:
    kpis: pd.DataFrame  # point, replication, settings..., KPIs
    points: pd.DataFrame  # point, settings...
    summary: pd.DataFrame  # point, kpi, mean, ci_low, ci_high, n
    differences: pd.DataFrame  # point, kpi, mean, ci_low, ci_high, n (paired, vs base)
    # sweep_by_skill, summary_by_skill, sweep_by_group, summary_by_group (see part_tables)
    parts: dict[str, pd.DataFrame] = field(default_factory=dict)


def settings_frame(sweep: Sweep) -> pd.DataFrame:
    return pd.DataFrame([{"point": p.index,
                          **{k: setting_text(p.settings[k]) for k in sweep.keys}}
                         for p in sweep.points])


def setting_text(value: Any) -> Any:
    """A setting as points.csv holds it: scalars as they are, lists and mappings as JSON."""
    return value if isinstance(value, int | float | str | bool) else json.dumps(value)


def kpi_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per committed run: point, replication, every KPI."""
    rows = [{"point": record["point"], "replication": record["replication"],
             **{name: record["kpis"][name] for name in KPI_NAMES}} for record in records]
    frame = pd.DataFrame(rows, columns=["point", "replication", *KPI_NAMES])
    return counts_as_integers(frame.sort_values(["point", "replication"], ignore_index=True))


def aggregate(sweep: Sweep, store: Store, replications: int) -> SweepResult:
    records = store.records()  # every run's file, read once for all the tables
    kpis = kpi_table(records)
    kpis = kpis[kpis["replication"] < replications]
    points = settings_frame(sweep)
    summary = pd.concat([
        summarize(group, KPI_NAMES, ranges=kpi_range).assign(point=point)
        for point, group in kpis.groupby("point")], ignore_index=True)
    differences = paired_differences(kpis, sweep.base_point)
    return SweepResult(points.merge(kpis, on="point"), points,
                       summary[["point", "kpi", "mean", "ci_low", "ci_high", "n"]],
                       differences, part_tables(records, replications))


def part_tables(records: list[dict[str, Any]], replications: int
                ) -> dict[str, pd.DataFrame]:
    """Per point, the per-skill and per-group tables `ccsim run` writes (kpis_by_skill.csv
    and summary_by_skill.csv, the same by group), with a point column first: sweep_by_skill,
    summary_by_skill, sweep_by_group and summary_by_group. Over the runs that kept them: a
    run committed by a version before they were kept has none (its point's `n` says so)."""
    runs: dict[int, list[Outcome]] = {}
    for record in records:
        if record["replication"] < replications and "by_skill" in record:
            runs.setdefault(record["point"], []).append(Outcome(
                record["point"], record["replication"], {}, 0.0,
                by_skill=record["by_skill"], by_group=record["by_group"]))
    tables: dict[str, list[pd.DataFrame]] = {}
    for point, outcomes in runs.items():
        for view in views(outcomes):
            tables.setdefault(f"sweep_by_{view.key}", []).append(_with_point(view.kpis, point))
            tables.setdefault(f"summary_by_{view.key}", []).append(
                _with_point(view.summary, point))
    return {name: pd.concat(frames, ignore_index=True) for name, frames in tables.items()}


def _with_point(frame: pd.DataFrame, point: int) -> pd.DataFrame:
    return frame.assign(point=point)[["point", *frame.columns]]


def paired_differences(kpis: pd.DataFrame, base: int) -> pd.DataFrame:
    """Per point and KPI: mean and 95% CI of (point - base) over the same replications."""
    reference = kpis[kpis["point"] == base].set_index("replication")
    rows = []
    for point, group in kpis.groupby("point"):
        mine = group.set_index("replication")
        common = mine.index.intersection(reference.index)
        for name in KPI_NAMES:
            delta = (mine.loc[common, name] - reference.loc[common, name]).to_numpy(float)
            rows.append((point, name, *t_interval(delta)))
    return pd.DataFrame(rows, columns=["point", "kpi", "mean", "ci_low", "ci_high", "n"])


def overview(result: SweepResult) -> pd.DataFrame:
    """One row per point: its settings and the mean of every KPI."""
    means = result.summary.pivot(index="point", columns="kpi", values="mean")
    return result.points.merge(means[list(KPI_NAMES)].reset_index(), on="point")


def write_outputs(sweep: Sweep, store: Store, result: SweepResult, wall: float,
                  extra: dict[str, Any], workbook: bool = False) -> None:
    root = store.root
    tables = {"sweep": result.kpis, "points": result.points, "summary": result.summary,
              "differences": result.differences, "overview": overview(result), **result.parts}
    for name, frame in tables.items():
        atomic_write_text(root / f"{name}.csv", csv_text(frame))
    if workbook:
        from sim.analysis.workbook import WORKBOOK, write_workbook

        write_workbook(root / WORKBOOK, tables)
    write_json(root / "manifest.json", {
        "sweep": sweep.name, "identity": identity(sweep), "points": len(sweep.points),
        "base_point": sweep.base_point, "replications": int(result.kpis["replication"].max() + 1)
        if len(result.kpis) else 0, "seed": sweep.points[0].scenario.seed,
        "wall_seconds": round(wall, 3), "versions": versions(), **extra})

