"""Versions recorded in every manifest, so a result says what produced it."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

PACKAGES = ("ccsim", "simpy", "numpy", "pandas", "pydantic", "scipy", "pyarrow", "matplotlib")


def versions() -> dict[str, str]:
    found = {"python": sys.version.split()[0], "platform": platform.platform()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found
