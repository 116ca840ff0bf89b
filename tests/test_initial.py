"""A run that starts from a backlog (`initial.pending`): validation with file, line and
field; the tasks logged before time 0 with their ages and their TTL counted from creation;
a backlog with no arrivals draining in the time the staffing implies; nothing else drawn
differently; and `ccsim warmup` saying a warm-up may be zero."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t as student

from sim.analysis.audit import audit
from sim.analysis.context import Context
from sim.analysis.eventarrays import EventArrays
from sim.analysis.measures import Measures
from sim.analysis.metrics import measure
from sim.analysis.results import scenario_text
from sim.domain.scenario_file import parse_scenario
from sim.engine.eventlog import EventLog
from sim.engine.model import run_replication
from tests.invoke import ccsim, no_crash, refused_at


def center(agents: int, pending: str, compose: str = "6m", ttl: str = "1d",
           per_day: int = 0, horizon: str = "1d", extra: str = "") -> str:
    """Around the clock, instant accept, one agent handles one task for `compose`, no
    customer replies; `pending` is the initial.pending mapping."""
    return f"""\
name: backlog
horizon: {horizon}
replications: 3
flex: {{task_ttl: {ttl}}}
arrivals: {{per_day: {per_day}, skills: {{email: 1.0}}}}
customers: {{reply_probability: {{awaiting: 0, resolved: 0}}}}
agents:
  - name: team
    count: {agents}
    skills: [email]
    reservation: {{response_time: 0s, reject_probability: 0}}
    handling: {{compose: {compose}, resolve_probability: 1, wrapup: 0s}}
initial:
  pending: {pending}
{extra}"""


def frame(log: EventLog) -> pd.DataFrame:
    return log.to_frame()


def times_of(log: EventLog, event: str) -> dict[int, float]:
    rows = frame(log)
    rows = rows[rows["event"] == event]
    return dict(zip(rows["task"].astype(int), rows["time"], strict=True))


# validation --------------------------------------------------------------------------------

@pytest.mark.parametrize(("pending", "field", "message"), [
    ("{emial: 5}", "initial.pending.emial", "'emial' is not a skill of any agent group"),
    ("{email: -1}", "initial.pending.email", "greater than or equal to 0"),
    ("{email: five}", "initial.pending.email", "expected a number"),
    ("{email: 5, age: 1d}", "initial.pending.age", "at least flex.task_ttl (1d)"),
    ("{email: 5, age: {dist: uniform, low: 2d, high: 3d}}", "initial.pending.age",
     "canceled by the TTL"),
    ("{email: 5, age: {dist: normal, mean: 1h}}", "initial.pending.age.dist",
     "unknown distribution 'normal'"),
])
def test_a_bad_initial_state_is_reported_with_file_line_and_field(
        tmp_path: Path, pending: str, field: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(center(2, pending))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1)
                if text.startswith("  pending:"))
    refused_at(path, line, field, message)


def test_an_unknown_key_of_initial_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(center(2, "{email: 5}").replace("  pending:", "  pendng:"))
    result = ccsim("validate", path)
    assert result.exit_code == 2
    assert "initial.pendng: unknown key 'pendng'; did you mean 'pending'?" in result.output


def test_the_resolved_scenario_reads_back_equal() -> None:
    scenario = parse_scenario(center(2, "{email: 5, age: {dist: exponential, mean: 1h}}"))
    again = parse_scenario(scenario_text(scenario))
    assert again == scenario and again.initial.pending.counts == {"email": 5}


# the engine --------------------------------------------------------------------------------

def test_the_backlog_is_created_before_time_zero_and_its_ttl_counts_from_then() -> None:
    # No agent: every task is canceled by its TTL, exactly 3 h after it was created.
    scenario = parse_scenario(center(0, "{email: 25, age: {dist: uniform, low: 0s, high: 2h}}",
                                     ttl="3h"))
    log = run_replication(scenario)
    created = times_of(log, "task.created")
    canceled = times_of(log, "task.canceled")
    assert len(created) == 25 and set(canceled) == set(created)
    ages = -np.array(list(created.values()))
    assert (ages > 0).all() and (ages <= 2 * 3600).all() and len(set(ages)) == 25
    for task, at in created.items():
        assert canceled[task] == pytest.approx(at + 3 * 3600)
    assert audit(log, None).violations == []
    assert list(created.values()) == sorted(created.values())  # oldest first: time order


def test_ages_at_or_past_the_ttl_are_drawn_again() -> None:
    # Most draws (mean 2 h) pass the 1 h TTL: those are not pending tasks, so are redrawn.
    scenario = parse_scenario(center(0, "{email: 200, age: {dist: exponential, mean: 2h}}",
                                     ttl="1h"))
    created = times_of(run_replication(scenario), "task.created")
    ages = -np.array(list(created.values()))
    assert len(ages) == 200 and (ages < 3600).all()


def measured(log: EventLog, scenario_yaml: str) -> dict[str, float]:
    scenario = parse_scenario(scenario_yaml)
    return measure(Measures(EventArrays.from_log(log), Context.of(scenario)),
                   ("queued_tasks_mean", "tasks_created"))


def test_a_backlog_with_no_arrivals_drains_in_the_time_the_staffing_implies() -> None:
    # 40 tasks of 6 min each and 4 agents: 40 x 6 min of work over 4 agents is 1 h, the
    # agents taking 4 at a time. The queue holds 36, 32, ..., 0 tasks for 6 min each.
    tasks, agents, service = 40, 4, 360.0
    text = center(agents, f"{{email: {tasks}, age: 30m}}", compose="6m")
    log = run_replication(parse_scenario(text))
    completed = times_of(log, "task.completed")
    assert len(completed) == tasks
    assert max(completed.values()) == pytest.approx(tasks * service / agents)
    assert audit(log, {f"team-{i + 1}": 1 for i in range(agents)}).violations == []
    rounds = tasks // agents
    queued = sum((tasks - agents * (k + 1)) * service for k in range(rounds)) / 86400
    assert measured(log, text)["queued_tasks_mean"] == pytest.approx(queued)


def test_an_exponential_backlog_drains_in_the_expected_time() -> None:
    # N tasks, c agents, exponential service of mean m: N - c completions at rate c/m while
    # every agent is busy, then the last c finish as the largest of c exponentials,
    # E = ((N - c) / c + H_c) m. The mean over replications must hold it (99%).
    tasks, agents, mean = 30, 3, 300.0
    text = center(agents, f"{{email: {tasks}}}", compose="{dist: exponential, mean: 5m}")
    scenario = parse_scenario(text)
    drains = [max(times_of(run_replication(scenario, r), "task.completed").values())
              for r in range(40)]
    expected = ((tasks - agents) / agents + sum(1 / k for k in range(1, agents + 1))) * mean
    half = student.ppf(0.995, len(drains) - 1) * np.std(drains, ddof=1) / math.sqrt(
        len(drains))
    assert abs(np.mean(drains) - expected) < half, (np.mean(drains), expected, half)


def test_without_a_backlog_nothing_is_drawn_differently() -> None:
    # Pending counts of 0 draw nothing: the log is the one without `initial`. A backlog
    # changes no other stream: the new email arrives at the same times.
    plain = center(2, "{email: 0}", per_day=200).replace("initial:\n  pending: {email: 0}\n",
                                                         "")
    assert "initial" not in plain
    zero = center(2, "{email: 0, age: 1h}", per_day=200)
    some = center(2, "{email: 30, age: {dist: uniform, low: 0s, high: 1h}}", per_day=200)
    logs = [run_replication(parse_scenario(text), 1) for text in (plain, zero, some)]
    assert logs[0].digest() == logs[1].digest()
    arrivals = [frame(log) for log in (logs[0], logs[2])]
    created = [f[(f["event"] == "conversation.created") & (f["time"] >= 0)]["time"].tolist()
               for f in arrivals]
    assert created[0] == created[1] and len(created[0]) > 100


# ccsim warmup ------------------------------------------------------------------------------

def test_warmup_says_a_warmup_may_be_zero_with_a_backlog(tmp_path: Path) -> None:
    path = tmp_path / "backlog.yaml"
    path.write_text(center(3, "{email: 50, age: {dist: uniform, low: 0s, high: 4h}}",
                           per_day=300, horizon="2d"))
    result = ccsim("warmup", path, "--out", tmp_path / "w.png", "-r", "2", "-w", "1")
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert "starts from a backlog (initial: 50 conversations)" in result.stdout
    assert "the warm-up may be 0" in result.stdout
    plain = tmp_path / "plain.yaml"
    plain.write_text(center(3, "{email: 0}", per_day=300, horizon="2d"))
    result = ccsim("warmup", plain, "--out", tmp_path / "p.png", "-r", "2", "-w", "1")
    assert result.exit_code == 0 and "backlog (initial" not in result.stdout
