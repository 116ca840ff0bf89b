"""How each group's agents answer offers (R3, R4) and handle email (A2, A3): response time
(censored by timeouts, shift ends and cancellations), reject probability, compose and
wrap-up times, how often a reply resolves the email, Leave, the hold for a reply, research."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.calibrate.fitting import duration_text, fit_durations
from sim.analysis.calibrate.groups import Group
from sim.analysis.calibrate.settings import SAME_INSTANT, Settings, gaps, mode, pairs, rows, texts

OUTCOMES = ("reservation.accepted", "reservation.rejected", "reservation.timeout",
            "reservation.canceled")


def fit_distribution(settings: Settings, path: tuple[str | int, ...], values: np.ndarray,
                     censored: np.ndarray, what: str, default: object) -> None:
    fit = fit_durations(values, censored)
    if fit is None:
        settings.default(path, default, f"too few {what} ({len(values)} seen)")
    else:
        settings.fitted(path, fit.spec(), f"{what}: {fit.note()}")


# offers ----------------------------------------------------------------------------------------

def offers(frame: pd.DataFrame) -> pd.DataFrame:
    """Each reservation: agent, outcome, reason and seconds from offer to outcome."""
    created = frame["event"] == "reservation.created"
    first, second = pairs(frame, created, frame["event"].isin(OUTCOMES))
    return pd.DataFrame({"agent": texts(first["agent"]),
                         "outcome": second["event"].astype(str).to_numpy(),
                         "reason": texts(second["reason"]), "seconds": gaps(first, second)})


def fit_reservations(index: int, group: Group, found: pd.DataFrame,
                     settings: Settings) -> None:
    mine = found[found["agent"].isin(group.agents)]
    answered = mine["outcome"].eq("reservation.accepted") | (
        mine["outcome"].eq("reservation.rejected") & mine["reason"].eq("declined"))
    at = ("agents", index, "reservation")
    fit_distribution(settings, (*at, "response_time"), mine["seconds"][answered].to_numpy(),
                     mine["seconds"][~answered].to_numpy(),
                     "time from offer to accept or decline (timeouts, shift ends and "
                     "cancellations censored)", {"dist": "exponential", "mean": "30s"})
    declined = int((mine["outcome"].eq("reservation.rejected") & mine["reason"].eq(
        "declined")).sum())
    if answered.sum():
        settings.fitted((*at, "reject_probability"), round(declined / int(answered.sum()), 4),
                        f"{declined} declined of {int(answered.sum()):,} offers answered")
    else:
        settings.default((*at, "reject_probability"), 0.0, "no offer was answered")


# handling -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Replies:
    """Every reply sent: its task, agent, time, and what the agent did next (A3)."""

    frame: pd.DataFrame  # task, agent, time, outcome: resolved, left or awaiting


def replies(frame: pd.DataFrame) -> Replies:
    sent = frame[frame["event"] == "message.outbound"]
    wraps = rows(frame, "task.wrapup")
    wrap_at = dict(zip(wraps["task"].astype(int), wraps["time"], strict=True))
    wrap_why = dict(zip(wraps["task"].astype(int), texts(wraps["reason"]), strict=True))
    outcome = []
    for task, time in zip(sent["task"].astype(int), sent["time"], strict=True):
        ended = wrap_at.get(task)
        if ended is not None and abs(ended - time) <= SAME_INSTANT:
            outcome.append("left" if wrap_why[task] == "leave" else "resolved")
        else:
            outcome.append("awaiting")
    return Replies(pd.DataFrame({"task": sent["task"].astype(int).to_numpy(),
                                 "agent": texts(sent["agent"]),
                                 "time": sent["time"].to_numpy(), "outcome": outcome}))


Duty = dict[str, list[tuple[float, float]]]


def fit_handling(index: int, group: Group, frame: pd.DataFrame, sent: Replies, duty: Duty,
                 settings: Settings) -> None:
    at = ("agents", index, "handling")
    mine = frame[frame["agent"].isin(group.agents)]
    _work_time(settings, (*at, "compose"), frame, mine, ("compose", "message.outbound"),
               duty, {"dist": "lognormal", "median": "8m", "sigma": 0.5})
    _work_time(settings, (*at, "wrapup"), frame, mine, ("wrapup", "task.completed"), duty,
               {"dist": "constant", "value": "1m"})
    _outcomes(settings, at, frame, sent.frame[sent.frame["agent"].isin(group.agents)])


def on_duty(first: pd.DataFrame, second: pd.DataFrame, duty: Duty) -> np.ndarray:
    """Seconds on duty between each pair of rows: work pauses off duty (A2)."""
    spans = []
    for agent, start, end in zip(texts(first["agent"]), first["time"], second["time"],
                                 strict=True):
        found = np.array(duty.get(agent) or [(0.0, np.inf)], dtype=float)
        overlap = np.minimum(found[:, 1], end) - np.maximum(found[:, 0], start)
        spans.append(float(np.clip(overlap, 0, None).sum()))
    return np.array(spans, dtype=float)


def _work_time(settings: Settings, path: tuple[str | int, ...], frame: pd.DataFrame,
               mine: pd.DataFrame, work: tuple[str, str], duty: Duty, default: object) -> None:
    """The agent's hands on a piece of work: on-duty time from worker.work.started to what
    ends it."""
    kind, ends = work
    started = (frame["event"] == "worker.work.started") & (
        frame["reason"].astype(object) == kind) & frame.index.isin(mine.index)
    first, second = pairs(frame, started, frame["event"] == ends)
    if len(first) or kind == "compose":
        fit_distribution(settings, path, on_duty(first, second, duty), np.array([]),
                         f"{kind} time (on duty from work start to {ends})", default)
        return
    wrapped = (frame["event"] == "task.wrapup") & frame.index.isin(mine.index)
    first, second = pairs(frame, wrapped, frame["event"] == "task.completed")
    fit_distribution(settings, path, gaps(first, second), np.array([]),
                     "wrap-up time (task.wrapup to task.completed, waiting for the agent "
                     "included: the export has no work starts)", default)


def _outcomes(settings: Settings, at: tuple[str | int, ...], frame: pd.DataFrame,
              sent: pd.DataFrame) -> None:
    counted = sent["outcome"].value_counts()
    total = len(sent)
    if not total:
        settings.default((*at, "resolve_probability"), 0.5, "no reply seen")
        return
    resolved, left = int(counted.get("resolved", 0)), int(counted.get("left", 0))
    settings.fitted((*at, "resolve_probability"), round(resolved / total, 4),
                    f"{resolved:,} of {total:,} replies followed at once by End")
    awaiting = total - resolved
    if left:
        settings.fitted((*at, "leave_probability"), round(left / awaiting, 4),
                        f"{left:,} of {awaiting:,} replies awaiting the customer followed at "
                        "once by Leave")
    else:
        settings.default((*at, "leave_probability"), 1.0, "no Leave seen")
    _hold(settings, at, frame, sent)


def _hold(settings: Settings, at: tuple[str | int, ...], frame: pd.DataFrame,
          sent: pd.DataFrame) -> None:
    """The hold for a reply: from an awaiting reply to the End that follows it unanswered."""
    awaiting = sent[sent["outcome"] == "awaiting"]
    wraps = rows(frame, "task.wrapup", reason="end")
    inbound = rows(frame, "message.inbound")
    wrap_at = dict(zip(wraps["task"].astype(int), wraps["time"], strict=True))
    answers = inbound.dropna(subset=["task"]).groupby("task")["time"].max()
    last = awaiting.groupby("task")["time"].max()
    delays = []
    for task, time in zip(last.index.astype(int), last.to_numpy(), strict=True):
        ended = wrap_at.get(task)
        answer = answers.get(task)
        if ended is not None and (answer is None or not time < answer <= ended):
            delays.append(ended - time)
    if not delays:
        settings.default((*at, "hold_for_reply"), "2h", "no held reply ran out")
        return
    value, count = mode(np.array(delays))
    settings.fitted((*at, "hold_for_reply"), duration_text(value),
                    f"the most common wait from a reply to an unanswered End ({count} of "
                    f"{len(delays)}; longer ones ran out off duty)")


def fit_research(index: int, group: Group, frame: pd.DataFrame, settings: Settings) -> None:
    """Research is seen only as Pause (R9): paused until resumed, or until it expired."""
    at = ("agents", index, "handling", "research")
    mine = frame[frame["agent"].isin(group.agents)]
    paused = mine[mine["event"] == "task.paused"]
    accepted = mine[mine["event"] == "reservation.accepted"]["task"].nunique()
    if not len(paused):
        settings.default((*at, "probability"), 0.0, "no pause seen (research shows only as "
                         "Pause, R9)")
        return
    tasks = paused["task"].nunique()
    settings.fitted((*at, "probability"), round(tasks / max(accepted, 1), 4),
                    f"{tasks:,} of {accepted:,} accepted tasks paused")
    pause = (frame["event"] == "task.paused") & frame.index.isin(mine.index)
    first, second = pairs(frame, pause, frame["event"].isin(["task.resumed",
                                                             "task.pause-expired"]))
    resumed = second["event"].astype(str).to_numpy() == "task.resumed"
    spans = gaps(first, second)
    fit_distribution(settings, (*at, "duration"), spans[resumed], spans[~resumed],
                     "pause to resume (an upper bound: resuming waits for a slot and for "
                     "duty; expiries censored)", {"dist": "exponential", "mean": "1d"})
