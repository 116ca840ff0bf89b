"""One replication's event log as plain numpy columns, for KPIs and figures.

Built straight from the engine's log, its own columns (no DataFrame, no per-row Python
objects), or from a frame read back from `events.parquet` or built by hand in a test. Ids
are integers with -1 for "none"; events, agents and details are integer codes into name
tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.domain.lifecycle import Event
from sim.engine.eventlog import EVENT_CODE, EVENT_NAMES, EventLog

Ints = npt.NDArray[np.integer[Any]]  # the log's columns keep their own widths
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
        """The log's own columns, as they are: contiguous, each as narrow as its values allow
        (gathering from them is several times faster than from packed rows)."""
        c = log.columns()
        return cls(c.time, c.event, c.task, c.conversation, c.agent, c.detail,
                   tuple(log.agent_names), tuple(log.detail_texts()))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> EventArrays:
        """From `EventLog.to_frame()` or `events.parquet` (skill, priority and reason
        columns), or from a frame with one `detail` column (hand-built logs in tests)."""
        events = _categorical(frame["event"])
        lookup = np.array([EVENT_NAMES.index(str(name)) for name in events.categories] or [0],
                          dtype=np.int64)
        event = lookup[events.codes]
        agents = _categorical(frame["agent"])
        detail: Ints
        if "detail" in frame:
            details = _categorical(frame["detail"].fillna(""))
            detail, texts = details.codes.astype(np.int64), [str(c) for c in details.categories]
        else:
            detail, texts = _details(frame, event)
        return cls(frame["time"].to_numpy(dtype=np.float64), event,
                   _ids(frame["task"]), _ids(frame["conversation"]),
                   agents.codes.astype(np.int64), detail,
                   tuple(str(name) for name in agents.categories), tuple(texts))

    def __len__(self) -> int:
        return len(self.time)

    def code(self, event: Event) -> int:
        return EVENT_CODE[event]

    def where(self, *events: Event) -> Mask:
        """Rows of any of these events: a comparison per event, or a range test per run of
        three or more consecutive codes (ten times faster than a lookup table indexed by the
        event column; an event's outcomes, or a task's status events, are such runs)."""
        found: Mask | None = None
        for low, high in _runs(sorted({EVENT_CODE[event] for event in events})):
            hit = self._in_run(low, high)
            if found is None:
                found = hit  # no zeros to OR into
            else:
                found |= hit
        return np.zeros(len(self), dtype=bool) if found is None else found

    def _in_run(self, low: int, high: int) -> Mask:
        """Rows whose event code is in [low, high]."""
        if high - low >= 2:
            in_range: Mask = (self.event >= low) & (self.event <= high)
            return in_range
        hit: Mask = self.event == low
        if high > low:
            hit |= self.event == high
        return hit

    def detail_is(self, text: str, rows: Ints | None = None) -> Mask:
        """Which rows (all, or those at positions `rows`) have this detail."""
        detail = self.detail if rows is None else self.detail[rows]
        code = self.detail_code(text)
        return detail == code if code is not None else np.zeros(len(detail), dtype=bool)

    def detail_code(self, text: str) -> int | None:
        """The code of a detail text (None: no row has it)."""
        return self.details.index(text) if text in self.details else None

    @cached_property
    def task_count(self) -> int:
        """One more than the largest task id, so arrays indexed by task id fit every task."""
        return max(int(self.task.max()) + 1, 1) if len(self) else 1

    @cached_property
    def conversation_count(self) -> int:
        return max(int(self.conversation.max()) + 1, 1) if len(self) else 1


def code_table(*events: Event) -> Mask:
    """Per event code: whether it is one of `events` (a look-up by the event column)."""
    table = np.zeros(len(EVENT_NAMES), dtype=bool)
    table[[EVENT_CODE[event] for event in events]] = True
    return table


def _runs(codes: list[int]) -> list[tuple[int, int]]:
    """Sorted codes as runs of consecutive ones: (first, last) of each."""
    runs: list[tuple[int, int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1] = (runs[-1][0], code)
        else:
            runs.append((code, code))
    return runs


def _categorical(column: pd.Series) -> pd.Categorical:
    values = column.array
    if isinstance(values, pd.Categorical):
        return values
    return pd.Categorical(column.astype(object).where(column.notna(), None))


def _details(frame: pd.DataFrame, event: Ints) -> tuple[Ints, list[str]]:
    """Detail codes and texts from the split columns: a task.created row's detail is its
    queue, `<skill>:<priority>`; any other row's is its reason ("" where it has none)."""
    reasons = _categorical(frame["reason"])
    texts = ["", *(str(c) for c in reasons.categories)]
    detail = reasons.codes.astype(np.int64) + 1
    created = event == EVENT_CODE[Event.TASK_CREATED]
    if created.any():
        skills = frame["skill"].astype(object).to_numpy()[created]
        # whole numbers, whatever the column's dtype (a float column has NaN elsewhere)
        priorities = frame["priority"].astype("Int64")[created].astype("int64").to_numpy()
        queues = np.array([f"{s}:{p}" for s, p in zip(skills, priorities, strict=True)])
        unique, inverse = np.unique(queues, return_inverse=True)
        detail[created] = len(texts) + inverse
        texts += [str(queue) for queue in unique]
    return detail, texts


def _ids(column: pd.Series) -> Ints:
    return np.asarray(column.astype("Int64").fillna(NONE).to_numpy(), dtype=np.int64)


POSITIONS_BLOCK = 1 << 16  # mask entries looked through at a time by `positions`


def positions(mask: Mask) -> Ints:
    """`np.flatnonzero(mask)`, the same positions, as 32-bit integers (a log has fewer than
    2**31 rows), found a block of the mask at a time: no 64-bit array of them all is made
    (half the memory, and fresh pages each time for a large one: a quarter faster)."""
    if len(mask) >= 1 << 31:
        return np.flatnonzero(mask)
    out = np.empty(np.count_nonzero(mask), dtype=np.int32)
    done = 0
    for low in range(0, len(mask), POSITIONS_BLOCK):
        found = np.flatnonzero(mask[low:low + POSITIONS_BLOCK])
        found += low
        out[done:done + len(found)] = found
        done += len(found)
    return out


def first_per(ids: Ints, values: Floats, size: int) -> Floats:
    """Per id, the value of its first row (rows are in time order); NaN where it has none."""
    out = np.full(size, np.nan)
    first = first_index_per(ids, size)
    found = first >= 0
    out[found] = values[first[found]]
    return out


def first_index_per(ids: Ints, size: int) -> Ints:
    """Per id, the position of its first row; -1 where it has none (the least position
    per id, without sorting the ids)."""
    known = np.flatnonzero(ids >= 0)
    first = np.full(size, len(ids), dtype=np.int64)
    np.minimum.at(first, ids[known], known)
    first[first == len(ids)] = NONE
    return first


def grouped_order(keys: Ints) -> Ints:
    """Positions sorted by key, keeping time order within a key: numpy's stable sort of
    keys (a stable order is unique). Agent codes (16 bits) take numpy's radix sort; wider
    keys are sorted with their positions packed in, `key << 32 | position`, all distinct,
    so numpy's (unstable, vectorized) sort of them gives the stable order: two to four
    times faster than its radix sorts of 16-bit digits."""
    if not len(keys):
        return np.argsort(keys, kind="stable")
    low = int(keys.min())
    span = int(keys.max()) - low
    if low >= -(1 << 15) and low + span < 1 << 15:  # agent codes: one sort, no shift
        return np.argsort(keys if keys.dtype == np.int16 else keys.astype(np.int16),
                          kind="stable")
    if span >= 1 << 31 or len(keys) > 1 << 32:
        return np.argsort(keys, kind="stable")
    return _packed_order(keys, low)


def _packed_order(keys: Ints, low: int) -> Ints:
    """The stable order of `keys` (all at least `low`, less than low + 2**31; at most 2**32
    of them) from one sort of `(key - low) << 32 | position`."""
    packed = keys.astype(np.int64)
    packed -= low
    packed <<= 32
    packed |= np.arange(len(keys), dtype=np.int64)
    packed.sort()
    packed &= 0xFFFFFFFF
    return packed


GROUP_CHUNK = 1 << 16  # codes sorted at a time by grouped_by_code: a chunk stays in cache


class CodeGroups:
    """Columns of entries grouped by code (0 <= code < size; entries of code -1 are left
    out), filled a chunk of entries at a time, in their order within a code: code c's are
    at [bounds[c], bounds[c + 1]). What `grouped_order` and a gather give, without a sort of
    all the codes or an order array of them: each chunk's codes are sorted (in cache), and
    its entries written to their code's next free places."""

    def __init__(self, counts: Ints, dtypes: list[np.dtype[Any]]) -> None:
        """`counts`: how many entries there will be of each code + 1 (code -1 first)."""
        self.size = len(counts) - 1
        self.bounds = np.zeros(self.size + 1, dtype=np.int64)
        np.cumsum(counts[1:], out=self.bounds[1:])
        self._free = self.bounds[:-1].copy()  # per code: where its next entry goes
        self.columns = [np.empty(int(self.bounds[-1]), dtype=dtype) for dtype in dtypes]

    def add(self, codes: Ints, *columns: np.ndarray) -> None:
        """The next entries, in order: their codes and a chunk of each column."""
        order = np.argsort(codes, kind="stable")
        here = np.bincount(codes + 1, minlength=self.size + 1)
        skip = int(here[0])  # code -1 sorts first
        order = order[skip:]
        code = codes[order]
        # an entry's place: its code's next free one, plus its rank among this chunk's
        # entries of that code
        first_of_code = np.cumsum(here[1:]) - here[1:] + skip
        place = self._free[code] + (np.arange(skip, len(codes)) - first_of_code[code])
        for found, column in zip(self.columns, columns, strict=True):
            found[place] = column[order]
        self._free += here[1:]


def code_counts(codes: Ints, size: int) -> Ints:
    """How many of `codes` (-1 <= code < size) are -1, 0, ..., size - 1: a bincount a chunk
    at a time (bincount widens its input to 64 bits)."""
    counts = np.zeros(size + 1, dtype=np.int64)
    for low in range(0, len(codes), GROUP_CHUNK):
        counts += np.bincount(codes[low:low + GROUP_CHUNK] + 1, minlength=size + 1)
    return counts


def grouped_by_code(codes: Ints, size: int,
                    *columns: np.ndarray) -> tuple[list[np.ndarray], Ints]:
    """The columns' entries grouped by code (see CodeGroups), and the groups' bounds."""
    groups = CodeGroups(code_counts(codes, size), [column.dtype for column in columns])
    for low in range(0, len(codes), GROUP_CHUNK):
        part = slice(low, low + GROUP_CHUNK)
        groups.add(codes[part], *(column[part] for column in columns))
    return groups.columns, groups.bounds


def previous_in_group(keys: Ints, values: Ints, initial: int) -> Ints:
    """For rows in time order: each row's previous value among the rows of its key,
    `initial` for a key's first row. The rows keep their order (one sort, one scatter)."""
    order = grouped_order(keys)
    grouped = values[order]
    before = np.empty_like(grouped)
    if len(grouped):
        before[0] = initial
        before[1:] = grouped[:-1]
        ordered_keys = keys[order]
        before[1:][ordered_keys[1:] != ordered_keys[:-1]] = initial
    out = np.empty_like(grouped)
    out[order] = before
    return out


def searchsorted_sorted(points: Floats, moments: Floats, side: Literal["left", "right"]) -> Ints:
    """`np.searchsorted(points, moments, side)`, the same indices, faster when the moments
    are in order too and far more than the points (an agent's steps against its duty
    changes, steps against the hours of a grid): the points are placed among the moments,
    and each moment's index is how many were placed at or before it."""
    if len(moments) < 2 or not bool(np.all(moments[1:] >= moments[:-1])):
        found: Ints = np.searchsorted(points, moments, side=side)
        return found
    placed = np.searchsorted(moments, points, side="left" if side == "right" else "right")
    counts: Ints = np.bincount(placed, minlength=len(moments) + 1)[:len(moments)]
    np.cumsum(counts, out=counts)
    return counts


def quantile_or_inf(values: Floats, q: float) -> float:
    """The q-quantile as the smallest value with at least a share q at or below it (inverted
    CDF); values may be inf (never happened), so the quantile is inf when more than 1 - q of
    them are. NaN for no values. The value is selected, not sorted for (numpy's partition
    orders as its sort does, NaN last): a seventh of the time on two million waits."""
    if not len(values):
        return float("nan")
    rank = max(int(np.ceil(q * len(values))) - 1, 0)
    return float(np.partition(values, rank)[rank])
