"""What the figures of a run need from each replication, extracted where the replication
ran: small summaries instead of whole event logs, so a pool's workers send back kilobytes
and the parent keeps no log for its figures (sim.analysis.plots draws them)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from sim.analysis.agenttime import occupancy_at
from sim.analysis.context import Context
from sim.analysis.measures import Measures
from sim.analysis.timeweighted import hourly_grid, queued_at, unanswered_at
from sim.domain.durations import HOUR
from sim.engine.eventlog import EVENT_NAMES


@dataclass
class FigurePart:
    """One replication's share of the figures."""

    offers: Counter[str]
    declined_per_task: Counter[int]
    pauses: Counter[str]
    paused_hours: np.ndarray
    reactivation_hours: np.ndarray
    closed_by_window: int
    first_response_hours: np.ndarray
    queued: np.ndarray
    unanswered: np.ndarray
    occupancy: np.ndarray

    @classmethod
    def of(cls, m: Measures) -> FigurePart:
        decided, declined = m.offer_outcomes_per_task
        offered = m.cohort & (decided > 0)
        pauses, leaves = m.pauses, m.leaves
        back = leaves.outcome == EVENT_NAMES.index("conversation.reactivated")
        waits = m.answered[m.cohort] - m.created[m.cohort]
        return cls(
            _named(_tally(m.offers.outcome)),
            _tally(np.minimum(declined[offered], 3)),
            _named(_tally(pauses.outcome)),
            (pauses.ended - pauses.began) / HOUR,
            (leaves.ended - leaves.began)[back] / HOUR,
            int((~back).sum()),
            waits[~np.isnan(waits)] / HOUR,
            queued_at(m), unanswered_at(m), occupancy_at(m))


def _tally(values: np.ndarray) -> Counter[int]:
    """How often each value occurs (small whole numbers >= 0), in order of first occurrence,
    as `Counter(values.tolist())` gives it, from one bincount."""
    counts = np.bincount(values) if len(values) else np.zeros(0, dtype=np.int64)
    present = np.flatnonzero(counts)
    first = [int(np.argmax(values == value)) for value in present]
    return Counter({int(present[i]): int(counts[present[i]]) for i in np.argsort(first)})


def _named(codes: Counter[int]) -> Counter[str]:
    return Counter({EVENT_NAMES[code]: count for code, count in codes.items()})


@dataclass
class FigureData:
    """Every replication's part, gathered in the parent."""

    context: Context
    pause_expiry: float
    leave_window: float
    name: str = ""  # the scenario's, for titles
    pause_enabled: bool = True
    leave_enabled: bool = True
    offers: Counter[str] = field(default_factory=Counter)
    declined_per_task: Counter[int] = field(default_factory=Counter)
    pauses: Counter[str] = field(default_factory=Counter)
    paused_hours: list[np.ndarray] = field(default_factory=list)
    reactivation_hours: list[np.ndarray] = field(default_factory=list)
    closed_by_window: int = 0
    first_response_hours: list[np.ndarray] = field(default_factory=list)
    backlog: list[np.ndarray] = field(default_factory=list)
    unanswered: list[np.ndarray] = field(default_factory=list)
    occupancy: list[np.ndarray] = field(default_factory=list)

    @property
    def grid(self) -> np.ndarray:
        return hourly_grid(self.context)

    def add(self, part: FigurePart) -> None:
        self.offers.update(part.offers)
        self.declined_per_task.update(part.declined_per_task)
        self.pauses.update(part.pauses)
        self.paused_hours.append(part.paused_hours)
        self.reactivation_hours.append(part.reactivation_hours)
        self.closed_by_window += part.closed_by_window
        self.first_response_hours.append(part.first_response_hours)
        self.backlog.append(part.queued)
        self.unanswered.append(part.unanswered)
        self.occupancy.append(part.occupancy)
