"""Bad `ccsim staff` input: one clear line per problem, every problem at once, exit 2, and
nothing run or written. And how targets are read (units, directions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.analysis.staffing_targets import Goal, parse_costs, parse_goal
from tests.invoke import ccsim, no_crash

SCENARIO = """\
name: small
horizon: 1d
replications: 3
arrivals: {per_day: 200, skills: {email: 1.0}}
agents:
  - {name: tier1, count: 3, skills: [email]}
  - {name: tier2, count: 1, skills: [email]}
"""
VARY = ("--vary", "agents.tier1.count")


@pytest.mark.parametrize(("args", "expected"), [
    (("--target", "service_level<=0.8", *VARY),
     "service_level is better higher, so a target says how low it may go: "
     "service_level>=0.8"),
    (("--target", "unanswered_rate>=0.02", *VARY),
     "unanswered_rate is better lower, so a target says how high it may go"),
    (("--target", "service_levle>=0.8", *VARY), "service_levle is not a KPI (did you mean "
                                                "service_level?)"),
    (("--target", "slot_occupancy>=0.8", *VARY), "slot_occupancy is neither better high nor "
                                                 "low"),
    (("--target", "service_level=0.8", *VARY), "use >= or <="),
    (("--target", "service level 80", *VARY), "expected KPI>=VALUE or KPI<=VALUE"),
    (("--target", "service_level>=1.2", *VARY), "the value must be within [0, 1]"),
    (("--target", "first_response_time_p90<=soon", *VARY), "must be a duration such as 4h"),
    (("--target", "service_level>=0.8", "--target", "service_level>=0.9", *VARY),
     "service_level has a target twice"),
    (VARY, "--target: name at least one"),
    (("--target", "service_level>=0.8"), "--vary: name the agent counts to choose"),
    (("--target", "service_level>=0.8", "--vary", "agents.tier1.capacity"),
     "only agent counts vary: agents.GROUP.count (groups: tier1, tier2)"),
    (("--target", "service_level>=0.8", "--vary", "agents.tier9.count"),
     "no agent group 'tier9' in small"),
    (("--target", "service_level>=0.8", *VARY, *VARY), "listed twice"),
    (("--target", "service_level>=0.8", *VARY, "--range", "5-60"),
     "--range '5-60': expected LOW:HIGH agents"),
    (("--target", "service_level>=0.8", *VARY, "--range", "60:5"), "LOW must not exceed HIGH"),
    (("--target", "service_level>=0.8", *VARY, "--range", "1:20000"), "at most 10,000 agents"),
    (("--target", "service_level>=0.8", *VARY, "--range", "1:5", "--range", "1:6"),
     "2 ranges for 1 varied groups"),
    (("--target", "service_level>=0.8", *VARY, "--range", "tier2=1:5"), "'tier2' is not varied"),
    (("--target", "service_level>=0.8", *VARY, "--cost", "tier1=0"), "a cost must be > 0"),
    (("--target", "service_level>=0.8", *VARY, "--vary", "agents.tier2.count", "--cost",
      "tier1=1"), "no cost for tier2"),
    (("--target", "service_level>=0.8", *VARY, "-r", "1"), "at least 2 replications"),
    (("--target", "service_level>=0.8", *VARY, "--confidence", "1.5"),
     "--confidence 1.5: must be between 0.5 and 1"),
    (("--target", "service_level>=0.8", *VARY, "--max-replications", "2"),
     "must be at least the starting replications (3)"),
    (("--target", "service_level>=0.8", *VARY, "-w", "2", "--scheduler", "tcp://127.0.0.1:9"),
     "--workers and --scheduler: choose one"),
])
def test_bad_input_exits_2_with_a_clear_line(tmp_path: Path, args: tuple[str, ...],
                                             expected: str) -> None:
    source = tmp_path / "small.yaml"
    source.write_text(SCENARIO)
    result = ccsim("staff", source, *args, "--out", tmp_path / "out")
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert not (tmp_path / "out").exists()


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    source = tmp_path / "small.yaml"
    source.write_text(SCENARIO)
    result = ccsim("staff", source, "--target", "service_level<=0.8", "--vary",
                   "agents.nobody.count", "--range", "9:1", "--confidence", "2")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 4, lines
    assert [line.split(" ")[0] for line in lines] == ["--target", "--vary", "--range",
                                                      "--confidence"]


def test_a_target_undefined_in_the_scenario_is_refused_with_the_reason(tmp_path: Path) -> None:
    source = tmp_path / "small.yaml"
    source.write_text(SCENARIO)
    result = ccsim("staff", source, "--target", "pause_expiry_rate<=0.1", *VARY, "--range",
                   "2:3", "-w", "1", "--out", tmp_path / "out")
    no_crash(result)
    assert result.exit_code == 2
    assert "pause_expiry_rate is undefined with tier1=" in result.output
    assert "Pause is off (flex.pause.enabled: false)" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("text", "goal"), [
    ("service_level>=0.8", Goal("service_level", True, 0.8, "service_level>=0.8")),
    (" service_level >= 80% ", Goal("service_level", True, 0.8, "service_level >= 80%")),
    ("first_response_time_p90<=4h", Goal("first_response_time_p90", False, 14400.0,
                                         "first_response_time_p90<=4h")),
    ("wait_to_accept_p90<=600", Goal("wait_to_accept_p90", False, 600.0,
                                     "wait_to_accept_p90<=600")),
    ("tasks_canceled_ttl<=3", Goal("tasks_canceled_ttl", False, 3.0, "tasks_canceled_ttl<=3")),
])
def test_targets_are_read_in_the_kpis_unit(text: str, goal: Goal) -> None:
    assert parse_goal(text) == goal


@pytest.mark.parametrize(("goal", "low", "high", "verdict"), [
    (Goal("service_level", True, 0.8, ""), 0.81, 0.9, "meets"),
    (Goal("service_level", True, 0.8, ""), 0.7, 0.79, "misses"),
    (Goal("service_level", True, 0.8, ""), 0.79, 0.81, "close"),
    (Goal("service_level", True, 0.8, ""), float("nan"), float("nan"), "close"),
    (Goal("unanswered_rate", False, 0.02, ""), 0.0, 0.019, "meets"),
    (Goal("unanswered_rate", False, 0.02, ""), 0.021, 0.03, "misses"),
    (Goal("first_response_time_p90", False, 3600.0, ""), float("nan"), float("inf"), "misses"),
])
def test_a_target_is_judged_on_the_bound_on_its_bad_side(goal: Goal, low: float, high: float,
                                                         verdict: str) -> None:
    assert goal.verdict(low, high) == verdict


def test_equal_costs_compare_exactly() -> None:
    costs = parse_costs("tier1=1.1,tier2=2.2", ("tier1", "tier2"))
    assert 2 * costs["tier1"] == costs["tier2"]
