"""Progress lines (sim.analysis.progress): runs done, and a run in this process by the
simulated time it has reached, counted in the estimate of what is left."""

from __future__ import annotations

import io

from sim.analysis.executors import run_all
from sim.analysis.experiment import Outcome, jobs_for
from sim.analysis.progress import DAY, LineProgress
from sim.domain.scenario_file import parse_scenario

LONG = """\
name: long
horizon: 10d
arrivals: {per_day: 10, skills: {general: 1.0}}
agents: [{name: team, count: 1, skills: [general]}]
"""


def test_a_run_in_this_process_counts_its_simulated_part_in_the_estimate() -> None:
    stream = io.StringIO()
    progress = LineProgress("long", stream, every=0)
    progress.total(2)
    first, second = jobs_for(parse_scenario(LONG), range(2))
    progress.reached(first, 5 * DAY)
    assert progress.line(progress.started + 10) == (
        "long: 0/2 runs, 10s elapsed, replication 0 at day 5.0 of 10 (50%), about 30s left")
    assert stream.getvalue().count("\n") == 1 and "at day 5.0" in stream.getvalue()
    progress.advance(Outcome(0, 0, {}, 10.0))
    progress.reached(second, 2.5 * DAY)  # 1.25 runs in 25 s: 0.75 runs left take 15 s
    assert progress.line(progress.started + 25) == (
        "long: 1/2 runs, 25s elapsed, replication 1 at day 2.5 of 10 (25%), about 15s left")


def test_a_finished_run_leaves_only_the_count() -> None:
    stream = io.StringIO()
    progress = LineProgress("long", stream, every=3600)
    progress.total(1)
    (job,) = jobs_for(parse_scenario(LONG), [0])
    progress.reached(job, DAY)
    progress.reached(job, 2 * DAY)  # within `every` of the first line: not shown
    assert stream.getvalue().count("\n") == 1
    progress.advance(Outcome(0, 0, {}, 4.0))
    assert stream.getvalue().count("\n") == 2  # the last line is always shown
    assert progress.line(progress.started + 4) == "long: 1/1 runs, 4s elapsed"


def test_runs_in_workers_report_their_simulated_time_as_a_run_here_does() -> None:
    from sim.analysis.executors import LocalPool, Serial

    jobs = jobs_for(parse_scenario(LONG.replace("10d", "4d")), range(3))
    here: dict[int, list[float]] = {}
    there: dict[int, list[float]] = {}
    done_here = run_all(jobs, Serial(), reached=lambda j, at: here.setdefault(
        j.replication, []).append(at))
    order: list[tuple[str, int]] = []
    done_there = run_all(jobs, LocalPool(2), done=lambda o: order.append(("done", o.replication)),
                         reached=lambda j, at: (there.setdefault(j.replication, []).append(at),
                                                order.append(("at", j.replication))))
    assert here == {r: [DAY, 2 * DAY, 3 * DAY, 4 * DAY] for r in range(3)}
    assert there == here  # every day of every run, in order, from the workers
    assert [repr(o.kpis) for o in done_there] == [repr(o.kpis) for o in done_here]  # nan too
    for replication in range(3):  # a run's times all come before its outcome
        steps = [i for i, step in enumerate(order) if step[1] == replication]
        assert order[steps[-1]] == ("done", replication)


def test_several_runs_under_way_count_together_in_the_estimate() -> None:
    progress = LineProgress("long", io.StringIO(), every=3600)
    progress.total(4)
    first, second, _, _ = jobs_for(parse_scenario(LONG), range(4))
    progress.reached(first, 5 * DAY)
    progress.reached(second, 2.5 * DAY)  # 0.75 runs in 10 s: 3.25 runs left take 43 s
    assert progress.line(progress.started + 10) == (
        "long: 0/4 runs, 10s elapsed, 2 runs under way (38% through on average), "
        "about 43s left")
    progress.advance(Outcome(0, 0, {}, 10.0))
    assert progress.line(progress.started + 12).endswith(
        "replication 1 at day 2.5 of 10 (25%), about 26s left")  # 1.25 runs in 12 s
