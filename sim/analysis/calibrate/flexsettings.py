"""The Flex settings the events show: reservation timeout (from timeouts), timeout activity and
recovery, task TTL (from cancellations), Pause and its expiry, Leave, reactivation routing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.calibrate.fitting import duration_text
from sim.analysis.calibrate.settings import (
    SAME_INSTANT,
    Settings,
    gaps,
    mode,
    pairs,
    rows,
    texts,
)
from sim.domain.durations import DAY, format_duration

AT = ("flex",)


def fit_flex(frame: pd.DataFrame, settings: Settings) -> None:
    _reservation_timeout(frame, settings)
    _timeout_activity(frame, settings)
    _ttl(frame, settings)
    _pause(frame, settings)
    _leave(frame, settings)


def _span(settings: Settings, key: str | tuple[str, ...], values: np.ndarray, what: str,
          low: float, high: float, default: str, why: str) -> None:
    path = (*AT, *((key,) if isinstance(key, str) else key))
    if not len(values):
        settings.default(path, default, why)
        return
    value, count = mode(values)
    settings.fitted(path, duration_text(min(max(value, low), high)),
                    f"{what}: {count:,} of {len(values):,} took {format_duration(value)}")


def _reservation_timeout(frame: pd.DataFrame, settings: Settings) -> None:
    created = frame["event"] == "reservation.created"
    first, second = pairs(frame, created, frame["event"].isin(
        ["reservation.accepted", "reservation.rejected", "reservation.timeout",
         "reservation.canceled"]))
    timed_out = second["event"].astype(str).to_numpy() == "reservation.timeout"
    _span(settings, "reservation_timeout", gaps(first, second)[timed_out],
          "offer to reservation.timeout", 1, DAY, "2m",
          "no reservation timed out; the platform default")


def _timeout_activity(frame: pd.DataFrame, settings: Settings) -> None:
    """The activity an agent is moved to at a timeout, and how long until Available."""
    updates = rows(frame, "worker.activity.update")
    timeouts = rows(frame, "reservation.timeout")
    missed = set(zip(texts(timeouts["agent"]), np.round(timeouts["time"] / SAME_INSTANT),
                     strict=True))
    names = [activity for agent, time, activity in zip(
        texts(updates["agent"]), np.round(updates["time"] / SAME_INSTANT),
        texts(updates["reason"]), strict=True) if (agent, time) in missed]
    if not names:
        settings.default((*AT, "timeout_activity"), "Unavailable", "no reservation timed out")
        settings.default((*AT, "timeout_recovery"), "5m", "no reservation timed out")
        return
    name = max(set(names), key=names.count)
    settings.fitted((*AT, "timeout_activity"), name,
                    f"the activity {names.count(name):,} of {len(names):,} agents were moved "
                    "to when an offer timed out")
    entered = (frame["event"] == "worker.activity.update") & (
        frame["reason"].astype(object) == name)
    left = (frame["event"] == "worker.activity.update") & ~entered
    first, second = pairs(frame, entered, left, key="agent")
    back = texts(second["reason"]) == "Available"
    _span(settings, "timeout_recovery", gaps(first, second)[back],
          f"{name} to Available", 0, 30 * DAY, "5m", "no agent came back from it on duty")


def _ttl(frame: pd.DataFrame, settings: Settings) -> None:
    """R6: a cancellation comes TTL after creation, or after the last pause expiry."""
    restarts = frame["event"].isin(["task.created", "task.pause-expired"])
    first, second = pairs(frame, restarts, frame["event"] == "task.canceled")
    _span(settings, "task_ttl", gaps(first, second), "task.created (or its last pause "
          "expiry) to task.canceled", 1, 14 * DAY, "24h",
          "no task was canceled; the TaskRouter default")


def _pause(frame: pd.DataFrame, settings: Settings) -> None:
    paused = rows(frame, "task.paused")
    settings.fitted((*AT, "pause", "enabled"), bool(len(paused)),
                    f"{len(paused):,} pauses seen" if len(paused) else "no pause seen")
    start = frame["event"] == "task.paused"
    first, second = pairs(frame, start, frame["event"].isin(["task.resumed",
                                                             "task.pause-expired"]))
    expired = second["event"].astype(str).to_numpy() == "task.pause-expired"
    _span(settings, ("pause", "expiry"), gaps(first, second)[expired], "pause to expiry",
          DAY, 14 * DAY, "14d", "no pause expired; the Flex default")


def _leave(frame: pd.DataFrame, settings: Settings) -> None:
    left = rows(frame, "conversation.inactive")
    settings.fitted((*AT, "leave", "enabled"), bool(len(left)),
                    f"{len(left):,} Leaves seen" if len(left) else "no Leave seen")
    reopened = rows(frame, "conversation.reactivated")
    longest = 0.0
    if len(reopened):
        start = frame["event"] == "conversation.inactive"
        first, second = pairs(frame, start, frame["event"] == "conversation.reactivated",
                              key="conversation")
        longest = float(gaps(first, second).max()) if len(first) else 0.0
    settings.default((*AT, "leave", "window"), "90d",
                     "no TaskRouter event says a window ran out; the Flex default"
                     + (f" (the longest reactivation seen came {format_duration(round(longest))}"
                        " after Leave)" if longest else ""))
    _routing(frame, settings)


def _routing(frame: pd.DataFrame, settings: Settings) -> None:
    """previous-agent when reactivated tasks mostly go first to the agent who left."""
    event = frame["event"]
    reactivated = event == "conversation.reactivated"
    lefts, backs = pairs(frame, event == "conversation.inactive", reactivated,
                         key="conversation")
    leaver = dict(zip(zip(backs["conversation"], backs["time"], strict=True),
                      texts(lefts["agent"]),
                      strict=True))
    reopened, fresh = pairs(frame, reactivated, event == "task.created", key="conversation")
    offers = rows(frame, "reservation.created")
    first_offer = dict(zip(offers["task"].astype(int)[::-1], texts(offers["agent"])[::-1],
                           strict=True))
    same = total = 0
    for conversation, time, task in zip(reopened["conversation"], reopened["time"],
                                        fresh["task"], strict=True):
        who, offered = leaver.get((conversation, time)), first_offer.get(int(task))
        if who and offered:
            total += 1
            same += int(who == offered)
    if total < 10:
        settings.default((*AT, "reactivation_routing"), "any", f"{total} reactivated tasks "
                         "offered; too few to tell")
        return
    chosen = "previous-agent" if same / total > 0.5 else "any"
    settings.fitted((*AT, "reactivation_routing"), chosen, f"{same:,} of {total:,} "
                    "reactivated tasks were offered first to the agent who left")
