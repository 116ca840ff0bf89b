"""Checking a sweep folder before resuming it: every committed run must be whole.

A run counts as done when its KPI file exists, so a KPI file that is damaged (cut short,
edited, from a version with other KPIs) used to stop the sweep's tables with a crash until
found by hand, and a truncated event part passed unnoticed. Each run file records its event
part's size and SHA-256; a resume reads every run file and checks every part, removes what
is damaged (the run is then simply done again) and says so. Temporary files left by a killed
process are removed too: the folder is locked while this runs (sim.analysis.outfolder).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from sim.analysis.catalogue import KPI_NAMES
from sim.analysis.sweep import RUN, Store


def repair(store: Store) -> list[str]:
    """Remove damaged runs and leftover temporary files; one note per damaged run."""
    notes = []
    for leftover in store.root.rglob(".*.tmp"):
        leftover.unlink(missing_ok=True)
    for path in sorted((store.root / "runs").glob("point=*/replication=*.json")):
        match = RUN.search(path.as_posix())
        if match is None:
            continue
        point, replication = int(match[1]), int(match[2])
        events = store.events_file(point, replication)
        reason = _run_problem(path, point, replication) or _events_problem(path, events)
        if reason is not None:
            path.unlink(missing_ok=True)
            events.unlink(missing_ok=True)
            notes.append(f"{path}: {reason}; point {point} replication {replication} will be "
                         "run again")
    return notes


def _record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _run_problem(path: Path, point: int, replication: int) -> str | None:
    record = _record(path)
    if record is None:
        return "damaged (not a readable run record)"
    if (record.get("point"), record.get("replication")) != (point, replication):
        return "damaged (it records another run than its name says)"
    kpis = record.get("kpis")
    if not isinstance(kpis, dict):
        return "damaged (no KPIs)"
    missing = [name for name in KPI_NAMES if not _number(kpis.get(name))]
    if missing:
        return f"incomplete (no value for {', '.join(missing[:3])})"
    return None


def _number(value: object) -> bool:
    # NaN (undefined) and inf (a percentile never reached) are values too.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _events_problem(run: Path, events: Path) -> str | None:
    """A part that exists must be the one its run recorded (or, for runs committed before
    parts were recorded, at least a readable Parquet file)."""
    if not events.exists():
        return None  # a run without events; done again only if events are wanted
    recorded = (_record(run) or {}).get("events")
    try:
        if isinstance(recorded, dict):
            data = events.read_bytes()
            if len(data) != recorded.get("bytes"):
                return (f"its event part {events.name} is {len(data):,} bytes, not the "
                        f"{recorded.get('bytes'):,} written (truncated?)")
            if hashlib.sha256(data).hexdigest() != recorded.get("sha256"):
                return f"its event part {events.name} is not the one written (altered)"
            return None
        pq.read_metadata(events)
    except (OSError, ValueError, TypeError) as error:
        return f"its event part cannot be read ({error})"
    return None
