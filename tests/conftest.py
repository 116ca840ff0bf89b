from collections.abc import Iterator

import pytest
from hypothesis import settings

# Derandomized so that a CI run and a developer's run explore the same examples; pass
# --hypothesis-seed=N to explore others.
settings.register_profile("ccsim", derandomize=True, print_blob=True)
settings.load_profile("ccsim")


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A dask cluster on loopback with two worker processes, shared by a module's tests;
    its scheduler's address."""
    distributed = pytest.importorskip("distributed")
    local = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                     host="127.0.0.1", dashboard_address=None)
    try:
        yield local.scheduler_address
    finally:
        local.close()
