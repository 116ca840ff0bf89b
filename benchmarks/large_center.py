"""Benchmark: the large center (benchmarks/large_center.yaml) as `ccsim run -r 1 -w 1` runs it.

One replication of 90 days, 500 agents in six groups over four skills, 20,000 new emails a
day, Pause and Leave on. Each step of the run is timed in-process, in the order `ccsim run`
does them (sim.analysis.experiment.run_job, then sim.analysis.runner.run_scenario): the
simulation, the KPIs (overall, per skill, per group), the figures' data, the event log's
Parquet file, the per-skill and per-group tables, and the figures. The reference is the
M/M/c-equivalent scenario (benchmarks/mmc.yaml, about 200,000 tasks) in the same script:
the large center's simulation time per task is reported as a ratio to its. Each run is a
fresh child process, so that its peak memory (getrusage) is its own; the rounds are
interleaved and the figures are medians.

    python benchmarks/large_center.py              # 3 rounds
    python benchmarks/large_center.py --rounds 1
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = {"large": HERE / "large_center.yaml", "mmc": HERE / "mmc.yaml"}
STEPS = ("simulation", "kpis", "end state", "figure data", "events parquet", "tables",
         "figures")


def one_run(which: str) -> dict[str, float]:
    """Every step of one replication, as `ccsim run -r 1 -w 1` does them; seconds each."""
    from sim.__main__ import tune

    tune()  # the process as the `ccsim` command sets it up, before numpy is imported
    import numpy as np

    from sim.analysis.catalogue import KPI_NAMES
    from sim.analysis.context import Context
    from sim.analysis.continuation import end_state_text
    from sim.analysis.eventarrays import EventArrays
    from sim.analysis.experiment import Outcome
    from sim.analysis.figuredata import FigureData, FigurePart
    from sim.analysis.measures import Measures
    from sim.analysis.metrics import kpis_by_group, kpis_by_skill, measure
    from sim.analysis.results import EventsWriter, csv_text
    from sim.analysis.views import views
    from sim.domain.lifecycle import Event
    from sim.domain.scenario_file import load_scenario
    from sim.engine.eventlog import EVENT_CODE
    from sim.engine.model import Replication

    scenario = load_scenario(SCENARIOS[which])
    context = Context.of(scenario)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[step] = now - clock
        clock = now

    replication = Replication(scenario, 0)
    log = replication.run()
    lap("simulation")
    m = Measures(EventArrays.from_log(log), context)
    values = measure(m, KPI_NAMES)
    outcome = Outcome(0, 0, values, 0.0, None, kpis_by_skill(m), kpis_by_group(m))
    lap("kpis")
    end_state_text([replication.end_state()])  # end_state.json, for `ccsim run --from`
    del replication
    lap("end state")
    data = FigureData(context, scenario.flex.pause.expiry, scenario.flex.leave.window,
                      scenario.name, scenario.flex.pause.enabled, scenario.flex.leave.enabled)
    data.add(FigurePart.of(m))
    del m
    lap("figure data")
    with tempfile.TemporaryDirectory() as folder:
        writer = EventsWriter(Path(folder) / "events.parquet", [(0, 0)])
        writer.add(0, log)
        writer.close()
        tasks = int(np.count_nonzero(log.columns().event == EVENT_CODE[Event.TASK_CREATED]))
        del log, writer
        lap("events parquet")
        for view in views([outcome]):
            csv_text(view.kpis), csv_text(view.summary)
        lap("tables")
        from sim.analysis.plots import draw

        draw(data, Path(folder) / "figures")
        lap("figures")
    seconds["tasks"] = tasks
    seconds["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return seconds


def child(which: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--child", which], check=True,
                          capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=sorted(SCENARIOS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.child)))
        return
    runs: dict[str, list[dict[str, float]]] = {"mmc": [], "large": []}
    for _ in range(args.rounds):
        for which in runs:
            runs[which].append(child(which))

    def median(which: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[which])

    def per_task(which: str) -> float:
        return statistics.median(run["simulation"] / run["tasks"] * 1e6 for run in runs[which])

    def post_share(run: dict[str, float]) -> float:
        return sum(run[step] for step in STEPS[1:]) / sum(run[step] for step in STEPS)

    print(f"{args.rounds} rounds (medians), each run a fresh process")
    for which in ("large", "mmc"):
        total = statistics.median(sum(run[step] for step in STEPS) for run in runs[which])
        print(f"{which}: {median(which, 'tasks'):,.0f} tasks, {total:.1f} s in all, "
              f"peak memory {median(which, 'peak_mb'):,.0f} MB")
        for step in STEPS:
            print(f"  {step:15s} {median(which, step):7.2f} s")
        print(f"  simulation {per_task(which):.2f} us per task; post-run work "
              f"{statistics.median(post_share(run) for run in runs[which]):.0%} of the whole")
    print(f"large center per task / M/M/c per task: {per_task('large') / per_task('mmc'):.2f}")


if __name__ == "__main__":
    main()
