"""Scenario and sweep files as text, refusing what is not one before reading it all.

Only a regular file is opened (a FIFO would block until someone writes to it, and /dev/zero
never ends), no more than MAX_FILE_BYTES are read, and text that is not UTF-8 is reported at
the line and column of its first bad byte rather than as a byte offset.
"""

from __future__ import annotations

import stat
from pathlib import Path

from sim.domain.problems import Problem, ScenarioError

MAX_FILE_BYTES = 1 << 20
LIMIT_TEXT = "1 MiB"  # MAX_FILE_BYTES as the messages say it


def read_source(path: Path) -> str:
    """The text of a scenario or sweep file; ScenarioError says why it cannot be one."""
    source = str(path)
    try:
        info = path.stat()
    except OSError as error:
        raise ScenarioError([Problem(source, f"cannot read file: {error.strerror}")]) from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError([Problem(source, "cannot read file: it is a directory")])
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError([Problem(
            source, "cannot read file: not a regular file (a pipe, device or socket); "
                    "ccsim reads only files")])
    if info.st_size > MAX_FILE_BYTES:
        raise ScenarioError([too_large(source, info.st_size)])
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)  # it may have grown since stat
    except OSError as error:
        raise ScenarioError([Problem(source, f"cannot read file: {error.strerror}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError([too_large(source, len(data))])
    return decoded(data, source)


def too_large(source: str, size: int) -> Problem:
    return Problem(source, f"the file is {size:,} bytes, over the {LIMIT_TEXT} limit for "
                           "scenario and sweep files (a scenario is a few KB; is this the "
                           "right file?)")


def decoded(data: bytes, source: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        line_start = data.rfind(b"\n", 0, error.start) + 1
        column = len(data[line_start:error.start].decode("utf-8", errors="replace")) + 1
        raise ScenarioError([Problem(
            source, f"not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as "
                    "UTF-8", line=line, column=column)]) from None
    return text.removeprefix("\ufeff")
