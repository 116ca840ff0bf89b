"""What repeats in a scenario: the period of its load and staffing, which `ccsim warmup`
averages out of the backlog before looking for the end of the start-up transient.

A week when arrivals or staffing differ by weekday (weekday weights that differ, or a group
that works only some days: its absences fall on its working days, so they differ by weekday
only through its shift); else a day when they differ by hour (hour weights, or shifts shorter
than the day); else nothing repeats (flat arrivals, every agent around the clock).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.domain.durations import DAY, HOUR, format_duration, parse_duration
from sim.domain.scenario import AgentGroup, Scenario

WEEK = 7 * DAY
STEP = HOUR  # the backlog is sampled hourly
SPARE_STEPS = 10  # two MSER-5 batches must be left after one cycle


@dataclass(frozen=True)
class Cycle:
    period: float  # seconds; 0 when nothing repeats
    reason: str

    def describe(self) -> str:
        return format_duration(self.period) if self.period else "none"

    @property
    def window(self) -> int:
        """The period in sample steps (1, the series itself, when nothing repeats)."""
        return max(1, round(self.period / STEP))


def scenario_cycle(scenario: Scenario) -> Cycle:
    """The scenario's own cycle, shortened (with the reason) when its horizon is too short
    to average a longer one out."""
    weekly, daily = _weekly(scenario), _daily(scenario)
    found = (Cycle(WEEK, weekly) if weekly else Cycle(DAY, daily) if daily else
             Cycle(0.0, "arrivals are the same every hour of every day and every agent is "
                        "on duty around the clock: nothing repeats"))
    for shorter in (DAY, 0.0):
        if fits(found, scenario.horizon) or found.period <= shorter:
            break
        found = Cycle(shorter, f"{found.reason}, but the horizon "
                               f"({format_duration(scenario.horizon)}) is too short to average "
                               f"out {format_duration(found.period)}")
    return found


def fits(cycle: Cycle, horizon: float) -> bool:
    return horizon >= (cycle.window + SPARE_STEPS) * STEP


def _weekly(scenario: Scenario) -> str:
    weights = scenario.arrivals.weekday_weights
    if len(set(weights)) > 1:
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        low, high = weights.index(min(weights)), weights.index(max(weights))
        return (f"arrivals.weekday_weights differ by weekday ({weights[low]:g} on "
                f"{days[low]} to {weights[high]:g} on {days[high]})")
    for group in _staffed(scenario):
        if len(group.shift.days) < 7:
            return (f"agent group {group.name} works "
                    f"{', '.join(day.value for day in group.shift.days)} only")
    return ""


def _daily(scenario: Scenario) -> str:
    weights = scenario.arrivals.hour_weights
    if len(set(weights)) > 1:
        return f"arrivals.hour_weights differ by hour ({min(weights):g} to {max(weights):g})"
    for group in _staffed(scenario):
        if (group.shift.start, group.shift.end) != ("00:00", "24:00"):
            return (f"agent group {group.name} works {group.shift.start}-{group.shift.end} "
                    "only")
    return ""


def _staffed(scenario: Scenario) -> list[AgentGroup]:
    return [group for group in scenario.agents if group.count > 0]


def whole_cycles(settled: float, cycle: Cycle, horizon: float) -> float:
    """The shortest warm-up of at least `settled` that leaves whole cycles to measure (a
    measured window of 3 weeks and 2 days over-weights two weekdays); `settled` itself when
    nothing repeats or not one whole cycle would be left."""
    if not cycle.period:
        return settled
    cycles = int((horizon - settled) // cycle.period)
    return horizon - cycles * cycle.period if cycles >= 1 else settled


def chosen_cycle(text: str | None, scenario: Scenario) -> Cycle:
    """The cycle of `--cycle TEXT` (a duration, or `none`), else the scenario's own.
    ValueError (DurationError) when it is not one or does not fit the horizon."""
    if text is None:
        return scenario_cycle(scenario)
    if text.strip().lower() == "none":
        cycle = Cycle(0.0, "given with --cycle none")
    else:
        cycle = Cycle(parse_duration(text), f"given with --cycle {text.strip()}")
        if cycle.period < STEP:
            raise ValueError("the cycle must be at least 1h (--cycle none: no cycle)")
    if not fits(cycle, scenario.horizon):
        raise ValueError(f"a {cycle.describe()} cycle needs a horizon of at least "
                         f"{format_duration((cycle.window + SPARE_STEPS) * STEP)}")
    return cycle
