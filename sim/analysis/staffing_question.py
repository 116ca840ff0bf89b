"""A staffing question read whole: targets, varied groups, ranges, costs, replications and
confidence, with the defaults filled in and every problem reported at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

from sim.analysis.staffing_guess import first_guess
from sim.analysis.staffing_search import Counts
from sim.analysis.staffing_targets import (
    Goal,
    StaffingInputError,
    parse_costs,
    parse_goal,
    parse_groups,
    parse_range,
    parse_ranges,
)
from sim.domain.scenario import MAX_AGENTS_PER_GROUP, Scenario

CAP_FACTOR = 8  # default cap: this many times the starting replications

T = TypeVar("T")


@dataclass(frozen=True)
class Question:
    goals: tuple[Goal, ...]
    groups: tuple[str, ...]
    ranges: dict[str, tuple[int, int]]
    costs: dict[str, Fraction]
    guess: dict[str, int]  # the formulas' answer, before any simulation
    replications: int
    cap: int
    confidence: float

    def cost(self, counts: Counts) -> Fraction:
        return sum((self.costs[g] * n for g, n in zip(self.groups, counts, strict=True)),
                   Fraction(0))

    def key(self, counts: Counts) -> tuple[Fraction, int, Counts]:
        """Cheapest first; among equal costs, fewer agents, then the counts in order."""
        return self.cost(counts), sum(counts), counts

    def start(self) -> Counts:
        """The first guess, within the ranges."""
        return tuple(min(max(self.guess[g], self.ranges[g][0]), self.ranges[g][1])
                     for g in self.groups)


def read_question(scenario: Scenario, targets: Sequence[str], varies: Sequence[str],
                  ranges: Sequence[str] = (), cost: str | None = None,
                  replications: int | None = None, cap: int | None = None,
                  confidence: float = 0.95) -> Question:
    """The question, or StaffingInputError listing every problem in it."""
    problems: list[str] = []
    goals = tuple(goal for text in targets
                  if (goal := _checked(problems, parse_goal, text)) is not None)
    if not targets:
        problems.append("--target: name at least one, e.g. --target 'service_level>=0.8'")
    problems += [f"--target {g.text!r}: {g.kpi} has a target twice" for i, g in
                 enumerate(goals) if g.kpi in {other.kpi for other in goals[:i]}]
    groups = _checked(problems, parse_groups, varies, scenario) or ()
    spans = _checked(problems, parse_ranges, ranges, groups) if groups else [
        _checked(problems, parse_range, text.rpartition("=")[2]) for text in ranges]
    costs = _checked(problems, parse_costs, cost, groups) if groups else None
    start = replications if replications is not None else scenario.replications
    problems += _replication_problems(replications, start, cap, confidence)
    if problems:
        raise StaffingInputError(problems)
    assert isinstance(spans, dict) and costs is not None
    guess = first_guess(scenario, goals, groups)
    return Question(goals, groups, _with_defaults(spans, groups, guess, scenario), costs, guess,
                    start, cap if cap is not None else CAP_FACTOR * start, confidence)


def _checked(problems: list[str], parse: Callable[..., T], *args: Any) -> T | None:
    try:
        return parse(*args)
    except StaffingInputError as error:
        problems += error.problems
    except ValueError as error:
        problems.append(str(error))
    return None


def _replication_problems(given: int | None, start: int, cap: int | None,
                          confidence: float) -> list[str]:
    problems = []
    if start < 2:
        where = f"-r {given}" if given is not None else f"replications: {start} in the scenario"
        problems.append(f"{where}: a staffing decision needs an interval, so at least 2 "
                        "replications (pass -r 5, say)")
    if cap is not None and cap < start:
        problems.append(f"--max-replications {cap}: must be at least the starting "
                        f"replications ({start})")
    if not 0.5 < confidence < 1:
        problems.append(f"--confidence {confidence:g}: must be between 0.5 and 1, "
                        "e.g. 0.95")
    return problems


def _with_defaults(spans: dict[str, tuple[int, int]], groups: tuple[str, ...],
                   guess: dict[str, int], scenario: Scenario) -> dict[str, tuple[int, int]]:
    """Unstated ranges: from 1 agent (0 when several groups share the work) to well past
    the first guess: twice the whole guess plus 10, or the scenario's count if higher."""
    whole = sum(guess.values())
    low = 1 if len(groups) == 1 else 0
    return {g: spans.get(g) or (low, min(MAX_AGENTS_PER_GROUP, max(
        2 * whole + 10, scenario.group(g).count))) for g in groups}
