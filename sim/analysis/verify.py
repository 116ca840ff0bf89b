"""`ccsim verify`: the simulator against queueing theory and the lifecycle's closed forms.

Each check runs the simulator in a configuration where a formula of sim.theory holds and
compares the theoretical value with the simulated estimate's 99% confidence interval over
replications. Configurations avoid everything the formula leaves out: agents on duty around
the clock, no absences, a TTL long enough never to cancel, no customer replies unless the
check is about them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.analysis import theory
from sim.analysis.executors import Executor, run_all
from sim.analysis.experiment import Job, Outcome
from sim.analysis.stats import t_interval
from sim.domain.durations import DAY, MINUTE
from sim.domain.scenario import Scenario
from sim.domain.scenario_file import merged

# Family-wise: all checks hold together with this confidence when the model is right, so each
# check's interval is widened by Bonferroni (1 - 0.01 / number of checks).
CONFIDENCE = 0.99

BASE: dict[str, Any] = {
    "name": "verify",
    "seed": 424242,
    "horizon": "30d",
    "warmup": "2d",
    "flex": {"task_ttl": "14d", "timeout_recovery": "0s"},
    "arrivals": {"per_day": 100, "skills": {"email": 1.0}},
    "customers": {"reply_probability": {"awaiting": 0, "resolved": 0}},
    "agents": [{
        "name": "agents", "count": 20, "capacity": 1, "skills": ["email"],
        "reservation": {"response_time": "0s", "reject_probability": 0},
        "handling": {"compose": {"dist": "exponential", "mean": "10m"},
                     "resolve_probability": 1, "wrapup": "0s"},
    }],
}


@dataclass(frozen=True)
class Configuration:
    """One simulated configuration and the checks measured on it."""

    name: str
    scenario: Scenario
    checks: tuple[tuple[str, str, float], ...]  # (check name, measure, theoretical value)


def _scenario(name: str, changes: dict[str, Any], agent: dict[str, Any]) -> Scenario:
    data = copy.deepcopy(BASE)
    data["name"] = name
    data.update(changes)
    data["agents"][0] = merged(data["agents"][0], agent)
    return Scenario.model_validate(data)


def _erlang(servers: int, lam: float, mean_service: float) -> tuple[tuple[str, str, float], ...]:
    """The M/M/c checks: mean wait, probability of waiting, occupancy."""
    system = f"M/M/{servers}"
    return (
        (f"{system} mean wait (s)", "wait_to_accept_mean_accepted",
         theory.mean_wait(servers, lam, mean_service)),
        (f"{system} 90th percentile of wait (s)", "wait_to_accept_p90",
         theory.wait_quantile(servers, lam, mean_service, 0.9)),
        (f"{system} probability of waiting", "waited_share",
         theory.erlang_c(servers, lam * mean_service)),
        (f"{system} occupancy", "slot_occupancy", lam * mean_service / servers),
    )


def erlang_capacity_one() -> Configuration:
    """M/M/5 at load 0.8: instant accept, exponential compose, no wrap-up, capacity 1."""
    servers, mean_service, load = 5, 10 * MINUTE, 0.8
    lam = load * servers / mean_service
    scenario = _scenario("erlang-c-capacity-1", {"arrivals": {
        "per_day": lam * DAY, "skills": {"email": 1.0}}}, {"count": servers})
    return Configuration(scenario.name, scenario, _erlang(servers, lam, mean_service))


def erlang_capacity_k() -> Configuration:
    """3 agents x 3 slots = M/M/9 at load 0.8. The service is the slot itself: each email
    holds its slot for an exponential research time and needs no hands work (compose and
    wrap-up 0 s). With compose as the service, capacity-k agents are not k servers: one pair
    of hands (A2) serves their k slots one at a time."""
    agents, slots, mean_service, load = 3, 3, 30 * MINUTE, 0.8
    servers = agents * slots
    lam = load * servers / mean_service
    scenario = _scenario("erlang-c-capacity-3", {"arrivals": {
        "per_day": lam * DAY, "skills": {"email": 1.0}}}, {
        "count": agents, "capacity": slots,
        "handling": {"compose": "0s", "research": {
            "probability": 1, "duration": {"dist": "exponential", "mean": mean_service}}},
    })
    return Configuration(scenario.name, scenario, _erlang(servers, lam, mean_service))


def reservation_timeouts() -> Configuration:
    """Exponential response times (mean 60 s) against a 90 s timeout, 20% rejects."""
    mean, timeout, reject = 60.0, 90.0, 0.2
    scenario = _scenario("reservation-timeout", {"flex": {
        "reservation_timeout": timeout, "task_ttl": "14d", "timeout_recovery": "0s"}}, {
        "reservation": {"response_time": {"dist": "exponential", "mean": mean},
                        "reject_probability": reject}})
    p_timeout = theory.reservation_timeout_probability(mean, timeout)
    p_decline = p_timeout + (1 - p_timeout) * reject
    return Configuration(scenario.name, scenario, (
        ("P(offer times out)", "reservation_timeout_rate", p_timeout),
        ("P(offer rejected)", "reservation_reject_rate", (1 - p_timeout) * reject),
        ("declined offers per task", "declines_per_task",
         theory.reassignments_per_task_geometric(p_decline)),
    ))


def pause_expiry() -> Configuration:
    """Exponential research (mean 1 d) against a 1 d pause expiry, light load."""
    mean, expiry = 1 * DAY, 1 * DAY
    scenario = _scenario("pause-expiry", {
        "horizon": "40d",
        "flex": {"pause": {"enabled": True, "expiry": expiry}, "task_ttl": "14d"},
        "arrivals": {"per_day": 60, "skills": {"email": 1.0}}}, {
        "capacity": 4,
        "handling": {"research": {"probability": 1,
                                  "duration": {"dist": "exponential", "mean": mean}}}})
    return Configuration(scenario.name, scenario, (
        ("P(pause expires)", "pause_expiry_rate",
         theory.pause_expiry_probability(mean, expiry)),
    ))


def reactivation() -> Configuration:
    """Leave after every reply; the customer answers with p = 0.7 after Exp(mean 1 d);
    the window is 2 d."""
    p, mean, window = 0.7, 1 * DAY, 2 * DAY
    scenario = _scenario("reactivation", {
        "horizon": "40d",
        "flex": {"leave": {"enabled": True, "window": window}, "task_ttl": "14d"},
        "arrivals": {"per_day": 60, "skills": {"email": 1.0}},
        "customers": {"reply_probability": {"awaiting": p, "resolved": 0},
                      "reply_delay": {"dist": "exponential", "mean": mean}}}, {
        "handling": {"resolve_probability": 0, "leave_probability": 1}})
    return Configuration(scenario.name, scenario, (
        ("P(reactivated within window)", "reactivation_rate",
         theory.reactivation_probability(p, mean, window)),
        ("mean delay to reactivation (s)", "reactivation_delay_mean",
         theory.reactivation_delay_mean(mean, window)),
    ))


CONFIGURATIONS: tuple[Callable[[], Configuration], ...] = (
    erlang_capacity_one, erlang_capacity_k, reservation_timeouts, pause_expiry, reactivation)


def jobs(configurations: list[Configuration], replications: int) -> list[Job]:
    return [Job(config.scenario, r, config.scenario.seed, keep_events=False, point=i,
                extra=tuple(measure for _, measure, _ in config.checks))
            for i, config in enumerate(configurations) for r in range(replications)]


def verify(replications: int, executor: Executor,
           done: Callable[[Outcome], None] | None = None) -> list[theory.Check]:
    configurations = [make() for make in CONFIGURATIONS]
    outcomes = run_all(jobs(configurations, replications), executor, done)
    checks = []
    each = per_check_confidence(sum(len(config.checks) for config in configurations))
    for i, config in enumerate(configurations):
        rows = pd.DataFrame([o.kpis for o in outcomes if o.point == i])
        for name, measure, value in config.checks:
            mean, low, high, _ = t_interval(rows[measure].to_numpy(dtype=float), each)
            checks.append(theory.Check(f"{config.name}: {name}", value, mean, low, high))
    return checks


def per_check_confidence(checks: int) -> float:
    return 1 - (1 - CONFIDENCE) / max(checks, 1)


def total_jobs(replications: int) -> int:
    return len(CONFIGURATIONS) * replications

