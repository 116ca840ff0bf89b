"""Time-weighted measures: levels that step up and down with the log's rows (tasks queued,
conversations awaiting a reply, slots held, hands busy, agents on duty), their averages over
[warmup, horizon], and their values on a grid for figures. Numpy only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from sim.analysis.context import Context
from sim.analysis.eventarrays import (
    NONE,
    EventArrays,
    Floats,
    Ints,
    Mask,
    grouped_order,
    previous_in_group,
)
from sim.analysis.measures import ALL, Measures, Scope
from sim.domain.durations import HOUR
from sim.domain.lifecycle import HOLDS_CAPACITY, TASK, Event, TaskStatus
from sim.engine.eventlog import EVENT_CODE, EVENT_NAMES

WAITING = frozenset({TaskStatus.PENDING, TaskStatus.RESERVED})  # queued for an agent
STATUSES = tuple(TaskStatus)
# Each task event leads to exactly one status (checked in tests against the table), so a
# task's status after each of its rows is a lookup by event code.
TARGET: dict[str, TaskStatus] = {event.value: target for (_, event), target in TASK.edges.items()}
_AFTER = np.full(len(EVENT_NAMES), NONE, dtype=np.int8)
for _name, _status in {**TARGET, Event.TASK_CREATED.value: TaskStatus.PENDING}.items():
    _AFTER[EVENT_NAMES.index(_name)] = STATUSES.index(_status)
_NO_STATUS = len(STATUSES)  # before a task's first row
_SEVERAL = -2  # an event the table allows from more than one status


def _sources() -> np.ndarray:
    """Per event code: the one status the table lets it leave (_SEVERAL: more than one);
    _NO_STATUS for task.created."""
    sources: dict[str, set[TaskStatus]] = {}
    for status, event in TASK.edges:
        sources.setdefault(event.value, set()).add(status)
    table = np.full(len(EVENT_NAMES), _SEVERAL, dtype=np.int8)
    table[EVENT_NAMES.index(Event.TASK_CREATED.value)] = _NO_STATUS
    for name, found in sources.items():
        if len(found) == 1:
            table[EVENT_NAMES.index(name)] = STATUSES.index(next(iter(found)))
    return table


_BEFORE = _sources()
# By status, and a last entry for "no status yet" (before a task's first row).
_IN_QUEUE = np.array([status in WAITING for status in STATUSES] + [False], dtype=np.int8)
_HOLDS = np.array([status in HOLDS_CAPACITY for status in STATUSES] + [False], dtype=np.int8)


class Steps:
    """Changes of a level, in time order: at `time`, by `delta`, for `agent` (-1: none)."""

    def __init__(self, time: Floats, delta: Ints, agent: Ints) -> None:
        keep = delta != 0
        if keep.all():  # nothing to drop: no copies
            self.time, self.delta, self.agent = time, delta, agent
        else:
            self.time, self.delta, self.agent = time[keep], delta[keep], agent[keep]


ROWS_PER_PASS = 250_000  # log rows worked through at a time: memory stays that of a pass


def status_passes(keys: Ints, values: Ints, flags: np.ndarray, rows: Ints,
                  size: int, log: EventArrays) -> Iterator[tuple[Steps, Ints]]:
    """The +1/-1 steps as keys (tasks, conversations) enter and leave the states flagged in
    `flags`, where `values[i]` is the state key `keys[i]` is in after row `rows[i]` (rows in
    time order). Worked through a pass of rows at a time, carrying each key's last state
    from one pass to the next; each pass yields its steps and the key of every step."""
    last = np.full(size, len(flags) - 1, dtype=np.int8)  # the last entry: "no state yet"
    for low in range(0, len(rows), ROWS_PER_PASS):
        key, after = keys[low:low + ROWS_PER_PASS], values[low:low + ROWS_PER_PASS]
        order = grouped_order(key)
        grouped_key, grouped_after = key[order], after[order]
        starts = np.ones(len(order), dtype=bool)
        starts[1:] = grouped_key[1:] != grouped_key[:-1]
        before = np.empty_like(grouped_after)
        before[1:] = grouped_after[:-1]
        before[starts] = last[grouped_key[starts]]
        ends = np.append(starts[1:], True)
        last[grouped_key[ends]] = grouped_after[ends]
        delta = np.empty(len(order), dtype=np.int8)
        delta[order] = flags[grouped_after] - flags[before]
        keep = delta != 0
        chosen = rows[low:low + ROWS_PER_PASS][keep]
        yield Steps(log.time[chosen], delta[keep], log.agent[chosen]), key[keep]


def task_status_passes(m: Measures, flags: np.ndarray) -> Iterator[tuple[Steps, Ints]]:
    """The steps as tasks enter/leave the statuses flagged in `flags` (a task's status after
    each of its rows is the table's target of that row's event, and before it the table's
    source), with each step's task; a pass of rows at a time."""
    log = m.log
    rows, before, after = m.memo("task statuses", lambda: _task_statuses(m))
    for low in range(0, len(rows), ROWS_PER_PASS):
        part = slice(low, low + ROWS_PER_PASS)
        delta = flags[after[part]] - flags[before[part]]
        keep = delta != 0
        chosen = rows[part][keep]
        yield Steps(log.time[chosen], delta[keep], log.agent[chosen]), log.task[chosen]


def _task_statuses(m: Measures) -> tuple[Ints, Ints, Ints]:
    """The rows that change a task's status, in time order, with its status before and after
    each (_NO_STATUS before its first). The status before is the table's one source status
    of the row's event; only for events with several (task.canceled) is it looked up, as the
    status after the task's previous row."""
    log = m.log
    rows = np.flatnonzero(_AFTER[log.event] >= 0)
    event = log.event[rows]
    before, after = _BEFORE[event], _AFTER[event]
    unsure = np.flatnonzero(before == _SEVERAL)
    if len(unsure):
        involved = np.zeros(log.task_count, dtype=bool)
        involved[log.task[rows[unsure]]] = True
        theirs = np.flatnonzero(involved[log.task[rows]])  # every status row of those tasks
        previous = previous_in_group(log.task[rows[theirs]], after[theirs], _NO_STATUS)
        unsure_rows = before[theirs] == _SEVERAL
        before[theirs[unsure_rows]] = previous[unsure_rows]
    return rows, before, after


_WAITING = np.array([0, 1, 0], dtype=np.int8)  # by state: answered, awaiting, none yet


def awaiting_steps(m: Measures) -> Iterator[tuple[Steps, Ints]]:
    """+1 when a conversation's customer starts waiting for an agent's reply (an inbound
    email to an open conversation), -1 when a reply is sent or the conversation closes;
    with the conversation of every step."""
    log = m.log
    rows = np.flatnonzero(log.where(Event.MESSAGE_INBOUND, Event.MESSAGE_OUTBOUND,
                                    Event.CONVERSATION_CLOSED))
    waiting = (log.event[rows] == EVENT_CODE[Event.MESSAGE_INBOUND]).astype(np.int8)
    yield from status_passes(log.conversation[rows], waiting, _WAITING, rows,
                             log.conversation_count, log)


def duty_steps(log: EventArrays) -> Steps:
    """+1 when an agent comes on duty (any activity but Offline), -1 when it goes Offline;
    the timeout activity is on duty: the agent is at work, just not taking offers."""
    rows = np.flatnonzero(log.where(Event.WORKER_ACTIVITY_UPDATE))
    on = (~log.detail_is("Offline")[rows]).astype(np.int8)
    delta = on - previous_in_group(log.agent[rows], on, 0)
    return Steps(log.time[rows], delta, log.agent[rows])


def hands_steps(log: EventArrays) -> Steps:
    """+1 when an agent's hands take up work (A2), -1 when the reply is sent or the wrap-up
    completes."""
    start = log.where(Event.WORKER_WORK_STARTED)
    rows = np.flatnonzero(start | log.where(Event.MESSAGE_OUTBOUND, Event.TASK_COMPLETED))
    delta = np.where(start[rows], 1, -1).astype(np.int8)
    return Steps(log.time[rows], delta, log.agent[rows])


# Levels: what a level's KPIs and figure need, in one pass ------------------------------------

@dataclass(frozen=True)
class Level:
    """A level over [warmup, horizon]: its integral, overall and per skill, and its values
    at the hours of the figures."""

    integral: float
    by_skill: Floats
    on_grid: Floats


def integral(steps: Steps, start: float, end: float) -> Floats:
    """Each step's share of the integral over [start, end] of the level it changes: its
    delta times how long it is in force within the window."""
    share: Floats = steps.delta * (end - np.clip(steps.time, start, end))
    return share


def _level(m: Measures, parts: Iterable[tuple[Steps, Ints]], skill_of: Ints) -> Level:
    start, end = m.context.warmup, m.context.horizon
    grid = hourly_grid(m.context)
    total, by_skill = 0.0, np.zeros(len(m.skill_names) + 1)
    on_grid = np.zeros(len(grid))
    for steps, key in parts:
        share = integral(steps, start, end)
        total += float(share.sum())
        by_skill += np.bincount(skill_of[key] + 1, weights=share, minlength=len(by_skill))
        on_grid += level_at(steps, grid)
    return Level(total, by_skill[1:], on_grid)


def queued(m: Measures) -> Level:
    return m.memo("queued", lambda: _level(m, task_status_passes(m, _IN_QUEUE),
                                           m.task_skill))


def awaiting(m: Measures) -> Level:
    return m.memo("awaiting", lambda: _level(m, awaiting_steps(m), m.conversation_skill))


def _mean(m: Measures, level: Level, scope: Scope) -> float:
    span = m.context.horizon - m.context.warmup
    if span <= 0:
        return float("nan")
    part = level.integral if scope.skill is None else float(level.by_skill[scope.skill])
    return part / span


def hourly_grid(context: Context) -> Floats:
    """Sample times for figures: every hour of the measured window."""
    return np.arange(context.warmup, context.horizon + 1e-9, HOUR)


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
    held, held_on_grid = _held(m, on_duty, grid)
    busy = np.zeros(agents)
    for agent, (times, deltas) in enumerate(_by_agent(hands_steps(m.log), agents)):
        busy[agent] = on_duty[agent].integral(times, deltas)
    on_grid = _per_agent_levels(duty, agents, grid)
    used = np.sum(on_grid * held_on_grid, axis=0)
    available = np.sum(on_grid * m.agent_capacity[:, None], axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        occupancy = np.where(available > 0, used / np.maximum(available, 1), np.nan)
    return PerAgent(np.array([d.total for d in on_duty]), held, busy, occupancy)


def _held(m: Measures, on_duty: list[_OnDuty], grid: Floats) -> tuple[Floats, Floats]:
    """Slot-seconds held on duty per agent, and slots held per agent at each grid time.
    An agent's held time is the sum of its integrals over the passes of rows (as
    task_status_passes makes them), in pass order, so the figure does not depend on how
    the work is split; the integrands of all passes are computed at once per agent, and
    summed per pass."""
    log = m.log
    rows, before, after = m.memo("task statuses", lambda: _task_statuses(m))
    delta = _HOLDS[after] - _HOLDS[before]
    changes = np.flatnonzero(delta)
    chosen = rows[changes]
    steps = Steps(log.time[chosen], delta[changes], log.agent[chosen])
    which = (changes // ROWS_PER_PASS).astype(np.int32)  # the pass of each step
    del delta, chosen, changes
    passes = -(-len(rows) // ROWS_PER_PASS)
    held = np.zeros(len(on_duty))
    order, bounds = _agent_groups(steps, len(on_duty))
    for agent, (low, high) in enumerate(pairwise(bounds)):
        mine = order[low:high]
        shares = on_duty[agent].integrand(steps.time[mine], steps.delta[mine])
        cuts = np.flatnonzero(np.diff(which[mine], prepend=-1, append=passes))
        for first, last in pairwise(cuts):
            held[agent] += float(np.sum(shares[first:last]))
    return held, _per_agent_levels(steps, len(on_duty), grid)


class _OnDuty:
    """One agent's time on duty within [start, end], as a function of time: D(x), the time
    on duty from `start` to x, is piecewise linear between its duty changes."""

    def __init__(self, times: Floats, deltas: Ints, start: float, end: float) -> None:
        self.start, self.end = start, end
        self.times = times
        self.level = np.cumsum(deltas, dtype=np.int64)  # on duty (1) or not, after each change
        clipped = np.clip(times, start, end)
        spans = np.diff(np.append(clipped, end)) * self.level
        self.before = np.concatenate([[0.0], np.cumsum(spans)[:-1]]) if len(times) else (
            np.zeros(0))
        self.total = float(np.sum(spans))

    def until(self, moments: Floats) -> Floats:
        """D at each moment (a duty change at the same moment counts already)."""
        index = np.searchsorted(self.times, moments, side="right") - 1
        clipped = np.clip(moments, self.start, self.end)
        known = index >= 0
        at = np.zeros(len(moments))
        i = index[known]
        at[known] = self.before[i] + self.level[i] * (
            clipped[known] - np.clip(self.times[i], self.start, self.end))
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
    codes = np.arange(agents + 1, dtype=steps.agent.dtype)  # of the steps' width: no copy
    return order, np.searchsorted(steps.agent[order], codes)


def level_at(steps: Steps, grid: Floats) -> Floats:
    """The level at each grid time (changes at a grid time count)."""
    level = np.concatenate([[0], np.cumsum(steps.delta, dtype=np.int64)])
    return level[np.searchsorted(steps.time, grid, side="right")].astype(np.float64)


def _per_agent_levels(steps: Steps, agents: int, grid: Floats) -> Floats:
    """Level of each agent at each grid time: an (agents x grid) array. The changes are
    whole numbers, so their sums per cell are exact in any order (a bincount of the cells,
    several times faster than np.add.at on two indices)."""
    slot = np.searchsorted(grid, steps.time, side="left")  # first grid point at or after
    keep = (steps.agent >= 0) & (slot < len(grid))
    cell = steps.agent[keep].astype(np.int64) * len(grid) + slot[keep]
    out = np.bincount(cell, weights=steps.delta[keep], minlength=agents * len(grid))
    return np.cumsum(out.reshape(agents, len(grid)), axis=1)


# KPIs ----------------------------------------------------------------------------------------

def queued_tasks_mean(m: Measures, scope: Scope = ALL) -> float:
    return _mean(m, queued(m), scope)


def unanswered_conversations_mean(m: Measures, scope: Scope = ALL) -> float:
    return _mean(m, awaiting(m), scope)


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


# Series for figures ---------------------------------------------------------------------------

def queued_at(m: Measures) -> Floats:
    return queued(m).on_grid


def queued_on(m: Measures, grid: Floats) -> Floats:
    """Tasks queued at each time of any grid (the figures' is `queued_at`)."""
    levels = np.zeros(len(grid))
    for steps, _ in task_status_passes(m, _IN_QUEUE):
        levels += level_at(steps, grid)
    return levels


def unanswered_at(m: Measures) -> Floats:
    return awaiting(m).on_grid


def occupancy_at(m: Measures) -> Floats:
    return per_agent(m).occupancy_on_grid
