"""Warnings for set-ups that manufacture an outcome: a skill with no agent on duty for longer
than the TTL gets email canceled by design (issue: defaults that manufacture outcomes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.domain.coverage import longest_gaps, ttl_warnings
from sim.domain.scenario import Scenario
from tests.invoke import ccsim
from tests.scripted import merge

WEEKDAYS = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}
BASE: dict[str, Any] = {
    "name": "coverage",
    "arrivals": {"per_day": 10, "skills": {"email": 0.5, "chat": 0.5}},
    "agents": [{"name": "week", "count": 2, "skills": ["email", "chat"], "shift": WEEKDAYS},
               {"name": "sat", "count": 1, "skills": ["chat"],
                "shift": {"days": ["sat"], "start": "10:00", "end": "14:00"}}],
}


def scenario(**changes: Any) -> Scenario:
    return Scenario.model_validate(merge(BASE, changes))


def test_the_longest_gap_wraps_around_the_week() -> None:
    gaps = {gap.skill: gap for gap in longest_gaps(scenario())}
    # email: Friday 17:00 to Monday 08:00 = 2 d 15 h.
    assert gaps["email"].describe() == (
        "skill 'email' has no agent on duty from Fri 17:00 to Mon 08:00 (2d15h)")
    # chat: Saturday 10-14 splits the weekend; the longer part is Saturday 14:00 to Monday.
    assert gaps["chat"].length == (10 + 24 + 8) * 3600
    assert gaps["chat"].describe().startswith("skill 'chat' has no agent on duty from Sat 14:00")


def test_a_ttl_shorter_than_a_gap_is_warned_about_naming_the_skill_and_the_gap() -> None:
    warnings = ttl_warnings(scenario())  # the platform's 24 h TTL
    assert len(warnings) == 2
    assert warnings[0].startswith("skill 'email' has no agent on duty from Fri 17:00 to "
                                  "Mon 08:00 (2d15h), longer than the task TTL (1d)")
    assert ttl_warnings(scenario(flex={"task_ttl": "3d"})) == []


def test_an_empty_group_does_not_cover_its_skills() -> None:
    lonely = scenario(agents=[merge(BASE["agents"][0], {"count": 0}), BASE["agents"][1]])
    assert "no agent on duty at all" in ttl_warnings(lonely)[0]


def test_validate_and_run_warn_but_do_not_refuse(tmp_path: Path) -> None:
    path = tmp_path / "gap.yaml"
    path.write_text("name: gap\nhorizon: 2d\nreplications: 1\n"
                    "arrivals: {per_day: 10, skills: {email: 1.0}}\n"
                    "agents:\n  - {name: week, count: 1, skills: [email], shift: {days: [mon],"
                    " start: '08:00', end: '17:00'}}\n")
    result = ccsim("validate", path)
    assert result.exit_code == 0
    assert result.stdout == f"{path}: OK\n"
    assert result.stderr.startswith(f"{path}: warning: flex.task_ttl: skill 'email' has no "
                                    "agent on duty from Mon 17:00 to Mon 08:00 (6d15h)")
    ran = ccsim("run", path, "-q", "--no-events", "--no-figures", "--out", tmp_path / "out")
    assert ran.exit_code == 0, ran.output
    assert "warning: flex.task_ttl" in ran.stderr
