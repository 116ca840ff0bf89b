"""Progress lines (sim.analysis.progress): runs done, and a run in this process by the
simulated time it has reached, counted in the estimate of what is left."""

from __future__ import annotations

import io

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
