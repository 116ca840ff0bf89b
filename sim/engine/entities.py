"""The things the engine moves around: conversations, tasks and reservations.

Statuses are only ever changed by the Recorder, through the lifecycle tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sim.domain.lifecycle import (
    ConversationStatus,
    Event,
    ReservationStatus,
    TaskStatus,
    WrapReason,
)
from sim.engine.clock import Timer


class Owner(Protocol):
    """An agent as the tasks it holds see it (the recorder counts its slots, R7)."""

    index: int

    def slots_changed(self, delta: int) -> None: ...

    def customer_replied(self, task: Task) -> None: ...


class Candidate(Owner, Protocol):
    """An agent as the router sees it: skills, eligibility, longest idle (R2), offers (R3)."""

    skills: tuple[int, ...]
    last_reserved: float
    version: int
    listed: bool
    reservations: set[Reservation]

    def plan_response(self, timeout: float) -> tuple[float, Event]: ...

    def accepted(self, task: Task) -> None: ...

    def missed(self) -> None: ...


@dataclass(slots=True, eq=False)
class Conversation:
    id: int
    skill: int
    priority: int
    status: ConversationStatus = ConversationStatus.ACTIVE
    task: Task | None = None  # the latest task of this conversation
    left_by: Candidate | None = None  # who chose Leave last (R12 previous-agent routing)
    window: Timer | None = None  # R13: closes an inactive conversation


@dataclass(slots=True, eq=False)
class Task:
    id: int
    conversation: Conversation
    skill: int
    priority: int
    created_at: float
    status: TaskStatus = TaskStatus.PENDING
    agent: Candidate | None = None  # the owner: reserved, assigned, paused or wrapping
    reservation: Reservation | None = None
    declined_by: set[int] = field(default_factory=set)  # R4: agents that rejected or missed
    preferred: Candidate | None = None  # R12 with reactivation_routing: previous-agent
    ttl: Timer | None = None  # R6
    pause_expiry: Timer | None = None  # R10
    research: Timer | None = None  # A3: research done while paused
    research_left: float | None = None  # A3: seconds still to do; None until first accepted
    research_total: float = 0.0  # what the email needed in all (R10 `restart`)
    research_began: float = 0.0  # when the running research began
    hold: Timer | None = None  # A3: waiting for the customer's reply
    replies_sent: int = 0  # in this task, by its agents (R11)
    wrap_reason: WrapReason | None = None


@dataclass(slots=True, eq=False)
class Reservation:
    task: Task
    agent: Candidate
    status: ReservationStatus = ReservationStatus.PENDING
    response: Timer | None = None
