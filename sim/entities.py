"""The things the engine moves around: conversations, tasks and reservations.

Statuses are only ever changed by the Recorder, through the lifecycle tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sim.lifecycle import ConversationStatus, ReservationStatus, TaskStatus, WrapReason

if TYPE_CHECKING:
    from sim.agents import Agent
    from sim.clock import Timer


@dataclass(slots=True, eq=False)
class Conversation:
    id: int
    skill: int
    priority: int
    status: ConversationStatus = ConversationStatus.ACTIVE
    task: Task | None = None  # the latest task of this conversation
    left_by: Agent | None = None  # who chose Leave last (R12 previous-agent routing)
    window: Timer | None = None  # R13: closes an inactive conversation


@dataclass(slots=True, eq=False)
class Task:
    id: int
    conversation: Conversation
    skill: int
    priority: int
    created_at: float
    status: TaskStatus = TaskStatus.PENDING
    agent: Agent | None = None  # the owner: reserved, assigned, paused or wrapping
    reservation: Reservation | None = None
    declined_by: set[int] = field(default_factory=set)  # R4: agents that rejected or missed
    preferred: Agent | None = None  # R12 with reactivation_routing: previous-agent
    ttl: Timer | None = None  # R6
    pause_expiry: Timer | None = None  # R10
    research: Timer | None = None  # A3: research done while paused
    hold: Timer | None = None  # A3: waiting for the customer's reply
    replies_sent: int = 0  # in this task, by its agents (R11)
    wrap_reason: WrapReason | None = None


@dataclass(slots=True, eq=False)
class Reservation:
    task: Task
    agent: Agent
    status: ReservationStatus = ReservationStatus.PENDING
    response: Timer | None = None
