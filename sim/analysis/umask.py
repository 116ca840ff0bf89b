"""Results are for sharing: files and folders get the permissions the user's umask gives a
new file (0644 and 0755 under the usual 022), not the private 0600 and 0700 that the
temporary-name helpers used for atomic writes start with."""

from __future__ import annotations

import os
from pathlib import Path


def umask() -> int:
    """This process's umask, read without changing it where the platform allows (setting
    it to read it back would race with any thread creating a file meanwhile)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def share_file(handle: int) -> None:
    os.fchmod(handle, 0o666 & ~umask())


def share_folder(path: Path) -> None:
    os.chmod(path, 0o777 & ~umask())
