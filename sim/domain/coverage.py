"""Whether each skill has an agent on duty often enough for its email to survive the TTL.

A skill with no agent on duty for longer than `flex.task_ttl` (a weekday-only team and the
24 h platform default, say) gets email canceled unanswered by design of the scenario, not by
chance; `ccsim validate` and `run` warn about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.domain.durations import DAY, format_duration
from sim.domain.scenario import ALL_DAYS, Scenario, seconds_of_day

WEEK = 7 * DAY


@dataclass(frozen=True)
class Gap:
    skill: str
    begin: float  # seconds since Monday 00:00
    length: float  # inf: no agent ever

    def describe(self) -> str:
        if self.length == float("inf"):
            return f"skill {self.skill!r} has no agent on duty at all (every group is empty)"
        end = (self.begin + self.length) % WEEK
        return (f"skill {self.skill!r} has no agent on duty from {_when(self.begin)} to "
                f"{_when(end)} ({format_duration(self.length)})")


def _when(seconds: float) -> str:
    day, rest = divmod(int(seconds), int(DAY))
    return f"{ALL_DAYS[day].value.capitalize()} {rest // 3600:02d}:{rest % 3600 // 60:02d}"


def longest_gaps(scenario: Scenario) -> list[Gap]:
    """Per skill with arrivals, the longest weekly stretch with no agent on duty (absences
    aside)."""
    return [_longest(scenario, skill) for skill in scenario.skills]


def _longest(scenario: Scenario, skill: str) -> Gap:
    duty = sorted(
        (ALL_DAYS.index(day) * DAY + seconds_of_day(group.shift.start),
         ALL_DAYS.index(day) * DAY + seconds_of_day(group.shift.end))
        for group in scenario.agents if group.count > 0 and skill in group.skills
        for day in group.shift.days)
    if not duty:
        return Gap(skill, 0.0, float("inf"))
    merged = [list(duty[0])]
    for begin, end in duty[1:]:
        if begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    gaps = [(merged[i][1], merged[i + 1][0] - merged[i][1]) for i in range(len(merged) - 1)]
    gaps.append((merged[-1][1], merged[0][0] + WEEK - merged[-1][1]))  # around the week
    begin, length = max(gaps, key=lambda gap: gap[1])
    return Gap(skill, begin % WEEK, length)


def ttl_warnings(scenario: Scenario) -> list[str]:
    """One sentence per skill whose longest stretch without an agent exceeds the TTL."""
    ttl = scenario.flex.task_ttl
    return [f"{gap.describe()}, longer than the task TTL ({format_duration(ttl)}): email "
            "that arrives before it can be canceled unanswered (R6); staff the gap or "
            "lengthen flex.task_ttl (up to 14d)"
            for gap in longest_gaps(scenario) if gap.length > ttl]
