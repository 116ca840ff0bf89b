"""What the router matches: each skill's queue of pending tasks (R1) and its pool of eligible
agents (R2), both heaps with lazy deletion, so that their cost per task does not grow with
the queue's length or the number of agents.

The pools keep their own heap of one class of entry (`Listing`), compared as two numbers:
heapq would compare tuples, several times as many instructions at every level, and a heap
of entries of a base class would check each entry's class against its base at every read
(in the compiled engine, a look-up through the class's ancestry; an exact class is one
pointer compared). A pool of 2000 agents is about 8 levels deep, so this is paid 8 times
per task.
"""

from __future__ import annotations

import heapq
from typing import final

from sim.engine.codes import T_PENDING
from sim.engine.entities import Candidate, Task


class TaskQueue:
    """One skill's pending tasks: higher priority first, then oldest first (R1)."""

    __slots__ = ("_heap",)

    def __init__(self) -> None:
        self._heap: list[tuple[int, float, int, Task]] = []

    def push(self, task: Task) -> None:
        heapq.heappush(self._heap, (-task.priority, task.created_at, task.id, task))

    def peek(self) -> Task | None:
        heap = self._heap
        while heap and heap[0][3].status != T_PENDING:
            heapq.heappop(heap)  # canceled while waiting (R6)
        return heap[0][3] if heap else None

    def pop(self) -> Task:
        return heapq.heappop(self._heap)[3]


@final
class Listing:
    """An agent in a pool, by its last-reserved time, then its index (R2); valid while the
    agent's version is the one it was listed with."""

    __slots__ = ("agent", "at", "order", "version")

    def __init__(self, agent: Candidate) -> None:
        self.at = agent.last_reserved
        self.order = agent.index
        self.agent = agent
        self.version = agent.version

    def relist(self, agent: Candidate) -> None:
        self.at, self.order = agent.last_reserved, agent.index
        self.agent = agent
        self.version = agent.version


def push(heap: list[Listing], entry: Listing) -> None:
    """heapq.heappush, comparing two numbers where heapq compares two tuples."""
    heap.append(entry)
    _rise(heap, len(heap) - 1, entry)


def _rise(heap: list[Listing], i: int, entry: Listing) -> None:
    """Put `entry` in the hole at `i`, or above it where it comes earlier."""
    at, order = entry.at, entry.order
    while i > 0:
        parent = (i - 1) >> 1
        above = heap[parent]
        if not (at < above.at or (at == above.at and order < above.order)):
            break
        heap[i] = above
        i = parent
    heap[i] = entry


def pop(heap: list[Listing]) -> Listing:
    """heapq.heappop, likewise, and as heapq does it (Floyd): the hole at the top goes down
    to a leaf by the earlier child, one comparison a level, and the last entry, which
    usually belongs near the leaves, rises into it from there; a sift-down comparing at
    every level with the last entry too would make two (the heap is not empty). The
    comparisons are written out: this runs for nearly every task, at every level."""
    last = heap.pop()
    if not heap:
        return last
    first, size, i = heap[0], len(heap), 0
    while (child := 2 * i + 1) < size:
        below = heap[child]
        if child + 1 < size:
            right = heap[child + 1]
            if right.at < below.at or (right.at == below.at and right.order < below.order):
                child += 1
                below = right
        heap[i] = below
        i = child
    _rise(heap, i, last)
    return first


class AgentPool:
    """One skill's eligible agents, the one reserved least recently first (R2).

    An entry is valid while the agent's version is unchanged; the agent bumps its version
    whenever its eligibility or its last-reserved time changes and re-lists itself.
    """

    __slots__ = ("_heap", "_spare")

    def __init__(self) -> None:
        self._heap: list[Listing] = []
        # Entries taken off, to list agents with again: each made once, not made and freed
        # for every listing.
        self._spare: list[Listing] = []

    def add(self, agent: Candidate) -> None:
        spare = self._spare
        if spare:
            listing = spare.pop()
            listing.relist(agent)
        else:
            listing = Listing(agent)
        push(self._heap, listing)

    def top(self) -> Candidate | None:
        heap = self._heap
        while heap:
            first = heap[0]
            if first.version == first.agent.version:
                return first.agent
            self._spare.append(pop(heap))
        return None

    def choose(self, task: Task) -> Candidate | None:
        """The longest-idle agent that has not declined `task` (R4)."""
        first = self.top()
        if first is None or task.declined_by is None or first.index not in task.declined_by:
            return first
        avoid = task.declined_by
        skipped = []
        chosen = None
        while (agent := self.top()) is not None:
            if agent.index not in avoid:
                chosen = agent
                break
            skipped.append(pop(self._heap))
        for entry in skipped:
            push(self._heap, entry)
        return chosen
