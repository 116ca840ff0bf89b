"""Time-weighted measures of an event log: the backlog and slot occupancy as step functions
of time, their averages over [warmup, horizon], and their values on a grid for figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.context import Context
from sim.domain.lifecycle import HOLDS_CAPACITY, TASK, TaskStatus

WAITING = frozenset({TaskStatus.PENDING, TaskStatus.RESERVED})  # the backlog
# Each task event leads to exactly one status (checked in tests against the table).
TARGET: dict[str, TaskStatus] = {event.value: target for (_, event), target in TASK.edges.items()}


# Time-weighted: occupancy and backlog ------------------------------------------------------

def task_steps(events: pd.DataFrame) -> pd.DataFrame:
    """Task events with the status each left and entered (from the lifecycle table)."""
    rows = events[events["event"].isin(["task.created", *TARGET])]
    after = rows["event"].astype(str).map(
        lambda name: TaskStatus.PENDING if name == "task.created" else TARGET[name])
    before = after.groupby(rows["task"], observed=True).shift(1)
    return rows.assign(before=before, after=after)


def _time_average(times: np.ndarray, deltas: np.ndarray, start: float, end: float) -> float:
    """Average over [start, end] of the step function that changes by `deltas` at `times`."""
    if end <= start:
        return float("nan")
    level = np.cumsum(deltas)
    edges = np.clip(np.append(times, end), start, end)
    return float(np.sum(level * np.diff(edges)) / (end - start)) if len(times) else 0.0


def _waiting_changes(events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    steps = task_steps(events)
    was = steps["before"].isin(WAITING).to_numpy()
    now = steps["after"].isin(WAITING).to_numpy()
    delta = now.astype(int) - was.astype(int)
    changed = delta != 0
    return steps["time"].to_numpy()[changed], delta[changed]


def backlog_mean(events: pd.DataFrame, context: Context) -> float:
    times, deltas = _waiting_changes(events)
    return _time_average(times, deltas, context.warmup, context.horizon)


def slot_changes(events: pd.DataFrame) -> pd.DataFrame:
    """Changes of each agent's used slots (R7): time, agent, delta."""
    steps = task_steps(events)
    steps = steps[steps["agent"].notna()]
    held_before = steps["before"].isin(HOLDS_CAPACITY).to_numpy()
    held_after = steps["after"].isin(HOLDS_CAPACITY).to_numpy()
    delta = held_after.astype(int) - held_before.astype(int)
    return _changes(steps["time"].to_numpy(), steps["agent"].astype(str).to_numpy(), delta)


def duty_changes(events: pd.DataFrame) -> pd.DataFrame:
    """+1 when an agent comes on duty, -1 when it goes Offline (the timeout activity is on
    duty: the agent is at work, just not taking offers)."""
    rows = events[events["event"] == "worker.activity.update"]
    offline = (rows["detail"].astype(str) == "Offline").to_numpy()
    agent = rows["agent"].astype(str).to_numpy()
    on = pd.Series(~offline).groupby(agent).shift(1, fill_value=False).to_numpy()
    delta = (~offline).astype(int) - on.astype(int)
    return _changes(rows["time"].to_numpy(), agent, delta)


def _changes(times: np.ndarray, agents: np.ndarray, deltas: np.ndarray) -> pd.DataFrame:
    keep = deltas != 0
    return pd.DataFrame({"time": times[keep], "agent": agents[keep], "delta": deltas[keep]})


def agent_occupancy(events: pd.DataFrame, context: Context) -> float:
    """Slot-time used on duty / slot-time available on duty, over [warmup, horizon]."""
    start, end = context.warmup, context.horizon
    used = available = 0.0
    slots = slot_changes(events)
    duty = duty_changes(events)
    for agent, capacity in context.capacity.items():
        duty_rows = duty[duty["agent"] == agent]
        slot_rows = slots[slots["agent"] == agent]
        on_time = _on_duty_integral(duty_rows, slot_rows, start, end)
        used += on_time[1]
        available += capacity * on_time[0]
    return used / available if available else float("nan")


def _on_duty_integral(duty: pd.DataFrame, slots: pd.DataFrame, start: float,
                      end: float) -> tuple[float, float]:
    """(time on duty, slot-time used while on duty) within [start, end]."""
    times = np.concatenate([duty["time"].to_numpy(), slots["time"].to_numpy()])
    order = np.argsort(times, kind="stable")
    on = np.concatenate([duty["delta"].to_numpy(), np.zeros(len(slots), int)])[order]
    load = np.concatenate([np.zeros(len(duty), int), slots["delta"].to_numpy()])[order]
    times = times[order]
    edges = np.diff(np.clip(np.append(times, end), start, end))
    on_level, load_level = np.cumsum(on), np.cumsum(load)
    return float(np.sum(on_level * edges)), float(np.sum(on_level * load_level * edges))


# Series for figures ------------------------------------------------------------------------

def level_at(times: np.ndarray, deltas: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The step function that changes by `deltas` at `times`, sampled at `grid`."""
    level = np.concatenate([[0], np.cumsum(deltas)])
    return level[np.searchsorted(times, grid, side="right")]


def backlog_at(events: pd.DataFrame, grid: np.ndarray) -> np.ndarray:
    times, deltas = _waiting_changes(events)
    return level_at(times, deltas, grid)


def occupancy_at(events: pd.DataFrame, context: Context, grid: np.ndarray) -> np.ndarray:
    """Share of on-duty agents' slots in use at each grid time (NaN when no one is on)."""
    slots, duty = slot_changes(events), duty_changes(events)
    used = np.zeros(len(grid))
    available = np.zeros(len(grid))
    for agent, capacity in context.capacity.items():
        on_rows, slot_rows = duty[duty["agent"] == agent], slots[slots["agent"] == agent]
        on = level_at(on_rows["time"].to_numpy(), on_rows["delta"].to_numpy(), grid)
        load = level_at(slot_rows["time"].to_numpy(), slot_rows["delta"].to_numpy(), grid)
        used += on * load
        available += on * capacity
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(available > 0, used / available, np.nan)
