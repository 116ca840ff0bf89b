"""Limits: what is refused before it can hang or exhaust the machine, and with what reason.

Files that cannot be a small case in tests/malformed/ (a 100 MB file, a FIFO, /dev/zero,
1 MiB of brackets) are made here; the memory estimate is checked against a real run and
against a machine with little memory (monkeypatched), and --force lifts it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.analysis import resources
from sim.analysis.executors import usable_cores, worker_count
from sim.analysis.experiment import Job, run_job
from sim.domain.scenario_file import load_scenario, parse_scenario
from sim.domain.source_text import MAX_FILE_BYTES
from sim.domain.yaml_scan import MAX_ALIASED_NODES
from tests.invoke import ccsim, no_crash
from tests.test_cli import TINY, write

ROOT = Path(__file__).resolve().parent.parent
QUICK = ("-w", "1", "-q", "--no-events", "--no-figures")


def refused(path: Path | str, *extra: str) -> str:
    result = ccsim("validate", path, *extra)
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return result.stderr.strip()


# files -------------------------------------------------------------------------------------

def test_a_100_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as stream:
        stream.truncate(100 * 2**20)  # sparse: 100 MB long, nothing on disk
    started = time.perf_counter()
    line = refused(big)
    assert time.perf_counter() - started < 5  # measured: ~1 ms; it used to take minutes
    assert line == (f"{big}: the file is 104,857,600 bytes, over the 1 MiB limit for "
                    "scenario and sweep files (a scenario is a few KB; is this the right "
                    "file?)")


def test_a_file_at_the_limit_is_read(tmp_path: Path) -> None:
    padding = "#" * 99 + "\n"
    text = TINY + padding * ((MAX_FILE_BYTES - len(TINY)) // len(padding))
    path = write(tmp_path, "padded.yaml", text)
    assert path.stat().st_size <= MAX_FILE_BYTES
    assert load_scenario(path).name == "tiny"
    bigger = write(tmp_path, "bigger.yaml", text + padding)
    assert "over the 1 MiB limit" in refused(bigger)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    # In a child process: reading a FIFO nobody writes to would block this test for ever.
    done = subprocess.run([sys.executable, "-m", "sim", "validate", str(fifo)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (f"{fifo}: cannot read file: not a regular file (a pipe, device "
                           "or socket); ccsim reads only files\n")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_refused() -> None:
    assert refused("/dev/zero").startswith("/dev/zero: cannot read file: not a regular file")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path) == f"{tmp_path}: cannot read file: it is a directory"


def test_the_alias_bomb_is_refused_at_once() -> None:
    started = time.perf_counter()
    line = refused(ROOT / "tests" / "malformed" / "alias_bomb.yaml")
    assert time.perf_counter() - started < 5  # measured: ~5 ms; it used to spin for ever
    assert f"more than {MAX_ALIASED_NODES:,} nodes" in line


@pytest.mark.parametrize("depth", [5_000, MAX_FILE_BYTES // 2 - 10])
def test_deep_nesting_is_refused_quickly(tmp_path: Path, depth: int) -> None:
    path = write(tmp_path, "deep.yaml", "a: " + "[" * depth + "]" * depth + "\n")
    started = time.perf_counter()
    line = refused(path)
    assert time.perf_counter() - started < 20  # measured: well under a second
    assert line.startswith(f"{path}:1:") and "nested more than 64 levels" in line


def test_aliases_that_repeat_a_little_are_fine() -> None:
    text = TINY.replace("    capacity: 2\n", "    capacity: 2\n    shift: &day {start: "
                        "\"08:00\", end: \"16:00\"}\n") + "  - name: late\n    count: 1\n" \
        "    skills: [billing]\n    shift: *day\n"
    scenario = parse_scenario(text)
    assert scenario.agents[0].shift == scenario.agents[1].shift


# --set and --out ---------------------------------------------------------------------------

def test_set_of_a_deep_key_the_file_lacks_names_the_option(tmp_path: Path) -> None:
    source = write(tmp_path, "tiny.yaml", TINY)
    result = ccsim("run", source, *QUICK, "--out", tmp_path / "run", "--set", "a.b.c.d.e=1")
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert result.stderr == "--set a.b.c.d.e=1: a: unknown key 'a'\n"  # not tiny.yaml:1:1


def test_set_value_is_read_within_the_limits(tmp_path: Path) -> None:
    source = write(tmp_path, "tiny.yaml", TINY)
    laughs = "[" + ",".join(["[" * 70 + "]" * 70]) + "]"
    result = ccsim("run", source, *QUICK, "--out", tmp_path / "run", "--set",
                   f"description={laughs}")
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"--set description={laughs}: ")
    assert "nested more than 64 levels" in result.stderr


def test_an_out_name_over_255_bytes_is_refused_before_running(tmp_path: Path) -> None:
    source = write(tmp_path, "tiny.yaml", TINY)
    out = tmp_path / ("r" * 300)
    result = ccsim("run", source, *QUICK, "--out", out)
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"--out {out}: the name rrrr")
    assert "over 255 bytes" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]


def test_an_out_name_near_the_limit_still_fits_its_hidden_folders(tmp_path: Path) -> None:
    source = write(tmp_path, "tiny.yaml", TINY)
    out = tmp_path / ("r" * 250)
    result = ccsim("run", source, *QUICK, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name, "tiny.yaml"]


@pytest.mark.parametrize("name", ["backlog.txt", "backlog", "backlog.pdf"])
def test_warmup_out_must_be_a_png(tmp_path: Path, name: str) -> None:
    source = write(tmp_path, "tiny.yaml", TINY)
    result = ccsim("warmup", source, "--out", tmp_path / name, "-w", "1")
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"--out {tmp_path / name}: the figure is a PNG image; name it .png\n"


# workers -----------------------------------------------------------------------------------

def test_workers_are_capped_at_jobs_and_cores(tmp_path: Path) -> None:
    assert worker_count(100_000, 3) == min(3, usable_cores())
    assert worker_count(None, 1) == 1
    assert worker_count(2, 100) == min(2, usable_cores())
    source = write(tmp_path, "tiny.yaml", TINY.replace("replications: 2", "replications: 1"))
    result = ccsim("run", source, "-q", "--no-figures", "-w", "100000", "--out",
                   tmp_path / "run")
    no_crash(result)
    assert result.exit_code == 0, result.output
    # One job: no pool at all, however many workers were asked for.
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["executor"] == "serial"


# memory ------------------------------------------------------------------------------------

def test_the_estimate_follows_a_real_run() -> None:
    scenario = parse_scenario(TINY.replace("per_day: 50", "per_day: 400"))
    created = run_job(Job(scenario, 0, 1, keep_events=False)).kpis["tasks_created"]
    estimate = resources.expected_tasks(scenario)
    assert created <= estimate <= 2 * created  # errs on the side of more, not wildly


def test_the_estimate_counts_the_backlog_a_run_starts_from() -> None:
    plain = parse_scenario(TINY)
    backlog = parse_scenario(TINY + "initial: {pending: {billing: 20000}}\n")
    added = resources.expected_tasks(backlog) - resources.expected_tasks(plain)
    assert added >= 20000
    created = run_job(Job(backlog, 0, 1, keep_events=False)).kpis["tasks_created"]
    assert created <= resources.expected_tasks(backlog) <= 2 * created


def test_an_absurd_run_is_refused_with_both_figures(tmp_path: Path) -> None:
    source = write(tmp_path, "huge.yaml", TINY.replace("horizon: 2d", "horizon: 3650d")
                   .replace("per_day: 50", "per_day: 1000000"))
    result = ccsim("run", source, *QUICK, "--out", tmp_path / "run")
    no_crash(result)
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert line.startswith(f"{source}: the run needs about ")
    assert "TiB of memory" in line and "available" in line and "--force" in line
    assert not (tmp_path / "run").exists()


@pytest.fixture
def little_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "available_memory", lambda: 2**20)


@pytest.mark.usefixtures("little_memory")
@pytest.mark.parametrize("command", ["run", "sweep", "warmup"])
def test_force_runs_past_the_memory_check(tmp_path: Path, command: str) -> None:
    source = write(tmp_path, "tiny.yaml", TINY)
    if command == "sweep":
        source = write(tmp_path, "sweep.yaml", "base: tiny.yaml\nreplications: 1\ngrid:\n"
                                               "  agents.team.count: [2, 3]\n")
    options = ["-w", "1"] + (["--out", str(tmp_path / "fig.png")] if command == "warmup"
                             else ["-q", "--no-figures", "--out", str(tmp_path / "out")])
    refused_run = ccsim(command, source, *options)
    no_crash(refused_run)
    assert refused_run.exit_code == 2, refused_run.output
    assert "more than the 1.0 MiB available" in refused_run.stderr
    forced = ccsim(command, source, *options, "--force")
    no_crash(forced)
    assert forced.exit_code == 0, forced.output


def test_available_memory_reads_the_machine() -> None:
    found = resources.available_memory()
    assert found is None or found > 0


def test_meminfo_and_cgroup_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "meminfo").write_text("MemTotal: 100 kB\nMemAvailable:    2048 kB\n")
    (tmp_path / "memory.max").write_text("1048576\n")
    (tmp_path / "memory.current").write_text("524288\n")
    monkeypatch.setattr(resources, "MEMINFO", tmp_path / "meminfo")
    monkeypatch.setattr(resources, "CGROUP", tmp_path)
    assert resources.available_memory() == 524288  # the container's room is smaller
    (tmp_path / "memory.max").write_text("max\n")
    assert resources.available_memory() == 2048 * 1024


def test_a_grid_over_the_cap_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    write(tmp_path, "tiny.yaml", TINY)
    values = ", ".join(str(i) for i in range(1, 1002))
    sweep = write(tmp_path, "sweep.yaml", f"base: tiny.yaml\nreplications: 1\ngrid:\n"
                                          f"  agents.team.count: [{values}]\n")
    started = time.perf_counter()
    result = ccsim("sweep", sweep, *QUICK, "--out", tmp_path / "out")
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert time.perf_counter() - started < 20  # no point was built (test_sweep_input: --force)
    assert result.stderr == (f"{sweep}:3:1: grid: the grid has 1,001 points (1001), over "
                             "the limit of 1,000; narrow it, or pass --force to run it "
                             "anyway\n")
    assert not (tmp_path / "out").exists()
