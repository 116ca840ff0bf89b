"""The email-task lifecycle as data: statuses, events and transition tables.

This module is the only place the lifecycle rules of DESIGN.md section 1 live. The engine asks
it which status follows an event, whether a task holds a capacity slot, what an inbound
message means; it never re-decides. Tables are plain mappings so that docs/model.md can draw
them and tests can replay an event log through them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar


class Event(StrEnum):
    """Event names of the log, following TaskRouter's."""

    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_INACTIVE = "conversation.inactive"
    CONVERSATION_REACTIVATED = "conversation.reactivated"
    CONVERSATION_CLOSED = "conversation.closed"
    MESSAGE_INBOUND = "message.inbound"
    MESSAGE_OUTBOUND = "message.outbound"
    TASK_CREATED = "task.created"
    TASK_CANCELED = "task.canceled"
    TASK_PAUSED = "task.paused"
    TASK_RESUMED = "task.resumed"
    TASK_PAUSE_EXPIRED = "task.pause-expired"
    TASK_WRAPUP = "task.wrapup"
    TASK_COMPLETED = "task.completed"
    RESERVATION_CREATED = "reservation.created"
    RESERVATION_ACCEPTED = "reservation.accepted"
    RESERVATION_REJECTED = "reservation.rejected"
    RESERVATION_TIMEOUT = "reservation.timeout"
    RESERVATION_CANCELED = "reservation.canceled"
    WORKER_ACTIVITY_UPDATE = "worker.activity.update"
    # Not a TaskRouter event: the agent's hands take up a reply or a wrap-up (A2). It ends
    # with the reply's message.outbound or the task's task.completed.
    WORKER_WORK_STARTED = "worker.work.started"


class TaskStatus(StrEnum):
    PENDING = "pending"
    RESERVED = "reserved"
    ASSIGNED = "assigned"
    PAUSED = "paused"
    WRAPPING = "wrapping"
    COMPLETED = "completed"
    CANCELED = "canceled"


class ReservationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    TIMEOUT = "timeout"
    CANCELED = "canceled"


class ConversationStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    CLOSED = "closed"


class Activity(StrEnum):
    """An agent's activity as the router sees it; only AVAILABLE receives offers."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    TIMEOUT = "timeout"


class ActivityCause(StrEnum):
    """Why an agent's activity changes (every change is logged as worker.activity.update)."""

    SHIFT_START = "shift-start"
    SHIFT_END = "shift-end"
    RESERVATION_MISSED = "reservation-missed"
    RECOVERED = "recovered"


class IllegalTransition(RuntimeError):
    """A status change the tables do not allow: a bug in the engine, never ignored."""


S = TypeVar("S", bound=StrEnum)
T = TypeVar("T", bound=StrEnum)


@dataclass(frozen=True)
class Machine(Generic[S, T]):
    """A state machine kept as a table: (status, trigger) -> next status."""

    name: str
    initial: S
    edges: Mapping[tuple[S, T], S]
    statuses: tuple[S, ...]
    terminal: frozenset[S] = field(init=False)
    triggers: frozenset[T] = field(init=False)

    def __post_init__(self) -> None:
        sources = {source for source, _ in self.edges}
        object.__setattr__(self, "terminal", frozenset(set(self.statuses) - sources))
        object.__setattr__(self, "triggers", frozenset(trigger for _, trigger in self.edges))

    def next(self, status: S, trigger: T) -> S:
        try:
            return self.edges[(status, trigger)]
        except KeyError:
            raise IllegalTransition(
                f"{self.name}: no transition from {status.value!r} on {trigger.value!r}"
            ) from None

    def path_is_legal(self, triggers: Iterable[T]) -> bool:
        """Whether a sequence of triggers, from the initial status, follows the table."""
        status = self.initial
        for trigger in triggers:
            if (status, trigger) not in self.edges:
                return False
            status = self.edges[(status, trigger)]
        return True


_T, _E = TaskStatus, Event

TASK: Machine[TaskStatus, Event] = Machine(
    "task",
    initial=_T.PENDING,  # entered on task.created (R1)
    statuses=tuple(TaskStatus),
    edges={
        (_T.PENDING, _E.RESERVATION_CREATED): _T.RESERVED,  # R2
        (_T.RESERVED, _E.RESERVATION_ACCEPTED): _T.ASSIGNED,  # R3
        (_T.RESERVED, _E.RESERVATION_REJECTED): _T.PENDING,  # R4, A1
        (_T.RESERVED, _E.RESERVATION_TIMEOUT): _T.PENDING,  # R4
        (_T.PENDING, _E.TASK_CANCELED): _T.CANCELED,  # R6
        (_T.RESERVED, _E.TASK_CANCELED): _T.CANCELED,  # R6
        (_T.ASSIGNED, _E.TASK_PAUSED): _T.PAUSED,  # R9
        (_T.PAUSED, _E.TASK_RESUMED): _T.ASSIGNED,  # R9
        (_T.PAUSED, _E.TASK_PAUSE_EXPIRED): _T.PENDING,  # R10
        (_T.ASSIGNED, _E.TASK_WRAPUP): _T.WRAPPING,  # R11 (leave), R14 (end)
        (_T.WRAPPING, _E.TASK_COMPLETED): _T.COMPLETED,  # R11, R14
    },
)

_R = ReservationStatus

RESERVATION: Machine[ReservationStatus, Event] = Machine(
    "reservation",
    initial=_R.PENDING,  # entered on reservation.created
    statuses=tuple(ReservationStatus),
    edges={
        (_R.PENDING, _E.RESERVATION_ACCEPTED): _R.ACCEPTED,
        (_R.PENDING, _E.RESERVATION_REJECTED): _R.REJECTED,
        (_R.PENDING, _E.RESERVATION_TIMEOUT): _R.TIMEOUT,
        (_R.PENDING, _E.RESERVATION_CANCELED): _R.CANCELED,
    },
)

_C = ConversationStatus

CONVERSATION: Machine[ConversationStatus, Event] = Machine(
    "conversation",
    initial=_C.ACTIVE,  # entered on conversation.created
    statuses=tuple(ConversationStatus),
    edges={
        (_C.ACTIVE, _E.CONVERSATION_INACTIVE): _C.INACTIVE,  # R11
        (_C.INACTIVE, _E.CONVERSATION_REACTIVATED): _C.ACTIVE,  # R12
        (_C.INACTIVE, _E.CONVERSATION_CLOSED): _C.CLOSED,  # R13
        (_C.ACTIVE, _E.CONVERSATION_CLOSED): _C.CLOSED,  # R6, R14
    },
)

_A, _AC = Activity, ActivityCause

ACTIVITY: Machine[Activity, ActivityCause] = Machine(
    "activity",
    initial=_A.OFFLINE,
    statuses=tuple(Activity),
    edges={
        (_A.OFFLINE, _AC.SHIFT_START): _A.AVAILABLE,  # A1
        (_A.AVAILABLE, _AC.SHIFT_END): _A.OFFLINE,  # A1
        (_A.TIMEOUT, _AC.SHIFT_END): _A.OFFLINE,  # A1
        (_A.AVAILABLE, _AC.RESERVATION_MISSED): _A.TIMEOUT,  # R5
        # Several offers can time out at once; the recovery clock restarts with the last.
        (_A.TIMEOUT, _AC.RESERVATION_MISSED): _A.TIMEOUT,  # R5
        (_A.TIMEOUT, _AC.RECOVERED): _A.AVAILABLE,  # R5
    },
)

MACHINES: tuple[Machine[TaskStatus, Event], Machine[ReservationStatus, Event],
                Machine[ConversationStatus, Event]] = (TASK, RESERVATION, CONVERSATION)

# R7: the statuses in which a task occupies one of its agent's capacity slots.
HOLDS_CAPACITY: frozenset[TaskStatus] = frozenset({_T.RESERVED, _T.ASSIGNED, _T.WRAPPING})

# R4, R6, R10: a task that goes back to the queue or is canceled belongs to no agent.
OWNERLESS: frozenset[TaskStatus] = frozenset({_T.PENDING, _T.CANCELED})

# R6: the statuses in which a task's time-to-live clock runs (it has not been assigned).
TTL_RUNS: frozenset[TaskStatus] = frozenset({_T.PENDING, _T.RESERVED})


def slot_delta(old: TaskStatus, new: TaskStatus) -> int:
    """Change in the owning agent's used capacity when a task moves from old to new (R7)."""
    return (new in HOLDS_CAPACITY) - (old in HOLDS_CAPACITY)


class WrapReason(StrEnum):
    """Why a task went to wrap-up: End (R14) or Leave (R11)."""

    END = "end"
    LEAVE = "leave"


class PauseExpiry(StrEnum):
    """Why a paused task expired (R10), the detail of task.pause-expired."""

    RESEARCHING = "researching"  # the research was still running
    OFF_DUTY = "off-duty"  # research done, but the agent was off duty and could not resume
    NO_SLOT = "no-slot"  # research done, agent on duty, but no free slot to resume (R9)


class Inbound(StrEnum):
    """What a customer's email does to the conversation it belongs to (R8, R12, R13, R15)."""

    NEW = "new"  # the first email of a conversation (R1)
    APPENDED = "appended"  # R8: joins the thread of the open task, no new task
    STRANDED = "stranded"  # R15: arrived in wrap-up after End, never answered
    REACTIVATION = "reactivation"  # R12: reopens an inactive conversation with a new task
    FOLLOW_UP = "follow-up"  # R15: the conversation was closed; a new one starts


# R8: a reply joins the open task's thread in these statuses.
APPENDS_TO: frozenset[TaskStatus] = frozenset({_T.PENDING, _T.RESERVED, _T.ASSIGNED, _T.PAUSED})


def classify_inbound(
    conversation: ConversationStatus, task: TaskStatus, wrap_reason: WrapReason | None
) -> Inbound:
    """What a customer reply means, given where its conversation and latest task stand."""
    if conversation is _C.CLOSED:
        return Inbound.FOLLOW_UP
    if conversation is _C.INACTIVE:
        return Inbound.REACTIVATION
    if task in APPENDS_TO:
        return Inbound.APPENDED
    if task is _T.WRAPPING and wrap_reason is WrapReason.END:
        return Inbound.STRANDED
    raise IllegalTransition(
        f"inbound email to an active conversation whose task is {task.value!r} "
        f"(wrap reason {wrap_reason})"
    )


def may_leave(leave_enabled: bool, replies_sent: int) -> bool:
    """R11: Leave is offered only when enabled and after the agent replied in this task."""
    return leave_enabled and replies_sent > 0


def may_pause(pause_enabled: bool, status: TaskStatus) -> bool:
    """R9: only an assigned task can be paused, and only when Pause is enabled."""
    return pause_enabled and status is _T.ASSIGNED
