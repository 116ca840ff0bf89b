"""Running jobs on a dask.distributed cluster (the optional extra `ccsim[distributed]`).

Workers must have ccsim installed at the same version: a job carries its scenario and seeds,
and every draw comes from its named streams, so the cluster returns exactly what a local run
would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sim.analysis.experiment import Done, Job, check_stop, run_job


class DaskCluster:
    name = "dask"

    def __init__(self, address: str) -> None:
        self.address = address

    def run(self, jobs: Sequence[Job], done: Done) -> None:
        client_type, as_completed = _dask()
        with client_type(self.address, timeout="20s") as client:
            futures = client.map(run_job, list(jobs), pure=False)
            try:
                for future in as_completed(futures):
                    done(future.result())
                    check_stop()
            except BaseException:
                client.cancel(futures)
                raise


def _dask() -> tuple[Any, Any]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise RuntimeError("running on a dask cluster needs the extra: "
                           "pip install 'ccsim[distributed]'") from None
    return Client, as_completed
