"""The cheapest staffing that meets the targets, found with few evaluations, given that more
agents in any group never make a target harder to meet (the KPIs a target may name are
monotone in staffing under common random numbers; tests/test_validation.py checks it).

Counts are tuples, one per varied group. A point is known to meet when it has at least the
agents of a point that met, and known to miss when it has at most those of one that missed;
only the rest are simulated (`Lattice.meets`). With one group the search steps out from the
first guess (1, 2, 4, ... agents) until the answer is bracketed, then bisects. With several,
it walks every combination of the other groups from the top down, finding the fewest agents
of the last group for each: the fewest needed only grow as the others shrink, so each walk
starts where the previous one ended, and a combination that cannot beat the cheapest found
so far is not simulated at all. The result is the cheapest point by `key` (cost, then fewer
agents, then the counts), exactly as an exhaustive search over the ranges would find it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

Counts = tuple[int, ...]
Key = Callable[[Counts], Any]


def _at_least(a: Counts, b: Counts) -> bool:
    return all(x >= y for x, y in zip(a, b, strict=True))


class Lattice:
    """What is known about points: evaluated ones, and what follows from them."""

    def __init__(self, evaluate: Callable[[Counts], bool]) -> None:
        self._evaluate = evaluate
        self.met: list[Counts] = []
        self.missed: list[Counts] = []

    def known(self, point: Counts) -> bool | None:
        if any(_at_least(point, m) for m in self.met):
            return True
        if any(_at_least(m, point) for m in self.missed):
            return False
        return None

    def meets(self, point: Counts) -> bool:
        known = self.known(point)
        if known is not None:
            return known
        result = self._evaluate(point)
        (self.met if result else self.missed).append(point)
        return result


def lowest(meets: Callable[[int], bool], low: int, high: int, start: int) -> int | None:
    """The least n in [low, high] that meets (None if high does not), for `meets` monotone:
    step out from `start` by 1, 2, 4, ... until bracketed, then bisect."""
    if low > high:
        return None
    start = min(max(start, low), high)
    if meets(start):
        met, missed, step = start, low - 1, 1
        while met - step >= low:
            if not meets(met - step):
                missed = met - step
                break
            met, step = met - step, step * 2
    else:
        missed, step = start, 1
        while True:
            if missed == high:
                return None
            probe = min(high, missed + step)
            if meets(probe):
                met = probe
                break
            missed, step = probe, step * 2
    while met - missed > 1:
        middle = (met + missed) // 2
        if meets(middle):
            met = middle
        else:
            missed = middle
    return met


def cheapest(ranges: Sequence[tuple[int, int]], key: Key, lattice: Lattice,
             guess: Counts) -> Counts | None:
    """The point of least `key` within `ranges` that meets, or None if none does."""
    best = guess if lattice.meets(guess) else None
    low, high = ranges[-1]
    start = guess[-1]
    for prefix in itertools.product(*(range(b, a - 1, -1) for a, b in ranges[:-1])):
        top = _affordable(prefix, low, _known_top(lattice, prefix, high), key, best)
        floor = max([low] + [m[-1] + 1 for m in lattice.missed if _at_least(m[:-1], prefix)])
        found = lowest(_column(lattice, prefix), floor, top, start)
        if found is None:
            continue
        start = found
        point = (*prefix, found)
        if best is None or key(point) < key(best):
            best = point
    return best


def _column(lattice: Lattice, prefix: Counts) -> Callable[[int], bool]:
    return lambda n: lattice.meets((*prefix, n))


def _known_top(lattice: Lattice, prefix: Counts, high: int) -> int:
    """No more of the last group is needed than a point that met with at most `prefix`."""
    return min([high] + [m[-1] for m in lattice.met if _at_least(prefix, m[:-1])])


def _affordable(prefix: Counts, low: int, high: int, key: Key, best: Counts | None) -> int:
    """The most of the last group that could still beat `best` (low - 1: none)."""
    if best is None:
        return high
    while high >= low and not key((*prefix, high)) < key(best):
        high -= 1
    return high
