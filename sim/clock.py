"""Timers on a SimPy environment, cancelled cheaply by a flag checked when they fire.

Reservation timeouts, pause expiries, leave windows, TTLs and hold-for-reply timers are
often overtaken; cancelling one must not cost a process or a heap removal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy


class Timer:
    """A pending call; `cancel()` turns it into a no-op."""

    __slots__ = ("args", "cancelled", "fn")

    def __init__(self, fn: Callable[..., object], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def __call__(self, _event: simpy.Event) -> None:
        if not self.cancelled:
            self.fn(*self.args)


class Clock:
    """The simulation's time and its timers."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env

    @property
    def now(self) -> float:
        now: float = self.env.now
        return now

    def after(self, delay: float, fn: Callable[..., object], *args: Any) -> Timer:
        timer = Timer(fn, args)
        self.env.timeout(delay).callbacks.append(timer)
        return timer

    def at(self, moment: float, fn: Callable[..., object], *args: Any) -> Timer:
        return self.after(max(0.0, moment - self.env.now), fn, *args)
