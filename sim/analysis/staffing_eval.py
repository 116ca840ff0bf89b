"""Judging one staffing: simulate it, and add replications only while a target is too close
to call.

Every staffing runs replications 0, 1, 2, ... of the same seed (common random numbers: the
named streams keep the arrivals, customers and every draw of an unchanged group the same
when a count changes), so two staffings differ by their agents, not by their luck. A target
is judged on the interval whose ends are the one-sided bounds at the stated confidence: met
when the bound on its bad side is on the good side of the value, missed when the bound on its
good side is on the bad side, else close. A close staffing gets more replications (as many
as should separate the interval from the value, at least one round of the workers) up to the
cap, where it stays close: statistically indistinguishable from the target. Only its own
replications decide a staffing, so the judgement is the same in whatever order the search
asks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.analysis.catalogue import KPI_NAMES
from sim.analysis.executors import Executor, run_all
from sim.analysis.experiment import Outcome, Progress, jobs_for
from sim.analysis.staffing_search import Counts
from sim.analysis.staffing_targets import Goal, StaffingInputError, Verdict
from sim.analysis.stats import replications_for, t_interval
from sim.analysis.undefined import why_undefined
from sim.domain.scenario import Scenario


@dataclass(frozen=True)
class Plan:
    goals: tuple[Goal, ...]
    groups: tuple[str, ...]
    replications: int  # to start each staffing with
    cap: int  # the most any staffing gets
    confidence: float  # of each one-sided bound
    step: int = 1  # replications added at least at a time (a round of the workers)


@dataclass(frozen=True)
class Bound:
    mean: float
    low: float
    high: float
    n: int
    verdict: Verdict


@dataclass
class Judged:
    counts: Counts
    rows: list[dict[str, float]] = field(default_factory=list)  # KPIs by replication
    bounds: dict[str, Bound] = field(default_factory=dict)  # by target KPI
    order: int = 0  # when it was first evaluated

    @property
    def verdict(self) -> Verdict:
        verdicts = {bound.verdict for bound in self.bounds.values()}
        return "misses" if "misses" in verdicts else "close" if "close" in verdicts else "meets"


def with_counts(scenario: Scenario, groups: Sequence[str], counts: Counts) -> Scenario:
    """The scenario with the varied groups' counts set (counts are checked by the caller)."""
    chosen = dict(zip(groups, counts, strict=True))
    agents = [g.model_copy(update={"count": chosen[g.name]}) if g.name in chosen else g
              for g in scenario.agents]
    return scenario.model_copy(update={"agents": agents})


class Evaluator:
    """Judges staffings of one scenario on one executor, remembering every one it judged."""

    def __init__(self, scenario: Scenario, plan: Plan, executor: Executor,
                 progress: Progress | None = None) -> None:
        self.scenario, self.plan, self.executor, self.progress = (
            scenario, plan, executor, progress)
        self.judged: dict[Counts, Judged] = {}
        self.runs = 0

    def meets(self, counts: Counts) -> bool:
        return self.judge(counts).verdict == "meets"

    def judge(self, counts: Counts) -> Judged:
        if counts not in self.judged:
            self.judged[counts] = self._evaluate(Judged(counts, order=len(self.judged)))
        return self.judged[counts]

    def _evaluate(self, judged: Judged) -> Judged:
        wanted = self.plan.replications
        while True:
            self._run(judged, wanted)
            judged.bounds = {g.kpi: self._bound(judged, g) for g in self.plan.goals}
            if judged.verdict != "close" or wanted >= self.plan.cap:
                return judged
            wanted = replications_for(wanted, self._worst(judged), self.plan.cap,
                                      self.plan.step)

    def _run(self, judged: Judged, wanted: int) -> None:
        scenario = with_counts(self.scenario, self.plan.groups, judged.counts)
        batch = range(len(judged.rows), wanted)
        self.runs += len(batch)
        if self.progress is not None:
            self.progress.total(self.runs)
        outcomes = run_all(jobs_for(scenario, batch, keep_events=False), self.executor,
                           self.progress.advance if self.progress is not None else None)
        judged.rows += [_row(outcome) for outcome in outcomes]

    def _bound(self, judged: Judged, goal: Goal) -> Bound:
        values = np.array([row[goal.kpi] for row in judged.rows], dtype=float)
        mean, low, high, n = t_interval(values, 2 * self.plan.confidence - 1)
        if n == 0:
            where = ", ".join(f"{g}={c}" for g, c in zip(self.plan.groups, judged.counts,
                                                          strict=True))
            raise StaffingInputError([f"--target {goal.text!r}: {goal.kpi} is undefined "
                                      f"with {where}: {why_undefined(goal.kpi, self.scenario)}"])
        return Bound(mean, low, high, n, goal.verdict(low, high))

    def _worst(self, judged: Judged) -> float:
        """How many times too wide the widest close interval is for its distance from its
        target (replications_for aims at that ratio squared more)."""
        ratios = []
        for goal in self.plan.goals:
            bound = judged.bounds[goal.kpi]
            if bound.verdict == "close":
                half, gap = (bound.high - bound.low) / 2, abs(bound.mean - goal.value)
                ratios.append(half / gap if gap > 0 and math.isfinite(half) else math.inf)
        return max(ratios)


def _row(outcome: Outcome) -> dict[str, float]:
    return {"replication": outcome.replication, **{k: outcome.kpis[k] for k in KPI_NAMES}}
