"""Running jobs on a dask.distributed cluster (the optional extra `ccsim[distributed]`).

Workers must have ccsim installed at the same version: a job carries its scenario and seeds,
and every draw comes from its named streams, so the cluster returns exactly what a local run
would.

The scheduler's address is checked before anything runs, and connecting gives up after
CONNECT_SECONDS, so a typo or a scheduler that is down is one clear line within seconds,
not a stack trace after dask's default wait.

When a worker dies (killed, out of memory, its machine gone), the scheduler runs its jobs
again on the other workers; a job is a pure function of its scenario and seeds, so the
results are the same as if nothing had happened. A job whose worker dies more than
`distributed.scheduler.allowed-failures` times (default 3), or a scheduler that goes away,
ends the command with ClusterError: one line naming the job, never a result that is partly
missing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import CancelledError
from typing import Any

from sim.analysis.experiment import Done, Job, Outcome, Reached, check_stop, run_job

CONNECT_SECONDS = 5.0
_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)"
                      r":(\d{1,5})/?$")


class SchedulerError(ValueError):
    """The scheduler address is malformed or nothing answers there."""


def address_problem(address: str) -> str | None:
    match = _ADDRESS.match(address)
    if match is None:
        return "not a scheduler address; expected tcp://HOST:PORT"
    if not 0 < int(match[1]) < 65536:
        return f"port {match[1]} is out of range (1 to 65535)"
    return None


class ClusterError(RuntimeError):
    """The cluster could not finish the jobs (workers kept dying, the scheduler went away)."""


class DaskCluster:
    name = "dask"

    def __init__(self, address: str, timeout: float = CONNECT_SECONDS) -> None:
        problem = address_problem(address)
        if problem is not None:
            raise SchedulerError(f"--scheduler {address}: {problem}")
        self.address = address
        self.timeout = timeout

    def check(self) -> None:
        """Connect once, so that an unreachable scheduler is refused before anything runs."""
        with self._client():
            pass

    def run(self, jobs: Sequence[Job], done: Done, reached: Reached | None = None) -> None:
        _, as_completed = _dask()
        with self._client() as client:
            futures = client.map(run_job, list(jobs), pure=False)
            job_of = dict(zip(futures, jobs, strict=True))
            try:
                for future in as_completed(futures):
                    done(outcome_of(future, job_of[future], self.address))
                    check_stop()
            except BaseException:
                client.cancel(futures)
                raise

    def _client(self) -> Any:
        client_type, _ = _dask()
        try:
            return client_type(self.address, timeout=f"{self.timeout}s")
        except (OSError, TimeoutError, ValueError) as error:
            raise SchedulerError(f"--scheduler {self.address}: cannot connect within "
                                 f"{self.timeout:g} s: {_first_line(error)}") from None


def outcome_of(future: Any, job: Job, address: str) -> Outcome:
    """The future's outcome; the cluster's failures as ClusterError (a job's own error, a
    bug, is raised as it is)."""
    which = f"replication {job.replication} of point {job.point}"
    try:
        outcome: Outcome = future.result()
    except _killed_worker() as error:
        tries = getattr(error, "allowed_failures", 0) + 1
        raise ClusterError(f"--scheduler {address}: workers died {tries} times running "
                           f"{which}; see the workers' logs (out of memory?)") from None
    except (CancelledError, OSError) as error:
        raise ClusterError(f"--scheduler {address}: lost the cluster before {which} came "
                           f"back ({type(error).__name__}: {_first_line(error)})") from None
    return outcome


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _killed_worker() -> type[BaseException]:
    from distributed import KilledWorker

    killed: type[BaseException] = KilledWorker
    return killed


def _dask() -> tuple[Any, Any]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SchedulerError("--scheduler: running on a dask cluster needs the extra: "
                             "pip install 'ccsim[distributed]'") from None
    return Client, as_completed
