"""Agent groups from the observed log: who belongs together (a worker attribute, or the
queues workers were offered tasks from), how many, the capacity seen, the skills, the weekly
shift and the absences (A1, R7)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.calibrate.arrivals import WEEKDAYS
from sim.analysis.calibrate.rebuild import Observed, name_of
from sim.analysis.calibrate.settings import Settings, rows, texts
from sim.domain.durations import DAY
from sim.domain.lifecycle import HOLDS_CAPACITY, TASK, Event, TaskStatus

OFFLINE = "Offline"


@dataclass
class Group:
    name: str
    agents: list[str]
    how: str  # why these agents are one group
    skills: list[str] = field(default_factory=list)


# who belongs together -----------------------------------------------------------------------

def attribute(attributes: dict[str, Any], dotted_path: str) -> str | None:
    value: Any = attributes
    for part in dotted_path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return None if value is None or isinstance(value, dict | list) else str(value)


def offered_skills(frame: pd.DataFrame) -> dict[str, set[str]]:
    offers = rows(frame, "reservation.created")
    found: dict[str, set[str]] = defaultdict(set)
    for agent, skill in zip(texts(offers["agent"]), texts(offers["skill"]), strict=True):
        found[agent].add(skill)
    return found


def form_groups(observed: Observed, group_by: str | None) -> list[Group]:
    """Groups by `group_by` (a worker attribute, dotted), by `team_name` when every worker
    has one, else by the set of queues each worker was offered tasks from."""
    agents = sorted(observed.workers)
    offered = offered_skills(observed.frame)
    key = group_by or "team_name"
    values = {a: attribute(observed.workers[a].attributes, key) for a in agents}
    if group_by is not None or (agents and all(v is not None for v in values.values())):
        how = f"worker attribute {key}"
        labels = {a: values[a] or "unknown" for a in agents}
    else:
        how = "the set of queues its workers were offered tasks from"
        labels = {a: "+".join(sorted(offered.get(a, ()))) or "no-offers" for a in agents}
    by_label: dict[str, list[str]] = defaultdict(list)
    for agent in agents:
        by_label[labels[agent]].append(agent)
    taken: set[str] = set()
    groups = [Group(name_of(label, taken, "group"), members, how)
              for label, members in sorted(by_label.items(), key=lambda kv: -len(kv[1]))]
    for group in groups:
        group.skills = sorted(set().union(*(offered.get(a, set()) for a in group.agents)))
    return groups


def cover_skills(groups: list[Group], skills: list[str], settings_notes: list[str]) -> None:
    """Every queue needs a group; one no worker was offered goes to the largest group."""
    served = {skill for group in groups for skill in group.skills}
    for skill in skills:
        if skill not in served and groups:
            groups[0].skills.append(skill)
            settings_notes.append(f"queue {skill}: no worker was offered its tasks; given to "
                                  f"group {groups[0].name} so that it is served")
    for group in groups:
        if not group.skills:
            group.skills = list(skills[:1])


# capacity ------------------------------------------------------------------------------------

def peak_loads(frame: pd.DataFrame) -> dict[str, int]:
    """Per agent, the most tasks it held at once (reserved, assigned, wrapping: R7)."""
    task_rows = frame[frame["task"].notna() & frame["event"].isin(
        [e.value for e in TASK.triggers])]
    status: dict[int, TaskStatus] = {}
    owner: dict[int, str] = {}
    load: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    columns = zip(task_rows["event"].astype(str), task_rows["task"].astype(int),
                  texts(task_rows["agent"]), strict=True)
    for name, task, agent in columns:
        old = status.get(task, TaskStatus.PENDING)
        new = TASK.edges.get((old, Event(name)), old)
        status[task] = new
        if agent:
            owner[task] = agent
        who = owner.get(task)
        if who:
            load[who] += (new in HOLDS_CAPACITY) - (old in HOLDS_CAPACITY)
            peak[who] = max(peak[who], load[who])
    return dict(peak)


# shifts and absences --------------------------------------------------------------------------

def duty_intervals(frame: pd.DataFrame, horizon: float) -> dict[str, list[tuple[float, float]]]:
    """Per agent, when it was on duty (any activity but Offline)."""
    updates = rows(frame, "worker.activity.update")
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    since: dict[str, float | None] = {}
    for time, agent, activity in zip(updates["time"], texts(updates["agent"]),
                                     texts(updates["reason"]), strict=True):
        on = activity != OFFLINE
        if agent not in since:  # a first update to Offline: on duty since the window began
            since[agent] = None if on else 0.0
        if on and since[agent] is None:
            since[agent] = float(time)
        elif not on and since[agent] is not None:
            out[agent].append((float(since[agent] or 0.0), float(time)))
            since[agent] = None
    for agent, began in since.items():
        if began is not None:
            out[agent].append((began, horizon))
    return out


def worked_days(intervals: list[tuple[float, float]], days: int
                ) -> dict[int, tuple[float, float]]:
    """Per whole day worked: (first time on duty, last time on duty), seconds of the day."""
    out: dict[int, tuple[float, float]] = {}
    for on, off in intervals:
        for day in range(int(on // DAY), min(math.ceil(off / DAY), days)):
            low, high = max(on, day * DAY) - day * DAY, min(off, (day + 1) * DAY) - day * DAY
            if high > low:
                first, last = out.get(day, (low, high))
                out[day] = (min(first, low), max(last, high))
    return out


def clock(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Shift:
    days: list[str]
    start: str
    end: str
    note: str
    absence: float
    absence_days: float
    absence_note: str


def fit_shift(agents: list[str], intervals: dict[str, list[tuple[float, float]]],
              first_weekday: int, horizon: float) -> Shift | None:
    days = int(horizon // DAY)
    worked = {agent: worked_days(intervals.get(agent, []), days) for agent in agents}
    if not any(worked.values()) or days < 1:
        return None
    weekday_of = [(first_weekday + d) % 7 for d in range(days)]
    share = np.zeros(7)
    for weekday in range(7):
        chances = [(a, d) for a in agents for d in range(days) if weekday_of[d] == weekday]
        share[weekday] = (sum(d in worked[a] for a, d in chances) / len(chances)
                          if chances else 0)
    on_days = [w for w in range(7) if share[w] >= 0.5 * share.max() and share[w] > 0]
    spans = [span for a in agents for d, span in worked[a].items() if weekday_of[d] in on_days]
    start = float(np.median([s for s, _ in spans]))
    end = float(np.median([e for _, e in spans]))
    runs, worked_count, lengths = _absences(agents, worked, on_days, weekday_of)
    probability = runs / (worked_count + runs) if worked_count + runs else 0.0
    length = float(np.median(lengths)) if lengths else 1.0
    note = (f"from {len(spans):,} days worked by {len(agents)} agents (activity updates); "
            "start and end are the medians of the first and last time on duty")
    absence_note = (f"{runs} absences seen in {worked_count + runs:,} shift days; duration the "
                    f"median run of missed shift days" if runs else
                    f"no absence seen in {worked_count:,} shift days")
    return Shift([WEEKDAYS[w] for w in on_days], clock(start),
                 "24:00" if end >= DAY - 30 else clock(end), note, probability, length,
                 absence_note)


def _absences(agents: list[str], worked: dict[str, dict[int, tuple[float, float]]],
              on_days: list[int], weekday_of: list[int]) -> tuple[int, int, list[float]]:
    runs, count, lengths = 0, 0, []
    for agent in agents:
        run_start: int | None = None
        for day, weekday in enumerate(weekday_of):
            if weekday not in on_days:
                continue
            if day in worked[agent]:
                count += 1
                if run_start is not None:
                    lengths.append(float(day - run_start))
                run_start = None
            elif run_start is None:
                runs, run_start = runs + 1, day
    return runs, count, lengths


def fit_groups(observed: Observed, group_by: str | None, settings: Settings,
               warnings: list[str]) -> list[Group]:
    """Groups, their count, capacity, skills, shift and absence (settings `agents.<i>.*`)."""
    groups = form_groups(observed, group_by)
    skills = sorted(set(texts(rows(observed.frame, "task.created")["skill"])) - {""})
    cover_skills(groups, skills, warnings)
    peaks = peak_loads(observed.frame)
    intervals = duty_intervals(observed.frame, observed.horizon)
    for index, group in enumerate(groups):
        _group_settings(index, group, peaks, intervals, observed, settings)
    return groups


def _group_settings(index: int, group: Group, peaks: dict[str, int],
                    intervals: dict[str, list[tuple[float, float]]], observed: Observed,
                    settings: Settings) -> None:
    at: tuple[str | int, ...] = ("agents", index)
    settings.fitted((*at, "name"), group.name, f"agents grouped by {group.how}")
    settings.fitted((*at, "count"), len(group.agents), "workers seen in the export")
    peak = max([peaks.get(a, 0) for a in group.agents] + [1])
    settings.fitted((*at, "capacity"), peak, "the most tasks one of them held at once "
                    "(reserved, assigned or wrapping): a lower bound of the configured one")
    settings.fitted((*at, "skills"), group.skills, "the queues its workers were offered "
                    "tasks from")
    shift = fit_shift(group.agents, intervals, observed.start.weekday(), observed.horizon)
    if shift is None:
        settings.default((*at, "shift"), {"days": list(WEEKDAYS), "start": "00:00",
                                          "end": "24:00"},
                         "no whole day with activity updates; around the clock")
        return
    settings.fitted((*at, "shift"), {"days": shift.days, "start": shift.start,
                                     "end": shift.end}, shift.note)
    days = f"{max(1, round(shift.absence_days))}d"
    settings.fitted((*at, "absence"), {"probability_per_day": round(shift.absence, 4),
                                       "duration": {"dist": "constant", "value": days}},
                    shift.absence_note)
