"""The lifecycle tables of sim.domain.lifecycle as integer lookup tables for the hot path.

Nothing here states a rule: every table is derived from the domain's tables and predicates
when the module loads, so the rules still live in one place. Statuses, events, activities,
causes and inbound kinds are small integers (their position in their enum); an illegal
transition is -1 and raises `IllegalTransition` where it is looked up.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, TypeVar

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

EVENTS: Final = tuple(Event)
TASK_STATUSES: Final = tuple(TaskStatus)
RESERVATION_STATUSES: Final = tuple(ReservationStatus)
CONVERSATION_STATUSES: Final = tuple(ConversationStatus)
ACTIVITIES: Final = tuple(Activity)
CAUSES: Final = tuple(ActivityCause)
INBOUNDS: Final = tuple(Inbound)
WRAP_REASONS: Final = (None, *WrapReason)  # 0: not wrapped up


def _table(machine: Machine[S, T], triggers: tuple[T, ...]) -> list[list[int]]:
    """next[status][trigger] as positions; -1 where the table has no edge."""
    statuses = machine.statuses
    return [[statuses.index(machine.edges[(status, trigger)])
             if (status, trigger) in machine.edges else -1 for trigger in triggers]
            for status in statuses]


def code(event: Event) -> int:
    return EVENTS.index(event)


TASK_NEXT: Final = _table(TASK, EVENTS)
RESERVATION_NEXT: Final = _table(RESERVATION, EVENTS)
CONVERSATION_NEXT: Final = _table(CONVERSATION, EVENTS)
ACTIVITY_NEXT: Final = _table(ACTIVITY, CAUSES)

HOLDS: Final = tuple(status in HOLDS_CAPACITY for status in TASK_STATUSES)
# R7: the change of the owner's used slots, by (old status, new status).
SLOT_DELTA: Final = tuple(tuple(int(new) - int(old) for new in HOLDS) for old in HOLDS)
CLEARS_OWNER: Final = tuple(status in OWNERLESS for status in TASK_STATUSES)
TTL_RUNS_IN: Final = tuple(status in TTL_RUNS for status in TASK_STATUSES)
APPENDS: Final = tuple(status in APPENDS_TO for status in TASK_STATUSES)


def _inbound(conversation: ConversationStatus, task: TaskStatus,
             wrap: WrapReason | None) -> int:
    try:
        return INBOUNDS.index(classify_inbound(conversation, task, wrap))
    except IllegalTransition:
        return -1


# R8, R12, R13, R15: what a customer's reply means, by (conversation, task, wrap reason).
INBOUND: Final = tuple(tuple(tuple(_inbound(c, t, w) for w in WRAP_REASONS) for t in TASK_STATUSES)
                for c in CONVERSATION_STATUSES)


def illegal(machine: str, status: StrEnum, trigger: StrEnum) -> IllegalTransition:
    return IllegalTransition(
        f"{machine}: no transition from {status.value!r} on {trigger.value!r}")


# Names the hot path uses, so it reads in the domain's words. They are written as literals,
# Final, so that the compiled engine inlines them (a module attribute would be a dictionary
# look-up on every use); the checks below tie each to its enum's position.
T_PENDING: Final = 0
T_RESERVED: Final = 1
T_ASSIGNED: Final = 2
T_PAUSED: Final = 3
T_WRAPPING: Final = 4
T_COMPLETED: Final = 5
T_CANCELED: Final = 6
R_PENDING: Final = 0
C_ACTIVE: Final = 0
C_INACTIVE: Final = 1
C_CLOSED: Final = 2
A_OFFLINE: Final = 0
A_AVAILABLE: Final = 1
A_TIMEOUT: Final = 2
SHIFT_START: Final = 0
SHIFT_END: Final = 1
RESERVATION_MISSED: Final = 2
RECOVERED: Final = 3
NEW: Final = 0
APPENDED: Final = 1
STRANDED: Final = 2
REACTIVATION: Final = 3
FOLLOW_UP: Final = 4
WRAP_END: Final = 1
WRAP_LEAVE: Final = 2
CONVERSATION_CREATED: Final = 0
CONVERSATION_INACTIVE: Final = 1
CONVERSATION_REACTIVATED: Final = 2
CONVERSATION_CLOSED: Final = 3
MESSAGE_INBOUND: Final = 4
MESSAGE_OUTBOUND: Final = 5
TASK_CREATED: Final = 6
TASK_CANCELED: Final = 7
TASK_PAUSED: Final = 8
TASK_RESUMED: Final = 9
TASK_PAUSE_EXPIRED: Final = 10
TASK_WRAPUP: Final = 11
TASK_COMPLETED: Final = 12
RESERVATION_CREATED: Final = 13
RESERVATION_ACCEPTED: Final = 14
RESERVATION_REJECTED: Final = 15
RESERVATION_TIMEOUT: Final = 16
RESERVATION_CANCELED: Final = 17
WORKER_ACTIVITY_UPDATE: Final = 18
WORKER_WORK_STARTED: Final = 19


def _positions() -> dict[str, int]:
    """(literal, its enum member's position) for every name above."""
    names = {"T": (TaskStatus, TASK_STATUSES), "C": (ConversationStatus, CONVERSATION_STATUSES),
             "A": (Activity, ACTIVITIES)}
    found = {}
    for prefix, (kind, members) in names.items():
        for member in kind:
            found[f"{prefix}_{member.name}"] = members.index(member)
    found["R_PENDING"] = RESERVATION_STATUSES.index(ReservationStatus.PENDING)
    found |= {cause.name: CAUSES.index(cause) for cause in ActivityCause}
    found |= {kind.name: INBOUNDS.index(kind) for kind in Inbound}
    found |= {f"WRAP_{reason.name}": WRAP_REASONS.index(reason) for reason in WrapReason}
    found |= {event.name: EVENTS.index(event) for event in Event}
    return found


assert all(globals()[name] == position for name, position in _positions().items()), (
    "a code name no longer matches its enum's position")
assert len(EVENTS) == WORKER_WORK_STARTED + 1
