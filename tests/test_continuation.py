"""Continuing a run from the state an earlier one ended in (`ccsim run --from`).

Scripted: with deterministic durations, a run cut at H and continued is the same as one
long run, row for row, after H (the exact event trace), and its log passes the audit.
Statistical: with random durations, the continued run's KPIs agree with the second half of
one long run within intervals. CLI: the end state is written, read back, and refused with
a clear message where it does not fit the scenario.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ttest_ind

from sim.analysis.audit import audit
from sim.analysis.catalogue import KPI_NAMES
from sim.analysis.context import Context
from sim.analysis.continuation import (
    END_STATE,
    carry,
    continued,
    end_state_text,
    read_end_states,
)
from sim.analysis.eventarrays import EventArrays
from sim.analysis.measures import Measures
from sim.analysis.metrics import measure
from sim.domain.carried import EndState
from sim.domain.scenario import Scenario
from sim.domain.scenario_file import load_scenario
from sim.engine.model import Replication
from tests.invoke import ccsim
from tests.scripted import group, scenario

HOUR = 3600.0
COLUMNS = ["time", "event", "task", "conversation", "agent", "skill", "priority", "reason"]
WEEKDAYS = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "18:00"}


def values(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    """Rows as plain tuples, None for missing, so that two logs compare exactly."""
    columns = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in COLUMNS]
    return list(zip(*columns, strict=True))


def cut(make: Any, sends: list[float], cut_at: float, total: str, half: str
        ) -> tuple[pd.DataFrame, Replication, Replication]:
    """One long run, and the same emails as a run to `cut_at` continued for the rest."""
    whole = Replication(make(total), remember=True)
    first = Replication(make(half), remember=True)
    for at in sends:
        whole.send_new(at, "email")
        if at < cut_at:
            first.send_new(at, "email")
    long_frame = whole.run().to_frame()
    log = first.run()
    later = continued(make(half), first.end_state())
    second = Replication(later, remember=True, carried=carry(log, first.end_state(), later))
    for at in sends:
        if at >= cut_at:
            second.send_new(at - cut_at, "email")
    second.run()
    return long_frame, first, second


def assert_same_after_cut(make: Any, sends: list[float], cut_at: float, total: str,
                          half: str, capacity: dict[str, int]) -> EndState:
    long_frame, first, second = cut(make, sends, cut_at, total, half)
    frame = second.log.to_frame()
    after = long_frame[long_frame["time"] >= cut_at].assign(
        time=lambda f: f["time"] - cut_at)
    assert len(after) > 50, "the scenario should have something to do after the cut"
    assert values(frame[frame["time"] >= 0]) == values(after)
    before = set(values(long_frame[long_frame["time"] < cut_at].assign(
        time=lambda f: f["time"] - cut_at)))
    history = values(frame[frame["time"] < 0])
    assert history and set(history) <= before, "the history is rows the long run wrote"
    result = audit(second.log, capacity)
    assert result.ok, result.violations
    return first.end_state()


def research_and_leave(horizon: str) -> Scenario:
    """Two agents on weekday shifts, capacity 2: research under Pause, replies awaited,
    Leave after every reply, customers answering 40 min later."""
    return scenario(
        horizon=horizon,
        flex={"pause": {"enabled": True, "expiry": "1d"},
              "leave": {"enabled": True, "window": "6h"}},
        customers={"reply_probability": {"awaiting": 1, "resolved": 0}, "reply_delay": "40m"},
        agents=[group(name="a", count=2, capacity=2, shift=WEEKDAYS, handling={
            "compose": "7m", "resolve_probability": 0, "leave_probability": 1,
            "research": {"probability": 1, "duration": "11m"}})])


def test_a_cut_mid_shift_with_work_in_hand_replies_and_windows_on_their_way() -> None:
    cut_at = 36 * HOUR  # Tuesday noon: on duty, composing, paused, windows open
    sends = ([1000 + 700 * i for i in range(30)] + [cut_at - 3000 + 97 * i for i in range(40)]
             + [cut_at + 5000 + 300 * i for i in range(20)])
    state = assert_same_after_cut(research_and_leave, sends, cut_at, "3d", "36h",
                                  {"a-1": 2, "a-2": 2})
    assert all(agent.doing is not None for agent in state.agents)
    assert state.replies and any(c.window_in for c in state.conversations)
    assert {t.status for t in state.tasks} >= {"pending", "paused"}


def offers_and_timeouts(horizon: str) -> Scenario:
    """Agents answer offers after 90 s, one in three too late for the 2 min timeout;
    tasks live 3 h, so some are canceled while queued; customers do not reply."""
    return scenario(
        horizon=horizon, flex={"reservation_timeout": "2m", "timeout_recovery": "5m",
                               "task_ttl": "3h"},
        agents=[group(name="a", count=1, capacity=1, handling={"compose": "20m"}),
                group(name="b", count=1, capacity=1,
                      reservation={"response_time": "150s", "reject_probability": 0},
                      handling={"compose": "20m"})])


def test_a_cut_with_offers_pending_recovery_running_and_ttls_falling_due() -> None:
    cut_at = 10 * HOUR + 60
    # after the cut, off the first half's beat: a new email due together with a carried
    # timer may come before it or after (both are legal orders of one instant)
    sends = [600.0 * i + 13 for i in range(61)] + [cut_at + 600.0 * i + 29 for i in range(30)]
    state = assert_same_after_cut(offers_and_timeouts, sends, cut_at, "1d", "36060s",
                                  {"a-1": 1, "b-1": 1})
    assert {t.status for t in state.tasks} >= {"pending", "assigned"}
    assert any(t.declined_by for t in state.tasks)


def test_a_cut_at_a_shift_end_ends_the_shift_first_in_the_continued_run() -> None:
    cut_at = 18 * HOUR  # Monday 18:00: the shift end is due exactly at the cut
    sends = [8 * HOUR + 400.0 * i for i in range(40)] + [cut_at + 15 * HOUR + 700]
    state = assert_same_after_cut(research_and_leave, sends, cut_at, "36h", "18h",
                                  {"a-1": 2, "a-2": 2})
    assert {a.activity for a in state.agents} == {"available"}


def test_the_end_state_reads_back_as_it_was_written(tmp_path: Path) -> None:
    rep = Replication(research_and_leave("36h"), remember=True)
    for i in range(60):
        rep.send_new(30 * HOUR + 301.0 * i, "email")
    rep.run()
    state = rep.end_state()
    (tmp_path / END_STATE).write_text(end_state_text([state]))
    assert read_end_states(tmp_path) == [state]


# the statistics ---------------------------------------------------------------------------

def halves(name: str, days: float, carried: bool) -> tuple[list[dict[str, float]],
                                                        list[dict[str, float]]]:
    """KPIs of 10 replications of a 2 x `days` run measured from `days` on, and of 10 of a
    `days` run continued for `days` more (from its end state, or from empty)."""
    base = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / name)
    span = days * 86_400.0
    long = base.model_copy(update={"horizon": 2 * span, "warmup": span})
    half = base.model_copy(update={"horizon": span, "warmup": 0.0})
    whole, parts = [], []
    for r in range(10):
        whole.append(measure(Measures(EventArrays.from_log(
            Replication(long, r).run()), Context.of(long)), KPI_NAMES))
        first = Replication(half, r)
        log = first.run()
        later = continued(half, first.end_state())
        second = Replication(later, r, carried=carry(log, first.end_state(), later)
                             if carried else None)
        second.run()
        assert audit(second.log, None).ok
        parts.append(measure(Measures(EventArrays.from_log(second.log), Context.of(later)),
                             KPI_NAMES))
    return whole, parts


def p_values(whole: list[dict[str, float]], parts: list[dict[str, float]]
             ) -> dict[str, float]:
    """Welch's test of each KPI that is defined and varies."""
    found = {}
    for kpi in KPI_NAMES:
        a, b = [w[kpi] for w in whole], [p[kpi] for p in parts]
        if np.all(np.isfinite(a + b)) and np.ptp(a + b) > 0:
            found[kpi] = float(ttest_ind(a, b, equal_var=False).pvalue)
    return found


@pytest.mark.parametrize("name", ["understaffed_weekends.yaml", "leave_enabled.yaml"])
def test_a_continued_run_measures_what_the_second_half_of_one_long_run_does(name: str
                                                                            ) -> None:
    """Every KPI of the continued runs against the second half of the long ones, Welch's
    test at a family-wise 1% (Bonferroni over the KPIs); every continued log passes the
    audit. The same runs continued from empty instead are told apart: these scenarios
    keep a backlog from one day to the next, so the state carried matters."""
    found = p_values(*halves(name, 3, carried=True))
    assert {"service_level", "first_response_time_p90", "slot_occupancy",
            "queued_tasks_mean", "unanswered_conversations_mean"} <= set(found)
    assert min(found.values()) > 0.01 / len(found), found
    empty = p_values(*halves(name, 3, carried=False))
    assert min(empty.values()) < 0.01 / len(empty), empty


# the command ------------------------------------------------------------------------------

SMALL = """\
name: small
start: 2026-01-05T00:00
horizon: 2d
warmup: 0s
replications: 2
arrivals: {per_day: 400, skills: {email: 1.0}}
agents:
  - {name: team, count: COUNT, capacity: 2, skills: [email],
     shift: {days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00"}}
"""


def small(tmp_path: Path, count: int = 3) -> Path:
    path = tmp_path / f"small{count}.yaml"
    path.write_text(SMALL.replace("COUNT", str(count)))
    return path


def test_ccsim_run_from_a_folder_continues_each_replication(tmp_path: Path) -> None:
    first, second, third = tmp_path / "first", tmp_path / "second", tmp_path / "third"
    assert ccsim("run", str(small(tmp_path)), "--out", str(first), "-q").exit_code == 0
    assert len(read_end_states(first)) == 2
    result = ccsim("run", str(small(tmp_path)), "--out", str(second), "--from", str(first),
                   "-q")
    assert result.exit_code == 0, result.output
    assert "continuing from" in result.output and "2026-01-07 00:00" in result.output
    assert load_scenario(second / "scenario.yaml").start.isoformat() == "2026-01-07T00:00:00"
    manifest = json.loads((second / "manifest.json").read_text())
    assert manifest["continued_from"] == str(first)
    states = read_end_states(second)
    assert [s.segment for s in states] == [1, 1] and states[0].ended_at == "2026-01-09T00:00:00"
    result = ccsim("run", str(small(tmp_path)), "--out", str(third), "--from", str(second),
                   "-q", "-r", "1")
    assert result.exit_code == 0, result.output
    events = pd.read_parquet(third / "events.parquet")
    assert set(events["replication"]) == {0}
    assert audit(events.drop(columns="replication"), None).ok


def test_continued_runs_draw_new_email_of_their_own(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert ccsim("run", str(small(tmp_path)), "--out", str(first), "-q").exit_code == 0
    assert ccsim("run", str(small(tmp_path)), "--out", str(second), "--from",
                 str(first), "-q").exit_code == 0

    def arrivals(folder: Path) -> np.ndarray:
        events = pd.read_parquet(folder / "events.parquet")
        chosen = events[(events["event"] == "conversation.created") & (events["time"] >= 0)
                        & (events["reason"] == "new") & (events["replication"] == 0)]
        return chosen["time"].to_numpy()

    a, b = arrivals(first), arrivals(second)
    assert len(a) > 100 and len(b) > 100
    assert not np.array_equal(a[:50], b[:50])


@pytest.mark.parametrize(("args", "message"), [
    (["-r", "5"], "has the end states of 2 replications, but the run asks for 5"),
    (["--set", "initial.pending.email=3"], "initial and --from both"),
])
def test_run_from_refuses_what_does_not_fit(tmp_path: Path, args: list[str],
                                            message: str) -> None:
    first = tmp_path / "first"
    assert ccsim("run", str(small(tmp_path)), "--out", str(first), "-q").exit_code == 0
    result = ccsim("run", str(small(tmp_path)), "--out", str(tmp_path / "x"), "--from",
                   str(first), "-q", *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "x").exists()


def test_run_from_refuses_a_scenario_without_the_agents_that_hold_work(tmp_path: Path
                                                                       ) -> None:
    first = tmp_path / "first"
    busy = SMALL.replace("per_day: 400", "per_day: 3000").replace("horizon: 2d",
                                                                  "horizon: 12h")
    path = tmp_path / "busy.yaml"
    path.write_text(busy.replace("COUNT", "3"))
    assert ccsim("run", str(path), "--out", str(first), "-q").exit_code == 0
    fewer = tmp_path / "fewer.yaml"
    fewer.write_text(busy.replace("COUNT", "1"))
    result = ccsim("run", str(fewer), "--out", str(tmp_path / "x"), "--from", str(first),
                   "-q")
    assert result.exit_code == 2, result.output
    assert "--from agents team-2, team-3 are in the state carried from" in result.output


@pytest.mark.parametrize("damage", ["missing", "garbled", "no-events"])
def test_run_from_a_folder_it_cannot_read_names_what_is_wrong(tmp_path: Path,
                                                              damage: str) -> None:
    first = tmp_path / "first"
    extra = ["--no-events"] if damage == "no-events" else []
    assert ccsim("run", str(small(tmp_path)), "--out", str(first), "-q",
                 *extra).exit_code == 0
    expected = {"missing": f"no {END_STATE}", "garbled": "not a readable end state",
                "no-events": "no events.parquet"}[damage]
    if damage == "missing":
        (first / END_STATE).unlink()
    if damage == "garbled":
        (first / END_STATE).write_text('{"format": 1, "replications": [{"at": "x"}]}')
    result = ccsim("run", str(small(tmp_path)), "--out", str(tmp_path / "x"), "--from",
                   str(first), "-q")
    assert result.exit_code == 2 and expected in result.output, result.output


def test_sim_run_starts_from_a_folder_or_says_why_not(tmp_path: Path) -> None:
    import sim

    first = sim.run(small(tmp_path), out=tmp_path / "first", figures=False)
    second = sim.run(small(tmp_path), out=tmp_path / "second", figures=False,
                     start_from=first.folder, overrides=["horizon=1d"])
    assert len(second.kpis) == 2
    assert load_scenario(second.folder / "scenario.yaml").start.isoformat() == (
        "2026-01-07T00:00:00")
    with pytest.raises(sim.Refused, match=r"no end_state\.json"):
        sim.run(small(tmp_path), out=tmp_path / "third", start_from=tmp_path)


def test_compare_from_a_folder_pairs_the_scenarios_from_the_same_state(tmp_path: Path
                                                                         ) -> None:
    """Each scenario of the comparison is the run `ccsim run --from` makes of it: the same
    KPIs, replication by replication, so the paired differences start from one state."""
    first, more = tmp_path / "first", tmp_path / "more.yaml"
    assert ccsim("run", str(small(tmp_path)), "--out", str(first), "-q").exit_code == 0
    more.write_text(SMALL.replace("COUNT", "4").replace("name: small", "name: more"))
    compared = tmp_path / "compared"
    result = ccsim("compare", str(small(tmp_path)), str(more), "--from", str(first),
                   "--out", str(compared), "-q", "-r", "2")
    assert result.exit_code == 0, result.output
    alone = tmp_path / "alone"
    assert ccsim("run", str(more), "--from", str(first), "--out", str(alone),
                 "-q").exit_code == 0
    table = pd.read_csv(compared / "sweep.csv")
    ours = table[table["scenario"] == "more"].sort_values("replication")
    theirs = pd.read_csv(alone / "kpis.csv").sort_values("replication")
    for kpi in ("service_level", "tasks_created", "queued_tasks_mean"):
        assert ours[kpi].tolist() == theirs[kpi].tolist(), kpi
    manifest = json.loads((compared / "manifest.json").read_text())
    assert manifest["continued_from"] == str(first)
    again = ccsim("compare", str(small(tmp_path)), str(more), "--from", str(first),
                  "--out", str(compared), "-q", "-r", "2")
    assert again.exit_code == 0, again.output
    assert pd.read_csv(compared / "sweep.csv").equals(table)  # resumed: nothing ran twice


def test_sweep_and_compare_from_refuse_what_does_not_fit(tmp_path: Path) -> None:
    first = tmp_path / "first"
    assert ccsim("run", str(small(tmp_path)), "--out", str(first), "-q").exit_code == 0
    fewer = tmp_path / "fewer.yaml"
    fewer.write_text(SMALL.replace("COUNT", "1").replace("name: small", "name: fewer"))
    result = ccsim("compare", str(small(tmp_path)), str(fewer), "--from", str(first),
                   "--out", str(tmp_path / "x"), "-q", "-r", "5")
    assert result.exit_code == 2, result.output
    assert "--from" in result.output and "asks for 5" in result.output
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"base: {small(tmp_path).name}\nreplications: 2\n"
                     "grid: {agents.team.count: [3, 4]}\n")
    result = ccsim("sweep", str(sweep), "--from", str(first), "--out", str(tmp_path / "s"),
                   "-q")
    assert result.exit_code == 0, result.output
    points = sorted((tmp_path / "s" / "points").iterdir())
    assert all(load_scenario(p / "scenario.yaml").start.isoformat() == "2026-01-07T00:00:00"
               for p in points)


def test_a_comparison_continued_from_other_states_is_not_resumed_into(tmp_path: Path
                                                                      ) -> None:
    """Two folders ending at the same moment (other seeds): the comparison's folder knows
    which end states it started from."""
    first, other, compared = tmp_path / "first", tmp_path / "other", tmp_path / "compared"
    assert ccsim("run", str(small(tmp_path)), "--out", str(first), "-q").exit_code == 0
    assert ccsim("run", str(small(tmp_path)), "--out", str(other), "-q",
                 "--seed", "99").exit_code == 0
    more = tmp_path / "more.yaml"
    more.write_text(SMALL.replace("COUNT", "4").replace("name: small", "name: more"))
    args = [str(small(tmp_path)), str(more), "--out", str(compared), "-q"]
    assert ccsim("compare", *args, "--from", str(first)).exit_code == 0
    result = ccsim("compare", *args, "--from", str(other))
    assert result.exit_code == 2 and "holds results of a different sweep" in result.output


def test_a_continued_run_says_where_from_and_its_resolved_file_runs_the_same(tmp_path: Path
                                                                             ) -> None:
    first, second, again = tmp_path / "first", tmp_path / "second", tmp_path / "again"
    assert ccsim("run", str(small(tmp_path)), "--out", str(first), "-q").exit_code == 0
    assert ccsim("run", str(small(tmp_path)), "--out", str(second), "--from", str(first),
                 "-q").exit_code == 0
    resolved = load_scenario(second / "scenario.yaml")
    assert resolved.initial.start_from == str(first.resolve())
    result = ccsim("run", str(second / "scenario.yaml"), "--out", str(again), "-q")
    assert result.exit_code == 0, result.output
    assert (again / "kpis.csv").read_text() == (second / "kpis.csv").read_text()


def test_initial_from_in_a_file_is_read_from_the_files_folder(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert ccsim("run", str(small(tmp_path)), "--out", str(first), "-q").exit_code == 0
    (tmp_path / "sub").mkdir()
    going_on = tmp_path / "sub" / "going_on.yaml"
    going_on.write_text(SMALL.replace("COUNT", "3").replace("replications: 2",
                                                            "replications: 1")
                        + "initial: {from: ../first}\n")
    result = ccsim("run", str(going_on), "--out", str(second), "-q")
    assert result.exit_code == 0, result.output
    assert "continuing from" in result.output and len(pd.read_csv(second / "kpis.csv")) == 1
    other = tmp_path / "other"
    clash = ccsim("run", str(going_on), "--out", str(other), "--from", str(tmp_path), "-q")
    assert clash.exit_code == 2 and "but initial.from says" in clash.output


def test_commands_that_start_empty_refuse_initial_from(tmp_path: Path) -> None:
    path = tmp_path / "going_on.yaml"
    path.write_text(SMALL.replace("COUNT", "3") + "initial: {from: somewhere}\n")
    result = ccsim("warmup", str(path), "--out", str(tmp_path / "w.png"))
    assert result.exit_code == 2
    assert "initial.from: this command starts from time 0" in result.output
    both = tmp_path / "both.yaml"
    both.write_text(SMALL.replace("COUNT", "3")
                    + "initial: {from: somewhere, pending: {email: 3}}\n")
    result = ccsim("validate", str(both))
    assert result.exit_code == 2
    assert "initial.from: from and pending both give the state at time 0" in result.output
