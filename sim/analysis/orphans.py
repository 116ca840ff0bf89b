"""Worker processes that do not outlive the process that started them.

A pool worker waits on a pipe for its next job. If its parent is killed outright (SIGKILL,
the OOM killer), nothing stops the worker, and because it inherited both ends of its job
pipe it never sees end-of-file: it waits forever, holding its memory. So each worker asks
the kernel to kill it when its parent dies (Linux's PR_SET_PDEATHSIG), and where that is
not available, or in case the parent died before the request was made, a watchdog thread
notices that its parent has changed (re-parented to init or a subreaper) and exits.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading

POLL_SECONDS = 0.25
_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def die_with_parent() -> None:
    """Call first thing in a worker process."""
    parent = os.getppid()
    _ask_the_kernel()
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="ccsim-parent-watch",
                     daemon=True).start()


def _ask_the_kernel() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # the watchdog still covers it


def _watch(parent: int) -> None:
    stop = threading.Event()
    while not stop.wait(POLL_SECONDS):
        if os.getppid() != parent:
            os._exit(1)  # nothing of the worker's is worth finishing: its results have no reader
