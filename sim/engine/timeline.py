"""The timeline of the agenda's calls: a calendar queue (`Timeline`) of entries (`Dated`)
ordered by two numbers."""

from __future__ import annotations

from itertools import pairwise
from typing import Final

INFINITY: Final = float("inf")


class Dated:
    """An entry of a Timeline: `at` its time, `order` what breaks ties."""

    __slots__ = ("at", "day", "next", "order")

    def __init__(self, at: float, order: int) -> None:
        self.at = at
        self.order = order
        self.day = 0  # its bucket's day on the timeline
        self.next: Dated | None = None  # the next entry in its bucket


def _before(a: Dated, b: Dated) -> bool:
    return a.at < b.at or (a.at == b.at and a.order < b.order)


NEVER: Final = 1 << 62  # the day of a call at an infinite time
MIN_BUCKETS: Final = 16


class Timeline:
    """The pending calls in SimPy's order: a calendar queue (R. Brown, 1988). Time is cut
    into days of `width` seconds; a call goes in the bucket of its day (modulo the number of
    buckets), a chain kept in order, and the earliest is found by walking the days from the
    last one. With about as many buckets as calls, and days about three calls wide, a call
    costs the same at any length, where a heap's cost grows with it (docs/architecture.md)."""

    __slots__ = ("_buckets", "_first", "_grow_at", "_mask", "_per_day", "_probes",
                 "_shrink_at", "_size", "_taken")

    def __init__(self) -> None:
        self._buckets: list[Dated | None] = [None] * MIN_BUCKETS
        self._mask = MIN_BUCKETS - 1
        self._grow_at, self._shrink_at = 2 * MIN_BUCKETS, 0
        self._per_day = 1.0  # days per second: 1 / the width of a day
        self._size = 0
        self._first: Dated | None = None
        self._taken = 0  # calls taken since the days were last measured
        self._probes = 0  # buckets and calls looked at meanwhile

    def __len__(self) -> int:
        return self._size

    @property
    def first(self) -> Dated | None:
        return self._first

    def calls(self) -> list[Dated]:
        calls = []
        for call in self._buckets:
            while call is not None:
                calls.append(call)
                call = call.next
        return calls

    def add(self, call: Dated) -> None:
        call.day = day = _day(call.at, self._per_day)
        buckets, index = self._buckets, day & self._mask
        head = buckets[index]
        if head is None or _before(call, head):
            call.next = head
            buckets[index] = call
        else:
            while (after := head.next) is not None and _before(after, call):
                head = after
                self._probes += 1
            call.next = after
            head.next = call
        self._size += 1
        first = self._first
        if first is None or _before(call, first):
            self._first = call
        if self._size > self._grow_at:
            self._rebuild(2 * len(buckets))

    def take(self) -> Dated:
        """Remove the earliest call (there is one) and return it."""
        first = self._first
        assert first is not None
        self._buckets[first.day & self._mask] = first.next
        first.next = None
        self._size -= 1
        self._first = self._earliest(first.day)
        self._taken += 1
        if self._size < self._shrink_at:
            self._rebuild(len(self._buckets) // 2)
        elif self._taken > self._mask and self._probes > 4 * self._taken:
            self._rebuild(len(self._buckets))  # the days no longer fit the calls
        return first

    def _earliest(self, day: int) -> Dated | None:
        """The earliest call, none being earlier than `day`."""
        buckets, mask = self._buckets, self._mask
        for step in range(len(buckets)):
            head = buckets[(day + step) & mask]
            if head is not None and head.day == day + step:
                self._probes += step
                return head
        self._probes += len(buckets)
        earliest = None  # none within a round of the buckets: the earliest of their heads
        for head in buckets:
            if head is not None and (earliest is None or _before(head, earliest)):
                earliest = head
        return earliest

    def _rebuild(self, size: int) -> None:
        """Spread the calls over `size` buckets, with days measured on the earliest."""
        calls = sorted(self.calls(), key=by_time)
        gap = _usual_gap([call.at for call in calls[:64] if call.at != INFINITY])
        if gap > 0:
            self._per_day = 1 / (3.0 * gap)
        self._buckets = [None] * size
        self._mask = size - 1
        self._grow_at = 2 * size
        self._shrink_at = size // 4 if size > MIN_BUCKETS else 0
        self._taken = self._probes = 0
        tails: list[Dated | None] = [None] * size
        for call in calls:  # in order, so each chain is in order
            call.day = _day(call.at, self._per_day)
            call.next = None
            index = call.day & self._mask
            tail = tails[index]
            if tail is None:
                self._buckets[index] = call
            else:
                tail.next = call
            tails[index] = call


def _usual_gap(times: list[float]) -> float:
    """The mean gap between consecutive times, leaving out gaps over twice the mean (Brown's
    rule: a far-off call, a TTL's, must not make the days wide); 0 if there is none."""
    gaps = [later - earlier for earlier, later in pairwise(times) if later > earlier]
    if not gaps:
        return 0.0
    mean = sum(gaps) / len(gaps)
    usual = [gap for gap in gaps if gap <= 2 * mean]
    return sum(usual) / len(usual)


def _day(at: float, per_day: float) -> int:
    return int(at * per_day) if at != INFINITY else NEVER


def by_time(call: Dated) -> tuple[float, int]:
    return call.at, call.order
