"""One replication's event log as plain numpy columns, for KPIs and figures.

Built straight from the engine's packed log (no DataFrame, no per-row Python objects) or
from a frame read back from `events.parquet` or built by hand in a test. Ids are integers
with -1 for "none"; events, agents and details are integer codes into name tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.domain.lifecycle import Event
from sim.engine.eventlog import EVENT_CODE, EVENT_NAMES, EventLog

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
NONE = -1


@dataclass(frozen=True)
class EventArrays:
    time: Floats
    event: Ints  # code into EVENT_NAMES
    task: Ints
    conversation: Ints
    agent: Ints  # index into `agents`
    detail: Ints  # index into `details`
    agents: tuple[str, ...]
    details: tuple[str, ...]

    @classmethod
    def of(cls, log: EventLog | pd.DataFrame | EventArrays) -> EventArrays:
        if isinstance(log, EventArrays):
            return log
        if isinstance(log, EventLog):
            return cls.from_log(log)
        return cls.from_frame(log)

    @classmethod
    def from_log(cls, log: EventLog) -> EventArrays:
        rows = log.rows()
        return cls(rows["time"].astype(np.float64), rows["event"].astype(np.int64),
                   rows["task"].astype(np.int64), rows["conversation"].astype(np.int64),
                   rows["agent"].astype(np.int64), rows["detail"].astype(np.int64),
                   tuple(log.agent_names), tuple(log.detail_texts()))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> EventArrays:
        events = _categorical(frame["event"])
        lookup = np.array([EVENT_NAMES.index(str(name)) for name in events.categories] or [0],
                          dtype=np.int64)
        agents, details = _categorical(frame["agent"]), _categorical(frame["detail"].fillna(""))
        return cls(
            frame["time"].to_numpy(dtype=np.float64), lookup[events.codes],
            _ids(frame["task"]), _ids(frame["conversation"]),
            agents.codes.astype(np.int64), details.codes.astype(np.int64),
            tuple(str(name) for name in agents.categories),
            tuple(str(name) for name in details.categories))

    def __len__(self) -> int:
        return len(self.time)

    def code(self, event: Event) -> int:
        return EVENT_CODE[event]

    def where(self, *events: Event) -> Mask:
        """Rows of any of these events."""
        found: Mask = np.isin(self.event, [EVENT_CODE[event] for event in events])
        return found

    def detail_is(self, text: str) -> Mask:
        codes = [i for i, name in enumerate(self.details) if name == text]
        return self.detail == codes[0] if codes else np.zeros(len(self), dtype=bool)

    @cached_property
    def task_count(self) -> int:
        """One more than the largest task id, so arrays indexed by task id fit every task."""
        return int(self.task.max()) + 1 if len(self) else 1

    @cached_property
    def conversation_count(self) -> int:
        return int(self.conversation.max()) + 1 if len(self) else 1


def _categorical(column: pd.Series) -> pd.Categorical:
    values = column.array
    if isinstance(values, pd.Categorical):
        return values
    return pd.Categorical(column.astype(object).where(column.notna(), None))


def _ids(column: pd.Series) -> Ints:
    return np.asarray(column.astype("Int64").fillna(NONE).to_numpy(), dtype=np.int64)


def first_per(ids: Ints, values: Floats, size: int) -> Floats:
    """Per id, the value of its first row (rows are in time order); NaN where it has none."""
    out = np.full(size, np.nan)
    unique, first = np.unique(ids, return_index=True)
    keep = unique >= 0
    out[unique[keep]] = values[first[keep]]
    return out


def first_index_per(ids: Ints, size: int) -> Ints:
    """Per id, the position of its first row; -1 where it has none."""
    out = np.full(size, NONE, dtype=np.int64)
    unique, first = np.unique(ids, return_index=True)
    keep = unique >= 0
    out[unique[keep]] = first[keep]
    return out


def grouped_order(keys: Ints) -> Ints:
    """Positions sorted by key, keeping time order within a key."""
    return np.argsort(keys, kind="stable")


def previous_in_group(keys: Ints, values: Ints, initial: int) -> Ints:
    """For rows already grouped by key (in time order within it): each row's previous value
    within its group, `initial` for a group's first row."""
    before = np.empty_like(values)
    if len(values):
        before[0] = initial
        before[1:] = values[:-1]
        starts = np.ones(len(keys), dtype=bool)
        starts[1:] = keys[1:] != keys[:-1]
        before[starts] = initial
    return before


def quantile_or_inf(values: Floats, q: float) -> float:
    """The q-quantile as the smallest value with at least a share q at or below it (inverted
    CDF); values may be inf (never happened), so the quantile is inf when more than 1 - q of
    them are. NaN for no values."""
    if not len(values):
        return float("nan")
    ordered = np.sort(values)
    rank = int(np.ceil(q * len(ordered))) - 1
    return float(ordered[max(rank, 0)])
