"""Progress as plain lines, for logs, pipes, CI and notebooks (a terminal gets a bar from the
CLI instead): how many runs of how many, the time so far and an estimate of what is left,
at most one line every few seconds and always one at the end."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from sim.analysis.experiment import Outcome


class LineProgress:
    def __init__(self, label: str, stream: TextIO | None = None, every: float = 5.0) -> None:
        self.label, self.stream, self.every = label, stream or sys.stderr, every
        self.runs: int | None = None
        self.done = self.resumed = 0
        self.started = time.monotonic()
        self.shown = -float("inf")

    def total(self, runs: int) -> None:
        self.runs = runs

    def completed(self, runs: int) -> None:
        """Runs found done from before (a resumed sweep): not counted in the rate."""
        self.done = self.resumed = runs

    def advance(self, outcome: Outcome) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self.shown >= self.every or self.done == self.runs:
            self.shown = now
            self.stream.write(self.line(now) + "\n")
            self.stream.flush()

    def line(self, now: float) -> str:
        elapsed = now - self.started
        of = f"/{self.runs}" if self.runs is not None else ""
        text = f"{self.label}: {self.done}{of} runs, {_clock(elapsed)} elapsed"
        fresh = self.done - self.resumed
        if self.runs is not None and fresh > 0 and self.done < self.runs:
            text += f", about {_clock(elapsed / fresh * (self.runs - self.done))} left"
        return text


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else (
        f"{secs}s")
