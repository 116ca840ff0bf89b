"""Every KPI of DESIGN.md section 3, computed from one replication's event log alone.

Definitions, denominators and the treatment of warm-up and horizon are in docs/kpis.md. In
short: KPIs cover what starts at or after `warmup`; a rate counts only outcomes known by the
horizon (an offer still pending, a pause still running, a conversation still inactive at the
end is in neither numerator nor denominator).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.analysis.context import Context
from sim.analysis.timeweighted import agent_occupancy, backlog_mean

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
    "agent_occupancy": lambda log: agent_occupancy(log.events, log.context),
    "backlog_mean": lambda log: backlog_mean(log.events, log.context),
}
assert tuple(KPIS) == KPI_NAMES


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
