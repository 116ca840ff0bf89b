"""The event log: append-only typed columns; one call turns it into a DataFrame.

A row costs 23 bytes (float64 time, int32 ids, uint8 event, uint16 detail code), so a
million-task run stays in the hundreds of megabytes rather than gigabytes of dicts.
"""

from __future__ import annotations

from array import array

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.lifecycle import Event

COLUMNS = ("replication", "time", "event", "task", "conversation", "agent", "detail")
EVENT_NAMES: tuple[str, ...] = tuple(event.value for event in Event)
EVENT_CODE: dict[Event, int] = {event: code for code, event in enumerate(Event)}
NONE = -1  # no task, conversation or agent on this row


class EventLog:
    __slots__ = ("_agent", "_conversation", "_detail", "_details", "_event", "_task",
                 "_time", "agent_names", "replication")

    def __init__(self, replication: int, agent_names: list[str]) -> None:
        self.replication = replication
        self.agent_names = agent_names
        self._time = array("d")
        self._event = array("B")
        self._task = array("i")
        self._conversation = array("i")
        self._agent = array("i")
        self._detail = array("H")
        self._details: dict[str, int] = {"": 0}

    def __len__(self) -> int:
        return len(self._time)

    def detail_code(self, text: str) -> int:
        """The code of a detail text; codes are handed out in order of first use."""
        code = self._details.get(text)
        if code is None:
            code = self._details[text] = len(self._details)
        return code

    def append(
        self, time: float, event: int, task: int, conversation: int, agent: int, detail: int
    ) -> None:
        self._time.append(time)
        self._event.append(event)
        self._task.append(task)
        self._conversation.append(conversation)
        self._agent.append(agent)
        self._detail.append(detail)

    def to_frame(self) -> pd.DataFrame:
        """Columns of DESIGN.md section 3; missing ids are <NA>, names are categoricals."""
        n = len(self)
        details = sorted(self._details, key=self._details.__getitem__)
        return pd.DataFrame(
            {
                "replication": np.full(n, self.replication, dtype=np.int32),
                "time": np.frombuffer(self._time, dtype=np.float64).copy(),
                "event": pd.Categorical.from_codes(_codes(self._event), pd.Index(EVENT_NAMES)),
                "task": _ids(self._task),
                "conversation": _ids(self._conversation),
                "agent": pd.Categorical.from_codes(
                    _codes(self._agent), pd.Index(self.agent_names, dtype=str)),
                "detail": pd.Categorical.from_codes(_codes(self._detail), pd.Index(details)),
            }
        )


def _codes(column: array) -> npt.NDArray[np.int32]:  # type: ignore[type-arg]
    return np.asarray(column, dtype=np.int32)


def _ids(column: array) -> pd.arrays.IntegerArray:  # type: ignore[type-arg]
    values = np.asarray(column, dtype=np.int64)
    return pd.arrays.IntegerArray(values, values == NONE)
