"""The backlog a run starts with (`initial.pending`, sim.domain.initial): what is waiting at
time 0, drawn on streams of its own so that runs without one draw exactly as before."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from sim.domain.distributions import Sampler
from sim.domain.scenario import Scenario
from sim.domain.streams import Streams

TRIES = 1000  # draws of an age per task before the age distribution is declared unusable


class BacklogError(ValueError):
    """The age distribution almost never falls below its limit (the TTL, an expiry)."""


def backlog(scenario: Scenario, skills: list[str], streams: Streams
            ) -> list[tuple[float, int, int]]:
    """(age, skill index, priority) of each task pending at time 0, oldest first (ties in
    skill order). An age at or past the TTL is drawn again: a task that old would have been
    canceled, so the distribution is read as that of the tasks still pending."""
    pending = scenario.initial.pending
    counts = {skills.index(skill): n for skill, n in pending.counts.items() if n > 0}
    if not counts:
        return []
    draw = pending.age.sampler(streams.generator("initial.pending.age"))
    ttl = scenario.flex.task_ttl
    priorities = priorities_of(scenario, streams, sum(counts.values()), "pending")
    tasks = [(age_below(draw, ttl, "pending", "flex.task_ttl"), skill, next(priorities))
             for skill in sorted(counts) for _ in range(counts[skill])]
    return sorted(tasks, key=lambda task: -task[0])  # stable: equal ages keep skill order


def age_below(draw: Sampler, limit: float, section: str, setting: str) -> float:
    """An age below `limit`: one at or past it is drawn again (it would be over by 0)."""
    for _ in range(TRIES):
        age = float(draw())
        if age < limit:
            return age
    raise BacklogError(f"initial.{section}.age: {TRIES} draws in a row were at least "
                       f"{setting}; give ages that mostly fall below it")


def priorities_of(scenario: Scenario, streams: Streams, total: int, section: str
                  ) -> Iterator[int]:
    """Priorities as new email has them (arrivals.priorities)."""
    shares = scenario.arrivals.priorities
    if len(shares) == 1:
        return iter([next(iter(shares))] * total)
    rng = streams.generator(f"initial.{section}.priority")
    weights = np.array(list(shares.values()), dtype=float)
    chosen = rng.choice(list(shares), size=total, p=weights / weights.sum())
    return (int(p) for p in chosen)
