"""Benchmark: ccsim against the plain SimPy model an analyst would write by hand.

The workload is M/M/c: 50 agents with capacity 1 around the clock, instant accept, no
wrap-up, no customer replies, exponential handling with mean 1 min, 45 arrivals a minute
(load 0.9), about 200,000 tasks. ccsim runs it as a scenario (`run_replication`, event log on:
every lifecycle row is written); the reference is a process per customer and a
`simpy.Resource`, in this same process. Rounds are interleaved so that whatever else the
machine does hits both alike; the figures are medians of the rounds. Each round uses its own
seeds; both engines' mean waits over the rounds must agree with Erlang C's within three
standard errors (plus 2% for the finite run, and at least 10 ms).

    python benchmarks/mmc_vs_simpy.py                 # 5 rounds, 50 agents
    python benchmarks/mmc_vs_simpy.py --agents 2000   # the same load per agent, 2000 agents,
                                                      # and its cost per task against 50 agents
    python benchmarks/mmc_vs_simpy.py --baseline      # also scenarios/baseline.yaml per task
"""

from __future__ import annotations

import argparse
import functools
import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import simpy

from sim.analysis import theory
from sim.analysis.context import Context
from sim.analysis.metrics import kpis
from sim.domain.lifecycle import Event
from sim.domain.scenario import Scenario
from sim.domain.scenario_file import load_scenario
from sim.engine.eventlog import EVENT_CODE, EventLog
from sim.engine.model import run_replication

SERVICE = 60.0  # seconds
LOAD = 0.9
ROOT = Path(__file__).resolve().parent.parent


def rate(agents: int) -> float:
    """Arrivals per second for the load."""
    return LOAD * agents / SERVICE


def horizon_for(agents: int, tasks: int) -> float:
    return tasks / rate(agents)


def mmc_scenario(agents: int, tasks: int) -> Scenario:
    horizon = horizon_for(agents, tasks)
    settle = min(3600.0, horizon / 10)  # warm-up and follow-up: an hour, unless the run is short
    return Scenario.model_validate({
        "name": "mmc", "seed": 7, "horizon": horizon, "warmup": settle,
        "flex": {"task_ttl": "14d", "timeout_recovery": "0s"},
        "kpis": {"follow_up": settle, "service_level_threshold": settle},
        "arrivals": {"per_day": rate(agents) * 86400, "skills": {"email": 1.0}},
        "customers": {"reply_probability": {"awaiting": 0, "resolved": 0}},
        "agents": [{
            "name": "agents", "count": agents, "capacity": 1, "skills": ["email"],
            "reservation": {"response_time": "0s", "reject_probability": 0},
            "handling": {"compose": {"dist": "exponential", "mean": SERVICE},
                         "resolve_probability": 1, "wrapup": "0s"},
        }],
    })


def run_ccsim(scenario: Scenario, replication: int) -> tuple[float, int, float, float]:
    """(seconds simulating, tasks, mean wait to acceptance over the measured cohort, seconds
    computing every KPI from the log). The simulation is what the reference is compared
    with: the hand-written model computes nothing but its mean wait. Tasks are all the run
    created, warm-up included, as the reference counts every customer."""
    gc.collect()
    started = time.perf_counter()
    log = run_replication(scenario, replication)
    simulated = time.perf_counter() - started
    values = kpis(log, Context.of(scenario))
    measured = time.perf_counter() - started - simulated
    return simulated, tasks_in(log), values["wait_to_accept_mean_accepted"], measured


def tasks_in(log: EventLog) -> int:
    return int(np.count_nonzero(log.columns().event == EVENT_CODE[Event.TASK_CREATED]))


def run_plain_simpy(agents: int, horizon: float, seed: int = 7) -> tuple[int, float]:
    """The hand-written model: a process per customer, a Resource for the agents."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=agents)
    waits: list[float] = []

    def customer(service: float) -> simpy.events.ProcessGenerator:
        arrived = env.now
        with servers.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(service)

    def source() -> simpy.events.ProcessGenerator:
        lam = rate(agents)
        while True:
            yield env.timeout(rng.exponential(1 / lam))
            env.process(customer(rng.exponential(SERVICE)))

    env.process(source())
    env.run(until=horizon)
    measured = waits[int(len(waits) * 3600 / horizon):]  # the same one-hour warm-up
    return len(waits), float(np.mean(measured))


def timed(work: Callable[[], tuple[int, float]]) -> tuple[float, int, float]:
    gc.collect()
    started = time.perf_counter()
    tasks, wait = work()
    return time.perf_counter() - started, tasks, wait


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", action="store_true",
                        help="also time scenarios/baseline.yaml (one replication) per task")
    args = parser.parse_args()
    scenario = mmc_scenario(args.agents, args.tasks)
    theory_wait = theory.mean_wait(args.agents, rate(args.agents), SERVICE)
    runs: dict[str, list[float]] = {"ccsim": [], "plain SimPy": []}
    kpi_costs: list[float] = []
    waits: dict[str, list[float]] = {"ccsim": [], "plain SimPy": []}
    baseline: list[float] = []
    reference = mmc_scenario(50, args.tasks) if args.agents != 50 else None
    at_50: list[float] = []
    for r in range(args.rounds):  # each round its own seeds, so the waits can be averaged
        if reference is not None:  # the same number of tasks with 50 agents
            seconds, tasks, _, _ = run_ccsim(reference, r)
            at_50.append(seconds / tasks * 1e6)
        seconds, tasks, wait, kpi_seconds = run_ccsim(scenario, r)
        runs["ccsim"].append(seconds / tasks * 1e6)
        waits["ccsim"].append(wait)
        kpi_costs.append(kpi_seconds / tasks * 1e6)
        seconds, tasks, wait = timed(functools.partial(run_plain_simpy, args.agents,
                                                          scenario.horizon, r))
        runs["plain SimPy"].append(seconds / tasks * 1e6)
        waits["plain SimPy"].append(wait)
        if args.baseline:
            _baseline()
            seconds, tasks, _ = timed(functools.partial(_baseline_tasks, r))
            baseline.append(seconds / tasks * 1e6)
    print(f"M/M/{args.agents}, load {LOAD}, about {args.tasks:,} tasks, {args.rounds} rounds "
          f"(medians); Erlang C mean wait {theory_wait:.2f} s")
    for name in runs:
        print(f"  {name:12s} {statistics.median(runs[name]):7.2f} us per task   mean wait "
              f"{statistics.mean(waits[name]):7.2f} s")
    ratio = statistics.median(runs["ccsim"]) / statistics.median(runs["plain SimPy"])
    print(f"  ratio ccsim / plain SimPy: {ratio:.2f}")
    print(f"  every KPI from ccsim's log: {statistics.median(kpi_costs):.2f} us per task "
          "(after the run; not in the ratio)")
    if at_50:
        growth = statistics.median(runs["ccsim"]) / statistics.median(at_50)
        print(f"  ccsim with 50 agents {statistics.median(at_50):7.2f} us per task; "
              f"{args.agents} agents cost {growth:.2f}x as much per task")
        # each round's own ratio too: the two runs of a round are seconds apart, so a host
        # that speeds up or slows down between rounds moves both alike
        paired = sorted(big / small for big, small in zip(runs["ccsim"], at_50, strict=True))
        print(f"  the same, round by round: median {statistics.median(paired):.2f}x "
              f"(from {paired[0]:.2f}x to {paired[-1]:.2f}x)")
    if baseline:
        full = statistics.median(baseline) / statistics.median(runs["plain SimPy"])
        print(f"  baseline (full lifecycle) {statistics.median(baseline):7.2f} us per task, "
              f"{full:.2f}x plain SimPy's M/M/c")
    for name, values in waits.items():
        error = statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.1
        # 2% for the finite run, and at least 10 ms: with 2000 agents Erlang C's wait is
        # a tiny fraction of a second that no run of this length can resolve.
        if abs(statistics.mean(values) - theory_wait) > 3 * error + max(0.02 * theory_wait,
                                                                         0.01):
            raise SystemExit(f"{name}: mean wait {statistics.mean(values):.2f} s is not "
                             f"Erlang C's {theory_wait:.2f} s")


@functools.cache
def _baseline() -> Scenario:
    return load_scenario(ROOT / "scenarios" / "baseline.yaml")


def _baseline_tasks(replication: int) -> tuple[int, float]:
    """Tasks created in one replication of the baseline (timed with the run)."""
    return tasks_in(run_replication(_baseline(), replication)), 0.0


if __name__ == "__main__":
    main()
