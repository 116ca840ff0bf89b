"""Scripted scenarios: deterministic durations, hand-placed emails, exact event traces.

A scripted scenario has no generated arrivals (per_day 0); the test sends emails and replies
itself. Durations are constants and probabilities are 0 or 1, so the trace is exact.
"""

from __future__ import annotations

import copy
from itertools import repeat
from typing import Any

import pandas as pd

from sim.domain.scenario import Scenario
from sim.domain.scenario_file import merged as merge
from sim.engine.model import Replication

Row = tuple[float, str, int | None, str | None]

GROUP: dict[str, Any] = {
    "name": "a",
    "count": 1,
    "capacity": 1,
    "skills": ["email"],
    "reservation": {"response_time": "10s", "reject_probability": 0},
    "handling": {
        "compose": "5m",
        "resolve_probability": 1,
        "leave_probability": 1,
        "hold_for_reply": "1h",
        "wrapup": "1m",
    },
}

BASE: dict[str, Any] = {
    "name": "scripted",
    "start": "2026-01-05T00:00",  # a Monday
    "horizon": "7d",
    "flex": {"reservation_timeout": "2m", "timeout_recovery": "5m", "task_ttl": "1d"},
    "arrivals": {"per_day": 0, "skills": {"email": 1.0}},
    "customers": {"reply_probability": {"awaiting": 0, "resolved": 0}, "reply_delay": "1h"},
    "agents": [GROUP],
}


def group(**changes: Any) -> dict[str, Any]:
    """An agent group: the scripted defaults with `changes` merged in."""
    return merge(GROUP, changes)


def scenario(**changes: Any) -> Scenario:
    return Scenario.model_validate(merge(BASE, changes))


def replication(**changes: Any) -> Replication:
    return Replication(scenario(**changes), remember=True)


def declines_from(rep: Replication, agent: str, at: float) -> None:
    """From `at` on, the named agent rejects every offer 10 s after it is made (for tests that
    need one agent to accept first and decline later, which fixed group settings cannot).
    It gets a behaviour of its own, which the engine reads from then on."""
    target = next(a for a in rep.agents if a.name == agent)

    def decline(_: None) -> None:
        behaviour = copy.copy(target.behaviour)
        behaviour.response_time = repeat(10.0).__next__
        behaviour.rejects = repeat(True).__next__
        target.behave(behaviour)

    rep.agenda.at(at, decline, None)


def trace(rep: Replication, *events: str, until: float | None = None) -> list[Row]:
    """Run and return (time, event, task, agent) rows, optionally only the given events."""
    frame = rep.run(until).to_frame()
    return rows(frame, *events)


def rows(frame: pd.DataFrame, *events: str) -> list[Row]:
    if events:
        frame = frame[frame["event"].isin(events)]
    out: list[Row] = []
    for time, event, task, agent in zip(
        frame["time"], frame["event"], frame["task"], frame["agent"], strict=True
    ):
        out.append((
            float(time), str(event), None if pd.isna(task) else int(task),
            None if pd.isna(agent) else str(agent),
        ))
    return out


def details(rep_frame: pd.DataFrame, event: str) -> list[str]:
    """The detail of each `event` row: a task.created's queue (`skill:priority`), else the
    row's reason ("" where it has none)."""
    chosen = rep_frame[rep_frame["event"] == event]
    if event == "task.created":
        return [f"{s}:{p}" for s, p in zip(chosen["skill"], chosen["priority"], strict=True)]
    return ["" if pd.isna(reason) else str(reason) for reason in chosen["reason"]]
