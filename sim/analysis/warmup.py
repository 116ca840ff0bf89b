"""`ccsim warmup`: suggest a warm-up length by MSER-5 on the backlog.

The backlog (tasks waiting for an agent) is sampled every hour of every replication, run
with no warm-up, and averaged across replications. A contact center's backlog is periodic,
and MSER on a periodic series mistakes the cycle for noise: dropping data can only raise its
statistic, so it keeps everything. So the series is first averaged over a trailing window of
one cycle, which removes the cycle and keeps the trend; the cycle is the scenario's own (a
week, a day or none: sim.analysis.cycle) unless `--cycle` says otherwise. MSER-5 (White
1997; Hoad, Robinson and Davies 2010) then averages that series in batches of five and
truncates where the marginal standard error of the remaining batches,
sum((Y_i - mean)^2) / (n - d)^2, is smallest, searching the first half only: a minimum at
that limit means the backlog has not settled and the horizon should be longer. The backlog
has settled by the start of the first window kept; the suggested warm-up is the shortest one
at least that long that leaves whole cycles to measure, so that no weekday or hour of the day
weighs more than the others in the KPIs.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from sim.analysis.context import Context
from sim.analysis.cycle import STEP, Cycle, whole_cycles
from sim.analysis.eventarrays import EventArrays
from sim.analysis.executors import Executor, run_all
from sim.analysis.experiment import Outcome, jobs_for
from sim.analysis.measures import Measures
from sim.analysis.results import atomic_write_bytes
from sim.analysis.timeweighted import queued_on
from sim.domain.durations import DAY, format_duration
from sim.domain.scenario import Scenario

BATCH = 5


@dataclass(frozen=True)
class Warmup:
    times: np.ndarray  # sample times (s)
    backlog: np.ndarray  # mean backlog across replications at each time
    smoothed: np.ndarray  # its trailing one-cycle average, from one cycle on
    mser: np.ndarray  # MSER statistic for each batch truncation point
    truncation: int  # batches to drop
    replications: int
    cycle: Cycle
    horizon: float

    @property
    def settled(self) -> float:
        """Where MSER-5 truncates, in seconds: the start of the first window kept."""
        return float(self.truncation * BATCH * STEP)

    @property
    def suggested(self) -> float:
        """The warm-up to use: `settled`, lengthened to leave whole cycles to measure."""
        return whole_cycles(self.settled, self.cycle, self.horizon)

    @property
    def at_limit(self) -> bool:
        return self.truncation >= len(self.mser) - 1

    def smoothing(self) -> str:
        """How the backlog was averaged, in the words of the figure and the report."""
        if not self.cycle.period:
            return "not averaged over a cycle (none)"
        return f"averaged over the preceding {self.cycle.describe()}"

    def suggestion(self) -> str:
        """The suggested warm-up, and how it follows from MSER-5's truncation point."""
        text = format_duration(self.suggested)
        if self.suggested == self.settled:
            return f"{text} (where MSER-5 truncates)"
        measured = format_duration(self.horizon - self.suggested)
        return (f"{text} (MSER-5 truncates at {format_duration(self.settled)}; lengthened so "
                f"the measured {measured} are whole {self.cycle.describe()} cycles)")


def mser(series: np.ndarray, batch: int = BATCH) -> np.ndarray:
    """MSER(d) for d = 0 .. half the batches: the batch means' marginal standard error
    after dropping the first d batches."""
    batches = series[: len(series) // batch * batch].reshape(-1, batch).mean(axis=1)
    n = len(batches)
    values = []
    for d in range(n // 2 + 1):
        kept = batches[d:]
        values.append(float(np.sum((kept - kept.mean()) ** 2) / (n - d) ** 2))
    return np.asarray(values)


def trailing_mean(series: np.ndarray, window: int) -> np.ndarray:
    """Means of series[i - window + 1 .. i] for i = window - 1 .., one per full window."""
    sums = np.cumsum(np.concatenate([[0.0], series]))
    means: np.ndarray = (sums[window:] - sums[:-window]) / window
    return means


def suggest(scenario: Scenario, replications: int, executor: Executor, cycle: Cycle,
            done: Callable[[Outcome], None] | None = None) -> Warmup:
    plain = scenario.model_copy(update={"warmup": 0.0})
    times = np.arange(0.0, scenario.horizon, STEP)
    outcomes = run_all(jobs_for(plain, range(replications)), executor, done)
    context = Context.of(plain)
    series = np.vstack([queued_on(Measures(EventArrays.from_log(o.log), context), times)
                        for o in outcomes if o.log is not None])
    backlog = series.mean(axis=0)
    smoothed = trailing_mean(backlog, cycle.window)
    statistic = mser(smoothed)
    return Warmup(times, backlog, smoothed, statistic, int(np.argmin(statistic)),
                  replications, cycle, scenario.horizon)


def draw(warmup: Warmup, path: Path, title: str) -> Path:
    figure = Figure(figsize=(10, 6))
    top, bottom = figure.subplots(2, 1)
    days = warmup.times / DAY
    top.plot(days, warmup.backlog, color="tab:red", alpha=0.4,
             label="mean backlog over replications")
    ends = days[len(days) - len(warmup.smoothed):]
    top.plot(ends, warmup.smoothed, color="tab:red", label=warmup.smoothing())
    for axes in (top, bottom):
        _mark(axes, warmup)
    top.set_xlabel("time since start (days)")
    top.set_ylabel("tasks waiting")
    top.set_title(title)
    top.legend()
    batch_days = np.arange(len(warmup.mser)) * BATCH * STEP / DAY
    bottom.plot(batch_days, warmup.mser, marker=".", color="tab:blue")
    bottom.set_xlabel("warm-up candidate: start of the first window kept (days)")
    bottom.set_ylabel("MSER-5 statistic")
    bottom.set_title("MSER-5: the marginal standard error of what is kept (lower is better)")
    figure.tight_layout()
    image = io.BytesIO()
    figure.savefig(image, format="png", dpi=110)
    atomic_write_bytes(path, image.getvalue())  # never a half-written figure
    return path


def _mark(axes: Any, warmup: Warmup) -> None:
    """The suggestion, and MSER-5's own point when whole cycles made it longer; labelled
    with the durations the report prints."""
    axes.axvline(warmup.suggested / DAY, color="black", linestyle="--",
                 label=f"suggested warm-up {format_duration(warmup.suggested)}")
    if warmup.suggested != warmup.settled:
        axes.axvline(warmup.settled / DAY, color="grey", linestyle=":",
                     label=f"MSER-5 truncates at {format_duration(warmup.settled)}")
