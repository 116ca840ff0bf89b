"""C2 from the observed log: how often and how soon customers answer a reply.

A reply awaiting the customer is answered in the same task while held (an appended email)
or by reactivating the conversation after Leave; both are linked to the reply, so the reply
probability and delay are fitted together by likelihood, with the replies still unanswered
when the task ended (or the window did) censored and a share that never answers (a cure
model). Answers to a resolving reply start a follow-up conversation, or are stranded in
wrap-up (R15); they do not say which reply they answer, so `resolved` is estimated from
their count, less what the awaiting replies explain, given the fitted delay.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.calibrate.behaviour import Replies
from sim.analysis.calibrate.fitting import Fit, cdf, fit_durations
from sim.analysis.calibrate.settings import Settings, rows

DEFAULT_DELAY = {"dist": "lognormal", "median": "2h", "sigma": 1.0}


def _answers(frame: pd.DataFrame, sent: pd.DataFrame, horizon: float
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each awaiting reply: (answered?, delay to the answer or to the end of watching,
    reply time); watching ends at the task's End, the horizon, or never for a Leave."""
    inbound = rows(frame, "message.inbound", reason="appended")
    reactivated = rows(frame, "conversation.reactivated")
    first_answer = _first_after(inbound, "task")
    reopened = _first_after(reactivated, "conversation")
    ends = rows(frame, "task.wrapup").groupby("task")["time"].min()
    conversation_of = rows(frame, "task.created").set_index("task")["conversation"]
    answered, delay = [], []
    for task, time, outcome in zip(sent["task"], sent["time"], sent["outcome"], strict=True):
        if outcome == "left":
            when = _next(reopened.get(conversation_of.get(task)), time)
            stop = horizon
        else:
            when = _next(first_answer.get(task), time)
            stop = float(ends.get(task, horizon))
        answered.append(when is not None and when <= stop)
        delay.append((when if when is not None and when <= stop else stop) - time)
    return np.array(answered, bool), np.array(delay, float), sent["time"].to_numpy()


def _first_after(found: pd.DataFrame, key: str) -> dict[object, np.ndarray]:
    return {k: np.sort(group["time"].to_numpy()) for k, group in found.groupby(key)}


def _next(times: np.ndarray | None, after: float) -> float | None:
    if times is None:
        return None
    at = int(np.searchsorted(times, after, side="right"))
    return float(times[at]) if at < len(times) else None


def fit_customers(frame: pd.DataFrame, sent: Replies, horizon: float,
                  settings: Settings) -> None:
    at = ("customers",)
    replies = sent.frame
    waiting = replies[replies["outcome"] != "resolved"]
    if not len(replies):
        for path, value in (("reply_probability", {"awaiting": 0.0, "resolved": 0.0}),
                            ("reply_delay", DEFAULT_DELAY)):
            settings.default((*at, path), value, "the export has no replies (messages are "
                             "not TaskRouter events); replies off, so that the tasks already "
                             "counted as arrivals are not made twice")
        return
    answered, delay, _ = _answers(frame, waiting, horizon)
    fit = fit_durations(delay[answered], delay[~answered], cure=True)
    if fit is None or fit.share is None:
        settings.default((*at, "reply_probability", "awaiting"), 0.6,
                         f"too few answered replies ({int(answered.sum())})")
        settings.default((*at, "reply_delay"), DEFAULT_DELAY, "too few answered replies")
        return
    settings.fitted((*at, "reply_probability", "awaiting"), round(fit.share, 4),
                    f"with the delay, by likelihood: {int(answered.sum()):,} of "
                    f"{len(waiting):,} awaiting replies answered in their task or by "
                    "reactivation, the rest censored")
    settings.fitted((*at, "reply_delay"), fit.spec(), f"reply to answer: {fit.note()}")
    _resolved(frame, replies, fit, delay, answered, horizon, settings)


def _resolved(frame: pd.DataFrame, replies: pd.DataFrame, fit: Fit, delay: np.ndarray,
              answered: np.ndarray, horizon: float, settings: Settings) -> None:
    """Follow-ups and stranded replies = p_resolved x (resolving replies answered by the
    horizon) + the held replies unanswered at their End that are answered after it."""
    waiting = replies[replies["outcome"] != "resolved"]
    resolving = replies[replies["outcome"] == "resolved"]
    seen = len(rows(frame, "conversation.created", reason="follow-up")) + len(
        rows(frame, "message.inbound", reason="stranded"))
    share = fit.share or 0.0
    held = (~answered) & (waiting["outcome"].to_numpy() == "awaiting")
    to_horizon = horizon - waiting["time"].to_numpy()[held]
    watched = cdf(fit, delay[held])
    # unanswered by their End: answered later with the conditional chance (Bayes)
    later = float(np.sum(share * (cdf(fit, to_horizon) - watched) / (1 - share * watched)))
    reach = float(np.sum(cdf(fit, horizon - resolving["time"].to_numpy())))
    if reach <= 0:
        settings.default(("customers", "reply_probability", "resolved"), 0.05,
                         "no resolving reply seen")
        return
    estimate = min(max((seen - later) / reach, 0.0), 1.0)
    settings.fitted(("customers", "reply_probability", "resolved"), round(estimate, 4),
                    f"{seen:,} follow-up conversations and stranded replies, less "
                    f"{later:.0f} expected from held replies after their End, over "
                    f"{reach:.0f} resolving replies that could be answered by the end")
