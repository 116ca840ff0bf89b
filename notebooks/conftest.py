"""Notebooks run by pytest (nbmake) write their results and figures to a temporary folder,
removed at the end, unless CCSIM_NOTEBOOK_OUT names one to keep."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_CREATED: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("CCSIM_NOTEBOOK_OUT"):
        _CREATED.append(tempfile.mkdtemp(prefix="ccsim-notebooks-"))
        os.environ["CCSIM_NOTEBOOK_OUT"] = _CREATED[-1]


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _CREATED:
        shutil.rmtree(folder, ignore_errors=True)
        if os.environ.get("CCSIM_NOTEBOOK_OUT") == folder:
            del os.environ["CCSIM_NOTEBOOK_OUT"]
