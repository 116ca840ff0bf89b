"""Executors: where jobs run. Serial, a pool of processes on this machine, or a dask
cluster (sim.analysis.distributed); every one returns the same outcomes for the same jobs."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

from sim.analysis.experiment import Done, Job, Outcome, Reached, check_stop, run_job
from sim.analysis.orphans import die_with_parent


class Executor(Protocol):
    name: str

    def run(self, jobs: Sequence[Job], done: Done, reached: Reached | None = None) -> None:
        """Run every job, calling `done` with each outcome as it arrives (any order), and
        `reached` with the simulated time of a run as it goes where the executor can (here
        and in this machine's workers; a dask cluster reports whole runs only)."""


class Serial:
    name = "serial"

    def run(self, jobs: Sequence[Job], done: Done, reached: Reached | None = None) -> None:
        for job in jobs:
            check_stop()
            done(run_job(job, reached))


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
        context.set_forkserver_preload(["sim.analysis.executors"])
        return context
    return multiprocessing.get_context("spawn")


class LocalPool:
    """A pool of worker processes on this machine."""

    name = "process-pool"

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, jobs: Sequence[Job], done: Done, reached: Reached | None = None) -> None:
        context = _start_method()
        times = None if reached is None else context.SimpleQueue()
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                   initializer=worker_started, initargs=(times,))
        by_key = {(job.point, job.replication): job for job in jobs}
        try:
            pending: set[Future[Outcome]] = {pool.submit(run_in_worker, job) for job in jobs}
            while pending:
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _relay(times, by_key, reached)
                for future in finished:
                    done(future.result())
                check_stop()
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown()


# In a worker: where it reports the simulated time its run has reached (None: nowhere).
_times: Any = None


def worker_started(times: Any = None) -> None:
    """Workers leave Ctrl-C to the parent, which stops them (a terminal sends it to all),
    and die with their parent: a parent killed outright cannot stop them, and a worker
    waiting for its next job would otherwise wait forever (each holds ~200 MB)."""
    global _times
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's stop request is not ours
    die_with_parent()
    _times = times


def run_in_worker(job: Job) -> Outcome:
    return run_job(job, None if _times is None else _report)


def _report(job: Job, at: float) -> None:
    # A few bytes in one write, which a pipe keeps whole: a worker killed mid-run cannot
    # leave half a message for the parent to wait on.
    _times.put((job.point, job.replication, at))


def _relay(times: Any, by_key: dict[tuple[int, int], Job], reached: Reached | None) -> None:
    """Pass the simulated times workers reported to `reached`, in the order they came (a
    run's all come before its outcome: a worker writes them first)."""
    if times is None or reached is None:
        return
    while not times.empty():
        point, replication, at = times.get()
        reached(by_key[point, replication], at)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel queued jobs and end the workers now (Ctrl-C must not wait for running jobs)."""
    processes: dict[Any, Any] = dict(getattr(pool, "_processes", None) or {})
    results = getattr(pool, "_result_queue", None)  # shutdown forgets it
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        process.terminate()
    for process in processes.values():
        process.join(timeout=5)
    _unblock(results)


def _unblock(results: Any) -> None:
    """A worker ended while sending an outcome leaves half a message in the results pipe, and
    the pool's manager thread waits for the rest forever, so the interpreter never exits (it
    joins that thread). Once the workers are gone this process holds the pipe's last write
    end; closing it turns the wait into end-of-file, which the manager takes for a broken
    pool, and it ends."""
    writer = getattr(results, "_writer", None)
    if writer is not None:
        with contextlib.suppress(OSError):
            writer.close()


def usable_cores() -> int:
    """Cores this process may run on (its affinity where the platform says)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def worker_count(workers: int | None, jobs: int) -> int:
    """Workers to start: as asked (default one per core), but never more than there are
    jobs or cores, since an extra worker only costs memory and start-up."""
    asked = usable_cores() if workers is None else workers
    return max(1, min(asked, jobs, usable_cores()))


def executor_for(workers: int | None, jobs: int, scheduler: str | None = None) -> Executor:
    """The dask cluster at `scheduler` if given; else serial for one worker, else a local
    pool (see worker_count)."""
    if scheduler is not None:
        from sim.analysis.distributed import DaskCluster  # optional dependency, imported on demand

        return DaskCluster(scheduler)
    count = worker_count(workers, jobs)
    return Serial() if count <= 1 else LocalPool(count)


def run_all(jobs: Sequence[Job], executor: Executor, done: Done | None = None,
            reached: Reached | None = None) -> list[Outcome]:
    """Every outcome, in job order (point, replication), whatever order they finished in."""
    outcomes: list[Outcome] = []

    def collect(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if done is not None:
            done(outcome)

    executor.run(jobs, collect, reached)
    return sorted(outcomes, key=lambda o: (o.point, o.replication))
