"""Time-weighted measures per agent: time on duty, slot-time held by tasks (R7) and time
the hands work (A2), each within [warmup, horizon], and occupancy at the hours of the
figures. Numpy only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from sim.analysis.eventarrays import (
    CodeGroups,
    EventArrays,
    Floats,
    Ints,
    Mask,
    code_counts,
    grouped_by_code,
    grouped_order,
    positions,
    previous_in_group,
    searchsorted_sorted,
)
from sim.analysis.measures import ALL, Measures, Scope
from sim.analysis.timeweighted import (
    HOLDS,
    ROWS_PER_PASS,
    Steps,
    change_deltas,
    hourly_grid,
    task_statuses,
)
from sim.domain.lifecycle import Event
from sim.engine.eventlog import EVENT_CODE


def duty_steps(log: EventArrays) -> Steps:
    """+1 when an agent comes on duty (any activity but Offline), -1 when it goes Offline;
    the timeout activity is on duty: the agent is at work, just not taking offers."""
    rows = np.flatnonzero(log.where(Event.WORKER_ACTIVITY_UPDATE))
    on = (~log.detail_is("Offline", rows)).astype(np.int8)
    delta = on - previous_in_group(log.agent[rows], on, 0)
    return Steps(log.time[rows], delta, log.agent[rows])


_HANDS = (Event.WORKER_WORK_STARTED, Event.MESSAGE_OUTBOUND, Event.TASK_COMPLETED)


def hands_by_agent(log: EventArrays, agents: int) -> tuple[Floats, Ints, Ints]:
    """+1 when an agent's hands take up work (A2), -1 when the reply is sent or the wrap-up
    completes: the steps' times and deltas grouped by agent (in time order within one; the
    agent's are at [bounds[a], bounds[a + 1])), and the bounds. Made a slice of the log at a
    time, straight into their agent's places: no steps in time order, no sort of them all."""
    chosen = log.where(*_HANDS)

    def passes() -> Iterator[Ints]:  # the chosen rows of each slice of the log
        for low in range(0, len(chosen), ROWS_PER_PASS):
            yield low + np.flatnonzero(chosen[low:low + ROWS_PER_PASS])

    counts = np.zeros(agents + 1, dtype=np.int64)
    for rows in passes():  # how many each agent has, to know where its steps go
        counts += code_counts(log.agent[rows], agents)
    groups = CodeGroups(counts, [np.dtype(np.float64), np.dtype(np.int8)])
    for rows in passes():
        started = log.event[rows] == EVENT_CODE[Event.WORKER_WORK_STARTED]
        groups.add(log.agent[rows], log.time[rows], started.view(np.int8) * 2 - 1)
    time, delta = groups.columns
    return time, delta, groups.bounds


# Per agent: on duty, slots held, hands busy ---------------------------------------------------

@dataclass(frozen=True)
class PerAgent:
    on_duty: Floats  # seconds on duty within [warmup, horizon], per agent code
    held: Floats  # slot-seconds held while on duty
    busy: Floats  # hands-seconds working while on duty
    occupancy_on_grid: Floats  # share of on-duty slots held at each hour (NaN: nobody on)


def per_agent(m: Measures) -> PerAgent:
    return m.memo("per agent", lambda: _per_agent(m))


def _per_agent(m: Measures) -> PerAgent:
    start, end, agents = m.context.warmup, m.context.horizon, len(m.log.agents)
    duty, grid = duty_steps(m.log), hourly_grid(m.context)
    on_duty = [_OnDuty(times, deltas, start, end) for times, deltas in _by_agent(duty, agents)]
    busy = _busy(m.log, on_duty)  # first: the largest arrays, while the heap is emptiest
    held, held_on_grid = _held(m, on_duty, grid)
    on_grid = _per_agent_levels(duty, agents, grid)
    used = np.sum(on_grid * held_on_grid, axis=0)
    available = np.sum(on_grid * m.agent_capacity[:, None], axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        occupancy = np.where(available > 0, used / np.maximum(available, 1), np.nan)
    return PerAgent(np.array([d.total for d in on_duty]), held, busy, occupancy)


def _busy(log: EventArrays, on_duty: list[_OnDuty]) -> Floats:
    """Hands-seconds working on duty, per agent."""
    time, delta, bounds = hands_by_agent(log, len(on_duty))
    busy = np.zeros(len(on_duty))
    for agent, (low, high) in enumerate(pairwise(bounds.tolist())):
        busy[agent] = on_duty[agent].integral(time[low:high], delta[low:high])
    return busy


def _held(m: Measures, on_duty: list[_OnDuty], grid: Floats) -> tuple[Floats, Floats]:
    """Slot-seconds held on duty per agent, and slots held per agent at each grid time.
    An agent's held time is the sum of its integrals over the passes of rows (as
    task_status_passes makes them), in pass order, so the figure does not depend on how
    the work is split; the integrands of all passes are computed at once per agent, and
    summed per pass."""
    steps, which, passes = _held_steps(m)
    every_pass = np.arange(passes + 1, dtype=np.int32)
    (time, delta, pass_of), bounds = grouped_by_code(steps.agent, len(on_duty), steps.time,
                                                     steps.delta, which)
    held = np.zeros(len(on_duty))
    for agent, (low, high) in enumerate(pairwise(bounds.tolist())):
        shares = on_duty[agent].integrand(time[low:high], delta[low:high])
        # where each pass's steps begin (an agent's are in pass order); an empty pass adds
        # 0.0, which leaves the sum as it is
        cuts = np.searchsorted(pass_of[low:high], every_pass).tolist()
        for first, last in pairwise(cuts):
            held[agent] += float(shares[first:last].sum())
    return held, _per_agent_levels(steps, len(on_duty), grid)


def _held_steps(m: Measures) -> tuple[Steps, Ints, int]:
    """The steps as tasks start and stop holding a slot of their agent, the pass of rows
    each falls in, and how many passes task_status_passes makes."""
    rows, change = task_statuses(m)
    delta = change_deltas(HOLDS)[change]
    changes = positions(delta != 0)  # 32-bit: no 64-bit positions of them all
    which = changes // ROWS_PER_PASS
    chosen = rows[changes]
    steps = Steps(m.log.time[chosen], delta[changes], m.log.agent[chosen])
    return steps, which, -(-len(rows) // ROWS_PER_PASS)


class _OnDuty:
    """One agent's time on duty within [start, end], as a function of time: D(x), the time
    on duty from `start` to x, is piecewise linear between its duty changes."""

    def __init__(self, times: Floats, deltas: Ints, start: float, end: float) -> None:
        self.start, self.end = start, end
        self.times = times
        self.level = np.cumsum(deltas, dtype=np.int64)  # on duty (1) or not, after each change
        clipped = self.clipped = np.clip(times, start, end)
        spans = np.diff(np.append(clipped, end)) * self.level
        self.before = np.concatenate([[0.0], np.cumsum(spans)[:-1]]) if len(times) else (
            np.zeros(0))
        self.total = float(np.sum(spans))

    def until(self, moments: Floats) -> Floats:
        """D at each moment (a duty change at the same moment counts already)."""
        index = self._last_change(moments)
        clipped = np.clip(moments, self.start, self.end)
        known = index >= 0
        if known.all():  # the common case: every moment after the first duty change
            return self._after_change(index, clipped)
        at = np.zeros(len(moments))
        at[known] = self._after_change(index[known], clipped[known])
        return at

    def _last_change(self, moments: Floats) -> Ints:
        """Per moment, the index of the last duty change at or before it (-1: none)."""
        last = searchsorted_sorted(self.times, moments, "right")
        last -= 1
        return last

    def _after_change(self, index: Ints, clipped: Floats) -> Floats:
        """D at (clipped) moments after the duty changes at `index`."""
        at: Floats = self.before[index] + self.level[index] * (clipped - self.clipped[index])
        return at

    def integral(self, times: Floats, deltas: Ints) -> float:
        """The integral, while on duty, of the level that changes by `deltas` at `times`:
        each change counts for the time on duty between it and the end."""
        if not len(times):
            return 0.0
        return float(np.sum(self.integrand(times, deltas)))

    def integrand(self, times: Floats, deltas: Ints) -> Floats:
        """Each change's share of `integral`: its delta times the time on duty after it."""
        shares: Floats = deltas * (self.total - self.until(times))
        return shares


def _by_agent(steps: Steps, agents: int) -> list[tuple[Floats, Ints]]:
    """Each agent's steps (time, delta), in time order."""
    order, bounds = _agent_groups(steps, agents)
    time, delta = steps.time[order], steps.delta[order]
    return [(time[low:high], delta[low:high]) for low, high in pairwise(bounds)]


def _agent_groups(steps: Steps, agents: int) -> tuple[Ints, Ints]:
    """The positions of the steps, grouped by agent (in time order within one), and where
    each agent's group begins and ends (steps without an agent, -1, come before the first)."""
    order = grouped_order(steps.agent)
    return order, np.cumsum(code_counts(steps.agent, agents))


def _per_agent_levels(steps: Steps, agents: int, grid: Floats) -> Floats:
    """Level of each agent at each grid time: an (agents x grid) array. The changes are
    whole numbers, so their sums per cell are exact in any order (a bincount of the cells,
    several times faster than np.add.at on two indices, made a slice of steps at a time)."""
    changes = np.zeros(agents * len(grid))
    for low in range(0, len(steps.time), ROWS_PER_PASS):
        part = slice(low, low + ROWS_PER_PASS)
        cell, delta = _cells(steps.time[part], steps.agent[part], steps.delta[part], grid)
        changes += np.bincount(cell, weights=delta, minlength=len(changes))
    return np.cumsum(changes.reshape(agents, len(grid)), axis=1)


def _cells(time: Floats, agent: Ints, delta: Ints, grid: Floats) -> tuple[Ints, Ints]:
    """Each change's cell (agent, first grid time at or after it) and delta, for changes
    with an agent and before the grid's end."""
    slot = searchsorted_sorted(grid, time, "left")
    keep = (agent >= 0) & (slot < len(grid))
    return agent[keep].astype(np.int64) * len(grid) + slot[keep], delta[keep]


# KPIs -------------------------------------------------------------------------------------

def slot_occupancy(m: Measures, scope: Scope = ALL) -> float:
    """Slot-time held on duty / slot-time available on duty (R7)."""
    found = per_agent(m)
    keep = _agents(m, scope)
    available = float(np.sum((found.on_duty * m.agent_capacity)[keep]))
    return float(np.sum(found.held[keep])) / available if available else float("nan")


def agent_utilization(m: Measures, scope: Scope = ALL) -> float:
    """Time the hands work on duty / time on duty (A2)."""
    found = per_agent(m)
    keep = _agents(m, scope)
    on = float(np.sum(found.on_duty[keep]))
    return float(np.sum(found.busy[keep])) / on if on else float("nan")


def _agents(m: Measures, scope: Scope) -> Mask:
    known = m.agent_capacity > 0
    return known if scope.agents is None else known & scope.agents


# Series for figures -----------------------------------------------------------------------

def occupancy_at(m: Measures) -> Floats:
    return per_agent(m).occupancy_on_grid
