"""How much memory a run needs, estimated from its scenario, against what the machine has.

A run that needs more memory than there is does not fail cleanly: it slows the machine
down until the kernel kills something. So before anything starts, the need is estimated
from the scenario (agents, and tasks: arrivals over the horizon, the backlog, the follow-ups
that replies start) and refused, with both figures, when it exceeds the available memory,
unless the user insists (--force).

The figures per task and per agent were measured (docs/limits.md): peak memory of one
replication of 3,000 to 270,000 tasks grew by 1.8-2.7 KB per task (the live state, the event
log at 23 bytes a row, 21 once read as columns, and about 10 rows a task, the DataFrame made
from it and the KPI computations) and about 12 KB per agent, on top of ~115 MB for the
interpreter with ccsim, pandas and SimPy imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sim.domain.demand import hourly_rates
from sim.domain.scenario import Scenario

if TYPE_CHECKING:
    from sim.analysis.executors import Executor

LOG_ROW_BYTES = 23
ROWS_PER_TASK = 10
TASK_BYTES = 2_800  # per task of a replication in progress, its log included
AGENT_BYTES = 16_000
PROCESS_BYTES = 150 * 2**20
MEMINFO = Path("/proc/meminfo")
CGROUP = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Footprint:
    """Estimated peak memory of a run, in bytes, and what it is made of."""

    tasks: float  # per replication
    agents: int
    processes: int  # replications running at once (each in a process), plus the parent
    kept_logs: int  # event logs the parent holds at once besides (ccsim warmup keeps all)

    @property
    def per_process(self) -> float:
        return PROCESS_BYTES + self.tasks * TASK_BYTES + self.agents * AGENT_BYTES

    @property
    def total(self) -> float:
        logs = self.kept_logs * self.tasks * ROWS_PER_TASK * LOG_ROW_BYTES
        return self.processes * self.per_process + logs


def expected_tasks(scenario: Scenario) -> float:
    """Tasks of one replication: the expected new conversations over the horizon and the
    state it starts from (each initial task has a conversation of its own), times one
    plus the chance of a reply (a reply after Leave or to a closed conversation makes a new
    task; taking the larger reply probability errs on the side of more)."""
    conversations = float(hourly_rates(scenario.arrivals, scenario.start,
                                       scenario.horizon).expected.sum())
    conversations += scenario.initial.conversations
    replies = scenario.customers.reply_probability
    return conversations * (1 + max(replies.awaiting, replies.resolved))


def footprint(scenario: Scenario, processes: int, kept_logs: int = 0) -> Footprint:
    return Footprint(expected_tasks(scenario), sum(g.count for g in scenario.agents),
                     processes, kept_logs)


def available_memory() -> int | None:
    """Bytes this process could still use: MemAvailable, lowered by a cgroup limit (a
    container); where neither can be read, free physical pages; None if nothing says."""
    found = [value for value in (_meminfo(), _cgroup_room()) if value is not None]
    if found:
        return min(found)
    try:
        import os

        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _meminfo() -> int | None:
    try:
        for line in MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_room() -> int | None:
    try:
        limit = (CGROUP / "memory.max").read_text().strip()
        used = int((CGROUP / "memory.current").read_text())
    except (OSError, ValueError):
        return None
    return None if limit == "max" else max(0, int(limit) - used)


def size_text(count: float) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if count >= size:
            return f"{count / size:,.1f} {unit}"
    return f"{count / 2**10:,.0f} KiB"


def memory_problem(need: Footprint, available: int | None) -> str | None:
    """Why the run must not start, or None; the message names both figures and --force."""
    if available is None or need.total <= available:
        return None
    return (f"the run needs about {size_text(need.total)} of memory ({need.processes} "
            f"process{'es' if need.processes > 1 else ''} x {size_text(need.per_process)}: "
            f"{need.tasks:,.0f} tasks and {need.agents:,} agents per replication), more than "
            f"the {size_text(available)} available; shorten the horizon, lower the volume, "
            "use fewer workers (-w), or pass --force to run anyway")


def memory_refusal(scenarios: Sequence[Scenario], executor: Executor,
                   kept_logs: int = 0) -> str | None:
    """Why running `scenarios` on `executor` must not start (more memory than there is),
    or None. A cluster's memory is its own, so it is not judged here."""
    if executor.name == "dask" or not scenarios:
        return None
    running = int(getattr(executor, "workers", 1))
    processes = running + 1 if running > 1 else 1  # the parent receives every log
    need = max((footprint(s, processes, kept_logs) for s in scenarios), key=lambda f: f.total)
    return memory_problem(need, available_memory())
