"""The back-test: simulate a scenario over the observed window and set its KPIs beside the
observed ones, each measured by the same code (sim.analysis.metrics) on the same kind of log.

The observed center is one realization; the simulated replications give a mean with its 95%
interval and a 95% prediction interval for one replication, which an observed KPI should
fall in when the scenario describes the center.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from sim.analysis.calibrate.behaviour import on_duty
from sim.analysis.calibrate.groups import duty_intervals, peak_loads
from sim.analysis.calibrate.rebuild import Observed
from sim.analysis.calibrate.settings import pairs
from sim.analysis.catalogue import KPI_NAMES, kpi_range
from sim.analysis.context import Context
from sim.analysis.executors import Executor, run_all
from sim.analysis.experiment import Done, jobs_for
from sim.analysis.metrics import kpis
from sim.analysis.stats import summarize
from sim.domain.durations import HOUR
from sim.domain.scenario import Scenario

COLUMNS = ("kpi", "observed", "mean", "ci_low", "ci_high", "predict_low", "predict_high", "n",
           "inside")


@dataclass
class BackTest:
    scenario: Scenario  # as simulated: the observed window
    table: pd.DataFrame  # one row per KPI, COLUMNS
    observed: pd.DataFrame  # the observed log
    simulated: list[pd.DataFrame] = field(default_factory=list)  # one log per replication
    groups: dict[str, str] = field(default_factory=dict)  # observed agent -> group


def observed_context(observed: Observed, scenario: Scenario, groups: dict[str, str]
                     ) -> Context:
    """The Context of the observed log: the scenario's settings, the observed agents with
    their group's capacity (or the most they held, for an agent of no group in it)."""
    peaks = peak_loads(observed.frame)
    capacity = {}
    for agent in observed.workers:
        group = groups.get(agent)
        known = [g.capacity for g in scenario.agents if g.name == group]
        capacity[agent] = known[0] if known else max(peaks.get(agent, 1), 1)
    flex = scenario.flex
    return Context(scenario.warmup, observed.horizon, scenario.kpis.service_level_threshold,
                   capacity, flex.reservation_timeout, flex.pause.expiry, flex.leave.window,
                   scenario.kpis.follow_up, groups, tuple(scenario.skills))


def prediction(values: np.ndarray) -> tuple[float, float]:
    """95% prediction interval for one more replication (Student t)."""
    finite = values[np.isfinite(values)]
    if len(finite) < 2:
        return math.nan, math.nan
    half = float(stdtrit(len(finite) - 1, 0.975) * finite.std(ddof=1)
                 * math.sqrt(1 + 1 / len(finite)))
    return float(finite.mean()) - half, float(finite.mean()) + half


def compare(observed: dict[str, float], simulated: pd.DataFrame) -> pd.DataFrame:
    summary = summarize(simulated, KPI_NAMES, ranges=kpi_range).set_index("kpi")
    table = []
    for name in KPI_NAMES:
        low, high = prediction(simulated[name].to_numpy(dtype=float))
        floor, ceiling = kpi_range(name)
        low, high = max(low, floor), min(high, ceiling)
        value = observed[name]
        row = summary.loc[name].to_dict()
        inside = bool(low <= value <= high) if not (math.isnan(value) or math.isnan(low)
                                                    ) else None
        table.append((name, value, row["mean"], row["ci_low"], row["ci_high"], low, high,
                      int(row["n"]), inside))
    return pd.DataFrame(table, columns=list(COLUMNS))


def backtest(observed: Observed, scenario: Scenario, groups: dict[str, str],
             executor: Executor, replications: int, done: Done | None = None) -> BackTest:
    window = scenario.model_copy(update={"horizon": observed.horizon,
                                         "start": observed.start,
                                         "replications": replications})
    seen = kpis(observed.frame, observed_context(observed, window, groups))
    outcomes = run_all(jobs_for(window, range(replications), keep_events=True), executor, done)
    simulated = pd.DataFrame([o.kpis for o in outcomes], columns=list(KPI_NAMES))
    logs = [o.log.to_frame() for o in outcomes if o.log is not None]
    return BackTest(window, compare(seen, simulated), observed.frame, logs, groups)


# figures ---------------------------------------------------------------------------------------

def arrivals_by_hour(frame: pd.DataFrame, horizon: float) -> np.ndarray:
    """New conversations per day by hour of day."""
    new = frame[(frame["event"] == "conversation.created")
                & (frame["reason"].astype(object) == "new")]
    hours = (np.floor(new["time"].to_numpy() / HOUR).astype(int)) % 24
    return np.bincount(hours, minlength=24) / max(horizon / (24 * HOUR), 1e-9)


def compose_times(frame: pd.DataFrame, horizon: float) -> np.ndarray:
    started = (frame["event"] == "worker.work.started") & (
        frame["reason"].astype(object) == "compose")
    first, second = pairs(frame, started, frame["event"] == "message.outbound")
    return on_duty(first, second, duty_intervals(frame, horizon))


def draw(test: BackTest, folder: Path) -> list[Path]:
    from matplotlib.figure import Figure

    folder.mkdir(parents=True, exist_ok=True)
    horizon = test.scenario.horizon
    figure = Figure(figsize=(10, 4))
    axes = figure.subplots()
    hours = np.arange(24)
    axes.bar(hours, arrivals_by_hour(test.observed, horizon), color="tab:grey",
             label="observed")
    simulated = np.array([arrivals_by_hour(log, horizon) for log in test.simulated])
    if len(simulated):
        axes.plot(hours, simulated.mean(axis=0), color="tab:blue", label="simulated (mean)")
        axes.fill_between(hours, simulated.min(axis=0), simulated.max(axis=0),
                          color="tab:blue", alpha=0.2, label="simulated (range)")
    axes.set_xlabel("hour of day")
    axes.set_ylabel("new conversations per day")
    axes.set_title(f"{test.scenario.name}: arrivals by hour of day")
    axes.legend()
    paths = [folder / "arrivals_by_hour.png"]
    figure.savefig(paths[0], dpi=110, bbox_inches="tight")
    paths.append(_handling(test, folder / "handling_times.png"))
    return paths


def _handling(test: BackTest, path: Path) -> Path:
    from matplotlib.figure import Figure

    horizon = test.scenario.horizon
    seen = compose_times(test.observed, horizon) / 60
    made = np.concatenate([compose_times(log, horizon) for log in test.simulated]
                          or [np.array([])]) / 60
    figure = Figure(figsize=(10, 4))
    axes = figure.subplots()
    both = np.concatenate([seen, made])
    if len(both):
        top = float(np.quantile(both, 0.99)) or 1.0
        bins = np.linspace(0, top, 50).tolist()
        for values, label, color in ((seen, "observed", "tab:grey"),
                                     (made, "simulated", "tab:blue")):
            if len(values):
                axes.hist(values, bins=bins, density=True, histtype="step", linewidth=2,
                          label=f"{label} (n={len(values):,})", color=color)
        axes.legend()
    axes.set_xlabel("compose time, minutes on duty (work start to reply)")
    axes.set_ylabel("density")
    axes.set_title(f"{test.scenario.name}: handling time, observed and simulated")
    figure.savefig(path, dpi=110, bbox_inches="tight")
    return path
