"""Benchmark: the engine's cost per task must not grow with the number of agents or with
the queue length, and the event log must stay compact.

Each configuration runs once in this process; figures are microseconds per event, the ratio
to the first configuration of each group (the reference), microseconds per task, and
event-log bytes per task.

    python benchmarks/engine_scaling.py            # agents 10..1000, queue up to ~thousands
    python benchmarks/engine_scaling.py --million  # also one run of about a million tasks
"""

from __future__ import annotations

import argparse
import resource
import time
from typing import Any

from sim.domain.scenario import Scenario
from sim.engine.model import Replication

PER_AGENT_PER_DAY = 40  # about 60% of an agent's hands at the default handling


def scenario(agents: int, days: float, load: float = 1.0, **flex: Any) -> Scenario:
    return Scenario.model_validate({
        "name": "scaling", "seed": 1, "horizon": f"{days}d",
        "flex": {"task_ttl": "14d", **flex},
        "arrivals": {"per_day": PER_AGENT_PER_DAY * agents * load,
                     "skills": {"a": 0.5, "b": 0.3, "c": 0.2}},
        "customers": {"reply_probability": {"awaiting": 0.5, "resolved": 0.05}},
        "agents": [
            {"name": "generalists", "count": agents // 2, "capacity": 3,
             "skills": ["a", "b", "c"]},
            {"name": "specialists", "count": agents - agents // 2, "capacity": 2,
             "skills": ["a"]},
        ],
    })


def measure(case: Scenario, repeats: int = 1) -> tuple[float, int, int]:
    """(seconds, tasks, event-log bytes) of one replication; the best of `repeats` runs,
    since a slower run only measures interference from the rest of the machine."""
    seconds = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        log = Replication(case, 0).run()
        seconds = min(seconds, time.perf_counter() - started)
    frame = log.to_frame()
    tasks = int((frame["event"] == "task.created").sum())
    return seconds, tasks, len(log) * 23


def report(label: str, runs: list[tuple[str, Scenario]]) -> None:
    """Per event is the fair unit: an overloaded run's tasks mostly wait, with few events."""
    print(label)
    reference = None
    for name, case in runs:
        seconds, tasks, size = measure(case, repeats=3)
        per_event = seconds / (size / 23) * 1e6
        reference = reference or per_event
        print(f"  {name:26s} {tasks:>9,} tasks {size / 23 / tasks:5.1f} events/task "
              f"{per_event:5.1f} us/event  ratio {per_event / reference:4.2f}  "
              f"{seconds / tasks * 1e6:6.1f} us/task  log {size / tasks:4.0f} B/task")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--million", action="store_true")
    million = parser.parse_args().million
    # Runs of comparable size (20,000 tasks or more), so fixed costs weigh the same.
    report("agents (same load per agent):", [
        (f"{n} agents", scenario(n, max(1, round(400 / n)))) for n in (10, 100, 1000, 2000)])
    report("queue length (20 agents, 20 days):", [
        ("underloaded (queue ~0)", scenario(20, 20, load=0.6)),
        ("overloaded (queue grows)", scenario(20, 20, load=2.5)),
        ("heavily overloaded", scenario(20, 20, load=6.0)),
    ])
    if million:
        days = 1_000_000 / (PER_AGENT_PER_DAY * 200 * 1.25)  # ~25% are replies/follow-ups
        started = time.perf_counter()
        seconds, tasks, size = measure(scenario(200, round(days, 1)))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"one replication: {tasks:,} tasks in {seconds:.0f} s "
              f"({seconds / tasks * 1e6:.0f} us/task), event log {size / 2**20:.0f} MiB, "
              f"peak memory {peak:.0f} MiB, total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
