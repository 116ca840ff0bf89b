"""Same scenario and seed: identical logs. Streams named by purpose: one setting changed does
not shift the draws of unrelated purposes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.executors import LocalPool, Serial, run_all
from sim.analysis.experiment import jobs_for
from sim.domain.demand import arrival_parts
from sim.domain.scenario import Scenario
from sim.domain.scenario_file import load_scenario
from sim.domain.streams import Streams
from sim.engine.model import Replication, run_replication
from tests.scripted import merge

ROOT = Path(__file__).resolve().parent.parent
DAY = 86_400.0

BUSY: dict = {
    "name": "busy",
    "horizon": "5d",
    "flex": {"pause": {"enabled": True, "expiry": "1d"}, "leave": {"enabled": True}},
    "arrivals": {"per_day": 400, "skills": {"billing": 0.7, "tech": 0.3},
                 "priorities": {0: 0.8, 2: 0.2}},
    "customers": {"reply_probability": {"awaiting": 0.8, "resolved": 0.2}},
    "agents": [{
        "name": "team", "count": 6, "capacity": 3, "skills": ["billing", "tech"],
        "shift": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00",
                  "end": "18:00"},
        "absence": {"probability_per_day": 0.1},
        "reservation": {"reject_probability": 0.1},
        "handling": {"research": {"probability": 0.3,
                                  "duration": {"dist": "exponential", "mean": "20h"}}},
    }],
}


def frame(changes: dict | None = None, replication: int = 0) -> pd.DataFrame:
    scenario = Scenario.model_validate(merge(BUSY, changes or {}))
    return run_replication(scenario, replication).to_frame()


def arrivals(log: pd.DataFrame) -> pd.Series:
    created = log[(log["event"] == "conversation.created") & (log["reason"] == "new")]
    return created["time"].reset_index(drop=True)


def test_same_scenario_and_seed_give_identical_logs() -> None:
    first, second = frame(), frame()
    assert len(first) > 5000
    pd.testing.assert_frame_equal(first, second)


def test_replications_differ() -> None:
    assert not frame().equals(frame(replication=1))


def test_changing_pause_expiry_does_not_shift_arrivals() -> None:
    base, changed = frame(), frame({"flex": {"pause": {"expiry": "3d"}}})
    assert not base.equals(changed)  # the change does matter to the run...
    pd.testing.assert_series_equal(arrivals(base), arrivals(changed))  # ...not to arrivals


def test_changing_staffing_does_not_shift_arrivals() -> None:
    more = frame({"agents": [merge(BUSY["agents"][0], {"count": 9})]})
    pd.testing.assert_series_equal(arrivals(frame()), arrivals(more))


def test_a_purpose_gets_one_stream_only() -> None:
    streams = Streams(1, 0)
    streams.generator("arrivals.time")
    with pytest.raises(ValueError, match="already handed out"):
        streams.generator("arrivals.time")


def test_streams_depend_on_seed_replication_and_purpose() -> None:
    def draw(seed: int, replication: int, purpose: str) -> float:
        return float(Streams(seed, replication).generator(purpose).random())

    reference = draw(1, 0, "a")
    assert draw(1, 0, "a") == reference
    assert len({reference, draw(2, 0, "a"), draw(1, 1, "a"), draw(1, 0, "b")}) == 4


def test_serial_and_process_pool_give_identical_logs_and_kpis() -> None:
    scenario = Scenario.model_validate(merge(BUSY, {"horizon": "3d"}))
    jobs = jobs_for(scenario, range(3))
    serial, pooled = run_all(jobs, Serial()), run_all(jobs, LocalPool(2))
    pd.testing.assert_frame_equal(pd.DataFrame([o.kpis for o in serial]),
                                  pd.DataFrame([o.kpis for o in pooled]))
    assert [o.log.digest() for o in serial if o.log] == [o.log.digest() for o in pooled if o.log]
    assert len({o.log.digest() for o in serial if o.log}) == 3  # replications differ


def test_the_compiled_engine_and_its_python_sources_give_identical_logs(tmp_path: Path) -> None:
    """setup.py may compile the engine with mypyc; the pure-Python fallback (or this very
    process, when nothing is compiled) must write byte-identical event logs."""
    script = tmp_path / "digests.py"
    script.write_text(
        "import sys, sim\n"
        "from sim.domain.scenario_file import load_scenario\n"
        "from sim.engine.model import run_replication\n"
        "print(sim.NATIVE)\n"
        "for path in sys.argv[1:]:\n"
        "    scenario = load_scenario(path, ['horizon=5d', 'warmup=1d'])\n"
        "    print(run_replication(scenario, 1).digest())\n")
    paths = [str(ROOT / "scenarios" / name) for name in (
        "baseline.yaml", "pause_enabled.yaml", "leave_enabled.yaml", "multi_skill.yaml")]
    runs = {}
    for pure in ("", "1"):
        environment = {**os.environ, "CCSIM_PURE_PYTHON": pure}
        if not pure:
            environment.pop("CCSIM_PURE_PYTHON")
        done = subprocess.run([sys.executable, str(script), *paths], env=environment,
                              capture_output=True, text=True, timeout=600, check=True)
        runs[pure] = done.stdout.split()
    assert runs["1"][0] == "False"  # the fallback really ran the sources
    assert runs[""][1:] == runs["1"][1:]


def plan(horizon: float, hours: int, minute: int = 30) -> dict[str, np.ndarray]:
    import datetime as dt

    scenario = Scenario.model_validate(BUSY)
    streams = Streams(3, 0)
    generators = [streams.generator(p) for p in ("count", "offset", "mix", "priority")]
    parts = list(arrival_parts(scenario.arrivals, dt.datetime(2026, 1, 5, 6, minute), horizon,
                               *generators, hours=hours))
    return {name: np.concatenate([getattr(part, name) for part in parts])
            for name in ("times", "skills", "priorities")}


def test_arrivals_sampled_a_few_days_at_a_time_are_the_whole_plan() -> None:
    whole = plan(20 * 86400.0, hours=10_000)
    assert len(whole["times"]) > 5000
    for hours in (1, 7, 24 * 7):
        for name, values in plan(20 * 86400.0, hours).items():
            np.testing.assert_array_equal(values, whole[name])


def test_a_longer_horizon_keeps_the_earlier_arrivals() -> None:
    # whole hours: a horizon ending mid-hour samples that hour's count for its part only
    short, long = plan(3 * 86400.0, 24, minute=0), plan(9 * 86400.0, 24, minute=0)
    count = len(short["times"])
    for name in short:
        np.testing.assert_array_equal(long[name][:count], short[name])


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")),
                         ids=lambda path: path.stem)
def test_a_run_that_reports_progress_logs_the_same_events(path: Path) -> None:
    scenario = load_scenario(path, ["horizon=4d", "warmup=1d"])
    plain = Replication(scenario, 1).run()
    reached: list[float] = []
    chunked = Replication(scenario, 1).run(progress=reached.append)
    assert chunked.digest() == plain.digest()
    assert reached == [DAY * d for d in (1, 2, 3, 4)]


def test_progress_reaches_a_horizon_that_is_not_whole_days() -> None:
    scenario = Scenario.model_validate(merge(BUSY, {"horizon": "100h"}))
    reached: list[float] = []
    chunked = Replication(scenario, 0).run(progress=reached.append)
    assert chunked.digest() == Replication(scenario, 0).run().digest()
    assert reached == [DAY, 2 * DAY, 3 * DAY, 4 * DAY, 100 * 3600]
