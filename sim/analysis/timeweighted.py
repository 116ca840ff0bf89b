"""Time-weighted measures: levels that step up and down with the log's rows (tasks queued,
conversations awaiting a reply, slots held, hands busy, agents on duty), their averages over
[warmup, horizon], and their values on a grid for figures. Numpy only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from sim.analysis.context import Context
from sim.analysis.eventarrays import (
    NONE,
    EventArrays,
    Floats,
    Ints,
    grouped_order,
    positions,
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
_STATUS_EVENTS = tuple(Event(name) for code, name in enumerate(EVENT_NAMES) if _AFTER[code] >= 0)
_NO_STATUS = len(STATUSES)  # before a task's first row
_CHANGES = _NO_STATUS + 1  # statuses a task can be in before a row, "none yet" included
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
HOLDS = np.array([status in HOLDS_CAPACITY for status in STATUSES] + [False], dtype=np.int8)


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
        starts, ends = group_bounds(grouped_key)
        before = np.empty_like(grouped_after)
        before[1:] = grouped_after[:-1]
        keys_here = grouped_key[starts]  # each key of the pass once
        before[starts] = last[keys_here]
        last[keys_here] = grouped_after[ends]
        delta = np.empty(len(order), dtype=np.int8)
        delta[order] = flags[grouped_after] - flags[before]
        keep = delta != 0
        chosen = rows[low:low + ROWS_PER_PASS][keep]
        yield Steps(log.time[chosen], delta[keep], log.agent[chosen]), key[keep]


def group_bounds(grouped: Ints) -> tuple[Ints, Ints]:
    """Where each run of equal values of a non-empty grouped array starts and ends: the
    positions of its first and of its last entry (the runs' keys are then looked up once,
    not through whole-length masks of starts and of ends)."""
    change = np.flatnonzero(grouped[1:] != grouped[:-1])  # last entry of every run but one
    starts, ends = np.empty(len(change) + 1, dtype=np.int64), np.empty(len(change) + 1,
                                                                         dtype=np.int64)
    starts[0], starts[1:] = 0, change + 1
    ends[:-1], ends[-1] = change, len(grouped) - 1
    return starts, ends


def task_status_passes(m: Measures, flags: np.ndarray) -> Iterator[tuple[Steps, Ints]]:
    """The steps as tasks enter/leave the statuses flagged in `flags` (a task's status after
    each of its rows is the table's target of that row's event, and before it the table's
    source), with each step's task; a pass of rows at a time."""
    log = m.log
    rows, change = task_statuses(m)
    deltas = change_deltas(flags)
    for low in range(0, len(rows), ROWS_PER_PASS):
        part = slice(low, low + ROWS_PER_PASS)
        delta = deltas[change[part]]
        keep = delta != 0
        chosen = rows[part][keep]
        yield Steps(log.time[chosen], delta[keep], log.agent[chosen]), log.task[chosen]


def task_statuses(m: Measures) -> tuple[Ints, Ints]:
    """The rows that change a task's status, in time order, and each one's change as a
    code, before * _CHANGES + after (one byte a row instead of two); once per Measures
    (the queue level and the slots held share it)."""
    def compute() -> tuple[Ints, Ints]:
        rows, before, after = _task_statuses(m)
        change = before * _CHANGES + after  # int8: below 8 * 8
        return rows, change
    return m.memo("task statuses", compute)


def change_deltas(flags: np.ndarray) -> np.ndarray:
    """Per change code: how the flag of the status changes (flags by status, and a last
    entry for no status yet)."""
    codes = np.arange(_CHANGES * _CHANGES)
    deltas: np.ndarray = (flags[codes % _CHANGES] - flags[codes // _CHANGES]).astype(np.int8)
    return deltas


def _task_statuses(m: Measures) -> tuple[Ints, Ints, Ints]:
    """The rows that change a task's status, in time order, with its status before and after
    each (_NO_STATUS before its first). The status before is the table's one source status
    of the row's event; only for events with several (task.canceled) is it looked up, as the
    status after the task's previous row."""
    log = m.log
    rows = positions(log.where(*_STATUS_EVENTS))  # 32-bit: half the memory
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
    rows = positions(log.where(Event.MESSAGE_INBOUND, Event.MESSAGE_OUTBOUND,
                               Event.CONVERSATION_CLOSED))
    waiting = (log.event[rows] == EVENT_CODE[Event.MESSAGE_INBOUND]).astype(np.int8)
    yield from status_passes(log.conversation[rows], waiting, _WAITING, rows,
                             log.conversation_count, log)


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


def level_at(steps: Steps, grid: Floats) -> Floats:
    """The level at each grid time (changes at a grid time count)."""
    level = np.concatenate([[0], np.cumsum(steps.delta, dtype=np.int64)])
    return level[np.searchsorted(steps.time, grid, side="right")].astype(np.float64)


# KPIs ----------------------------------------------------------------------------------------

def queued_tasks_mean(m: Measures, scope: Scope = ALL) -> float:
    return _mean(m, queued(m), scope)


def unanswered_conversations_mean(m: Measures, scope: Scope = ALL) -> float:
    return _mean(m, awaiting(m), scope)


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
