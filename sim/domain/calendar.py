"""An agent's duty calendar: weekly shift hours minus whole-day absences (A1).

Times are seconds since the scenario's `start`; calendar days are 24 h (no daylight saving).
Work advances only on duty, so the time a piece of work finishes is computed here rather than
by interrupting a running process at every shift end.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable

from sim.domain.durations import DAY
from sim.domain.scenario import ALL_DAYS, Shift, seconds_of_day

Interval = tuple[float, float]


def day_count(start: dt.datetime, horizon: float) -> int:
    """Calendar days touched by [start, start + horizon)."""
    offset = _time_of_day(start)
    return math.ceil((offset + horizon) / DAY)


def working_days(shift: Shift, start: dt.datetime, horizon: float) -> list[int]:
    """Indices (0 = the day of `start`) of calendar days on which the shift works."""
    first = start.date().weekday()
    days = {ALL_DAYS.index(day) for day in shift.days}
    return [d for d in range(day_count(start, horizon)) if (first + d) % 7 in days]


def absent_days(
    workdays: Iterable[int],
    probability: float,
    uniform: Callable[[], float],
    length: Callable[[], float],
) -> set[int]:
    """Days off: on each working day not already off, an absence of `length` starts with
    `probability`; it lasts whole days (at least one)."""
    absent: set[int] = set()
    if probability <= 0:
        return absent
    for day in workdays:
        if day in absent or uniform() >= probability:
            continue
        span = max(1, math.ceil(length() / DAY))
        absent.update(range(day, day + span))
    return absent


def duty_intervals(
    shift: Shift, start: dt.datetime, horizon: float, absent: Collection[int] = ()
) -> list[Interval]:
    """On-duty intervals within [0, horizon], merged where one ends as the next begins."""
    offset = _time_of_day(start)
    begin, end = seconds_of_day(shift.start), seconds_of_day(shift.end)
    intervals: list[Interval] = []
    for day in working_days(shift, start, horizon):
        if day in absent:
            continue
        low = max(0.0, day * DAY - offset + begin)
        high = min(horizon, day * DAY - offset + end)
        if high <= low:
            continue
        if intervals and intervals[-1][1] == low:
            intervals[-1] = (intervals[-1][0], high)
        else:
            intervals.append((low, high))
    return intervals


def _time_of_day(moment: dt.datetime) -> float:
    return moment.hour * 3600.0 + moment.minute * 60.0 + moment.second + moment.microsecond / 1e6


class DutyCalendar:
    """Answers "on duty at t?", "next duty start" and "when does this work finish?"."""

    __slots__ = ("ends", "starts")

    def __init__(self, intervals: list[Interval]) -> None:
        self.starts = [low for low, _ in intervals]
        self.ends = [high for _, high in intervals]

    def next_start(self, t: float) -> float:
        """t itself when on duty, else the next start of duty (inf when there is none)."""
        i = bisect_right(self.ends, t)
        if i == len(self.starts):
            return math.inf
        return max(t, self.starts[i])

    def on_duty(self, begin: float, end: float) -> float:
        """Seconds on duty within [begin, end]."""
        return sum(max(0.0, min(high, end) - max(low, begin))
                   for low, high in zip(self.starts, self.ends, strict=True)
                   if low < end and high > begin)

    def finish(self, t: float, work: float) -> float:
        """When `work` seconds of on-duty time, begun at t, are done (inf if not in horizon)."""
        return self.span(t, work)[1]

    def span(self, t: float, work: float) -> tuple[float, float]:
        """When `work` seconds of on-duty time asked for at t start (t itself when on duty,
        else the next start of duty) and finish; inf where that is beyond the horizon."""
        starts, ends = self.starts, self.ends
        last = len(starts)
        i = bisect_right(ends, t)
        if i == last:
            return math.inf, math.inf
        begin = starts[i] if starts[i] > t else t
        start = begin
        while True:
            end = ends[i]
            if begin + work <= end:
                return start, begin + work
            work -= end - begin
            i += 1
            if i == last:
                return start, math.inf
            begin = starts[i]
