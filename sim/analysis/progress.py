"""Progress as plain lines, for logs, pipes, CI and notebooks (a terminal gets a bar from the
CLI instead): how many runs of how many, the time so far and an estimate of what is left,
at most one line every few seconds and always one at the end. Runs under way (in this
process or this machine's workers) also say how far they have got in simulated time, so a
single long replication shows it is moving, and the estimate counts the parts already done."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from sim.analysis.experiment import Job, Outcome

DAY = 86_400.0


class LineProgress:
    def __init__(self, label: str, stream: TextIO | None = None, every: float = 5.0) -> None:
        self.label, self.stream, self.every = label, stream or sys.stderr, every
        self.runs: int | None = None
        self.done = self.resumed = 0
        self.started = time.monotonic()
        self.shown = -float("inf")
        self.running: dict[tuple[int, int], tuple[Job, float]] = {}  # runs under way, by key

    def total(self, runs: int) -> None:
        self.runs = runs

    def completed(self, runs: int) -> None:
        """Runs found done from before (a resumed sweep): not counted in the rate."""
        self.done = self.resumed = runs

    def advance(self, outcome: Outcome) -> None:
        self.done += 1
        self.running.pop((outcome.point, outcome.replication), None)
        self._show(final=self.done == self.runs)

    def reached(self, job: Job, at: float) -> None:
        """A run under way has simulated up to `at` seconds."""
        self.running[job.point, job.replication] = (job, at)
        self._show()

    def _show(self, final: bool = False) -> None:
        now = time.monotonic()
        if now - self.shown >= self.every or final:
            self.shown = now
            self.stream.write(self.line(now) + "\n")
            self.stream.flush()

    def line(self, now: float) -> str:
        elapsed = now - self.started
        of = f"/{self.runs}" if self.runs is not None else ""
        text = f"{self.label}: {self.done}{of} runs, {_clock(elapsed)} elapsed"
        text += going(list(self.running.values()))
        partial = simulated_part(list(self.running.values()))
        fresh = self.done - self.resumed + partial
        if self.runs is not None and fresh > 0 and self.done < self.runs:
            text += f", about {_clock(elapsed / fresh * (self.runs - self.done - partial))} left"
        return text


def simulated_part(running: list[tuple[Job, float]]) -> float:
    """Runs' worth simulated by the runs under way (two halfway: one run)."""
    return sum(at / job.scenario.horizon for job, at in running)


def going(running: list[tuple[Job, float]]) -> str:
    """Where the runs under way are: one by its day, several by how far on average."""
    if len(running) == 1:
        ((job, at),) = running
        horizon = job.scenario.horizon
        return (f", replication {job.replication} at day {at / DAY:.1f} of "
                f"{horizon / DAY:g} ({at / horizon:.0%})")
    if running:
        mean = simulated_part(running) / len(running)
        return f", {len(running)} runs under way ({mean:.0%} through on average)"
    return ""


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else (
        f"{secs}s")
