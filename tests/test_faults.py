"""Faults: the parent killed or sent SIGTERM, Ctrl-C while importing, two runs to one --out,
a full disk, and a dask scheduler that is wrong or away.

The process tests run real `python -m sim` processes in their own session and wait for
conditions with generous bounds (tests/processes.py), so a loaded machine slows them down
but does not fail them. They read /proc, so they run on Linux only.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.analysis.executors import usable_cores
from tests import processes
from tests.invoke import ccsim, no_crash
from tests.processes import ROOT
from tests.test_cli import TINY

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

BASELINE = ROOT / "scenarios" / "baseline.yaml"
SWEEP = """\
base: tiny.yaml
replications: 2
grid:
  agents.team.count: [2, 3]
"""


def staging_folders(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.partial-*"))


def running_pool(tmp_path: Path, out: Path) -> subprocess.Popen[str]:
    """A `ccsim run` of 20 baseline replications on two workers, once its workers run."""
    if usable_cores() < 2:
        pytest.skip("needs two cores for a pool of two workers")
    process = processes.start("run", BASELINE, "-r", "20", "-w", "2", "-q", "--out", out,
                              cwd=tmp_path)
    processes.wait_for(lambda: bool(staging_folders(out.parent))
                       and len(processes.children(process.pid)) >= 2,
                       "the run started its two workers", process)
    return process


def no_process_left(process: subprocess.Popen[str]) -> None:
    processes.wait_for(lambda: processes.in_session(process.pid) == [],
                       "every process of the run's session is gone")


def test_sigkill_of_the_parent_takes_the_workers_and_the_next_run_cleans_up(
    tmp_path: Path
) -> None:
    out = tmp_path / "killed"
    process = running_pool(tmp_path, out)
    try:
        os.kill(process.pid, signal.SIGKILL)  # the parent only: the workers are orphaned
        process.wait(timeout=processes.PATIENCE)
        no_process_left(process)
    finally:
        processes.cleanup(process)
    [left] = staging_folders(tmp_path)  # a killed run cannot clean up after itself
    (tmp_path / "tiny.yaml").write_text(TINY)
    result = ccsim("run", tmp_path / "tiny.yaml", "--out", tmp_path / "next", "-w", "1", "-q",
                   "--no-figures")
    assert result.exit_code == 0, result.output
    assert not left.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next", "tiny.yaml"]


def test_sigterm_stops_a_run_like_ctrl_c_and_a_second_run_to_its_out_is_refused(
    tmp_path: Path
) -> None:
    out = tmp_path / "run"
    process = running_pool(tmp_path, out)
    try:
        (tmp_path / "tiny.yaml").write_text(TINY)
        second = ccsim("run", tmp_path / "tiny.yaml", "--out", out, "-w", "1", "-q")
        no_crash(second)
        assert second.exit_code == 2, second.output
        assert second.stderr == (f"{out}: in use by another ccsim (pid {process.pid}); wait "
                                 "for it to finish or choose another --out\n")
        os.kill(process.pid, signal.SIGTERM)  # the parent only, as a process manager does
        _, errors = processes.finish(process)
        no_process_left(process)
    finally:
        processes.cleanup(process)
    assert process.returncode == 130, errors
    assert errors.strip() == "interrupted: nothing was written"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]  # no lock, no staging


def test_ctrl_c_while_importing_exits_130_without_a_traceback(tmp_path: Path) -> None:
    process = processes.start("run", BASELINE, "-r", "20", "--out", tmp_path / "run",
                              cwd=tmp_path)
    try:
        # The entry point catches SIGTERM from its first line, before importing the CLI
        # (plain Python does not), so this waits until the imports are under way.
        processes.wait_for(lambda: processes.catches(process.pid, signal.SIGTERM),
                           "the entry point runs", process)
        os.killpg(process.pid, signal.SIGINT)
        _, errors = processes.finish(process)
    finally:
        processes.cleanup(process)
    assert process.returncode == 130, errors
    assert "Traceback" not in errors and "KeyboardInterrupt" not in errors, errors
    assert errors.strip().startswith("interrupted")
    assert list(tmp_path.iterdir()) == []


# a full disk -------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs, nearly full; skipped where mounting is not allowed."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root and mount rights)")
    try:
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        (disk / "filler").write_bytes(b"\0" * (free - 48 * 1024))
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_is_one_line_and_leaves_nothing(small_disk: Path, tmp_path: Path) -> None:
    source = tmp_path / "tiny.yaml"
    source.write_text(TINY)
    out = small_disk / "run"
    result = ccsim("run", source, "--out", out, "-w", "1", "-q")
    no_crash(result)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"{out}"), line  # named by --out (or a file in it) ...
    assert ".partial" not in line, line  # ... never by the hidden folder it was assembled in
    assert line.endswith(": cannot write results there: No space left on device"), line
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


def test_a_sweep_on_a_full_disk_resumes_once_there_is_room(small_disk: Path,
                                                           tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY)
    (tmp_path / "sweep.yaml").write_text(SWEEP)
    out = small_disk / "sweep"
    full = ccsim("sweep", tmp_path / "sweep.yaml", "--out", out, "-w", "1", "-q")
    no_crash(full)
    assert full.exit_code == 2, full.output
    assert "No space left on device" in full.stderr
    assert len(full.stderr.splitlines()) == 1, full.stderr
    (small_disk / "filler").unlink()
    again = ccsim("sweep", tmp_path / "sweep.yaml", "--out", out, "-w", "1", "-q",
                  "--no-figures")
    no_crash(again)
    assert again.exit_code == 0, again.output
    assert json.loads((out / "manifest.json").read_text())["replications"] == 2
    runs = sorted(p.relative_to(out / "runs").as_posix() for p in (out / "runs").rglob("*.json"))
    assert runs == [f"point={p}/replication={r}.json" for p in range(2) for r in range(2)]
    assert not list(out.rglob(".*.tmp")), "temporary files left behind"


# dask --------------------------------------------------------------------------------------

def free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(("address", "message"), [
    ("127.0.0.1", "not a scheduler address; expected tcp://HOST:PORT"),
    ("tcp://127.0.0.1:99999", "port 99999 is out of range"),
    ("tcp://local host:8786", "not a scheduler address"),
    ("unreachable", "cannot connect within"),
])
def test_a_bad_or_unreachable_scheduler_is_one_line(tmp_path: Path, address: str,
                                                    message: str) -> None:
    pytest.importorskip("distributed")
    if address == "unreachable":
        address = f"tcp://127.0.0.1:{free_port()}"  # on loopback, where nothing listens
    (tmp_path / "tiny.yaml").write_text(TINY)
    (tmp_path / "sweep.yaml").write_text(SWEEP)
    out = tmp_path / "out"
    started = time.monotonic()
    result = ccsim("sweep", tmp_path / "sweep.yaml", "--out", out, "--scheduler", address)
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"--scheduler {address}: "), result.stderr
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert time.monotonic() - started < processes.PATIENCE
    assert not out.exists()


def test_python_dash_m_and_the_script_share_the_entry_point() -> None:
    done = subprocess.run([sys.executable, "-c", "import sim.__main__ as m; print(m.main)"],
                          cwd=ROOT, capture_output=True, text=True, check=False,
                          timeout=processes.PATIENCE)
    assert done.returncode == 0 and "function main" in done.stdout, done.stderr
    text = (ROOT / "pyproject.toml").read_text()
    assert 'ccsim = "sim.__main__:main"' in text


def test_ccsim_turns_numpys_huge_page_advice_off_unless_the_user_chose(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The `ccsim` process sets NUMPY_MADVISE_HUGEPAGE=0 before numpy is imported (the
    KPIs' short-lived arrays are cheaper without it); a value the user set is kept."""
    from sim.__main__ import tune

    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    tune()
    assert os.environ["NUMPY_MADVISE_HUGEPAGE"] == "0"
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    tune()
    assert os.environ["NUMPY_MADVISE_HUGEPAGE"] == "1"
    done = subprocess.run([sys.executable, "-c", "import sim.__main__, sys; "
                           "print('numpy' in sys.modules)"], cwd=ROOT, capture_output=True,
                          text=True, check=False, timeout=processes.PATIENCE)
    assert done.stdout.strip() == "False", done.stderr  # so the setting comes in time
