"""The event log: rows packed as they come, read as columns; `to_frame()` gives them typed.

The engine appends each row as 23 packed bytes (float64 time, uint8 event, int32 ids, uint16
detail code) to one bytearray, a single struct pack per row. When the log is first read, the
rows move into one contiguous numpy array per field (about 21 bytes a row), so the KPIs,
figures and Parquet file read those columns as they are: no copies of fields, no strided
reads of packed rows. A million-task run (about ten million rows) holds about 230 MB.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from typing import TYPE_CHECKING, Final

import numpy as np

from sim.domain.lifecycle import Event
from sim.engine import eventframe
from sim.engine.eventframe import LogColumns

if TYPE_CHECKING:
    import pandas as pd

EVENT_NAMES: tuple[str, ...] = tuple(event.value for event in Event)
EVENT_CODE: dict[Event, int] = {event: code for code, event in enumerate(Event)}
NONE: Final = -1  # no task, conversation or agent on this row


ROW = struct.Struct("<dBiiiH")  # time, event, task, conversation, agent, detail: 23 bytes
ROW_DTYPE = np.dtype([("time", "<f8"), ("event", "u1"), ("task", "<i4"),
                      ("conversation", "<i4"), ("agent", "<i4"), ("detail", "<u2")])
ROW_SIZE: Final = 23  # a literal: the compiled engine reads it without a look-up
assert ROW_DTYPE.itemsize == ROW.size == ROW_SIZE
pack: Final = ROW.pack  # the engine appends rows with it directly (sim.engine.recorder)
pack3: Final = struct.Struct("<" + ROW.format[1:] * 3).pack  # three rows written at once


FIELDS: Final = ("time", "event", "task", "conversation", "agent", "detail")  # as in ROW
MOVE_BLOCK: Final = 1 << 14  # rows moved at a time: a block stays in cache for all its fields


class EventLog:
    __slots__ = ("_details", "_size", "_store", "agent_names", "buffer", "replication",
                 "start")

    def __init__(self, replication: int, agent_names: list[str],
                 start: dt.datetime | None = None) -> None:
        self.replication = replication
        self.start = start  # the scenario's calendar start, for timestamps
        self.agent_names = agent_names
        # Rows not moved yet, packed (appended to by the recorder: a pack and an in-place
        # add per row are the cheapest way to keep a row from compiled code).
        self.buffer = bytearray()
        self._details: dict[str, int] = {"": 0}
        self._store = _empty_store(len(agent_names), 0)  # the columns, with room to grow
        self._size = 0  # rows in the columns

    def __reduce__(self) -> tuple[object, ...]:
        # Explicit, so that a compiled EventLog (mypyc) travels between processes too.
        return (_restored, (self.replication, self.agent_names, tuple(self.columns()),
                            self.detail_texts(), self.start))

    def __len__(self) -> int:
        return self._size + len(self.buffer) // ROW_SIZE

    def append(
        self, time: float, event: int, task: int, conversation: int, agent: int, detail: int
    ) -> None:
        self.buffer += pack(time, event, task, conversation, agent, detail)

    def columns(self) -> LogColumns:
        """Every row, as columns (views of the log, not copies)."""
        self._move_rows()
        size = self._size
        return LogColumns(*(column[:size] for column in self._store))

    def _move_rows(self) -> None:
        """Move the packed rows into the columns, a block of rows at a time from the last
        (each block's fields are read while it is in cache), shortening the buffer as they
        go: its memory is given back as it shrinks, so the rows are not held twice."""
        fresh = len(self.buffer) // ROW_SIZE
        if not fresh:
            return
        if self._size + fresh > len(self._store[0]):
            self._grow(self._size + fresh)
        for low in range((fresh - 1) // MOVE_BLOCK * MOVE_BLOCK, -1, -MOVE_BLOCK):
            _move(self.buffer, low, self._store, self._size)  # its view ends with it
            del self.buffer[low * ROW_SIZE:]
        self._size += fresh

    def _grow(self, need: int) -> None:
        """Room for `need` rows: twice as much as before, at least (np.empty leaves the
        room untouched, so it takes no memory until rows are moved in)."""
        store = _empty_store(len(self.agent_names), max(need, 2 * len(self._store[0])))
        for old, new in zip(self._store, store, strict=True):
            new[:self._size] = old[:self._size]
        self._store = store

    def detail_code(self, text: str) -> int:
        """The code of a detail text; codes are handed out in order of first use."""
        code = self._details.get(text)
        if code is None:
            code = self._details[text] = len(self._details)
        return code

    def digest(self) -> str:
        """SHA-256 of the log's content: every row (packed little-endian, with each detail
        text ranked among the texts the rows use, in sorted order), the agents, and those
        texts. Equal digests mean identical event logs, however the detail codes were
        handed out and whatever texts were registered but never written."""
        texts = self.detail_texts()
        columns = self.columns()
        used = np.unique(columns.detail)
        words = sorted(texts[code] for code in used)
        rank = np.zeros(len(texts), dtype=np.uint16)
        rank[used] = [words.index(texts[code]) for code in used]
        content = hashlib.sha256()
        for low in range(0, len(columns.time), MOVE_BLOCK):  # the packed rows, a block at a time
            rows = np.empty(len(columns.time[low:low + MOVE_BLOCK]), dtype=ROW_DTYPE)
            for name, column in zip(FIELDS, columns, strict=True):
                rows[name] = column[low:low + MOVE_BLOCK]
            rows["detail"] = rank[rows["detail"]]
            content.update(rows.tobytes())
        content.update("\x1f".join(self.agent_names).encode())
        content.update(b"\x1e")
        content.update("\x1f".join(words).encode())
        return content.hexdigest()

    def sort_by_time(self) -> None:
        """Put the rows in time order, rows of one time in the order they were written."""
        columns = self.columns()
        order = np.argsort(columns.time, kind="stable")
        self._store = [column[order] for column in columns]

    def detail_texts(self) -> list[str]:
        """Detail texts in code order."""
        return list(self._details)  # dicts keep insertion order, which is code order

    def to_frame(self) -> pd.DataFrame:
        """The log as a DataFrame: the columns of sim.engine.eventframe.FRAME_COLUMNS."""
        return eventframe.to_frame(self, self.start)


def _empty_store(agents: int, size: int) -> list[np.ndarray]:
    agent = np.int16 if agents < 1 << 15 else np.int32  # narrow: faster to gather from
    widths = [np.float64, np.uint8, np.int32, np.int32, agent, np.uint16]
    return [np.empty(size, dtype=width) for width in widths]


def _move(packed: bytearray, low: int, store: list[np.ndarray], at: int) -> None:
    """Copy the packed rows from row `low` to the end into the columns of `store`, where
    row 0 is the columns' row `at`."""
    block = np.frombuffer(packed, dtype=ROW_DTYPE, offset=low * ROW_SIZE)
    for name, column in zip(FIELDS, store, strict=True):
        column[at + low:at + low + len(block)] = block[name]


def _restored(replication: int, agent_names: list[str], columns: tuple[np.ndarray, ...],
              details: list[str], start: dt.datetime | None) -> EventLog:
    log = EventLog(replication, agent_names, start)
    log._store = list(columns)
    log._size = len(columns[0])
    for text in details:
        log.detail_code(text)
    return log
