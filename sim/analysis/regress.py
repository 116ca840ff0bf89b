"""`ccsim regress`: re-run the reference scenarios and compare with committed baselines.

A baseline (results/reference/<name>/) holds the KPIs of every replication, their summary,
and a digest of every replication's event log. By default any changed digest is a failure
(behaviour changed) and the report says which KPIs moved and by how much. `--statistical`
compares KPI confidence intervals instead (for intended model changes); `--update` rewrites
the baselines and reports what changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.catalogue import KPI_NAMES, kpi_range
from sim.analysis.executors import Executor, run_all
from sim.analysis.experiment import Job, Outcome
from sim.analysis.results import atomic_write_text, csv_text, digest, scenario_text, write_json
from sim.analysis.stats import summarize
from sim.analysis.versions import versions
from sim.domain.scenario import Scenario
from sim.domain.scenario_file import load_scenario

DIGESTS, KPIS, SUMMARY = "digests.json", "kpis.csv", "summary.csv"


@dataclass
class Rerun:
    name: str
    scenario: Scenario
    kpis: pd.DataFrame = field(default_factory=pd.DataFrame)
    digests: list[str] = field(default_factory=list)


@dataclass
class Finding:
    """What changed in one reference scenario."""

    name: str
    problems: list[str] = field(default_factory=list)  # each one fails the run
    notes: list[str] = field(default_factory=list)  # informative only
    moved: pd.DataFrame | None = None  # KPI, baseline, now, change

    @property
    def ok(self) -> bool:
        return not self.problems


def references(folder: Path) -> list[tuple[str, Scenario]]:
    return [(path.stem, load_scenario(path)) for path in sorted(folder.glob("*.yaml"))]


def recorded(names: list[str], baselines: Path) -> list[str]:
    """The reference scenarios of `names` that have a baseline in `baselines`."""
    return [name for name in names if (baselines / name / DIGESTS).is_file()]


def rerun(scenarios: list[tuple[str, Scenario]], executor: Executor,
          done: Callable[[Outcome], None] | None = None) -> list[Rerun]:
    jobs = [Job(scenario, r, scenario.seed, keep_events=True, point=i)
            for i, (_, scenario) in enumerate(scenarios) for r in range(scenario.replications)]
    outcomes = run_all(jobs, executor, done)
    runs = []
    for i, (name, scenario) in enumerate(scenarios):
        mine = [o for o in outcomes if o.point == i]
        frame = pd.DataFrame([{"replication": o.replication, **{k: o.kpis[k] for k in
                                                                 KPI_NAMES}} for o in mine])
        runs.append(Rerun(name, scenario, frame,
                          [o.log.digest() for o in mine if o.log is not None]))
    return runs


# comparing ---------------------------------------------------------------------------------

def compare(run: Rerun, baselines: Path, statistical: bool) -> Finding:
    finding = Finding(run.name)
    folder = baselines / run.name
    if not (folder / DIGESTS).exists():
        finding.problems.append(f"no baseline in {folder}; run `ccsim regress --update`")
        return finding
    recorded = json.loads((folder / DIGESTS).read_text())
    before = pd.read_csv(folder / KPIS)
    if recorded["scenario_sha256"] != digest(scenario_text(run.scenario)):
        finding.problems.append("the reference scenario changed since its baseline was "
                                "recorded; run `ccsim regress --update` if that is intended")
    finding.problems += kpi_set_changes(before, run.kpis)
    finding.moved = kpi_moves(before, run.kpis)
    if statistical:
        finding.problems += interval_changes(before, run.kpis)
    else:
        finding.problems += digest_changes(recorded["digests"], run.digests)
        note = version_note(recorded.get("versions", {}), versions())
        if finding.problems and note:
            finding.notes.append(note)
    return finding


def digest_changes(before: list[str], now: list[str]) -> list[str]:
    if len(before) != len(now):
        return [f"{len(now)} replications now, {len(before)} in the baseline"]
    changed = [str(r) for r, (a, b) in enumerate(zip(before, now, strict=True)) if a != b]
    if not changed:
        return []
    return [f"event log changed in replication{'s' if len(changed) > 1 else ''} "
            f"{', '.join(changed)} (behaviour changed)"]


def kpi_set_changes(before: pd.DataFrame, now: pd.DataFrame) -> list[str]:
    """KPIs that one side has and the other not (a baseline from another version)."""
    added = [name for name in now.columns if name not in before.columns]
    removed = [name for name in before.columns if name not in now.columns]
    problems = []
    if added:
        problems.append(f"KPIs not in the baseline: {', '.join(added)}")
    if removed:
        problems.append(f"KPIs of the baseline that are no more: {', '.join(removed)}")
    return problems


def _shared(before: pd.DataFrame, now: pd.DataFrame) -> list[str]:
    return [name for name in KPI_NAMES if name in before.columns and name in now.columns]


def kpi_moves(before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """KPIs whose mean over replications differs from the baseline's."""
    rows = []
    for name in _shared(before, now):
        old, new = _mean(before[name]), _mean(now[name])
        if not _same(old, new):
            change = new - old if np.isfinite(old) and np.isfinite(new) else np.nan
            rows.append((name, old, new, change))
    return pd.DataFrame(rows, columns=["kpi", "baseline", "now", "change"])


def interval_changes(before: pd.DataFrame, now: pd.DataFrame) -> list[str]:
    """KPIs whose 95% intervals no longer overlap the baseline's."""
    names = tuple(_shared(before, now))
    old = summarize(before, names, ranges=kpi_range).set_index("kpi")
    new = summarize(now, names, ranges=kpi_range).set_index("kpi")
    problems = []
    for name in names:
        a, b = old.loc[name], new.loc[name]
        if b["n"] != a["n"] or (a["n"] and b["n"] == 0):
            problems.append(f"{name}: defined in {b['n']} replications, {a['n']} before")
        elif b["ci_low"] > a["ci_high"] or b["ci_high"] < a["ci_low"]:
            problems.append(f"{name}: 95% CI now [{b['ci_low']:.4g}, {b['ci_high']:.4g}], "
                            f"baseline [{a['ci_low']:.4g}, {a['ci_high']:.4g}]")
    return problems


def version_note(before: dict[str, Any], now: dict[str, str]) -> str:
    differ = [f"{k} {before.get(k)} -> {v}" for k, v in now.items()
              if k != "platform" and before.get(k) != v]
    if not differ:
        return ""
    return ("the baseline was recorded with other versions (" + ", ".join(differ) + "); "
            "a library's random streams may differ: compare with --statistical")


def _mean(values: pd.Series) -> float:
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(finite.mean()) if len(finite) else float("nan")


def _same(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or a == b


# writing -----------------------------------------------------------------------------------

def write_baseline(run: Rerun, baselines: Path) -> None:
    folder = baselines / run.name
    atomic_write_text(folder / KPIS, csv_text(run.kpis))
    atomic_write_text(folder / SUMMARY, csv_text(summarize(run.kpis, KPI_NAMES,
                                                           ranges=kpi_range)))
    write_json(folder / DIGESTS, {
        "scenario": run.scenario.name,
        "scenario_sha256": digest(scenario_text(run.scenario)),
        "seed": run.scenario.seed,
        "digests": run.digests,
        "versions": versions(),
    })
