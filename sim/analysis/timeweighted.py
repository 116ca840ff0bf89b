"""Time-weighted measures: levels that step up and down with the log's rows (tasks queued,
conversations awaiting a reply, slots held, hands busy, agents on duty), their averages over
[warmup, horizon], and their values on a grid for figures. Numpy only."""

from __future__ import annotations

import numpy as np

from sim.analysis.eventarrays import NONE, EventArrays, Floats, Ints, Mask, previous_in_group
from sim.analysis.measures import ALL, Measures, Scope
from sim.domain.lifecycle import HOLDS_CAPACITY, TASK, Event, TaskStatus
from sim.engine.eventlog import EVENT_CODE, EVENT_NAMES

WAITING = frozenset({TaskStatus.PENDING, TaskStatus.RESERVED})  # queued for an agent
STATUSES = tuple(TaskStatus)
# Each task event leads to exactly one status (checked in tests against the table), so a
# task's status after each of its rows is a lookup by event code.
TARGET: dict[str, TaskStatus] = {event.value: target for (_, event), target in TASK.edges.items()}
_AFTER = np.full(len(EVENT_NAMES), NONE, dtype=np.int64)
for _name, _status in {**TARGET, Event.TASK_CREATED.value: TaskStatus.PENDING}.items():
    _AFTER[EVENT_NAMES.index(_name)] = STATUSES.index(_status)
_IN_QUEUE = np.array([status in WAITING for status in STATUSES] + [False])
_HOLDS = np.array([status in HOLDS_CAPACITY for status in STATUSES] + [False])


class Steps:
    """Changes of a level: at `time`, by `delta`, for `agent` (-1 when not per agent)."""

    def __init__(self, time: Floats, delta: Ints, agent: Ints) -> None:
        keep = delta != 0
        self.time, self.delta, self.agent = time[keep], delta[keep], agent[keep]


def task_status_steps(m: Measures, scope: Scope, flags: np.ndarray) -> Steps:
    """+1/-1 as each task in scope enters/leaves the statuses flagged in `flags`."""
    log = m.log
    rows = np.flatnonzero(_AFTER[log.event] >= 0)
    rows = rows[np.argsort(log.task[rows], kind="stable")]
    after = _AFTER[log.event[rows]]
    before = previous_in_group(log.task[rows], after, len(STATUSES))  # "no status" first
    delta = flags[after].astype(np.int64) - flags[before].astype(np.int64)
    keep = scope.rows(log.task[rows], log.agent[rows])
    rows, delta = rows[keep], delta[keep]
    order = np.argsort(log.time[rows], kind="stable")
    return Steps(log.time[rows][order], delta[order], log.agent[rows][order])


def awaiting_steps(m: Measures, scope: Scope) -> Steps:
    """+1 when a conversation's customer starts waiting for an agent's reply (an inbound
    email to an open conversation), -1 when a reply is sent or the conversation closes."""
    log = m.log
    rows = np.flatnonzero(log.where(Event.MESSAGE_INBOUND, Event.MESSAGE_OUTBOUND,
                                    Event.CONVERSATION_CLOSED))
    rows = rows[np.argsort(log.conversation[rows], kind="stable")]
    waiting = (log.event[rows] == EVENT_CODE[Event.MESSAGE_INBOUND]).astype(np.int64)
    before = previous_in_group(log.conversation[rows], waiting, 0)
    none = np.full(len(rows), NONE)
    keep = Scope(conversations=scope.conversations).rows(none, none, log.conversation[rows])
    rows, delta = rows[keep], (waiting - before)[keep]
    order = np.argsort(log.time[rows], kind="stable")
    return Steps(log.time[rows][order], delta[order], np.full(len(rows), NONE))


def duty_steps(log: EventArrays) -> Steps:
    """+1 when an agent comes on duty (any activity but Offline), -1 when it goes Offline;
    the timeout activity is on duty: the agent is at work, just not taking offers."""
    rows = np.flatnonzero(log.where(Event.WORKER_ACTIVITY_UPDATE))
    rows = rows[np.argsort(log.agent[rows], kind="stable")]
    on = (~log.detail_is("Offline")[rows]).astype(np.int64)
    delta = on - previous_in_group(log.agent[rows], on, 0)
    order = np.argsort(log.time[rows], kind="stable")
    return Steps(log.time[rows][order], delta[order], log.agent[rows][order])


def hands_steps(log: EventArrays) -> Steps:
    """+1 when an agent's hands take up work (A2), -1 when the reply is sent or the wrap-up
    completes."""
    start = log.where(Event.WORKER_WORK_STARTED)
    rows = np.flatnonzero(start | log.where(Event.MESSAGE_OUTBOUND, Event.TASK_COMPLETED))
    delta = np.where(start[rows], 1, -1).astype(np.int64)
    return Steps(log.time[rows], delta, log.agent[rows])


def time_average(steps: Steps, start: float, end: float) -> float:
    """Average over [start, end] of the level that changes by the steps (0 before them)."""
    if end <= start:
        return float("nan")
    level = np.cumsum(steps.delta)
    edges = np.clip(np.append(steps.time, end), start, end)
    return float(np.sum(level * np.diff(edges)) / (end - start))


def per_agent_integrals(duty: Steps, other: Steps, agents: int, start: float,
                        end: float) -> tuple[Floats, Floats]:
    """Per agent code: time on duty, and the integral of `other`'s level while on duty,
    both within [start, end]."""
    time = np.concatenate([duty.time, other.time])
    agent = np.concatenate([duty.agent, other.agent])
    on = np.concatenate([duty.delta, np.zeros(len(other.time), np.int64)])
    level = np.concatenate([np.zeros(len(duty.time), np.int64), other.delta])
    order = np.lexsort((np.arange(len(time)), time, agent))
    time, agent, on, level = time[order], agent[order], on[order], level[order]
    on_level, other_level = _grouped_cumsum(agent, on), _grouped_cumsum(agent, level)
    following = np.append(time[1:], end)
    last = np.append(agent[1:] != agent[:-1], True)
    following[last] = end
    width = np.clip(following, start, end) - np.clip(time, start, end)
    keep = agent >= 0
    duty_time = np.bincount(agent[keep], weights=(on_level * width)[keep], minlength=agents)
    used = np.bincount(agent[keep], weights=(on_level * other_level * width)[keep],
                       minlength=agents)
    return duty_time.astype(np.float64), used.astype(np.float64)


def _grouped_cumsum(keys: Ints, values: Ints) -> Ints:
    """Running sums that restart at every new key (rows grouped by key)."""
    total = np.cumsum(values)
    if not len(values):
        return total
    starts = np.flatnonzero(np.append(True, keys[1:] != keys[:-1]))
    offsets = np.repeat(total[starts] - values[starts], np.diff(np.append(starts, len(keys))))
    return total - offsets


# KPIs ----------------------------------------------------------------------------------------

def queued_tasks_mean(m: Measures, scope: Scope = ALL) -> float:
    steps = task_status_steps(m, scope, _IN_QUEUE)
    return time_average(steps, m.context.warmup, m.context.horizon)


def unanswered_conversations_mean(m: Measures, scope: Scope = ALL) -> float:
    steps = awaiting_steps(m, scope)
    return time_average(steps, m.context.warmup, m.context.horizon)


def slot_occupancy(m: Measures, scope: Scope = ALL) -> float:
    """Slot-time held on duty / slot-time available on duty (R7)."""
    duty, used = per_agent_integrals(duty_steps(m.log), task_status_steps(m, ALL, _HOLDS),
                                     len(m.log.agents), m.context.warmup, m.context.horizon)
    keep = _agents(m, scope)
    available = float(np.sum((duty * m.agent_capacity)[keep]))
    return float(np.sum(used[keep])) / available if available else float("nan")


def agent_utilization(m: Measures, scope: Scope = ALL) -> float:
    """Time the hands work on duty / time on duty (A2)."""
    duty, busy = per_agent_integrals(duty_steps(m.log), hands_steps(m.log),
                                     len(m.log.agents), m.context.warmup, m.context.horizon)
    keep = _agents(m, scope)
    on = float(np.sum(duty[keep]))
    return float(np.sum(busy[keep])) / on if on else float("nan")


def _agents(m: Measures, scope: Scope) -> Mask:
    known = m.agent_capacity > 0
    return known if scope.agents is None else known & scope.agents


# Series for figures ---------------------------------------------------------------------------

def level_at(steps: Steps, grid: Floats) -> Floats:
    level = np.concatenate([[0], np.cumsum(steps.delta)])
    return level[np.searchsorted(steps.time, grid, side="right")].astype(np.float64)


def queued_at(m: Measures, grid: Floats) -> Floats:
    return level_at(task_status_steps(m, ALL, _IN_QUEUE), grid)


def unanswered_at(m: Measures, grid: Floats) -> Floats:
    return level_at(awaiting_steps(m, ALL), grid)


def occupancy_at(m: Measures, grid: Floats) -> Floats:
    """Share of on-duty agents' slots held at each grid time (NaN when no one is on)."""
    duty, slots = duty_steps(m.log), task_status_steps(m, ALL, _HOLDS)
    agents = len(m.log.agents)
    on = _per_agent_levels(duty, agents, grid)
    held = _per_agent_levels(slots, agents, grid)
    used = np.sum(on * held, axis=0)
    available = np.sum(on * m.agent_capacity[:, None], axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(available > 0, used / np.maximum(available, 1), np.nan)


def _per_agent_levels(steps: Steps, agents: int, grid: Floats) -> Floats:
    """Level of each agent at each grid time: an (agents x grid) array."""
    out = np.zeros((agents, len(grid)))
    slot = np.searchsorted(grid, steps.time, side="left")  # first grid point at or after
    keep = (steps.agent >= 0) & (slot < len(grid))
    np.add.at(out, (steps.agent[keep], slot[keep]), steps.delta[keep])
    return np.cumsum(out, axis=1)
