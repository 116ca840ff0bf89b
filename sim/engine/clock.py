"""The engine's time: pending calls as SimPy events, and the calendar's boundaries.

SimPy stays the kernel: every pending call is a SimPy event, with the time and id SimPy's
schedule would give it, so SimPy advances time and orders each instant exactly as it orders
its own events (by schedule order). The calls wait on the agenda's own timeline, a calendar
queue (sim.engine.timeline), and the earliest of them also on SimPy's schedule: the order is
the same, but SimPy's heap stays a few entries long and a call costs the same however many
are pending (docs/architecture.md, "Measured scaling"). Calls due at
the current instant that are made while it runs (a dispatch, an instant accept, a zero-length
wrap-up) wait in a FIFO and run when the instant's last event has; that is where SimPy would
put a zero-delay event, without the cost of one. Shift starts and ends, known from the start,
come first in their instant, as if all had been scheduled at the start, in agent order.

Timers that can be overtaken (reservation responses, research, holds) are cancelled by a
flag checked when they fire; timers of a fixed delay that is a setting (TTL, pause expiry,
Leave window, hold for reply, recovery) share one FIFO line per delay, so they cost O(1) and
do not crowd SimPy's queue, and the line drops cancelled ones as they pile up so that what
they referred to is released.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from heapq import heappop, heappush
from typing import Any, Final, cast

import simpy
from simpy.events import NORMAL

from sim.engine.timeline import Dated, Timeline, by_time

Call = Callable[[Any], object]
Schedule = list[tuple[float, int, int, object]]  # SimPy's queue: (time, priority, id, event)
PRIORITY: Final = 1  # SimPy's NORMAL, as a literal the compiled engine inlines
assert PRIORITY == NORMAL
Runs = tuple[Callable[["_Call"], None]]  # what SimPy calls when a _Call's time comes
INFINITY: Final = float("inf")


class Timer:
    """A pending call that `cancel()` turns into a no-op."""

    __slots__ = ("arg", "cancelled", "fn", "line")

    def __init__(self, fn: Call, arg: Any, line: DelayLine | None = None) -> None:
        self.fn = fn
        self.arg = arg
        self.cancelled = False
        self.line = line

    def cancel(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self.arg = None  # let what it referred to go now, not when it falls due
            if self.line is not None:
                self.line.cancelled()


def _nothing(_: None) -> None:
    """What a calendar wake calls: its boundaries ran already, first in its instant."""


def _fire(timer: Timer) -> None:
    if not timer.cancelled:
        timer.cancelled = True
        timer.fn(timer.arg)


class _Call(Dated):
    """A pending call: on the agenda's own timeline, in SimPy's order (`at` is its time, `order`
    the id SimPy's counter gave it), and, once it is the earliest there, on SimPy's schedule
    too, as what SimPy's step needs of an event (`callbacks`, `_ok`), already triggered.
    Not a simpy.Event subclass: that would give every call a per-instance dict, the largest
    part of its cost in the compiled engine."""

    __slots__ = ("_ok", "_value", "arg", "callbacks", "fn", "woken")

    def __init__(self, run: Runs, fn: Call, arg: Any, time: float, eid: int) -> None:
        super().__init__(time, eid)
        # SimPy only iterates over the callbacks, then sets them to None: every call can
        # share one tuple instead of allocating a list.
        self.callbacks: Runs | None = run
        self._value: object = None
        self.fn = fn
        self.arg = arg
        # The two flags last and together, so that they share one word: a call is then 112
        # bytes rather than 128, and a center with 1,800 calls pending holds that much less.
        self._ok = True
        self.woken = False  # on SimPy's schedule


class Agenda:
    __slots__ = ("_calendar", "_calendar_wake", "_env", "_event_ids", "_firing", "_lines",
                 "_queue", "_runs", "_soon", "_timed", "now", "stamp")

    def __init__(self, env: simpy.Environment) -> None:
        self._env = env
        # SimPy's schedule and the counter that orders its events (fixed for its lifetime):
        # calls go on it as env.schedule puts them, without that Python-level call.
        self._queue: Schedule = env._queue  # type: ignore[assignment]
        self._event_ids: Iterator[int] = env._eid
        # Every timed call, in SimPy's order; only the earliest need be on SimPy's schedule,
        # with the time and id it would have had there, so SimPy runs them in the same
        # order while its own heap stays a few entries long.
        self._timed = Timeline()
        self.now: float = env.now
        # `now` as SimPy's own float object, which the log's rows take as it is (packing
        # `now` would make a new float object for every row).
        self.stamp: object = env.now
        # Calls due now, scheduled while this instant runs: a FIFO run when the instant's
        # timed events are done, since each comes after every one of them (they were all
        # scheduled earlier), exactly where SimPy would put a zero-delay event.
        self._soon: deque[tuple[Call, Any]] = deque()
        # Calendar boundaries, in (time, rank) order; the earliest has one SimPy event.
        self._calendar: list[tuple[float, int, Call, Any]] = []
        self._calendar_wake = float("inf")
        self._firing = False
        self._lines: dict[float, DelayLine] = {}
        self._runs: Runs = (self._run,)

    # scheduling -------------------------------------------------------------------------

    def at_time(self, time: float, fn: Call, arg: Any) -> None:
        """Call fn(arg) at `time` (already computed as now + delay)."""
        if time == self.now and self._firing:
            self._soon.append((fn, arg))
        else:
            self._schedule(time, fn, arg)

    def _schedule(self, time: float, fn: Call, arg: Any) -> None:
        """What env.schedule(call, NORMAL, time - now) does, with its arithmetic. While an
        instant runs, SimPy's clock is `now` (set from it), so it is not read again."""
        clock = self.now if self._firing else self._env._now
        call = _Call(self._runs, fn, arg, clock + (time - self.now), next(self._event_ids))
        timed = self._timed
        timed.add(call)
        if timed.first is call:
            self._wake(call)

    def _wake(self, call: _Call) -> None:
        """Put the earliest call on SimPy's schedule, as env.schedule would have."""
        call.woken = True
        heappush(self._queue, (call.at, PRIORITY, call.order, call))

    def soon(self, fn: Call, arg: Any) -> None:
        """Call fn(arg) at the end of this instant, after everything already due now."""
        self.at_time(self.now, fn, arg)

    def first_at(self, moment: float, rank: int, fn: Call, arg: Any) -> None:
        """Call fn(arg) at `moment` before anything else due then, in `rank` order: the
        calendar's boundaries (shift starts and ends, by agent), which are known from the
        start and come first in their instant as if all were scheduled at the start."""
        time = moment if moment > self.now else self.now
        heappush(self._calendar, (time, rank, fn, arg))
        if time < self._calendar_wake or self._calendar_wake < self.now:
            self._wake_calendar(time)  # no wake pending for it yet

    def after(self, delay: float, fn: Call, arg: Any) -> None:
        self.at_time(self.now + delay, fn, arg)

    def at(self, moment: float, fn: Call, arg: Any) -> None:
        now = self.now
        self.at_time(now + (moment - now if moment > now else 0.0), fn, arg)

    def timer(self, delay: float, fn: Call, arg: Any) -> Timer:
        """Like `after`, cancellable."""
        timer = Timer(fn, arg)
        self.at_time(self.now + delay, _fire, timer)
        return timer

    def timer_at(self, moment: float, fn: Call, arg: Any) -> Timer:
        timer = Timer(fn, arg)
        self.at(moment, _fire, timer)
        return timer

    def line(self, delay: float) -> DelayLine:
        """The DelayLine for timers of this delay (every timer of a delay shares one)."""
        line = self._lines.get(delay)
        if line is None:
            line = self._lines[delay] = DelayLine(self, delay)
        return line

    def fixed(self, delay: float, fn: Call, arg: Any) -> Timer:
        """A cancellable call after a delay that is a setting (a TTL, an expiry)."""
        return self.line(delay).add(fn, arg)

    # running ----------------------------------------------------------------------------

    def _wake_calendar(self, time: float) -> None:
        """Make sure some SimPy event happens at `time`, so the boundary due then runs."""
        self._calendar_wake = time
        self._schedule(time, _nothing, None)

    def _calendar_due(self) -> None:
        """Run the boundaries due now, first in the instant (before any other call)."""
        calendar, now = self._calendar, self.now
        while calendar and calendar[0][0] <= now:
            _, _, fn, arg = heappop(calendar)
            fn(arg)
        if not calendar:
            self._calendar_wake = float("inf")
        elif calendar[0][0] != self._calendar_wake:
            self._wake_calendar(calendar[0][0])

    def _run(self, event: _Call) -> None:
        env = self._env
        self.stamp = stamp = env._now  # what env.now returns, without a Python-level property
        self.now = now = stamp
        self._firing = True
        ran = self._timed.take()
        assert ran is event, "SimPy ran a call out of the agenda's order"
        first = cast("_Call | None", self._timed.first)  # it holds only calls
        if first is not None and not first.woken:
            self._wake(first)
        try:
            if self._calendar and self._calendar[0][0] <= now:
                self._calendar_due()
            event.fn(event.arg)
            soon = self._soon
            queue = self._queue  # env.peek(), inlined: the time of the next event
            if soon and (queue[0][0] if queue else INFINITY) > now:
                while soon:  # the instant's last timed event ran: now the calls due now
                    fn, arg = soon.popleft()
                    fn(arg)
        finally:
            self._firing = False

    def pending(self) -> list[tuple[float, object]]:
        """(time, SimPy event) of everything still to happen, earliest first: the calls,
        then whatever else is on SimPy's schedule (the stop of `run(until)`)."""
        calls = sorted(self._timed.calls(), key=by_time)
        # SimPy's event ids are unique, so sorting its entries never compares two events
        others = [(time, event) for time, _, _, event in sorted(self._queue)
                  if not isinstance(event, _Call)]
        return [(call.at, call) for call in calls] + others


class DelayLine:
    """Timers that all wait the same delay. They fall due in the order they were set, so a
    FIFO with one agenda entry for its head serves them all."""

    __slots__ = ("_armed", "_dead", "_fires", "_queue", "agenda", "delay")

    def __init__(self, agenda: Agenda, delay: float) -> None:
        self.agenda = agenda
        self.delay = delay
        self._queue: deque[tuple[float, Timer]] = deque()
        self._armed = False
        self._dead = 0  # cancelled timers still in the queue
        self._fires: Call = self._fire  # bound once, not on every arming

    def add(self, fn: Call, arg: Any) -> Timer:
        timer = Timer(fn, arg, self)
        self._queue.append((self.agenda.now + self.delay, timer))
        if not self._armed:
            self._arm()
        return timer

    def cancelled(self) -> None:
        self._dead += 1
        if self._dead > 64 and self._dead * 2 > len(self._queue):
            self._queue = deque(entry for entry in self._queue if not entry[1].cancelled)
            self._dead = 0

    def _arm(self) -> None:
        queue = self._queue
        while queue and queue[0][1].cancelled:
            queue.popleft()
            self._dead -= 1
        self._armed = bool(queue)
        if queue:
            self.agenda.at(queue[0][0], self._fires, None)

    def _fire(self, _: None) -> None:
        queue, now = self._queue, self.agenda.now
        while queue and queue[0][0] <= now:
            timer = queue.popleft()[1]
            if timer.cancelled:
                self._dead -= 1
            else:
                timer.cancelled = True
                timer.line = None
                timer.fn(timer.arg)
        self._arm()
