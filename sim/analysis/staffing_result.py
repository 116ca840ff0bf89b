"""The answer to a staffing question, the candidates judged on the way, and what to say
about them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sim.analysis.catalogue import KPI_NAMES
from sim.analysis.staffing_eval import Judged
from sim.analysis.staffing_question import Question
from sim.analysis.staffing_search import Counts
from sim.domain.scenario import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class StaffingResult:
    question: Question
    answer: dict[str, int] | None  # varied group -> agents; None: no staffing in range meets
    candidates: pd.DataFrame  # one row per staffing judged, cheapest first
    runs: pd.DataFrame  # every KPI of every replication of every candidate
    scenario: Scenario | None  # the answer's, resolved; replications: as many as it ran
    runs_made: int
    folder: Path | None = None

    @property
    def indistinguishable(self) -> list[dict[str, int]]:
        """Candidates cheaper than the answer whose intervals still held a target's value
        at the replication cap: the simulation cannot tell them from meeting it."""
        close = self.candidates[self.candidates["verdict"] == "close"]
        return [{g: int(row[g]) for g in self.question.groups} for _, row in close.iterrows()
                if self.answer is None or self._key(row) < self.question.key(
                    tuple(self.answer.values()))]

    def _key(self, row: pd.Series) -> tuple[object, ...]:
        return self.question.key(tuple(int(row[g]) for g in self.question.groups))

    def figure(self) -> Figure:
        """Each target's KPI against staffing, with the intervals and the answer."""
        from sim.analysis.staffing_figure import staffing_figure  # matplotlib, on demand

        return staffing_figure(self.question, self.candidates, self.answer)

    def sentences(self) -> list[str]:
        """The answer as people read it, and what is statistically uncertain about it."""
        q = self.question
        level = f"{q.confidence:.0%} confidence"
        if self.answer is None:
            spans = ", ".join(f"{g} {a}..{b}" for g, (a, b) in q.ranges.items())
            lines = [f"no staffing in range ({spans}) is shown to meet every target with "
                     f"{level}; widen --range"]
        else:
            lines = [f"answer: {describe(self.answer)} (cost {_cost(q, self.answer)}) is the "
                     f"cheapest staffing shown to meet every target with {level}"]
        lines += [f"{describe(counts)} is statistically indistinguishable from the target: "
                  f"after {self._replications(counts)} replications its interval still "
                  f"holds the value of {self._straddled(counts)}" for counts in
                  self.indistinguishable]
        return lines

    def _row(self, counts: dict[str, int]) -> pd.Series:
        frame = self.candidates
        mask = pd.Series(True, index=frame.index)
        for group, n in counts.items():
            mask &= frame[group] == n
        return frame[mask].iloc[0]

    def _replications(self, counts: dict[str, int]) -> int:
        return int(self._row(counts)["replications"])

    def _straddled(self, counts: dict[str, int]) -> str:
        row = self._row(counts)
        return ", ".join(g.text for g in self.question.goals
                         if row[f"{g.kpi}_verdict"] == "close")


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{group}={n}" for group, n in counts.items())


def _cost(question: Question, counts: dict[str, int]) -> str:
    cost = question.cost(tuple(counts.values()))
    return f"{float(cost):g}"


def candidate_frame(question: Question, judged: list[Judged]) -> pd.DataFrame:
    rows = []
    for j in sorted(judged, key=lambda j: question.key(j.counts)):
        row: dict[str, object] = dict(zip(question.groups, j.counts, strict=True))
        row.update(cost=float(question.cost(j.counts)), replications=len(j.rows),
                   verdict=j.verdict, order=j.order)
        for goal in question.goals:
            bound = j.bounds[goal.kpi]
            row.update({f"{goal.kpi}_mean": bound.mean, f"{goal.kpi}_low": bound.low,
                        f"{goal.kpi}_high": bound.high, f"{goal.kpi}_verdict": bound.verdict})
        rows.append(row)
    return pd.DataFrame(rows)


def run_frame(question: Question, judged: list[Judged]) -> pd.DataFrame:
    columns = [*question.groups, "replication", *KPI_NAMES]
    rows = [{**dict(zip(question.groups, j.counts, strict=True)), **row}
            for j in sorted(judged, key=lambda j: j.counts) for row in j.rows]
    return pd.DataFrame(rows, columns=columns)


def answer_of(question: Question, best: Counts | None) -> dict[str, int] | None:
    return None if best is None else dict(zip(question.groups, best, strict=True))
