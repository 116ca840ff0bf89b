"""Benchmark: a sweep of 40 short runs, process pool against serial, on this machine.

Both executors run the same jobs (8 grid points x 5 replications of a 3-day scenario) into
fresh sweep folders in this one script; the figure reported is the ratio of wall times, and
the two sweep.csv files are checked to be identical.

    python benchmarks/sweep_speedup.py [--workers N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sim.analysis import sweep
from sim.analysis.catalogue import KPI_NAMES
from sim.analysis.executors import LocalPool, Serial
from sim.domain.sweep_file import load_sweep

BASE = """\
name: bench
seed: 3
horizon: 3d
warmup: 12h
replications: 5
arrivals: {per_day: 260, skills: {general: 1.0}}
agents:
  - {name: general, count: 8, capacity: 3, skills: [general],
     shift: {days: [mon, tue, wed, thu, fri, sat, sun], start: "07:00", end: "19:00"}}
"""
SWEEP = """\
name: bench-sweep
base: base.yaml
grid:
  flex.reservation_timeout: [30s, 1m, 2m, 4m]
  agents.general.count: [7, 9]
"""


def timed(executor: object, folder: Path, spec: object) -> float:
    store = sweep.open_store(spec, folder)  # type: ignore[arg-type]
    started = time.perf_counter()
    sweep.run_missing(spec, store, spec.replications, executor, events=False)  # type: ignore
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    workers = parser.parse_args().workers
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "base.yaml").write_text(BASE)
        (root / "sweep.yaml").write_text(SWEEP)
        spec = load_sweep(root / "sweep.yaml", KPI_NAMES)
        runs = len(spec.points) * spec.replications
        serial = timed(Serial(), root / "serial", spec)
        pooled = timed(LocalPool(workers), root / "pool", spec)
        same = (sweep.aggregate(spec, sweep.Store(root / "serial"), spec.replications).kpis
                .equals(sweep.aggregate(spec, sweep.Store(root / "pool"),
                                        spec.replications).kpis))
    print(f"{runs} runs: serial {serial:.1f} s, process pool ({workers} workers) "
          f"{pooled:.1f} s; speed-up {serial / pooled:.2f}x; identical results: {same}")


if __name__ == "__main__":
    main()
