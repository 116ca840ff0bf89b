"""The event log: append-only packed rows; `to_frame()` gives them as typed columns.

A row is 23 packed bytes (float64 time, uint8 event, int32 ids, uint16 detail code) appended
to one bytearray, so a million-task run (about ten million rows) needs about 230 MB rather
than gigabytes of Python objects, and appending a row is a single struct pack.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from typing import TYPE_CHECKING, Final

import numpy as np

from sim.domain.lifecycle import Event
from sim.engine import eventframe

if TYPE_CHECKING:
    import pandas as pd

EVENT_NAMES: tuple[str, ...] = tuple(event.value for event in Event)
EVENT_CODE: dict[Event, int] = {event: code for code, event in enumerate(Event)}
NONE: Final = -1  # no task, conversation or agent on this row


ROW = struct.Struct("<dBiiiH")  # time, event, task, conversation, agent, detail: 23 bytes
ROW_DTYPE = np.dtype([("time", "<f8"), ("event", "u1"), ("task", "<i4"),
                      ("conversation", "<i4"), ("agent", "<i4"), ("detail", "<u2")])
assert ROW_DTYPE.itemsize == ROW.size
pack: Final = ROW.pack  # the engine appends rows with it directly (sim.engine.recorder)
pack3: Final = struct.Struct("<" + ROW.format[1:] * 3).pack  # three rows written at once


class EventLog:
    __slots__ = ("_details", "agent_names", "buffer", "replication", "start")

    def __init__(self, replication: int, agent_names: list[str],
                 start: dt.datetime | None = None) -> None:
        self.replication = replication
        self.start = start  # the scenario's calendar start, for timestamps
        self.agent_names = agent_names
        self.buffer = bytearray()  # packed rows, appended to by the recorder
        self._details: dict[str, int] = {"": 0}

    def __reduce__(self) -> tuple[object, ...]:
        # Explicit, so that a compiled EventLog (mypyc) travels between processes too.
        return (_restored, (self.replication, self.agent_names, bytes(self.buffer),
                            self.detail_texts(), self.start))

    def __len__(self) -> int:
        return len(self.buffer) // ROW.size

    def detail_code(self, text: str) -> int:
        """The code of a detail text; codes are handed out in order of first use."""
        code = self._details.get(text)
        if code is None:
            code = self._details[text] = len(self._details)
        return code

    def append(
        self, time: float, event: int, task: int, conversation: int, agent: int, detail: int
    ) -> None:
        self.buffer += pack(time, event, task, conversation, agent, detail)

    def digest(self) -> str:
        """SHA-256 of the log's content: every row (packed little-endian, with each detail
        text ranked among the texts the rows use, in sorted order), the agents, and those
        texts. Equal digests mean identical event logs, however the detail codes were
        handed out and whatever texts were registered but never written."""
        texts = self.detail_texts()
        rows = self.rows().copy()
        used = np.unique(rows["detail"])
        words = sorted(texts[code] for code in used)
        rank = np.zeros(len(texts), dtype=np.uint16)
        rank[used] = [words.index(texts[code]) for code in used]
        rows["detail"] = rank[rows["detail"]]
        content = hashlib.sha256(rows.tobytes())
        content.update("\x1f".join(self.agent_names).encode())
        content.update(b"\x1e")
        content.update("\x1f".join(words).encode())
        return content.hexdigest()

    def sort_by_time(self) -> None:
        """Put the rows in time order, rows of one time in the order they were written."""
        rows = self.rows()
        ordered = rows[np.argsort(rows["time"], kind="stable")].tobytes()
        self.buffer[:] = ordered

    def rows(self) -> np.ndarray:
        """The rows as a packed structured array (a view of the log, not a copy)."""
        return np.frombuffer(self.buffer, dtype=ROW_DTYPE)

    def detail_texts(self) -> list[str]:
        """Detail texts in code order."""
        return list(self._details)  # dicts keep insertion order, which is code order

    def to_frame(self) -> pd.DataFrame:
        """The log as a DataFrame: the columns of sim.engine.eventframe.FRAME_COLUMNS."""
        return eventframe.to_frame(self, self.start)


def _restored(replication: int, agent_names: list[str], rows: bytes,
              details: list[str], start: dt.datetime | None) -> EventLog:
    log = EventLog(replication, agent_names, start)
    log.buffer += rows
    for text in details:
        log.detail_code(text)
    return log
