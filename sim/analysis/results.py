"""Results folders (DESIGN.md section 3), written atomically, and read back.

A run folder is assembled in a hidden staging folder next to its final place and renamed
into place only when every file is written, so an interrupted run leaves no half-written
results; single files are replaced atomically the same way (write a temporary, then rename).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.outfolder import cannot_write, claimed, staged_into
from sim.analysis.versions import versions
from sim.domain.scenario import Scenario
from sim.domain.scenario_file import dump_scenario
from sim.engine.eventlog import EventLog

SCENARIO, KPIS, SUMMARY, EVENTS, MANIFEST, FIGURES = (
    "scenario.yaml", "kpis.csv", "summary.csv", "events.parquet", "manifest.json", "figures")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def run_id(scenario_text: str) -> str:
    """Sortable and unique enough: local time, then the resolved scenario's hash."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{digest(scenario_text)[:8]}"


# atomic writes ----------------------------------------------------------------------------

def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def csv_text(frame: pd.DataFrame) -> str:
    """CSV whose floats read back exactly (shortest round-trip repr)."""
    return frame.to_csv(index=False, lineterminator="\n")


@contextlib.contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """A folder to fill; it appears at `final` only if the block completes. `final` is
    claimed for this process first, so a second run to it is refused at once, and what
    cannot be written is reported under `final` (sim.analysis.outfolder)."""
    with claimed(final):
        if final.exists():
            raise FileExistsError(f"{final} already exists; choose another --out")
        staged: Path | None = None
        try:
            with staged_into(final) as staged:
                yield staged
        except OSError as error:
            raise cannot_write(error, staged, final) from error


# event logs -------------------------------------------------------------------------------

class EventsWriter:
    """Appends replications' event logs to one Parquet file, in replication order.

    Outcomes may arrive in any order from a pool; each log is held only until the ones
    before it have been written, so memory stays near one log per worker.
    """

    def __init__(self, path: Path, order: list[tuple[int, int]]) -> None:
        self.path = path
        self._order = list(order)  # (point, replication) in the order rows must appear
        self._next = 0
        self._waiting: dict[tuple[int, int], EventLog] = {}
        self._writer: pq.ParquetWriter | None = None

    def expect(self, more: list[tuple[int, int]]) -> None:
        """Runs added after the writer was made (more replications for a precision goal)."""
        self._order += more

    def add(self, point: int, log: EventLog) -> None:
        self._waiting[(point, log.replication)] = log
        while self._next < len(self._order) and self._order[self._next] in self._waiting:
            self._write(self._waiting.pop(self._order[self._next]))
            self._next += 1

    def _write(self, log: EventLog) -> None:
        table = pa.Table.from_pandas(log.to_frame(), preserve_index=False)
        table = table.cast(EVENT_SCHEMA)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, EVENT_SCHEMA, compression="zstd")
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, EVENT_SCHEMA, compression="zstd")
        self._writer.close()


_TEXT = pa.dictionary(pa.int32(), pa.string())
EVENT_SCHEMA = pa.schema([
    ("replication", pa.int32()), ("time", pa.float64()), ("event", _TEXT),
    ("task", pa.int64()), ("conversation", pa.int64()), ("agent", _TEXT), ("detail", _TEXT),
])


def read_events(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / EVENTS)


# run folders ------------------------------------------------------------------------------

def manifest(scenario_text: str, seed: int, replications: int, wall: float,
             extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "scenario_sha256": digest(scenario_text),
        "seed": seed,
        "replications": replications,
        "wall_seconds": round(wall, 3),
        "versions": versions(),
        **extra,
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def scenario_text(scenario: Scenario) -> str:
    return dump_scenario(scenario)
