"""Jobs of an experiment: one replication of one scenario with its seed, and its outcome
(the KPI row and, optionally, the event log).

The same job gives the same outcome wherever it runs (sim.analysis.executors): all
randomness comes from (seed, replication, purpose) streams. Ctrl-C is a stop request that
executors look at between runs.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sim.analysis.catalogue import KPI_NAMES
from sim.analysis.context import Context
from sim.analysis.eventarrays import EventArrays
from sim.analysis.figuredata import FigurePart
from sim.analysis.measures import Measures
from sim.analysis.metrics import kpis_by_group, kpis_by_skill, measure
from sim.domain.carried import Carried, EndState
from sim.domain.scenario import Scenario
from sim.engine.eventlog import EventLog
from sim.engine.model import Replication


@dataclass(frozen=True)
class Job:
    scenario: Scenario
    replication: int
    seed: int
    keep_events: bool = True
    point: int = 0  # the sweep grid point this job belongs to (0 for a plain run)
    extra: tuple[str, ...] = ()  # measures beyond the KPIs (sim.analysis.metrics.EXTRA)
    figures: bool = False  # extract what the run's figures need (sim.analysis.figuredata)
    carried: Carried | None = None  # the state it starts from (`ccsim run --from`)
    keep_state: bool = False  # hand back the state it ended in (end_state.json)


@dataclass
class Outcome:
    point: int
    replication: int
    kpis: dict[str, float]
    seconds: float
    log: EventLog | None = field(default=None, repr=False)
    by_skill: dict[str, dict[str, float]] = field(default_factory=dict)
    by_group: dict[str, dict[str, float]] = field(default_factory=dict)
    figures: FigurePart | None = field(default=None, repr=False)
    end_state: EndState | None = field(default=None, repr=False)


def run_job(job: Job, reached: Reached | None = None) -> Outcome:
    """Simulate one replication and measure it; runs in whatever process the executor uses.
    `reached` is told the simulated time the run has reached, about once a simulated day."""
    started = time.perf_counter()
    replication = Replication(job.scenario, job.replication, job.seed, carried=job.carried)
    log = replication.run(progress=None if reached is None else lambda at: reached(job, at))
    m = Measures(EventArrays.from_log(log), Context.of(job.scenario))
    values = measure(m, KPI_NAMES + job.extra)
    return Outcome(job.point, job.replication, values, time.perf_counter() - started,
                   log if job.keep_events else None, kpis_by_skill(m), kpis_by_group(m),
                   FigurePart.of(m) if job.figures else None,
                   replication.end_state() if job.keep_state else None)


def jobs_for(scenario: Scenario, replications: Iterable[int], seed: int | None = None,
             keep_events: bool = True, point: int = 0, figures: bool = False,
             carried: Sequence[Carried] = (), keep_state: bool = False) -> list[Job]:
    """Jobs of these replications; with `carried` (an earlier run's states, by
    replication) each starts from its own; with `keep_state` each hands back its end."""
    seed = scenario.seed if seed is None else seed
    return [Job(scenario, r, seed, keep_events, point, figures=figures,
                carried=carried[r] if carried else None, keep_state=keep_state)
            for r in replications]


Done = Callable[[Outcome], None]
Reached = Callable[[Job, float], None]  # a job's run has simulated up to this time (seconds)


class Progress(Protocol):
    """Where long work reports: the number of runs expected so far, how many of them were
    already done (a resumed sweep), each one done now, and how far in simulated time a run
    under way has got (on this machine; a dask cluster's runs report only when done)."""

    def total(self, runs: int) -> None: ...

    def completed(self, runs: int) -> None: ...

    def advance(self, outcome: Outcome) -> None: ...

    def reached(self, job: Job, at: float) -> None: ...


# A stop request (Ctrl-C, or SIGTERM from a process manager, handled alike) is a flag that
# the executors look at between runs, so that it never lands inside concurrent.futures while
# it holds its locks; `interruptible()` installs the handler that sets it, and a second
# request interrupts at once.
STOP = threading.Event()
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    def request(signum: int, frame: object) -> None:
        if STOP.is_set():
            raise KeyboardInterrupt
        STOP.set()

    previous = {number: signal.signal(number, request) for number in STOP_SIGNALS}
    STOP.clear()
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        STOP.clear()


def check_stop() -> None:
    if STOP.is_set():
        raise KeyboardInterrupt
