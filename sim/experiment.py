"""Replications on an executor: serial, a local process pool, or a dask cluster.

A job is one replication of one scenario with its seed; its outcome is the KPI row and,
optionally, the event log. The same job gives the same outcome on every executor: all
randomness comes from (seed, replication, purpose) streams.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from sim.eventlog import EventLog
from sim.metrics import KPI_NAMES, Context, measures
from sim.model import Replication
from sim.scenario import Scenario


@dataclass(frozen=True)
class Job:
    scenario: Scenario
    replication: int
    seed: int
    keep_events: bool = True
    point: int = 0  # the sweep grid point this job belongs to (0 for a plain run)
    extra: tuple[str, ...] = ()  # measures beyond the KPIs (sim.metrics.EXTRA)


@dataclass
class Outcome:
    point: int
    replication: int
    kpis: dict[str, float]
    seconds: float
    log: EventLog | None = field(default=None, repr=False)


def run_job(job: Job) -> Outcome:
    """Simulate one replication and measure it; runs in whatever process the executor uses."""
    started = time.perf_counter()
    log = Replication(job.scenario, job.replication, job.seed).run()
    values = measures(log.to_frame(), Context.of(job.scenario), KPI_NAMES + job.extra)
    return Outcome(job.point, job.replication, values, time.perf_counter() - started,
                   log if job.keep_events else None)


def jobs_for(scenario: Scenario, replications: Iterable[int], seed: int | None = None,
             keep_events: bool = True, point: int = 0) -> list[Job]:
    seed = scenario.seed if seed is None else seed
    return [Job(scenario, r, seed, keep_events, point) for r in replications]


Done = Callable[[Outcome], None]


class Progress(Protocol):
    """Where long work reports: the number of runs expected so far, and each one done."""

    def total(self, runs: int) -> None: ...

    def advance(self, outcome: Outcome) -> None: ...


class Executor(Protocol):
    name: str

    def run(self, jobs: Sequence[Job], done: Done) -> None:
        """Run every job, calling `done` with each outcome as it arrives (any order)."""


# A stop request (Ctrl-C) is a flag that the executors look at between runs, so that it
# never lands inside concurrent.futures while it holds its locks; `interruptible()` installs
# the handler that sets it, and a second Ctrl-C interrupts at once.
STOP = threading.Event()


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    def request(signum: int, frame: object) -> None:
        if STOP.is_set():
            raise KeyboardInterrupt
        STOP.set()

    previous = signal.signal(signal.SIGINT, request)
    STOP.clear()
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        STOP.clear()


def check_stop() -> None:
    if STOP.is_set():
        raise KeyboardInterrupt


class Serial:
    name = "serial"

    def run(self, jobs: Sequence[Job], done: Done) -> None:
        for job in jobs:
            check_stop()
            done(run_job(job))


def _start_method() -> multiprocessing.context.BaseContext:
    """How to start workers. A plain fork of this process starts them in milliseconds with
    ccsim already imported, and is safe while this process runs no other thread (a thread
    holding a lock at the fork would leave the lock held in the child forever). Otherwise,
    workers fork from a clean server that has already imported ccsim, or are spawned where
    the platform has no fork server. Start-up matters: a spawned worker spends about a
    second importing, as long as several short runs."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.experiment"])
        return context
    return multiprocessing.get_context("spawn")


class LocalPool:
    """A pool of worker processes on this machine."""

    name = "process-pool"

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, jobs: Sequence[Job], done: Done) -> None:
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_start_method(),
                                   initializer=_ignore_interrupts)
        try:
            pending: set[Future[Outcome]] = {pool.submit(run_job, job) for job in jobs}
            while pending:
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in finished:
                    done(future.result())
                check_stop()
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown()


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops them (a terminal sends it to all)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel queued jobs and end the workers now (Ctrl-C must not wait for running jobs)."""
    processes: dict[Any, Any] = dict(getattr(pool, "_processes", None) or {})
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        process.terminate()


def default_workers(jobs: int) -> int:
    return max(1, min(jobs, os.cpu_count() or 1))


def executor_for(workers: int | None, jobs: int, scheduler: str | None = None) -> Executor:
    """The dask cluster at `scheduler` if given; else serial for one worker, else a local
    pool of `workers` (default: one per core)."""
    if scheduler is not None:
        from sim.distributed import DaskCluster  # optional dependency, imported on demand

        return DaskCluster(scheduler)
    count = default_workers(jobs) if workers is None else workers
    return Serial() if count <= 1 else LocalPool(count)


def run_all(jobs: Sequence[Job], executor: Executor, done: Done | None = None
            ) -> list[Outcome]:
    """Every outcome, in job order (point, replication), whatever order they finished in."""
    outcomes: list[Outcome] = []

    def collect(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if done is not None:
            done(outcome)

    executor.run(jobs, collect)
    return sorted(outcomes, key=lambda o: (o.point, o.replication))
