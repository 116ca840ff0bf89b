"""How many agents: the cheapest staffing meeting every target with the stated confidence
(docs/staffing.md): the search and its results folder, shared by `ccsim staff` and
`sim.staff` (sim.analysis.api)."""

from __future__ import annotations

import json
import sys
import time
from fractions import Fraction
from pathlib import Path

import pandas as pd

from sim.analysis.executors import Executor
from sim.analysis.experiment import Progress
from sim.analysis.results import (
    MANIFEST,
    SCENARIO,
    atomic_write_text,
    csv_text,
    manifest,
    run_id,
    scenario_text,
    staged_folder,
    write_json,
)
from sim.analysis.staffing_eval import Evaluator, Plan, with_counts
from sim.analysis.staffing_question import Question
from sim.analysis.staffing_result import (
    StaffingResult,
    answer_of,
    candidate_frame,
    run_frame,
)
from sim.analysis.staffing_search import Lattice, cheapest
from sim.analysis.staffing_targets import StaffingInputError, parse_goal
from sim.domain.scenario import Scenario
from sim.domain.scenario_file import load_scenario

__all__ = ["StaffingInputError", "StaffingResult", "answer", "default_folder", "largest",
           "open_staffing", "write_staffing"]

ANSWER, CANDIDATES, RUNS, FIGURE = ("answer.json", "candidates.csv", "runs.csv",
                                    "figures/staffing.png")


def default_folder(scenario: Scenario) -> Path:
    return Path("results") / "staffing" / scenario.name / run_id(scenario_text(scenario))


def largest(scenario: Scenario, question: Question) -> Scenario:
    """The most agents the search may simulate, for the memory estimate."""
    return with_counts(scenario, question.groups,
                       tuple(question.ranges[g][1] for g in question.groups))


def answer(scenario: Scenario, question: Question, executor: Executor,
           progress: Progress | None = None, step: int = 1) -> StaffingResult:
    """Search from the first guess; every staffing judged is in the result."""
    plan = Plan(question.goals, question.groups, question.replications, question.cap,
                question.confidence, step)
    evaluator = Evaluator(scenario, plan, executor, progress)
    ranges = [question.ranges[g] for g in question.groups]
    best = cheapest(ranges, question.key, Lattice(evaluator.meets), question.start())
    judged = list(evaluator.judged.values())
    resolved = None
    if best is not None:
        resolved = with_counts(scenario, question.groups, best).model_copy(
            update={"replications": len(evaluator.judged[best].rows)})
    return StaffingResult(question, answer_of(question, best), candidate_frame(question, judged),
                          run_frame(question, judged), resolved, evaluator.runs)


def write_staffing(result: StaffingResult, folder: Path, scenario: Scenario,
                   executor: Executor, wall: float) -> StaffingResult:
    """The results folder, assembled aside and renamed into place (sim.analysis.results)."""
    started = time.perf_counter()
    text = scenario_text(result.scenario or scenario)
    with staged_folder(folder) as staging:
        atomic_write_text(staging / CANDIDATES, csv_text(result.candidates))
        atomic_write_text(staging / RUNS, csv_text(result.runs))
        if result.scenario is not None:
            atomic_write_text(staging / SCENARIO, text)
        write_json(staging / ANSWER, _answer_json(result))
        (staging / FIGURE).parent.mkdir(parents=True, exist_ok=True)
        result.figure().savefig(staging / FIGURE, dpi=110, bbox_inches="tight")
        wall += time.perf_counter() - started
        write_json(staging / MANIFEST, manifest(text, scenario.seed, result.runs_made, wall, {
            "scenario": scenario.name, "command": " ".join(["ccsim", *sys.argv[1:]]),
            "executor": executor.name, "question": _question_json(result.question)}))
    return StaffingResult(result.question, result.answer, result.candidates, result.runs,
                          result.scenario, result.runs_made, folder)


def _answer_json(result: StaffingResult) -> dict[str, object]:
    q = result.question
    return {"answer": result.answer,
            "cost": None if result.answer is None else float(q.cost(tuple(
                result.answer.values()))),
            "answer_replications": None if result.scenario is None else (
                result.scenario.replications),
            "indistinguishable": result.indistinguishable, "sentences": result.sentences(),
            **_question_json(q)}


def _question_json(q: Question) -> dict[str, object]:
    return {"targets": [g.text for g in q.goals], "groups": list(q.groups),
            "ranges": {g: list(r) for g, r in q.ranges.items()},
            "costs": {g: float(c) for g, c in q.costs.items()}, "first_guess": q.guess,
            "confidence": q.confidence, "start_replications": q.replications,
            "max_replications": q.cap}


def open_staffing(folder: Path) -> StaffingResult:
    """The StaffingResult of a folder `ccsim staff` or `sim.staff` wrote."""
    saved = json.loads((folder / ANSWER).read_text())
    groups = tuple(saved["groups"])
    question = Question(
        tuple(parse_goal(text) for text in saved["targets"]), groups,
        {g: (int(a), int(b)) for g, (a, b) in saved["ranges"].items()},
        {g: Fraction(str(c)) for g, c in saved["costs"].items()}, saved["first_guess"],
        saved["start_replications"], saved["max_replications"], saved["confidence"])
    resolved = load_scenario(folder / SCENARIO) if (folder / SCENARIO).exists() else None
    runs_made = json.loads((folder / MANIFEST).read_text()).get("replications", 0)
    return StaffingResult(question, saved["answer"], pd.read_csv(folder / CANDIDATES),
                          pd.read_csv(folder / RUNS), resolved, int(runs_made), folder)
