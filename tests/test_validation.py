"""The simulator against theory, and metamorphic checks under common random numbers.

The verify checks compare a closed form with the 99% interval of the simulated estimate; the
seeds are fixed, so each check is deterministic (it passes or fails the same way every run).
The metamorphic checks change one setting and compare sample means over the same replication
seeds, so both sides see the same arrivals and the same draws for everything else.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from click.testing import CliRunner

from sim.analysis import verify as verification
from sim.analysis.catalogue import BY_NAME, CONDITIONAL, KPI_NAMES, TIMES
from sim.analysis.executors import LocalPool, Serial, run_all
from sim.analysis.experiment import jobs_for
from sim.analysis.theory import Check
from sim.cli import main
from sim.domain.scenario import Scenario
from tests.scripted import merge


def test_verify_checks_pass() -> None:
    checks = verification.verify(10, LocalPool(2))
    assert len(checks) == 14
    failed = [f"{c.name}: theory {c.theory:.4g} not in [{c.low:.4g}, {c.high:.4g}]"
              for c in checks if not c.passed]
    assert not failed


def test_verify_exits_1_and_names_the_failed_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong() -> verification.Configuration:
        right = verification.reservation_timeouts()
        name, measure, value = right.checks[0]
        return verification.Configuration(right.name, right.scenario,
                                          ((name, measure, value + 0.2),))

    monkeypatch.setattr(verification, "CONFIGURATIONS", (wrong,))
    result = CliRunner().invoke(main, ["verify", "-r", "3", "-w", "1"])
    assert result.exit_code == 1
    assert "1 of 1 checks failed: reservation-timeout: P(offer times out)" in result.stderr


def test_check_passes_only_when_theory_is_inside_the_interval() -> None:
    assert Check("x", 0.5, 0.49, 0.45, 0.55).passed
    assert not Check("x", 0.6, 0.49, 0.45, 0.55).passed


# Metamorphic checks ------------------------------------------------------------------------

BASE: dict[str, Any] = {
    "name": "metamorphic",
    "seed": 99,
    "horizon": "6d",
    "warmup": "1d",
    "flex": {"task_ttl": "14d"},
    "arrivals": {"per_day": 500, "skills": {"email": 1.0}},
    "customers": {"reply_probability": {"awaiting": 0.5, "resolved": 0.05}},
    "agents": [{
        "name": "team", "count": 5, "capacity": 2, "skills": ["email"],
        "reservation": {"response_time": {"dist": "exponential", "mean": "60s"},
                        "reject_probability": 0.05},
        "handling": {"compose": {"dist": "exponential", "mean": "8m"}},
    }],
}
RESEARCH = {"research": {"probability": 0.3, "duration": {"dist": "exponential", "mean": "1d"}}}
REPLICATIONS = 4


def mean_kpis(changes: dict[str, Any]) -> dict[str, float]:
    """Every KPI's mean over the replications (common random numbers across calls)."""
    scenario = Scenario.model_validate(merge(BASE, changes))
    outcomes = run_all(jobs_for(scenario, range(REPLICATIONS), keep_events=False), Serial())
    return {name: sum(o.kpis[name] for o in outcomes) / len(outcomes) for name in KPI_NAMES}


def mean_kpi(name: str, changes: dict[str, Any]) -> float:
    mean = mean_kpis(changes)[name]
    assert math.isfinite(mean), f"{name} is not defined in {changes}"
    return mean


def team(**changes: Any) -> dict[str, Any]:
    return {"agents": [merge(BASE["agents"][0], changes)]}


def test_more_agents_never_raise_the_mean_wait() -> None:
    waits = [mean_kpi("wait_to_accept_mean_accepted", team(count=count))
             for count in (5, 6, 8, 11)]
    assert waits == sorted(waits, reverse=True), waits
    assert waits[0] > 2 * waits[-1]  # the change matters, not just a tie


HONEST_RESPONSE = tuple(
    name for name in KPI_NAMES
    if (name in TIMES or name in ("service_level", "unanswered_rate"))
    and name not in CONDITIONAL and BY_NAME[name].better != "neither")


def test_fewer_agents_never_improve_a_response_kpi_even_when_the_ttl_drops_email() -> None:
    # A 3 h TTL: as staffing falls, more email is canceled unanswered. A KPI that left the
    # canceled tasks out would look better; these count them (docs/kpis.md).
    flex = {"flex": {"task_ttl": "3h"}}
    runs = {count: mean_kpis({**flex, **team(count=count)}) for count in (7, 5, 3)}
    for name in HONEST_RESPONSE:
        values = [runs[count][name] for count in (7, 5, 3)]
        assert not any(math.isnan(value) for value in values), name
        worse = sorted(values) if BY_NAME[name].better == "lower" else sorted(values,
                                                                              reverse=True)
        assert values == worse, (name, values)
    canceled = [runs[count]["tasks_canceled_ttl"] for count in (7, 5, 3)]
    assert 0 < canceled[0] < canceled[1] < canceled[2], canceled
    assert set(HONEST_RESPONSE) >= {"service_level", "unanswered_rate",
                                    "first_response_time_p90", "wait_to_accept_p90"}


def test_a_longer_reservation_timeout_never_raises_the_timeout_rate() -> None:
    rates = [mean_kpi("reservation_timeout_rate", {"flex": {"reservation_timeout": t}})
             for t in ("30s", "1m", "2m", "4m")]
    assert rates == sorted(rates, reverse=True), rates
    assert rates[0] > 0.3 > 0.05 > rates[-1]


def test_a_longer_pause_expiry_never_raises_the_expiry_rate() -> None:
    rates = [mean_kpi("pause_expiry_rate", {
        "horizon": "12d", "flex": {"pause": {"enabled": True, "expiry": expiry}},
        **team(handling=RESEARCH)}) for expiry in ("1d", "2d", "4d")]
    assert rates == sorted(rates, reverse=True), rates
    assert rates[0] > 0.2 and rates[-1] < 0.1


@pytest.mark.parametrize(("kpi", "flex"), [
    ("pauses", {"pause": {"enabled": False}}),
    ("leaves", {"leave": {"enabled": False}}),
])
def test_a_disabled_feature_is_never_used(kpi: str, flex: dict[str, Any]) -> None:
    enabled = {"pause": {"enabled": True, "expiry": "1d"}, "leave": {"enabled": True}}
    research = team(handling=RESEARCH)
    # The same scenario does use the feature when it is enabled.
    assert mean_kpi(kpi, {"flex": enabled, **research}) > 0
    assert mean_kpi(kpi, {"flex": merge(enabled, flex), **research}) == 0


def test_leave_disabled_means_no_reactivations() -> None:
    scenario = Scenario.model_validate(merge(BASE, {"flex": {"leave": {"enabled": False}}}))
    outcomes = run_all(jobs_for(scenario, range(2)), Serial())
    for outcome in outcomes:
        assert outcome.log is not None
        events = outcome.log.to_frame()["event"]
        assert not events.isin(["conversation.reactivated", "conversation.inactive"]).any()
    assert all(set(o.kpis) >= set(KPI_NAMES) for o in outcomes)
