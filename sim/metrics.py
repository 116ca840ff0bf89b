"""Every KPI of DESIGN.md section 3, computed from one replication's event log alone.

Definitions, denominators and the treatment of warm-up and horizon are in docs/kpis.md. In
short: KPIs cover what starts at or after `warmup`; a rate counts only outcomes known by the
horizon (an offer still pending, a pause still running, a conversation still inactive at the
end is in neither numerator nor denominator).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.lifecycle import HOLDS_CAPACITY, TASK, TaskStatus
from sim.scenario import Scenario

KPI_NAMES: tuple[str, ...] = (
    "conversations_created", "tasks_created", "reservations", "reservation_timeout_rate",
    "reservation_reject_rate", "reassignment_rate", "reassignments_per_task", "pauses",
    "pause_expiry_rate", "leaves", "reactivation_rate", "reactivation_same_agent_rate",
    "conversations_closed_inactive", "tasks_canceled_ttl", "stranded_replies",
    "first_response_time_mean", "first_response_time_p90", "service_level",
    "wait_to_accept_mean", "agent_occupancy", "backlog_mean",
)

RATES = frozenset({"reservation_timeout_rate", "reservation_reject_rate", "reassignment_rate",
                   "pause_expiry_rate", "reactivation_rate", "reactivation_same_agent_rate",
                   "service_level", "agent_occupancy"})
TIMES = frozenset({"first_response_time_mean", "first_response_time_p90",
                   "wait_to_accept_mean"})


def kpi_range(name: str) -> tuple[float, float]:
    """The values a KPI can take: rates lie in [0, 1]; everything else is >= 0."""
    return (0.0, 1.0) if name in RATES else (0.0, float("inf"))


OUTCOMES = ("reservation.accepted", "reservation.rejected", "reservation.timeout",
            "reservation.canceled")
WAITING = frozenset({TaskStatus.PENDING, TaskStatus.RESERVED})  # the backlog
# Each task event leads to exactly one status (checked in tests against the table).
TARGET: dict[str, TaskStatus] = {event.value: target for (_, event), target in TASK.edges.items()}


@dataclass(frozen=True)
class Context:
    """What the log alone does not say: the measured window, the agents' capacities, and the
    longest an offer, a pause or a Leave can wait for its outcome."""

    warmup: float
    horizon: float
    service_level_threshold: float
    capacity: dict[str, int]
    reservation_timeout: float = 0.0
    pause_expiry: float = 0.0
    leave_window: float = 0.0

    @classmethod
    def of(cls, scenario: Scenario) -> Context:
        capacity = {f"{group.name}-{i + 1}": group.capacity
                    for group in scenario.agents for i in range(group.count)}
        flex = scenario.flex
        return cls(scenario.warmup, scenario.horizon, scenario.kpis.service_level_threshold,
                   capacity, flex.reservation_timeout, flex.pause.expiry, flex.leave.window)


def kpis(events: pd.DataFrame, context: Context) -> dict[str, float]:
    """All KPIs of one replication, in KPI_NAMES order."""
    log = Measures(events, context)
    return {name: float(KPIS[name](log)) for name in KPI_NAMES}


class Measures:
    """One replication's events, with the per-event views KPIs and figures share."""

    def __init__(self, events: pd.DataFrame, context: Context) -> None:
        self.events = events
        self.context = context
        self.event = events["event"].astype(str).to_numpy()
        self.after = events["time"].to_numpy() >= context.warmup
        self._tasks: pd.DataFrame | None = None

    def rows(self, *names: str) -> pd.DataFrame:
        return self.events[np.isin(self.event, names)]

    def count(self, name: str, detail: str | None = None) -> int:
        mask = (self.event == name) & self.after
        if detail is not None:
            mask &= (self.events["detail"] == detail).to_numpy()
        return int(mask.sum())

    @property
    def tasks(self) -> pd.DataFrame:
        """Per task created after warm-up: created, first offer outcome, accept, first reply."""
        if self._tasks is None:
            self._tasks = _task_table(self)
        return self._tasks


def _task_table(log: Measures) -> pd.DataFrame:
    created = log.rows("task.created").set_index("task")["time"].rename("created")
    table = created[created >= log.context.warmup].to_frame()
    first = {"accepted": "reservation.accepted", "answered": "message.outbound",
             "canceled": "task.canceled"}
    for column, name in first.items():
        table[column] = log.rows(name).groupby("task", observed=True)["time"].min()
    outcomes = log.rows(*OUTCOMES)
    declined = outcomes["event"].isin(("reservation.rejected", "reservation.timeout"))
    table["offers_decided"] = outcomes.groupby("task", observed=True).size()
    table["declined"] = outcomes[declined].groupby("task", observed=True).size()
    return table.fillna({"offers_decided": 0, "declined": 0})


def _rate(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


# Reservations ------------------------------------------------------------------------------

def offer_outcomes(log: Measures) -> pd.Series:
    """Outcome of each offer made after warm-up and decided by the horizon."""
    return follow(log, "reservation.created", OUTCOMES, "task",
                  log.context.reservation_timeout)["event"]


def reservation_timeout_rate(log: Measures) -> float:
    outcomes = offer_outcomes(log)
    return _rate((outcomes == "reservation.timeout").sum(), len(outcomes))


def reservation_reject_rate(log: Measures) -> float:
    outcomes = offer_outcomes(log)
    return _rate((outcomes == "reservation.rejected").sum(), len(outcomes))


def reassignment_rate(log: Measures) -> float:
    offered = log.tasks[log.tasks["offers_decided"] > 0]
    return _rate((offered["declined"] > 0).sum(), len(offered))


def reassignments_per_task(log: Measures) -> float:
    offered = log.tasks[log.tasks["offers_decided"] > 0]
    return float(offered["declined"].mean()) if len(offered) else float("nan")


# Pause, leave and reactivation -------------------------------------------------------------

def follow(log: Measures, start: str, ends: tuple[str, ...], key: str,
           longest: float) -> pd.DataFrame:
    """The outcome of each `start` in the measured cohort: the next of `ends` for the same key,
    with the start's time (`began`) and agent (`began_agent`).

    The cohort is the starts at or after warm-up whose outcome is certain by the horizon: those
    more than `longest` (the latest an outcome can come) before it. Taking every outcome known
    by the horizon instead would over-represent quick outcomes near the end (a pause begun an
    hour before the horizon is known only if it was resumed)."""
    rows = log.rows(start, *ends)
    previous = rows.groupby(key, observed=True)[["event", "time", "agent"]].shift(1)
    began = previous["time"]
    cohort = (began >= log.context.warmup) & (began < log.context.horizon - longest)
    paired = (rows["event"] != start) & (previous["event"] == start) & cohort
    return rows[paired].assign(event=rows["event"].astype(str)[paired],
                               began=began[paired], began_agent=previous["agent"][paired])


def pause_outcomes(log: Measures) -> pd.DataFrame:
    return follow(log, "task.paused", ("task.resumed", "task.pause-expired"), "task",
                  log.context.pause_expiry)


def pause_expiry_rate(log: Measures) -> float:
    ended = pause_outcomes(log)
    return _rate((ended["event"] == "task.pause-expired").sum(), len(ended))


def leave_outcomes(log: Measures) -> pd.DataFrame:
    return follow(log, "conversation.inactive",
                  ("conversation.reactivated", "conversation.closed"), "conversation",
                  log.context.leave_window)


def reactivation_rate(log: Measures) -> float:
    ended = leave_outcomes(log)
    return _rate((ended["event"] == "conversation.reactivated").sum(), len(ended))


def reactivation_same_agent_rate(log: Measures) -> float:
    ended = leave_outcomes(log)
    reactivated = ended[ended["event"] == "conversation.reactivated"]
    created = log.rows("task.created")
    new_task = created.set_index(["conversation", "time"])["task"]
    keys = pd.MultiIndex.from_arrays([reactivated["conversation"], reactivated["time"]])
    tasks = new_task.reindex(keys).to_numpy()
    accepted = log.rows("reservation.accepted").groupby("task", observed=True)["agent"].first()
    who = accepted.reindex(tasks).to_numpy()
    known = pd.notna(who)
    same = who[known] == reactivated["began_agent"].to_numpy()[known]
    return _rate(int(same.sum()), int(known.sum()))


# Tasks and first response ------------------------------------------------------------------

def tasks_canceled_ttl(log: Measures) -> int:
    return int(log.tasks["canceled"].notna().sum())


def first_responses(log: Measures) -> pd.Series:
    tasks = log.tasks
    return (tasks["answered"] - tasks["created"]).dropna()


def first_response_time_mean(log: Measures) -> float:
    times = first_responses(log)
    return float(times.mean()) if len(times) else float("nan")


def first_response_time_p90(log: Measures) -> float:
    times = first_responses(log)
    return float(times.quantile(0.9)) if len(times) else float("nan")


def service_level(log: Measures) -> float:
    """Share answered within the threshold, of tasks whose fate against it is known."""
    tasks, limit = log.tasks, log.context.service_level_threshold
    waited = tasks["answered"] - tasks["created"]
    met = waited <= limit
    unanswered = tasks["answered"].isna()
    missed = (waited > limit) | tasks["canceled"].notna() | (
        unanswered & (log.context.horizon - tasks["created"] > limit))
    return _rate(int(met.sum()), int((met | missed).sum()))


def wait_to_accept_mean(log: Measures) -> float:
    waits = (log.tasks["accepted"] - log.tasks["created"]).dropna()
    return float(waits.mean()) if len(waits) else float("nan")


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


def backlog_mean(log: Measures) -> float:
    times, deltas = _waiting_changes(log.events)
    return _time_average(times, deltas, log.context.warmup, log.context.horizon)


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


def agent_occupancy(log: Measures) -> float:
    """Slot-time used on duty / slot-time available on duty, over [warmup, horizon]."""
    start, end = log.context.warmup, log.context.horizon
    used = available = 0.0
    slots = slot_changes(log.events)
    duty = duty_changes(log.events)
    for agent, capacity in log.context.capacity.items():
        duty_rows = duty[duty["agent"] == agent]
        slot_rows = slots[slots["agent"] == agent]
        on_time = _on_duty_integral(duty_rows, slot_rows, start, end)
        used += on_time[1]
        available += capacity * on_time[0]
    return _rate(used, available)


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


KPIS: dict[str, Callable[[Measures], float]] = {
    "conversations_created": lambda log: log.count("conversation.created"),
    "tasks_created": lambda log: len(log.tasks),
    "reservations": lambda log: log.count("reservation.created"),
    "reservation_timeout_rate": reservation_timeout_rate,
    "reservation_reject_rate": reservation_reject_rate,
    "reassignment_rate": reassignment_rate,
    "reassignments_per_task": reassignments_per_task,
    "pauses": lambda log: log.count("task.paused"),
    "pause_expiry_rate": pause_expiry_rate,
    "leaves": lambda log: log.count("task.wrapup", detail="leave"),
    "reactivation_rate": reactivation_rate,
    "reactivation_same_agent_rate": reactivation_same_agent_rate,
    "conversations_closed_inactive": lambda log: log.count("conversation.closed",
                                                           detail="window"),
    "tasks_canceled_ttl": tasks_canceled_ttl,
    "stranded_replies": lambda log: log.count("message.inbound", detail="stranded"),
    "first_response_time_mean": first_response_time_mean,
    "first_response_time_p90": first_response_time_p90,
    "service_level": service_level,
    "wait_to_accept_mean": wait_to_accept_mean,
    "agent_occupancy": agent_occupancy,
    "backlog_mean": backlog_mean,
}
assert tuple(KPIS) == KPI_NAMES


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


# Measures beyond the KPIs, used by `ccsim verify` -----------------------------------------

def waited_share(log: Measures) -> float:
    """Share of accepted tasks whose first offer came later than their creation."""
    first_offer = log.rows("reservation.created").groupby("task", observed=True)["time"].min()
    tasks = log.tasks.dropna(subset=["accepted"])
    offered = first_offer.reindex(tasks.index)
    return _rate(int((offered > tasks["created"]).sum()), len(tasks))


def reactivation_delay_mean(log: Measures) -> float:
    """Mean time from Leave to reactivation, over the reactivations counted by the KPI."""
    ended = leave_outcomes(log)
    back = ended[ended["event"] == "conversation.reactivated"]
    return float((back["time"] - back["began"]).mean()) if len(back) else float("nan")


EXTRA: dict[str, Callable[[Measures], float]] = {
    "waited_share": waited_share,
    "reactivation_delay_mean": reactivation_delay_mean,
}


def measures(events: pd.DataFrame, context: Context, names: tuple[str, ...]) -> dict[str, float]:
    """KPIs named in KPI_NAMES or EXTRA, by name."""
    log = Measures(events, context)
    return {name: float((KPIS.get(name) or EXTRA[name])(log)) for name in names}
