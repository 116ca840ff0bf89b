"""Timers on a SimPy environment, cancelled cheaply by a flag checked when they fire.

Reservation timeouts, pause expiries, leave windows, TTLs and hold-for-reply timers are
often overtaken; cancelling one must not cost a process or a heap removal.
"""

from __future__ import annotations

from collections import deque
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
        self.args = ()  # let what it referred to go now, not when it falls due

    def __call__(self, _event: simpy.Event) -> None:
        if not self.cancelled:
            self.fn(*self.args)


class DelayLine:
    """Timers that all wait the same delay. They fall due in the order they were set, so a
    queue with one pending simulation event for its head serves them all: O(1) per timer,
    and cancelled timers do not crowd the simulation's event heap (a 24 h TTL would
    otherwise leave a dead entry there for every task of the last day)."""

    __slots__ = ("_armed", "_queue", "clock", "delay")

    def __init__(self, clock: Clock, delay: float) -> None:
        self.clock = clock
        self.delay = delay
        self._queue: deque[tuple[float, Timer]] = deque()
        self._armed = False

    def add(self, fn: Callable[..., object], args: tuple[Any, ...]) -> Timer:
        timer = Timer(fn, args)
        self._queue.append((self.clock.now + self.delay, timer))
        if not self._armed:
            self._arm()
        return timer

    def _arm(self) -> None:
        queue = self._queue
        while queue and queue[0][1].cancelled:
            queue.popleft()
        self._armed = bool(queue)
        if queue:
            self.clock.env.timeout(max(0.0, queue[0][0] - self.clock.now)).callbacks.append(
                self._fire)

    def _fire(self, _event: simpy.Event) -> None:
        queue, now = self._queue, self.clock.now
        while queue and queue[0][0] <= now:
            _, timer = queue.popleft()
            timer(_event)
        self._arm()


class Clock:
    """The simulation's time and its timers."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._lines: dict[float, DelayLine] = {}

    @property
    def now(self) -> float:
        now: float = self.env.now
        return now

    def after(self, delay: float, fn: Callable[..., object], *args: Any) -> Timer:
        timer = Timer(fn, args)
        self.env.timeout(delay).callbacks.append(timer)
        return timer

    def after_fixed(self, delay: float, fn: Callable[..., object], *args: Any) -> Timer:
        """Like `after`, for a delay that is a setting (a TTL, an expiry, a window): every
        timer of the same delay shares one DelayLine."""
        line = self._lines.get(delay)
        if line is None:
            line = self._lines[delay] = DelayLine(self, delay)
        return line.add(fn, args)

    def at(self, moment: float, fn: Callable[..., object], *args: Any) -> Timer:
        return self.after(max(0.0, moment - self.env.now), fn, *args)
