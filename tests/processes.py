"""Real `python -m sim` processes for the fault tests: start one in its own session, wait
for conditions (never for a fixed time), and find what is left of its session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATIENCE = 60.0  # seconds: generous, so a loaded machine does not fail a test


def start(*args: str | Path, cwd: Path) -> subprocess.Popen[str]:
    """`python -m sim ARGS` as the leader of a new session, so its workers can be found."""
    return subprocess.Popen([sys.executable, "-m", "sim", *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def wait_for(condition: Callable[[], bool], what: str,
             process: subprocess.Popen[str] | None = None, timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            _, errors = process.communicate()
            raise AssertionError(f"the process ended (exit {process.returncode}) before "
                                 f"{what}:\n{errors}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(0.05)


def _stat(pid: str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # state, ppid, pgrp, session, ...


def _live(field: int, value: int) -> list[int]:
    """Live processes whose /proc stat field (1 parent, 3 session) is `value`; zombies,
    already dead, do not count."""
    found = []
    for name in os.listdir("/proc"):
        fields = _stat(name) if name.isdigit() else None
        if fields is not None and int(fields[field]) == value and not _dead(name, fields):
            found.append(int(name))
    return found


def _dead(pid: str, fields: list[str]) -> bool:
    """A zombie whose threads have all exited. A killed process's main thread shows it as a
    zombie while its other threads (a worker's parent watch) are still exiting, and those
    still hold its open files and their locks."""
    if fields[0] not in "ZX":
        return False
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return True
    return all((_stat(f"{pid}/task/{tid}") or ["X"])[0] in "ZX" for tid in threads)


def in_session(session: int) -> list[int]:
    return _live(3, session)


def children(pid: int) -> list[int]:
    return _live(1, pid)


def catches(pid: int, number: int) -> bool:
    """Whether the process has a handler for signal `number` (its SigCgt mask)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) >> (number - 1) & 1)
    except OSError:
        pass
    return False


def finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Its output, once it has exited; killed (with its session) if it does not."""
    try:
        return process.communicate(timeout=PATIENCE)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AssertionError(f"still running {PATIENCE:g} s after it was asked to stop") from None


def cleanup(process: subprocess.Popen[str]) -> None:
    """Leave nothing running, whatever the test did."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
    for pid in in_session(process.pid):
        os.kill(pid, signal.SIGKILL)
