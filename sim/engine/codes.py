"""The lifecycle tables of sim.domain.lifecycle as integer lookup tables for the hot path.

Nothing here states a rule: every table is derived from the domain's tables and predicates
when the module loads, so the rules still live in one place. Statuses, events, activities,
causes and inbound kinds are small integers (their position in their enum); an illegal
transition is -1 and raises `IllegalTransition` where it is looked up.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from sim.domain.lifecycle import (
    ACTIVITY,
    APPENDS_TO,
    CONVERSATION,
    HOLDS_CAPACITY,
    OWNERLESS,
    RESERVATION,
    TASK,
    TTL_RUNS,
    Activity,
    ActivityCause,
    ConversationStatus,
    Event,
    IllegalTransition,
    Inbound,
    Machine,
    ReservationStatus,
    TaskStatus,
    WrapReason,
    classify_inbound,
)

S = TypeVar("S", bound=StrEnum)
T = TypeVar("T", bound=StrEnum)

EVENTS = tuple(Event)
TASK_STATUSES = tuple(TaskStatus)
RESERVATION_STATUSES = tuple(ReservationStatus)
CONVERSATION_STATUSES = tuple(ConversationStatus)
ACTIVITIES = tuple(Activity)
CAUSES = tuple(ActivityCause)
INBOUNDS = tuple(Inbound)
WRAP_REASONS = (None, *WrapReason)  # 0: not wrapped up


def _table(machine: Machine[S, T], triggers: tuple[T, ...]) -> list[list[int]]:
    """next[status][trigger] as positions; -1 where the table has no edge."""
    statuses = machine.statuses
    return [[statuses.index(machine.edges[(status, trigger)])
             if (status, trigger) in machine.edges else -1 for trigger in triggers]
            for status in statuses]


def code(event: Event) -> int:
    return EVENTS.index(event)


TASK_NEXT = _table(TASK, EVENTS)
RESERVATION_NEXT = _table(RESERVATION, EVENTS)
CONVERSATION_NEXT = _table(CONVERSATION, EVENTS)
ACTIVITY_NEXT = _table(ACTIVITY, CAUSES)

HOLDS = tuple(status in HOLDS_CAPACITY for status in TASK_STATUSES)
# R7: the change of the owner's used slots, by (old status, new status).
SLOT_DELTA = tuple(tuple(int(new) - int(old) for new in HOLDS) for old in HOLDS)
CLEARS_OWNER = tuple(status in OWNERLESS for status in TASK_STATUSES)
TTL_RUNS_IN = tuple(status in TTL_RUNS for status in TASK_STATUSES)
APPENDS = tuple(status in APPENDS_TO for status in TASK_STATUSES)


def _inbound(conversation: ConversationStatus, task: TaskStatus,
             wrap: WrapReason | None) -> int:
    try:
        return INBOUNDS.index(classify_inbound(conversation, task, wrap))
    except IllegalTransition:
        return -1


# R8, R12, R13, R15: what a customer's reply means, by (conversation, task, wrap reason).
INBOUND = tuple(tuple(tuple(_inbound(c, t, w) for w in WRAP_REASONS) for t in TASK_STATUSES)
                for c in CONVERSATION_STATUSES)


def illegal(machine: str, status: StrEnum, trigger: StrEnum) -> IllegalTransition:
    return IllegalTransition(
        f"{machine}: no transition from {status.value!r} on {trigger.value!r}")


# Names the hot path uses, so it reads in the domain's words.
T_PENDING, T_RESERVED, T_ASSIGNED, T_PAUSED, T_WRAPPING, T_COMPLETED, T_CANCELED = range(7)
assert TASK_STATUSES[T_CANCELED] is TaskStatus.CANCELED
R_PENDING = RESERVATION_STATUSES.index(ReservationStatus.PENDING)
C_ACTIVE, C_INACTIVE, C_CLOSED = (CONVERSATION_STATUSES.index(s) for s in ConversationStatus)
A_OFFLINE, A_AVAILABLE, A_TIMEOUT = (ACTIVITIES.index(a) for a in Activity)
(SHIFT_START, SHIFT_END, RESERVATION_MISSED, RECOVERED) = (CAUSES.index(c) for c in ActivityCause)
(NEW, APPENDED, STRANDED, REACTIVATION, FOLLOW_UP) = (INBOUNDS.index(i) for i in Inbound)
WRAP_END, WRAP_LEAVE = WRAP_REASONS.index(WrapReason.END), WRAP_REASONS.index(WrapReason.LEAVE)

(CONVERSATION_CREATED, CONVERSATION_INACTIVE, CONVERSATION_REACTIVATED, CONVERSATION_CLOSED,
 MESSAGE_INBOUND, MESSAGE_OUTBOUND, TASK_CREATED, TASK_CANCELED, TASK_PAUSED, TASK_RESUMED,
 TASK_PAUSE_EXPIRED, TASK_WRAPUP, TASK_COMPLETED, RESERVATION_CREATED, RESERVATION_ACCEPTED,
 RESERVATION_REJECTED, RESERVATION_TIMEOUT, RESERVATION_CANCELED, WORKER_ACTIVITY_UPDATE,
 WORKER_WORK_STARTED) = range(len(EVENTS))
assert EVENTS[WORKER_WORK_STARTED] is Event.WORKER_WORK_STARTED
assert EVENTS[RESERVATION_CREATED] is Event.RESERVATION_CREATED
