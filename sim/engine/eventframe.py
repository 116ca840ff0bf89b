"""The event log's rows as typed columns for people and files (DESIGN.md section 3).

The log's rows carry a detail code; here it is split into what it means: the task's
`skill` and `priority` (on every row of a task or conversation), and the `reason` of the
row (`declined`, `ttl`, `end`, an activity's name, ...; missing where there is none).
Ids are nullable integers, missing where a row has none; `timestamp` is `time` in the
scenario's calendar. `sim.analysis.results` writes the same columns to Parquet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from sim.domain.lifecycle import Event
from sim.engine.codes import EVENTS, TASK_CREATED

if TYPE_CHECKING:
    import pandas as pd

Codes = npt.NDArray[np.int32]
FRAME_COLUMNS = ("replication", "time", "timestamp", "event", "task", "conversation", "agent",
                 "skill", "priority", "reason")
EVENT_NAMES: tuple[str, ...] = tuple(event.value for event in EVENTS)
NONE = -1
_CREATED = TASK_CREATED
assert EVENTS[TASK_CREATED] is Event.TASK_CREATED


class LogColumns(NamedTuple):
    """A log's rows as one contiguous array per field (sim.engine.eventlog.EventLog.columns:
    views of the log, not to be written to)."""

    time: np.ndarray  # float64, seconds since the start
    event: np.ndarray  # uint8, code into EVENT_NAMES
    task: np.ndarray  # int32, -1: none
    conversation: np.ndarray  # int32, -1: none
    agent: np.ndarray  # int16 (int32 from 32768 agents), -1: none
    detail: np.ndarray  # uint16, code into the log's detail texts


class ColumnLog(Protocol):
    """What a log offers to be read as columns (sim.engine.eventlog.EventLog)."""

    replication: int
    agent_names: list[str]

    def columns(self) -> LogColumns: ...

    def detail_texts(self) -> list[str]: ...


@dataclass(frozen=True)
class Columns:
    """Rows [low, high) of one log as numpy columns; -1 is missing in every code column."""

    replication: int
    time: npt.NDArray[np.float64]
    timestamp: npt.NDArray[np.datetime64] | None
    event: Codes  # into EVENT_NAMES
    task: Codes
    conversation: Codes
    agent: Codes  # into agents
    skill: Codes  # into skills
    priority: Codes  # the priority itself (-1: none; priorities are >= 0)
    reason: Codes  # into reasons
    agents: tuple[str, ...]
    skills: tuple[str, ...]
    reasons: tuple[str, ...]


def queue_of(text: str) -> tuple[str, int]:
    """A task.created detail, `<skill>:<priority>`, as (skill, priority)."""
    skill, _, priority = text.rpartition(":")
    return skill, int(priority)


class Splitter:
    """Per task and conversation, the skill and priority of the log's task.created rows."""

    def __init__(self, log: ColumnLog) -> None:
        rows = log.columns()
        texts = log.detail_texts()
        at = np.flatnonzero(rows.event == _CREATED)
        created_detail, created_task = rows.detail[at], rows.task[at]
        created_conversation = rows.conversation[at]
        queues = {code: queue_of(texts[code]) for code in np.unique(created_detail)}
        self.skills = tuple(dict.fromkeys(skill for skill, _ in queues.values()))
        skill_of = np.full(len(texts), NONE, dtype=np.int32)
        priority_of = np.full(len(texts), NONE, dtype=np.int32)
        for code, (skill, priority) in queues.items():
            skill_of[code], priority_of[code] = self.skills.index(skill), priority
        skill, priority = skill_of[created_detail], priority_of[created_detail]
        size_t = max(int(rows.task.max()) + 1, 1) if len(rows.time) else 1
        size_c = max(int(rows.conversation.max()) + 1, 1) if len(rows.time) else 1
        # Indexed by id + 1: id -1 (none) finds NONE at the front.
        self.task_skill, self.task_priority = _table(size_t, created_task, skill, priority)
        self.conversation_skill, self.conversation_priority = _table(
            size_c, created_conversation, skill, priority)
        # Reasons: every detail text but the queue texts and the empty one.
        keep = [i for i, text in enumerate(texts) if text and i not in queues]
        self.reasons = tuple(texts[i] for i in keep)
        self.reason_of = np.full(len(texts), NONE, dtype=np.int32)
        self.reason_of[keep] = np.arange(len(keep), dtype=np.int32)

    def columns(self, log: ColumnLog, low: int = 0, high: int | None = None,
                start: dt.datetime | None = None) -> Columns:
        rows = LogColumns(*(column[low:high] for column in log.columns()))
        task = rows.task.astype(np.int32)  # copies: the columns are the log's own
        conversation = rows.conversation.astype(np.int32)
        # A row's skill and priority are its task's, or else its conversation's, or none.
        at_task = task + 1
        skill, priority = self.task_skill[at_task], self.task_priority[at_task]
        without = np.flatnonzero(task < 0)
        at_conversation = conversation[without] + 1
        skill[without] = self.conversation_skill[at_conversation]
        priority[without] = self.conversation_priority[at_conversation]
        time = rows.time.astype(np.float64)
        stamp = None if start is None else _timestamps(time, start)
        return Columns(log.replication, time, stamp, rows.event.astype(np.int32), task,
                       conversation, rows.agent.astype(np.int32), skill, priority,
                       self.reason_of[rows.detail], tuple(log.agent_names), self.skills,
                       self.reasons)


def _timestamps(time: npt.NDArray[np.float64], start: dt.datetime) -> npt.NDArray[np.datetime64]:
    """`time` (seconds) as moments in the calendar, to the millisecond."""
    millis = np.multiply(time, 1000)
    np.round(millis, out=millis)
    stamps = millis.astype(np.int64)
    stamps += np.datetime64(start, "ms").astype(np.int64)
    return stamps.view("datetime64[ms]")


def _table(size: int, ids: npt.NDArray[np.int32], skill: Codes, priority: Codes
           ) -> tuple[Codes, Codes]:
    skills = np.full(size + 1, NONE, dtype=np.int32)
    priorities = np.full(size + 1, NONE, dtype=np.int32)
    skills[ids + 1], priorities[ids + 1] = skill, priority
    return skills, priorities


def to_frame(log: ColumnLog, start: dt.datetime | None = None) -> pd.DataFrame:
    """The whole log as a DataFrame with the columns of FRAME_COLUMNS."""
    return frame_of(Splitter(log).columns(log, start=start))


def frame_of(c: Columns) -> pd.DataFrame:
    """Columns as a DataFrame: categoricals for names, nullable integers for ids."""
    import pandas as pd

    frame = pd.DataFrame({
        "replication": np.full(len(c.time), c.replication, dtype=np.int32),
        "time": c.time,
        "timestamp": c.timestamp if c.timestamp is not None else np.full(
            len(c.time), np.datetime64("NaT"), dtype="datetime64[ms]"),
        "event": pd.Categorical.from_codes(c.event, pd.Index(EVENT_NAMES)),
        "task": _nullable(c.task),
        "conversation": _nullable(c.conversation),
        "agent": pd.Categorical.from_codes(c.agent, pd.Index(c.agents, dtype=str)),
        "skill": pd.Categorical.from_codes(c.skill, pd.Index(c.skills, dtype=str)),
        "priority": _nullable(c.priority),
        "reason": pd.Categorical.from_codes(c.reason, pd.Index(c.reasons, dtype=str)),
    })
    return frame


def _nullable(values: Codes) -> pd.arrays.IntegerArray:
    import pandas as pd

    return pd.arrays.IntegerArray(values.astype(np.int32), values == NONE)
