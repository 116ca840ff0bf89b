"""`ccsim sweep`: sweep files, outputs, common random numbers, executors, resuming after a
kill or Ctrl-C, folder checks, and precision goals (for `ccsim run` too).

Every sweep here runs a tiny base scenario written into tmp_path; most run in process with
click's CliRunner, the kill and Ctrl-C tests as real `python -m sim` processes.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import Result

from sim.analysis.catalogue import KPI_NAMES
from sim.analysis.stats import Target, replications_for
from sim.domain.durations import parse_duration
from sim.domain.scenario_file import load_scenario
from sim.domain.sweep_file import load_sweep
from tests import processes
from tests.invoke import ccsim, no_crash

ROOT = Path(__file__).resolve().parent.parent

BASE = """\
name: tiny_base
seed: 7
horizon: 2d
warmup: 6h
replications: 2
flex:
  reservation_timeout: 45s
arrivals:
  per_day: 80
  skills: {general: 1.0}
agents:
  - name: general
    count: 3
    capacity: 2
    skills: [general]
    reservation:
      response_time: {dist: gamma, mean: 40s, cv: 0.6}
kpis:
  service_level_threshold: 10m
"""

SWEEP = """\
name: demo
base: base.yaml
replications: 3
grid:
  flex.reservation_timeout: [30s, 45s]
  agents.general.count: [2, 3]
kpis: [service_level, reservation_timeout_rate]
"""
TIMEOUTS = ["30s", "45s"]
COUNTS = [2, 3]
KEYS = ("flex.reservation_timeout", "agents.general.count")
BASE_POINT = 3  # 45s and 3 agents: the base scenario's own settings
REPLICATIONS = 3

# Small and quick: two points, one replication.
SMALL = """\
name: small
base: base.yaml
replications: 1
grid:
  agents.general.count: [2, 3]
"""

# Big enough to take a few seconds serially: 4 points x 4 replications of 3 days.
HEAVY_BASE = """\
name: heavy_base
seed: 11
horizon: 3d
warmup: 6h
replications: 4
flex:
  reservation_timeout: 45s
arrivals:
  per_day: 300
  skills: {general: 1.0}
agents:
  - name: general
    count: 6
    capacity: 2
    skills: [general]
    reservation:
      response_time: {dist: gamma, mean: 40s, cv: 0.6}
"""
HEAVY = """\
name: heavy
base: base.yaml
replications: 4
grid:
  agents.general.count: [5, 6]
  flex.reservation_timeout: [30s, 45s]
kpis: [service_level]
"""
HEAVY_RUNS = 16
QUICK = ("-w", "1", "-q", "--no-events", "--no-figures")




def make(folder: Path, sweep: str = SWEEP, base: str = BASE, name: str = "sweep.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text(base, encoding="utf-8")
    path = folder / name
    path.write_text(sweep, encoding="utf-8")
    return path


def run_files(out: Path) -> list[Path]:
    try:
        return sorted((out / "runs").glob("point=*/replication=*.json"))
    except OSError:  # a folder appearing while it is listed
        return []


def pairs(out: Path) -> list[tuple[int, int]]:
    found = []
    for path in run_files(out):
        record = json.loads(path.read_text())
        assert path.parent.name == f"point={record['point']}"
        assert path.name == f"replication={record['replication']}.json"
        found.append((record["point"], record["replication"]))
    return sorted(found)


def read_events(out: Path) -> pd.DataFrame:
    """Every run's event log, with its point (read file by file)."""
    frames = []
    for file in sorted((out / "events").glob("point=*/replication=*/part-0.parquet")):
        point = int(file.parent.parent.name.removeprefix("point="))
        replication = int(file.parent.name.removeprefix("replication="))
        frame = pq.read_table(file).to_pandas()
        assert len(frame) and "replication" not in frame, file  # the folder says it
        frames.append(frame.assign(point=point, replication=replication))
    return pd.concat(frames, ignore_index=True)


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


@dataclass(frozen=True)
class Done:
    path: Path
    out: Path
    result: Result


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Done:
    """The demo sweep, run once serially with events and figures."""
    folder = tmp_path_factory.mktemp("demo")
    path = make(folder)
    out = folder / "out"
    result = ccsim("sweep", path, "--out", out, "-w", "1")
    no_crash(result)
    assert result.exit_code == 0, result.output
    return Done(path, out, result)


# 1. sweep files ----------------------------------------------------------------------------

def test_grid_expands_to_the_product_of_values(demo: Done) -> None:
    points = pd.read_csv(demo.out / "points.csv")
    expected = [{"point": i, KEYS[0]: t, KEYS[1]: c}
                for i, (t, c) in enumerate(itertools.product(TIMEOUTS, COUNTS))]
    assert points.to_dict("records") == expected
    assert manifest(demo.out)["points"] == 4


def test_each_point_scenario_is_the_base_with_its_settings(demo: Done) -> None:
    base = demo.path.parent / "base.yaml"
    for index, (timeout, count) in enumerate(itertools.product(TIMEOUTS, COUNTS)):
        written = load_scenario(demo.out / "points" / f"point={index}" / "scenario.yaml")
        assert written.flex.reservation_timeout == parse_duration(timeout)
        assert written.agents[0].count == count
        # The point's own replication count is the sweep's, not the base file's.
        expected = load_scenario(base, [f"flex.reservation_timeout={timeout}",
                                        f"agents.general.count={count}",
                                        f"replications={REPLICATIONS}"])
        assert written.model_dump() == expected.model_dump()
    assert sorted(p.name for p in (demo.out / "points").iterdir()) == [
        f"point={i}" for i in range(4)]


def test_base_point_is_the_point_equal_to_the_base(demo: Done) -> None:
    assert manifest(demo.out)["base_point"] == BASE_POINT
    text = " ".join(demo.result.stdout.split())  # table titles wrap at the table's width
    assert (f"point {BASE_POINT}: flex.reservation_timeout=45s, agents.general.count=3 "
            "(the base point)") in text
    assert ("point 0: flex.reservation_timeout=30s, agents.general.count=2 (differences "
            "against point 3: flex.reservation_timeout=45s, agents.general.count=3)") in text


def test_base_point_is_the_first_when_the_base_is_not_in_the_grid(tmp_path: Path) -> None:
    path = make(tmp_path, SWEEP.replace("[30s, 45s]", "[30s, 1m]").replace(
        "replications: 3", "replications: 1"))
    out = tmp_path / "out"
    result = ccsim("sweep", path, "--out", out, "-w", "1", "-q", "--no-events",
                   "--no-figures")
    assert result.exit_code == 0, result.output
    assert manifest(out)["base_point"] == 0
    differences = pd.read_csv(out / "differences.csv").set_index(["point", "kpi"])
    row = differences.loc[(0, "service_level")]
    assert (row["mean"], row["n"]) == (0, 1)  # one replication: no interval


@pytest.mark.parametrize(("grid", "base_point"), [
    ("flex.reservation_timeout: [30, 45, 60]", 1),  # plain seconds equal the base's 45s
    ("flex.task_ttl: [12h, 24h]", 1),  # the base leaves task_ttl at its default, 24h
    ("agents.general.count: [3, 4]\n  flex.reservation_timeout: [1m, 45s]", 1),
    ("agents.general.count: [4, 5]", 0),
])
def test_base_point_when_loading(tmp_path: Path, grid: str, base_point: int) -> None:
    path = make(tmp_path, f"base: base.yaml\ngrid:\n  {grid}\n")
    loaded = load_sweep(path, KPI_NAMES)
    assert loaded.base_point == base_point
    assert loaded.name == "sweep"  # the file's stem when it has no name
    assert loaded.replications == 2  # the base scenario's when the sweep does not say


BAD_VALUE = """\
name: demo
base: base.yaml
replications: 3
grid:
  flex.reservation_timeout:
    - 30s
    - 25h
  agents.general.count: [2, 3]
"""


@pytest.mark.parametrize(("text", "line", "column", "where", "message"), [
    pytest.param(SWEEP.replace("replications:", "replication:"), 3, 1, "replication",
                 "did you mean 'replications'", id="unknown-key"),
    pytest.param(BAD_VALUE, 7, 7, "grid.flex.reservation_timeout.1",
                 "reservation timeout must be between 1s and 1d", id="bad-grid-value"),
    pytest.param(SWEEP.replace("[30s, 45s]", "[30s, 25h]"), 5, 35,
                 "grid.flex.reservation_timeout.1", "reservation timeout", id="bad-flow-value"),
    pytest.param(SWEEP.replace("reservation_timeout_rate]", "nope]"), 7, 23, "kpis.1",
                 "unknown KPI 'nope'", id="unknown-kpi"),
    pytest.param(SWEEP.replace("base.yaml", "nowhere.yaml"), 2, 1, "base",
                 "no scenario file at", id="missing-base"),
])
def test_sweep_file_problems_are_located(tmp_path: Path, text: str, line: int, column: int,
                                         where: str, message: str) -> None:
    path = make(tmp_path, text)
    out = tmp_path / "out"
    result = ccsim("sweep", path, "--out", out, "-w", "1")
    no_crash(result)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{path}:{line}:{column}: {where}: "), lines[0]
    assert message in lines[0]
    assert not out.exists()


def test_every_problem_is_reported(tmp_path: Path) -> None:
    text = SWEEP.replace("base.yaml", "nowhere.yaml").replace("reservation_timeout_rate]",
                                                              "nope]")
    path = make(tmp_path, text)
    result = ccsim("sweep", path, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    lines = sorted(result.stderr.strip().splitlines())
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(f"{path}:2:1: base: no scenario file at")
    assert lines[1].startswith(f"{path}:7:23: kpis.1: unknown KPI 'nope'")


MISSING_GROUP = """\
name: demo
base: base.yaml
replications: 3
grid:
  flex.reservation_timeout: [30s, 45s]
  agents.nobody.count: [2, 3]
"""


def test_grid_key_naming_a_missing_agent_group(tmp_path: Path) -> None:
    path = make(tmp_path, MISSING_GROUP)
    out = tmp_path / "out"
    result = ccsim("sweep", path, "--out", out)
    no_crash(result)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines
    for line in lines:
        assert re.match(rf"^{re.escape(str(path))}:\d+:\d+: grid\S*: .+$", line), line
        assert "no agent group named 'nobody' (groups: general)" in line
    assert not out.exists()


def test_missing_agent_group_is_reported_once_at_its_key(tmp_path: Path) -> None:
    path = make(tmp_path, MISSING_GROUP)
    result = ccsim("sweep", path, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{path}:6:3: grid.agents.nobody.count: "), lines[0]


# 2. outputs --------------------------------------------------------------------------------

def test_sweep_csv_has_a_row_per_point_and_replication(demo: Done) -> None:
    table = pd.read_csv(demo.out / "sweep.csv")
    assert list(table.columns) == ["point", *KEYS, "replication", *KPI_NAMES]
    assert len(table) == 4 * REPLICATIONS
    assert list(zip(table["point"], table["replication"], strict=True)) == list(
        itertools.product(range(4), range(REPLICATIONS)))
    points = pd.read_csv(demo.out / "points.csv")
    assert table[["point", *KEYS]].drop_duplicates().reset_index(drop=True).equals(points)
    assert pairs(demo.out) == list(itertools.product(range(4), range(REPLICATIONS)))
    assert manifest(demo.out)["replications"] == REPLICATIONS


@pytest.mark.parametrize("name", ["summary.csv", "differences.csv"])
def test_summary_and_differences_have_a_row_per_point_and_kpi(demo: Done, name: str) -> None:
    table = pd.read_csv(demo.out / name)
    assert list(table.columns) == ["point", "kpi", "mean", "ci_low", "ci_high", "n"]
    assert list(zip(table["point"], table["kpi"], strict=True)) == list(
        itertools.product(range(4), KPI_NAMES))
    assert (table["n"] <= REPLICATIONS).all()


def test_summary_means_are_the_means_of_the_runs(demo: Done) -> None:
    runs = pd.read_csv(demo.out / "sweep.csv")
    summary = pd.read_csv(demo.out / "summary.csv").set_index(["point", "kpi"])
    for point, group in runs.groupby("point"):
        for kpi in ("service_level", "reservation_timeout_rate", "conversations_created"):
            assert summary.loc[(point, kpi), "mean"] == pytest.approx(group[kpi].mean())
            assert summary.loc[(point, kpi), "n"] == REPLICATIONS


def test_differences_are_paired_against_the_base_point(demo: Done) -> None:
    runs = pd.read_csv(demo.out / "sweep.csv")
    differences = pd.read_csv(demo.out / "differences.csv").set_index(["point", "kpi"])
    base = runs[runs["point"] == BASE_POINT].set_index("replication")
    finite = [k for k in KPI_NAMES if np.isfinite(base[k]).all()]
    assert {"service_level", "reservation_timeout_rate", "slot_occupancy"} <= set(finite)
    for kpi in finite:
        row = differences.loc[(BASE_POINT, kpi)]
        assert (row["mean"], row["ci_low"], row["ci_high"], row["n"]) == (0, 0, 0,
                                                                          REPLICATIONS)
    for kpi in KPI_NAMES:
        if kpi not in finite:  # undefined in this tiny scenario (no pauses, no leaves)
            assert differences.loc[(BASE_POINT, kpi), "n"] < REPLICATIONS
    point0 = runs[runs["point"] == 0].set_index("replication")
    delta = point0["service_level"] - base["service_level"]
    assert differences.loc[(0, "service_level"), "mean"] == pytest.approx(delta.mean())


def test_events_are_partitioned_by_point_and_replication(demo: Done) -> None:
    files = sorted(p.relative_to(demo.out / "events").as_posix()
                   for p in (demo.out / "events").rglob("*") if p.is_file())
    assert files == sorted(f"point={p}/replication={r}/part-0.parquet"
                           for p in range(4) for r in range(REPLICATIONS))
    events = read_events(demo.out)
    assert set(zip(events["point"], events["replication"], strict=True)) == set(
        itertools.product(range(4), range(REPLICATIONS)))


def test_events_folder_reads_as_one_dataset(demo: Done) -> None:
    events = pd.read_parquet(demo.out / "events")
    assert {"point", "replication", "time", "event"} <= set(events.columns)
    assert len(events) == len(read_events(demo.out))


def test_figures_for_each_kpi_and_key(demo: Done) -> None:
    names = sorted(p.name for p in (demo.out / "figures").iterdir())
    assert names == sorted(f"{kpi}_vs_{key.replace('.', '_')}.png"
                           for kpi in ("service_level", "reservation_timeout_rate")
                           for key in KEYS)
    for name in names:
        assert (demo.out / "figures" / name).read_bytes()[:4] == b"\x89PNG"


def test_kpi_option_chooses_the_figures(tmp_path: Path) -> None:
    path = make(tmp_path, SMALL)
    out = tmp_path / "out"
    result = ccsim("sweep", path, "--out", out, "-w", "1", "-q", "--no-events",
                   "--kpi", "slot_occupancy")
    assert result.exit_code == 0, result.output
    assert [p.name for p in (out / "figures").iterdir()] == [
        "slot_occupancy_vs_agents_general_count.png"]
    assert manifest(out)["kpis"] == ["slot_occupancy"]


def test_the_sweep_files_kpis_narrow_its_tables(demo: Done) -> None:
    kpi_rows = [line.split("│")[1].strip() for line in demo.result.output.splitlines()
                if line.startswith("│ ") and line.split("│")[1].strip().isidentifier()]
    assert set(kpi_rows) == {"service_level", "reservation_timeout_rate"}


def test_an_overview_shows_every_point_against_the_kpis(demo: Done) -> None:
    lines = demo.result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if "means per point" in line)
    header = next(line for line in lines[start:] if "point" in line and "┃" in line)
    assert re.findall(r"point \d", header) == ["point 0", "point 1", "point 2", "point 3"]
    rows = [line.split("│")[1].strip() for line in lines[start:] if line.startswith("│ ")]
    assert rows == ["service_level", "reservation_timeout_rate"]  # the file's kpis:
    overview = pd.read_csv(demo.out / "overview.csv")
    assert list(overview.columns) == ["point", *KEYS, *KPI_NAMES]
    summary = pd.read_csv(demo.out / "summary.csv")
    means = summary[summary["kpi"] == "service_level"].set_index("point")["mean"]
    assert overview.set_index("point")["service_level"].to_dict() == means.to_dict()


def test_sweep_format_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = ccsim("sweep", make(tmp_path, SMALL), "--out", out, "-w", "1", "-q",
                   "--no-events", "--no-figures", "--format", "xlsx")
    assert result.exit_code == 0, result.output
    sheets = pd.read_excel(out / "tables.xlsx", sheet_name=None)
    assert list(sheets) == ["sweep", "points", "summary", "differences", "overview",
                           "sweep_by_skill", "summary_by_skill", "sweep_by_group",
                           "summary_by_group"]
    pd.testing.assert_frame_equal(sheets["summary"], pd.read_csv(out / "summary.csv"),
                                  check_dtype=False)


def test_no_events_writes_no_events_folder(tmp_path: Path) -> None:
    path = make(tmp_path, SMALL)
    out = tmp_path / "out"
    result = ccsim("sweep", path, "--out", out, "-w", "1", "-q", "--no-events", "--no-figures")
    assert result.exit_code == 0, result.output
    assert not (out / "events").exists()
    assert not (out / "figures").exists()
    assert len(pd.read_csv(out / "sweep.csv")) == 2
    assert pairs(out) == [(0, 0), (1, 0)]


# 3. common random numbers ------------------------------------------------------------------

def test_arrivals_are_common_to_every_point(demo: Done) -> None:
    events = read_events(demo.out)
    arrivals = events[(events["event"] == "conversation.created")
                      & (events["reason"] == "new")]
    times = {key: group["time"].to_numpy()
             for key, group in arrivals.groupby(["point", "replication"])}
    assert len(times) == 4 * REPLICATIONS
    for replication in range(REPLICATIONS):
        reference = times[(0, replication)]
        assert len(reference) > 50
        for point in range(1, 4):
            np.testing.assert_array_equal(times[(point, replication)], reference)
    for first, second in itertools.combinations(range(REPLICATIONS), 2):
        a, b = times[(0, first)], times[(0, second)]
        assert len(a) != len(b) or not np.array_equal(a, b)
        assert a[0] != b[0]


# 4. executors ------------------------------------------------------------------------------

SAME = ("sweep.csv", "summary.csv", "differences.csv", "points.csv")


def test_process_pool_matches_serial(demo: Done, tmp_path: Path) -> None:
    out = tmp_path / "pool"
    result = ccsim("sweep", demo.path, "--out", out, "-w", "2", "-q")
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert manifest(out)["executor"] == "process-pool"
    for name in SAME:
        assert (out / name).read_bytes() == (demo.out / name).read_bytes(), name
    pd.testing.assert_frame_equal(read_events(out), read_events(demo.out))


def test_dask_cluster_matches_serial(demo: Done, cluster: str, tmp_path: Path) -> None:
    out = tmp_path / "dask"
    result = ccsim("sweep", demo.path, "--out", out, "--scheduler", cluster, "-q")
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert manifest(out)["executor"] == "dask"
    for name in SAME:
        assert (out / name).read_bytes() == (demo.out / name).read_bytes(), name
    assert "dask" in result.stdout


def test_workers_and_scheduler_together_exit_2(tmp_path: Path) -> None:
    path = make(tmp_path, SMALL)
    result = ccsim("sweep", path, "--out", tmp_path / "out", "-w", "2", "--scheduler",
                   "tcp://127.0.0.1:1")
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert "--workers and --scheduler: choose one" in result.stderr


@pytest.mark.parametrize("options", [["-w", "2", "--scheduler", "tcp://127.0.0.1:1"],
                                     ["-w", "0"]], ids=["workers+scheduler", "workers-0"])
def test_refused_executor_options_leave_no_folder(tmp_path: Path, options: list[str]) -> None:
    out = tmp_path / "out"
    result = ccsim("sweep", make(tmp_path, SMALL), "--out", out, *options)
    assert result.exit_code == 2, result.output
    assert not out.exists(), sorted(p.name for p in out.iterdir())


# 5. resuming after a hard kill -------------------------------------------------------------

def command(path: Path, out: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), *options]


def wait_for_runs(out: Path, count: int, process: subprocess.Popen[str]) -> None:
    processes.wait_for(lambda: len(run_files(out)) >= count, f"{count} runs were written",
                       process)


def test_resume_after_a_hard_kill(tmp_path: Path) -> None:
    path = make(tmp_path / "sweep", HEAVY, HEAVY_BASE)
    out = tmp_path / "killed"
    options = ("-w", "1", "-q", "--no-figures")
    process = subprocess.Popen(command(path, out, *options), cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_runs(out, 2, process)
        process.kill()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    before = len(pairs(out))
    assert 2 <= before < HEAVY_RUNS

    again = ccsim("sweep", path, "--out", out, *options)  # the same command, in process
    no_crash(again)
    assert again.exit_code == 0, again.output
    assert (f"{HEAVY_RUNS - before} runs now, {before} resumed from before"
            in again.stdout), again.stdout
    assert len(run_files(out)) == HEAVY_RUNS
    assert pairs(out) == list(itertools.product(range(4), range(4)))
    table = pd.read_csv(out / "sweep.csv")
    assert len(table) == HEAVY_RUNS
    assert not table.duplicated(["point", "replication"]).any()
    assert len(list((out / "events").glob("point=*/replication=*/part-0.parquet"))) == 16

    whole = tmp_path / "whole"
    result = ccsim("sweep", path, "--out", whole, *options)
    assert result.exit_code == 0, result.output
    for name in SAME:
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name


def test_rerunning_a_complete_sweep_runs_nothing(demo: Done, tmp_path: Path) -> None:
    out = tmp_path / "complete"
    first = ccsim("sweep", demo.path, "--out", out, "-w", "1", "-q", "--no-figures")
    assert first.exit_code == 0, first.output
    assert "12 runs now, 0 resumed from before" in first.stdout
    stamps = {p: p.stat().st_mtime_ns for p in run_files(out)}
    again = ccsim("sweep", demo.path, "--out", out, "-w", "1", "-q", "--no-figures")
    assert again.exit_code == 0, again.output
    assert "0 runs now, 12 resumed from before" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in run_files(out)} == stamps
    assert (out / "sweep.csv").read_bytes() == (demo.out / "sweep.csv").read_bytes()


def test_more_replications_resume_the_same_sweep(tmp_path: Path) -> None:
    path = make(tmp_path, SMALL)
    out = tmp_path / "out"
    assert ccsim("sweep", path, "--out", out, *QUICK).exit_code == 0
    path.write_text(SMALL.replace("replications: 1", "replications: 2"))
    result = ccsim("sweep", path, "--out", out, *QUICK)
    assert result.exit_code == 0, result.output
    assert "2 points x 2 replications; 2 runs now, 2 resumed from before" in result.stdout
    assert pairs(out) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    fewer = ccsim("sweep", path, "--out", out, *QUICK, "-r", "1")
    assert fewer.exit_code == 0, fewer.output
    assert len(pd.read_csv(out / "sweep.csv")) == 2  # only the replications asked for
    assert manifest(out)["replications"] == 1


# 6. Ctrl-C ---------------------------------------------------------------------------------

@pytest.mark.parametrize("workers", ["1", "2"], ids=["serial", "pool"])
def test_ctrl_c_exits_130_and_resumes(tmp_path: Path, workers: str) -> None:
    path = make(tmp_path / "sweep", HEAVY, HEAVY_BASE)
    out = tmp_path / "out"
    # 4 points x 6 replications: the runs left after the first take seconds, far longer than
    # the signal needs (with 2 replications a pool of 2 sometimes finished them all first)
    replications = 6
    runs = 4 * replications
    # A terminal's Ctrl-C reaches the whole process group (pool workers too): the pool
    # case gets its own group and the signal is sent to all of it.
    process = subprocess.Popen(command(path, out, "-w", workers, "-q", "-r", str(replications)),
                               cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=workers != "1")
    try:
        wait_for_runs(out, 1, process)
        if workers == "1":
            process.send_signal(signal.SIGINT)
        else:
            os.killpg(process.pid, signal.SIGINT)
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail("the sweep did not exit within 30 s of Ctrl-C")
    finally:
        if process.poll() is None:
            if workers == "1":
                process.kill()
            else:
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    saved = len(pairs(out))
    assert 1 <= saved < runs
    assert (f"interrupted: {saved} runs are saved in {out}; run the same command again to "
            "finish the rest") in stderr
    again = ccsim("sweep", path, "--out", out, "-w", "1", "-q", "-r", str(replications))
    assert again.exit_code == 0, again.output
    assert f"{runs - saved} runs now, {saved} resumed from before" in again.stdout
    assert pairs(out) == list(itertools.product(range(4), range(replications)))
    assert len(pd.read_csv(out / "sweep.csv")) == runs


# 7. the output folder ----------------------------------------------------------------------

def test_a_folder_holding_another_sweep_is_refused(tmp_path: Path) -> None:
    path = make(tmp_path, SMALL)
    out = tmp_path / "out"
    assert ccsim("sweep", path, "--out", out, *QUICK).exit_code == 0
    before = (out / "sweep.csv").read_bytes()
    path.write_text(SMALL.replace("[2, 3]", "[2, 4]"))
    result = ccsim("sweep", path, "--out", out, *QUICK)
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert f"{out} holds results of a different sweep" in result.stderr
    assert (out / "sweep.csv").read_bytes() == before
    assert pairs(out) == [(0, 0), (1, 0)]


def test_a_changed_base_scenario_is_another_sweep(tmp_path: Path) -> None:
    path = make(tmp_path, SMALL)
    out = tmp_path / "out"
    assert ccsim("sweep", path, "--out", out, *QUICK).exit_code == 0
    (tmp_path / "base.yaml").write_text(BASE.replace("seed: 7", "seed: 8"))
    result = ccsim("sweep", path, "--out", out, *QUICK)
    assert result.exit_code == 2, result.output
    assert "different sweep" in result.stderr


def test_a_folder_that_is_not_a_sweep_is_refused(tmp_path: Path) -> None:
    path = make(tmp_path, SMALL)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    result = ccsim("sweep", path, "--out", out, "-w", "1", "-q")
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert f"{out} exists and is not a sweep folder" in result.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_an_empty_folder_is_used(tmp_path: Path) -> None:
    path = make(tmp_path, SMALL)
    out = tmp_path / "out"
    out.mkdir()
    result = ccsim("sweep", path, "--out", out, "-w", "1", "-q", "--no-events", "--no-figures")
    assert result.exit_code == 0, result.output
    assert pairs(out) == [(0, 0), (1, 0)]


# 8. precision goals ------------------------------------------------------------------------

GOAL = re.compile(r"precision goal \(95% CI half-width within [\d.]+% of the mean for "
                  r"service_level\): (met|NOT met) with (\d+) replications")

PRECISION = """\
name: precision
base: base.yaml
replications: 2
grid:
  flex.reservation_timeout: [30s, 45s]
kpis: [service_level]
"""


def goal(stdout: str) -> tuple[str, int]:
    match = GOAL.search(stdout)
    assert match, stdout
    return match[1], int(match[2])


def test_sweep_precision_goal_met(tmp_path: Path) -> None:
    path = make(tmp_path, PRECISION)
    out = tmp_path / "out"
    result = ccsim("sweep", path, "--out", out, "-w", "1", "-q", "--no-events", "--no-figures",
                   "--target-halfwidth", "50%", "--kpi", "service_level")
    no_crash(result)
    assert result.exit_code == 0, result.output
    met, replications = goal(result.stdout)
    assert met == "met"
    assert replications >= 2
    table = pd.read_csv(out / "sweep.csv")
    assert table.groupby("point").size().tolist() == [replications, replications]
    assert manifest(out)["replications"] == replications
    assert "service_level" in manifest(out)["target"]
    summary = pd.read_csv(out / "summary.csv")
    rows = summary[summary["kpi"] == "service_level"]
    assert ((rows["ci_high"] - rows["ci_low"]) / 2 <= 0.5 * rows["mean"].abs()).all()


def test_sweep_precision_goal_stops_at_the_cap(tmp_path: Path) -> None:
    path = make(tmp_path, PRECISION)
    out = tmp_path / "out"
    result = ccsim("sweep", path, "--out", out, "-w", "1", "-q", "--no-events", "--no-figures",
                   "--target-halfwidth", "0.01%", "--kpi", "service_level",
                   "--max-replications", "4")
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert goal(result.stdout) == ("NOT met", 4)
    assert "(cap 4)" in result.stdout
    table = pd.read_csv(out / "sweep.csv")
    assert table.groupby("point").size().tolist() == [4, 4]
    assert pairs(out) == list(itertools.product(range(2), range(4)))


@pytest.mark.parametrize(("width", "cap", "met"), [("50%", 200, "met"), ("0.01%", 4, "NOT met")])
def test_run_precision_goal(tmp_path: Path, width: str, cap: int, met: str) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(BASE)
    out = tmp_path / "run"
    result = ccsim("run", base, "--out", out, "-r", "2", "-w", "1", "-q", "--no-events",
                   "--no-figures", "--target-halfwidth", width, "--kpi", "service_level",
                   "--max-replications", str(cap))
    no_crash(result)
    assert result.exit_code == 0, result.output
    reached, replications = goal(result.stdout)
    assert reached == met
    assert replications >= 2 if met == "met" else replications == cap
    kpis = pd.read_csv(out / "kpis.csv")
    assert kpis["replication"].tolist() == list(range(replications))
    written = load_scenario(out / "scenario.yaml")
    assert written.replications == replications
    again = tmp_path / "again"
    rerun = ccsim("run", out / "scenario.yaml", "--out", again, "-w", "1", "-q", "--no-events",
                  "--no-figures")
    assert rerun.exit_code == 0, rerun.output
    assert (again / "kpis.csv").read_bytes() == (out / "kpis.csv").read_bytes()


@pytest.mark.parametrize("command_name", ["run", "sweep"])
@pytest.mark.parametrize("width", ["fast", "0", "0%", "-5%", "nan"])
def test_bad_target_exits_2(tmp_path: Path, command_name: str, width: str) -> None:
    path = make(tmp_path, SMALL) if command_name == "sweep" else tmp_path / "base.yaml"
    (tmp_path / "base.yaml").write_text(BASE)
    out = tmp_path / "out"
    result = ccsim(command_name, path, "--out", out, "-w", "1", "-q",
                   "--target-halfwidth", width)
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert "--target-halfwidth" in result.stderr
    assert not out.exists()


def test_target_kpi_must_be_a_kpi(tmp_path: Path) -> None:
    path = make(tmp_path, SMALL)
    result = ccsim("sweep", path, "--out", tmp_path / "out", "--target-halfwidth", "5%",
                   "--kpi", "nope")
    assert result.exit_code == 2, result.output
    assert "--kpi nope: not a KPI" in result.stderr


def test_unknown_kpi_option_is_refused_before_running(tmp_path: Path) -> None:
    path = make(tmp_path, SMALL)
    out = tmp_path / "out"
    result = ccsim("sweep", path, "--out", out, "-w", "1", "--no-events", "--no-figures",
                   "--kpi", "nope")
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert "--kpi nope" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("count", ["0", "-1"])
def test_sweep_refuses_replications_below_1(tmp_path: Path, count: str) -> None:
    out = tmp_path / "out"
    result = ccsim("sweep", make(tmp_path, SMALL), "--out", out, *QUICK, "-r", count)
    no_crash(result)
    assert result.exit_code == 2, result.output


# sim.stats ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value", "relative"), [
    ("5%", 0.05, True), (" 12.5% ", 0.125, True), ("0.02", 0.02, False), ("3", 3.0, False),
    ("1e-3", 0.001, False),
])
def test_target_parse(text: str, value: float, relative: bool) -> None:
    target = Target.parse(text, ("service_level",), 50)
    assert target.value == pytest.approx(value)
    assert target.relative is relative
    assert target.kpis == ("service_level",)
    assert target.cap == 50


@pytest.mark.parametrize("text", ["", "%", "five", "0", "0%", "-0.1", "-5%", "nan", "inf",
                                  "5%%"])
def test_target_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        Target.parse(text, ("service_level",), 50)


def test_target_ratios() -> None:
    summary = pd.DataFrame({"kpi": ["service_level", "slot_occupancy", "queued_tasks_mean"],
                            "mean": [0.5, 0.8, 0.0], "ci_low": [0.4, 0.7, -1.0],
                            "ci_high": [0.6, 0.9, 1.0], "n": [5, 5, 5]})
    relative = Target.parse("10%", ("service_level", "queued_tasks_mean"), 100)
    assert relative.ratios(summary).tolist()[0] == pytest.approx(2.0)  # 0.1 / 0.5 / 0.1
    assert math.isnan(relative.ratios(summary).tolist()[1])  # a width around a mean of 0
    assert relative.worst(summary) == math.inf  # ... cannot be within 10% of it: not met
    assert Target.parse("10%", ("service_level",), 100).worst(summary) == pytest.approx(2.0)
    absolute = Target.parse("0.05", ("slot_occupancy",), 100)
    assert absolute.worst(summary) == pytest.approx(2.0)  # 0.1 / 0.05
    assert Target.parse("5%", ("queued_tasks_mean",), 100).worst(summary) == math.inf
    assert "5.00% of the mean" in Target.parse("5%", ("x",), 9).describe()


def test_a_kpi_without_an_interval_leaves_the_goal_unmet() -> None:
    summary = pd.DataFrame({"kpi": ["service_level", "pause_expiry_rate"],
                            "mean": [0.5, 0.1], "ci_low": [0.45, math.nan],
                            "ci_high": [0.55, math.nan], "n": [5, 1]})
    both = Target.parse("20%", ("service_level", "pause_expiry_rate"), 100)
    assert both.ratios(summary).tolist()[0] == pytest.approx(0.5)
    assert both.worst(summary) == math.inf  # met for one, unknown for the other
    assert Target.parse("20%", ("service_level",), 100).worst(summary) == pytest.approx(0.5)


def test_an_interval_of_no_width_meets_any_goal_even_around_zero() -> None:
    # every replication gave 0 (no agent ever rejects): exact, so any half-width is met
    summary = pd.DataFrame({"kpi": ["reservation_reject_rate"], "mean": [0.0],
                            "ci_low": [0.0], "ci_high": [0.0], "n": [5]})
    assert Target.parse("5%", ("reservation_reject_rate",), 100).worst(summary) == 0.0
    assert Target.parse("0.01", ("reservation_reject_rate",), 100).worst(summary) == 0.0


@pytest.mark.parametrize(("current", "worst", "cap", "step", "expected"), [
    (4, 2.0, 200, 1, 16),  # half-widths fall as 1/sqrt(n): 4 x 2^2
    (4, 1.1, 200, 1, 5),  # ceil(4 x 1.21)
    (4, 1.1, 200, 4, 8),  # at least `step` more
    (10, 3.0, 50, 1, 50),  # at most the cap
    (2, math.inf, 200, 3, 5),  # no interval yet: one step
    (2, math.nan, 200, 2, 4),
    (2, math.inf, 4, 3, 4),
    (3, 0.5, 200, 2, 5),
])
def test_replications_for(current: int, worst: float, cap: int, step: int,
                          expected: int) -> None:
    assert replications_for(current, worst, cap, step) == expected


def test_a_sweep_run_without_events_is_run_again_when_events_are_wanted(tmp_path: Path) -> None:
    path, out = make(tmp_path, SMALL), tmp_path / "out"
    first = ccsim("sweep", path, "--out", out, *QUICK)
    assert first.exit_code == 0, first.output
    assert not (out / "events").exists()
    again = ccsim("sweep", path, "--out", out, "-w", "1", "-q", "--no-figures")
    assert again.exit_code == 0, again.output
    runs = sorted((out / "runs").glob("point=*/replication=*.json"))
    logs = sorted((out / "events").glob("point=*/replication=*/part-0.parquet"))
    assert len(logs) == len(runs) > 0
    assert f"{len(runs)} runs now, 0 resumed" in again.stdout
