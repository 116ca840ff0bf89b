"""`python -m sim` and the `ccsim` script: the command line.

Importing the command line takes a second or more on a loaded machine, and a Ctrl-C or a
SIGTERM in that time must not print a traceback. Until it is imported, either signal ends
the process at once (nothing has been written yet); after that they raise
KeyboardInterrupt, which every command turns into a clean exit 130 (commands that run
replications install their own handler, sim.analysis.experiment.interruptible).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from types import FrameType

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
EXIT_INTERRUPTED = 130  # sim.cli.output's, which cannot be imported yet


def _quit(signum: int, frame: FrameType | None) -> None:
    os.write(2, b"interrupted\n")
    os._exit(EXIT_INTERRUPTED)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _handle(handler: Callable[[int, FrameType | None], None]) -> None:
    for number in _SIGNALS:
        if signal.getsignal(number) is not signal.SIG_IGN:  # nohup and the like: keep it
            signal.signal(number, handler)


def tune() -> None:
    """Settings of the `ccsim` process, made before numpy is imported. numpy advises the
    kernel to back each array of 4 MB or more with huge pages; where transparent huge pages
    are on "madvise" (a common default), the kernel then compacts memory at the first touch
    of each such array, and the KPIs of a long run touch gigabytes of short-lived ones:
    about 1 s of the large center's 7 s KPI step (docs/architecture.md, "Measured
    scaling"). The results are the same either way; a setting of the user's own wins."""
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")


def main() -> None:
    _handle(_quit)
    tune()
    from sim.cli import main as cli

    _handle(_interrupt)
    cli(prog_name="ccsim")


if __name__ == "__main__":
    main()
