"""Builds the engine's hot modules with mypyc when it can (see docs/architecture.md).

The compiled modules are the same source, type-checked and translated to C; when a compiler
or mypyc is missing, or CCSIM_PURE_PYTHON=1 is set at install time, ccsim installs as plain
Python and runs the same code, with identical results, about 4 times slower. The project's
metadata is in pyproject.toml; this file only adds the optional extension modules.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from setuptools import setup

# The engine's hot path (sim/__init__.py lists the same modules for the fallback).
COMPILED = [
    "sim/domain/calendar.py",
    "sim/engine/agents.py",
    "sim/engine/clock.py",
    "sim/engine/codes.py",
    "sim/engine/customers.py",
    "sim/engine/entities.py",
    "sim/engine/eventlog.py",
    "sim/engine/pools.py",
    "sim/engine/recorder.py",
    "sim/engine/router.py",
    "sim/engine/timeline.py",
]

# Type-check for compilation only. The libraries the engine imports (simpy, numpy) are build
# requirements so their types are known: a class whose base is unknown (Any) to mypyc is
# compiled as a native class, and SimPy's own writes to it then fail. A missing simpy or numpy
# is therefore an error here, never a silent Any; others (pandas, read only by functions that
# are not on the hot path) may stay unknown.
MYPYC_CONFIG = """\
[mypy]
python_version = 3.11
follow_imports = silent
ignore_missing_imports = True

[mypy-simpy,simpy.*,numpy,numpy.*]
ignore_missing_imports = False
"""


def extensions() -> list[object]:
    if os.environ.get("CCSIM_PURE_PYTHON"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        return []
    config = Path(tempfile.mkdtemp()) / "mypyc.ini"
    config.write_text(MYPYC_CONFIG)
    built = mypycify(["--config-file", str(config), *COMPILED], opt_level="3",
                     group_name="sim.engine")  # the shared part goes in the package
    for extension in built:
        extension.optional = True  # no compiler: install the pure-Python package instead
    return built


setup(ext_modules=extensions())
