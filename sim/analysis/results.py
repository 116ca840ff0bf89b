"""Results folders (DESIGN.md section 3), written atomically, and read back.

A run folder is assembled in a hidden staging folder next to its final place and renamed
into place only when every file is written, so an interrupted run leaves no half-written
results; single files are replaced atomically the same way (write a temporary, then rename).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.catalogue import COUNTS
from sim.analysis.outfolder import cannot_write, claimed, staged_into
from sim.analysis.umask import share_file
from sim.analysis.versions import versions
from sim.domain.scenario import Scenario
from sim.domain.scenario_file import dump_scenario
from sim.engine.eventframe import EVENT_NAMES, FRAME_COLUMNS, Columns, Splitter, frame_of
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
        share_file(handle)
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


def counts_as_integers(frame: pd.DataFrame) -> pd.DataFrame:
    """KPI columns that count things (tasks_created, pauses...) as integers, so a CSV reads
    8321, not 8321.0."""
    columns = [name for name in frame.columns if name in COUNTS]
    return frame.astype(dict.fromkeys(columns, "int64")) if columns else frame


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
        self._schema: pa.Schema | None = None

    def expect(self, more: list[tuple[int, int]]) -> None:
        """Runs added after the writer was made (more replications for a precision goal)."""
        self._order += more

    def add(self, point: int, log: EventLog) -> None:
        self._waiting[(point, log.replication)] = log
        while self._next < len(self._order) and self._order[self._next] in self._waiting:
            self._write(self._waiting.pop(self._order[self._next]))
            self._next += 1

    def _write(self, log: EventLog) -> None:
        for table in event_tables(log):
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.path, table.schema, **PARQUET)
            self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is None:  # no run: an empty file of the same columns
            empty = next(event_tables(_EMPTY))
            self._writer = pq.ParquetWriter(self.path, empty.schema, **PARQUET)
        self._writer.close()


ROWS_PER_PART = 100_000  # rows turned into columns at a time, so memory stays flat
_EMPTY = EventLog(0, [])
# Dictionary pages only for the named columns (on task numbers they cost time and space:
# measured 2x faster and 2.5x smaller on the M/M/c log), statistics only where readers filter.
# Ids and timestamps, which mostly grow row by row, are delta-encoded and not compressed, and
# the dictionary columns' run-length codes are not compressed either: on the large center's
# log (benchmarks/large_center.py) that writes 20% faster (2.5 s instead of 3.1 s) for a
# file 30% larger (211 MB instead of 161 MB); zstd still packs times and priorities.
_DICTIONARY = ["event", "agent", "skill", "reason"]
_DELTA = ["timestamp", "task", "conversation"]
PARQUET: dict[str, Any] = {
    "compression": {name: "none" if name in _DICTIONARY + _DELTA else "zstd"
                    for name in FRAME_COLUMNS},
    "use_dictionary": _DICTIONARY,
    "column_encoding": dict.fromkeys(_DELTA, "DELTA_BINARY_PACKED"),
    "write_statistics": ["replication", "time"],
}


def event_tables(log: EventLog, replication: bool = True) -> Iterator[pa.Table]:
    """The log as Arrow tables of at most ROWS_PER_PART rows (at least one table)."""
    splitter = Splitter(log)
    names = _Names(log.agent_names, splitter.skills, splitter.reasons)
    for low in range(0, max(len(log), 1), ROWS_PER_PART):
        table = event_table(splitter.columns(log, low, low + ROWS_PER_PART, log.start), names)
        yield table if replication else table.drop_columns(["replication"])


def events_bytes(log: EventLog) -> bytes:
    """One replication's log as a Parquet file in memory, without the replication column."""
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, _schema_without_replication(), **PARQUET) as writer:
        for table in event_tables(log, replication=False):
            writer.write_table(table)
    data: bytes = sink.getvalue().to_pybytes()
    return data


@functools.cache
def _schema_without_replication() -> pa.Schema:
    return next(event_tables(_EMPTY, replication=False)).schema


class _Names:
    """The name tables of one log's dictionary columns, as Arrow arrays made once."""

    def __init__(self, agents: list[str], skills: tuple[str, ...],
                 reasons: tuple[str, ...]) -> None:
        self.agent, self.skill, self.reason = (
            pa.array(list(names), pa.string()) for names in (agents, skills, reasons))
        self.event = _EVENT_NAMES


_EVENT_NAMES = pa.array(list(EVENT_NAMES), pa.string())


def event_table(c: Columns, names: _Names | None = None) -> pa.Table:
    """Columns as an Arrow table, built from the arrays directly (no DataFrame, the
    code columns' buffers used as they are), with the pandas metadata that makes
    `pandas.read_parquet` give nullable integers and categoricals, as
    `EventLog.to_frame()` does."""
    size = len(c.time)
    names = names or _Names(list(c.agents), c.skills, c.reasons)
    stamps = c.timestamp if c.timestamp is not None else np.full(
        size, np.datetime64("NaT"), dtype="datetime64[ms]")
    table = pa.table({
        "replication": pa.array(np.full(size, c.replication, dtype=np.int32)),
        "time": pa.array(c.time),
        "timestamp": pa.array(stamps, type=pa.timestamp("ms")),
        "event": _dictionary(c.event, names.event),
        "task": _nullable(c.task),
        "conversation": _nullable(c.conversation),
        "agent": _dictionary(c.agent, names.agent),
        "skill": _dictionary(c.skill, names.skill),
        "priority": _nullable(c.priority),
        "reason": _dictionary(c.reason, names.reason),
    })
    return table.replace_schema_metadata(_pandas_metadata())


def _nullable(values: np.ndarray) -> pa.Array:
    """Int32 codes, -1 (or any negative) missing: the values buffer is the array's own."""
    values = np.ascontiguousarray(values, dtype=np.int32)
    missing = values < 0
    nulls = int(np.count_nonzero(missing))
    validity = pa.py_buffer(np.packbits(~missing, bitorder="little")) if nulls else None
    return pa.Array.from_buffers(pa.int32(), len(values), [validity, pa.py_buffer(values)],
                                 null_count=nulls)


def _dictionary(codes: np.ndarray, names: pa.Array) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(_nullable(codes), names, safe=False)  # our own codes


@functools.cache
def _pandas_metadata() -> dict[bytes, bytes]:
    """What pandas writes for an empty frame of these columns: it says which columns are
    nullable integers (Int32) and categoricals, so every pandas reader restores them."""
    sample = frame_of(Splitter(_EMPTY).columns(_EMPTY))
    metadata: dict[bytes, bytes] = pa.Schema.from_pandas(sample, preserve_index=False).metadata
    return metadata


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
