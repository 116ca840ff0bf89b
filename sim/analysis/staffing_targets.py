"""What a staffing question says: the targets (`service_level>=0.8`), the agent groups whose
counts vary (`agents.tier1.count`), their ranges (`5:60`) and costs (`tier1=1,tier2=1.3`),
read from the words users type and checked against the KPI catalogue and the scenario.

Every problem is a sentence naming the option and the text it was given; `question_problems`
collects them all at once, as the CLI reports every bad input together.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from sim.analysis.catalogue import BY_NAME, KPI_NAMES, RATES, TIMES, kpi_range
from sim.domain.durations import DurationError, parse_duration
from sim.domain.scenario import MAX_AGENTS_PER_GROUP, Scenario

Verdict = Literal["meets", "misses", "close"]
_TARGET = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|=>|=<|>|<|==|=)\s*(.*?)\s*")
_RANGE = re.compile(r"\s*(\d+)\s*:\s*(\d+)\s*")
_VARY = re.compile(r"agents\.([^.]+)\.count")


class StaffingInputError(ValueError):
    """Bad input to a staffing question; `problems` has one sentence per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Goal:
    """One target: a KPI at least (`>=`) or at most (`<=`) a value, in the KPI's unit."""

    kpi: str
    at_least: bool
    value: float
    text: str  # as the user wrote it

    def verdict(self, low: float, high: float) -> Verdict:
        """Meets when the whole interval is on the good side of the value, misses when the
        whole interval is on the bad side (or can never get there: an infinite upper end of
        a time, a percentile some replication never reached), else too close to call."""
        if not self.at_least and math.isinf(high):
            return "misses"
        if math.isnan(low) or math.isnan(high):
            return "close"
        good, bad = (low >= self.value, high < self.value) if self.at_least else (
            high <= self.value, low > self.value)
        return "meets" if good else "misses" if bad else "close"


def parse_goal(text: str) -> Goal:
    match = _TARGET.fullmatch(text)
    if match is None:
        raise ValueError(f"--target {text!r}: expected KPI>=VALUE or KPI<=VALUE, "
                         "e.g. service_level>=0.8")
    name, operator, value = match[1], match[2], match[3]
    kpi = BY_NAME.get(name)
    if kpi is None:
        close = difflib.get_close_matches(name, KPI_NAMES, n=1)
        hint = f" (did you mean {close[0]}?)" if close else " (see docs/kpis.md)"
        raise ValueError(f"--target {text!r}: {name} is not a KPI{hint}")
    if operator not in (">=", "<="):
        raise ValueError(f"--target {text!r}: use >= or <= (a staffing target is a level to "
                         "reach with confidence, not an exact value)")
    if kpi.better == "neither":
        raise ValueError(f"--target {text!r}: {name} is neither better high nor low "
                         "(docs/kpis.md), so more agents do not reliably improve it; it "
                         "cannot be a staffing target")
    at_least = operator == ">="
    if at_least != (kpi.better == "higher"):
        flipped, limit = ("<=", "high") if at_least else (">=", "low")
        raise ValueError(f"--target {text!r}: {name} is better {kpi.better}, so a target "
                         f"says how {limit} it may go: {name}{flipped}{value}")
    return Goal(name, at_least, _value(name, value, text), text.strip())


def _value(name: str, text: str, target: str) -> float:
    """A share as 0.8 or 80%, a time as 4h or seconds, anything else as a number."""
    try:
        if name in TIMES:
            number = parse_duration(text)
        elif name in RATES and text.endswith("%"):
            number = float(text[:-1]) / 100
        else:
            number = float(text)
    except (ValueError, DurationError) as error:
        unit = ("a duration such as 4h or 600" if name in TIMES else
                "a share such as 0.8 or 80%" if name in RATES else "a number")
        raise ValueError(f"--target {target!r}: the value must be {unit}") from error
    low, high = kpi_range(name)
    if not (low <= number <= high) or math.isnan(number):
        raise ValueError(f"--target {target!r}: the value must be within [{low:g}, {high:g}], "
                         f"the values {name} takes")
    return number


def parse_groups(varies: Sequence[str], scenario: Scenario) -> tuple[str, ...]:
    """The agent groups named by `--vary agents.GROUP.count`, in the order given."""
    names = [group.name for group in scenario.agents]
    groups: list[str] = []
    problems: list[str] = []
    for text in varies:
        match = _VARY.fullmatch(text.strip())
        if match is None:
            problems.append(f"--vary {text!r}: only agent counts vary: agents.GROUP.count "
                            f"(groups: {', '.join(names)})")
        elif match[1] not in names:
            problems.append(f"--vary {text!r}: no agent group {match[1]!r} in "
                            f"{scenario.name} (groups: {', '.join(names)})")
        elif match[1] in groups:
            problems.append(f"--vary {text!r}: listed twice")
        else:
            groups.append(match[1])
    if not varies:
        problems.append("--vary: name the agent counts to choose, e.g. "
                        f"--vary agents.{names[0]}.count")
    if problems:
        raise StaffingInputError(problems)
    return tuple(groups)


def parse_range(text: str) -> tuple[int, int]:
    match = _RANGE.fullmatch(text)
    if match is None:
        raise ValueError(f"--range {text!r}: expected LOW:HIGH agents, e.g. 5:60")
    low, high = int(match[1]), int(match[2])
    if low > high:
        raise ValueError(f"--range {text!r}: LOW must not exceed HIGH")
    if high > MAX_AGENTS_PER_GROUP:
        raise ValueError(f"--range {text!r}: at most {MAX_AGENTS_PER_GROUP:,} agents in a "
                         "group")
    return low, high


def parse_ranges(texts: Sequence[str], groups: tuple[str, ...]
                 ) -> dict[str, tuple[int, int]]:
    """One range for every group, one per group in --vary order, or GROUP=LOW:HIGH each."""
    if not texts:
        return {}
    named = [text for text in texts if "=" in text]
    if named and len(named) != len(texts):
        raise ValueError("--range: give every range as GROUP=LOW:HIGH, or none")
    if named:
        found = {}
        for text in named:
            group, _, span = text.partition("=")
            if group.strip() not in groups:
                raise ValueError(f"--range {text!r}: {group.strip()!r} is not varied "
                                 f"(--vary: {', '.join(groups)})")
            found[group.strip()] = parse_range(span)
        return found
    if len(texts) == 1:
        return dict.fromkeys(groups, parse_range(texts[0]))
    if len(texts) != len(groups):
        raise ValueError(f"--range: {len(texts)} ranges for {len(groups)} varied groups; give "
                         "one for all, one per --vary in order, or GROUP=LOW:HIGH")
    return {group: parse_range(text) for group, text in zip(groups, texts, strict=True)}


def parse_costs(text: str | None, groups: tuple[str, ...]) -> dict[str, Fraction]:
    """`tier1=1,tier2=1.3`: exact, so equal costs compare equal; every varied group needs
    one (the default is 1 each)."""
    if text is None:
        return dict.fromkeys(groups, Fraction(1))
    costs: dict[str, Fraction] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        group, equals, value = (s.strip() for s in part.partition("="))
        if not equals or group not in groups:
            raise ValueError(f"--cost {text!r}: expected GROUP=COST for the varied groups "
                             f"({', '.join(groups)}), e.g. {groups[0]}=1")
        try:
            cost = Fraction(value)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"--cost {text!r}: {value!r} is not a number") from None
        if cost <= 0:
            raise ValueError(f"--cost {text!r}: a cost must be > 0")
        costs[group] = cost
    missing = [group for group in groups if group not in costs]
    if missing:
        raise ValueError(f"--cost {text!r}: no cost for {', '.join(missing)}")
    return costs
