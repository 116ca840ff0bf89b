"""What calibration found, setting by setting: the value for the scenario file and a note
saying what it was fitted from and how well, or why it could not be inferred; and the small
helpers the fitting modules share to read the rebuilt log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

Path = tuple[str | int, ...]
SAME_INSTANT = 0.002  # s: exported times are whole milliseconds


@dataclass
class Settings:
    values: dict[Path, Any] = field(default_factory=dict)
    notes: dict[Path, str] = field(default_factory=dict)
    inferred: dict[Path, bool] = field(default_factory=dict)

    def fitted(self, path: Path, value: Any, note: str) -> None:
        self.values[path], self.notes[path], self.inferred[path] = value, note, True

    def default(self, path: Path, value: Any, why: str) -> None:
        """A setting the export does not show: written with its value, said so."""
        self.values[path], self.notes[path] = value, f"not inferred: {why}"
        self.inferred[path] = False

    def not_inferred(self) -> list[tuple[Path, str]]:
        return [(path, self.notes[path]) for path, known in self.inferred.items() if not known]


def dotted(path: Path) -> str:
    return ".".join(str(part) for part in path)


# reading the rebuilt log ------------------------------------------------------------------

def rows(frame: pd.DataFrame, *events: str, reason: str | None = None) -> pd.DataFrame:
    chosen = frame["event"].isin(events)
    if reason is not None:
        chosen &= frame["reason"].astype(object) == reason
    return frame[chosen]


def pairs(frame: pd.DataFrame, first: pd.Series, second: pd.Series, key: str = "task"
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each `first` row with the next row of the same `key` that is `first` or `second`,
    when that row is a `second` one: (the first rows, their seconds), aligned."""
    sub = frame[first | second].sort_values(key, kind="stable")
    is_first = first[sub.index].to_numpy()
    keys = sub[key].to_numpy()
    after = np.zeros(len(sub), dtype=bool)
    after[:-1] = (~is_first[1:]) & (keys[1:] == keys[:-1])
    chosen = is_first & after
    following = np.flatnonzero(chosen) + 1
    return sub.iloc[np.flatnonzero(chosen)], sub.iloc[following]


def gaps(first: pd.DataFrame, second: pd.DataFrame) -> np.ndarray:
    return np.asarray(second["time"].to_numpy() - first["time"].to_numpy(), dtype=float)


def texts(column: pd.Series) -> np.ndarray:
    return column.astype(object).where(column.notna(), "").to_numpy(dtype=object)


def mode(values: np.ndarray) -> tuple[float, int]:
    """The most frequent value to the second, and how many have it."""
    rounded = np.round(values)
    found, counts = np.unique(rounded, return_counts=True)
    best = int(np.argmax(counts))
    return float(found[best]), int(counts[best])
