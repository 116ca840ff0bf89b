"""Replications on a dask cluster: every command that runs them takes --scheduler and gives,
bit for bit, what the local pool and the serial executor give (KPI files, event logs and
their digests), also when a worker dies in the middle.

The cluster (the `cluster` fixture of conftest.py) is a real `LocalCluster` on loopback with
two worker processes, each a separate Python as on other machines.
"""

from __future__ import annotations

import importlib
import os
import signal
from concurrent.futures import CancelledError
from pathlib import Path

import click
import pandas as pd
import pytest

from sim.analysis.executors import Serial, run_all
from sim.analysis.experiment import Job, Outcome, jobs_for
from sim.analysis.verify import verify
from sim.cli import COMMANDS
from sim.domain.scenario_file import load_scenario
from tests.invoke import ccsim, no_crash

distributed = pytest.importorskip("distributed")
from sim.analysis.distributed import ClusterError, DaskCluster, outcome_of  # noqa: E402

TINY = """\
name: tiny_cluster
seed: 17
horizon: 2d
warmup: 6h
replications: 4
arrivals:
  per_day: 120
  skills: {billing: 1.0}
agents:
  - name: team
    count: 4
    capacity: 2
    skills: [billing]
    reservation: {reject_probability: 0.05}
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


def digests(outcomes: list[Outcome]) -> list[str]:
    return [o.log.digest() for o in outcomes if o.log is not None]


def same_kpis(one: list[Outcome], other: list[Outcome]) -> None:
    """Every KPI of every replication, exactly (NaN, an undefined KPI, equals NaN)."""
    pd.testing.assert_frame_equal(pd.DataFrame([o.kpis for o in one]),
                                  pd.DataFrame([o.kpis for o in other]), check_exact=True)


# every command that runs replications offers the cluster --------------------------------

def test_every_command_with_workers_also_takes_a_scheduler() -> None:
    with_workers = []
    for name, (module, _) in COMMANDS.items():
        command: click.Command = importlib.import_module(module).command
        options = {o for p in command.params if isinstance(p, click.Option) for o in p.opts}
        if "--workers" in options:
            with_workers.append(name)
            assert "--scheduler" in options, name
    assert {"run", "sweep", "compare", "verify", "regress", "warmup"} <= set(with_workers)


def arguments(command: str, tiny: Path, tmp_path: Path) -> list[object]:
    """The files and --out each command needs to get as far as choosing an executor."""
    out = tmp_path / "out.png" if command == "warmup" else tmp_path / "out"
    files = {"run": [tiny], "warmup": [tiny], "compare": [tiny, other_of(tiny)]}
    return [*files[command], "--out", out] if command in files else []


def other_of(tiny: Path) -> Path:
    """A second scenario to compare with: the same center with two more agents."""
    other = tiny.with_name("bigger.yaml")
    other.write_text(TINY.replace("tiny_cluster", "bigger").replace("count: 4", "count: 6"),
                     encoding="utf-8")
    return other


@pytest.mark.parametrize("command", ["run", "compare", "verify", "regress", "warmup"])
def test_workers_and_scheduler_together_are_refused(command: str, tiny: Path,
                                                    tmp_path: Path) -> None:
    result = ccsim(command, *arguments(command, tiny, tmp_path), "-w", "2",
                   "--scheduler", "tcp://127.0.0.1:1")
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert "--workers and --scheduler: choose one" in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.png").exists()


# the same results, bit for bit -----------------------------------------------------------

def test_run_on_the_cluster_matches_the_local_pool(cluster: str, tiny: Path,
                                                   tmp_path: Path) -> None:
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert ccsim("run", tiny, "--out", local, "-w", "2", "-q", "--no-figures").exit_code == 0
    result = ccsim("run", tiny, "--out", remote, "--scheduler", cluster, "-q", "--no-figures")
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert "dask" in result.stdout
    for name in ("kpis.csv", "summary.csv", "kpis_by_group.csv", "scenario.yaml",
                 "events.parquet"):
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name
    pd.testing.assert_frame_equal(pd.read_parquet(remote / "events.parquet"),
                                  pd.read_parquet(local / "events.parquet"))


def test_compare_on_the_cluster_matches_the_local_pool(cluster: str, tiny: Path,
                                                       tmp_path: Path) -> None:
    local, remote = tmp_path / "local", tmp_path / "remote"
    files = [tiny, other_of(tiny)]
    pooled = ccsim("compare", *files, "--out", local, "-w", "2", "--events", "--no-figures")
    assert pooled.exit_code == 0, pooled.output
    result = ccsim("compare", *files, "--out", remote, "--scheduler", cluster, "--events",
                   "--no-figures")
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert "dask" in result.stdout
    for name in ("sweep.csv", "summary.csv", "differences.csv", "points.csv"):
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name
    logs = sorted(path.relative_to(local) for path in local.rglob("*.parquet"))
    assert len(logs) == 2 * 4  # every replication of both scenarios
    for log in logs:
        pd.testing.assert_frame_equal(pd.read_parquet(remote / log), pd.read_parquet(local / log))
    assert tables(result.stdout) == tables(pooled.stdout)


def tables(stdout: str) -> list[str]:
    """What a command printed, but the results line (its folder, time and executor)."""
    return [line for line in stdout.splitlines() if not line.startswith("results: ")]


def test_jobs_on_the_cluster_give_the_serial_digests_and_kpis(cluster: str, tiny: Path) -> None:
    jobs = jobs_for(load_scenario(tiny), range(4))
    serial = run_all(jobs, Serial())
    remote = run_all(jobs, DaskCluster(cluster))
    assert digests(remote) == digests(serial) and len(set(digests(serial))) == 4
    same_kpis(remote, serial)


def test_verify_on_the_cluster_matches_serial(cluster: str) -> None:
    assert verify(2, DaskCluster(cluster)) == verify(2, Serial())
    serial = ccsim("verify", "-r", "2", "-w", "1")
    remote = ccsim("verify", "-r", "2", "--scheduler", cluster)
    no_crash(remote)
    assert remote.exit_code == serial.exit_code == 0, remote.output
    assert remote.stdout == serial.stdout


def test_regress_on_the_cluster_matches_the_committed_digests(cluster: str) -> None:
    result = ccsim("regress", "--scheduler", cluster)
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert "reference scenarios match their baselines (event-log digests)" in result.stdout


def test_a_worker_killed_mid_run_changes_nothing(cluster: str, tiny: Path) -> None:
    """SIGKILL a worker as soon as the first outcome is in, while it holds other jobs: the
    scheduler runs them again elsewhere, and the results are exactly the serial ones."""
    jobs = jobs_for(load_scenario(tiny), range(8))
    serial = run_all(jobs, Serial())
    with distributed.Client(cluster) as client:
        pids: dict[str, int] = client.run(os.getpid)
        killed: list[int] = []

        def kill_a_busy_worker(outcome: Outcome) -> None:
            if killed:
                return
            busy = [worker for worker, keys in client.processing().items() if keys]
            victim = pids[busy[0] if busy else next(iter(pids))]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

        remote = run_all(jobs, DaskCluster(cluster), kill_a_busy_worker)
    assert killed
    assert digests(remote) == digests(serial)
    same_kpis(remote, serial)


# what the cluster's failures become -------------------------------------------------------

class Worker:
    def __init__(self, address: str) -> None:
        self.address = address


class Failing:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def result(self) -> object:
        raise self.error


JOB = Job(load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"),
          3, 1, point=1)


@pytest.mark.parametrize(("error", "says"), [
    (distributed.KilledWorker("run_job-1", Worker("tcp://10.0.0.2:4000"), 3),
     "workers died 4 times running replication 3 of point 1"),
    (CancelledError("lost connection"), "lost the cluster before replication 3 of point 1"),
    (OSError("connection reset"), "lost the cluster"),
])
def test_cluster_failures_are_one_line(error: BaseException, says: str) -> None:
    with pytest.raises(ClusterError) as raised:
        outcome_of(Failing(error), JOB, "tcp://h:8786")
    message = str(raised.value)
    assert message.startswith("--scheduler tcp://h:8786: ") and says in message
    assert "\n" not in message


def test_a_jobs_own_error_is_not_blamed_on_the_cluster() -> None:
    with pytest.raises(ZeroDivisionError):
        outcome_of(Failing(ZeroDivisionError("a bug")), JOB, "tcp://h:8786")
