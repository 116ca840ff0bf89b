"""The one door through which statuses change: look up the table, apply, log, count slots.

Every status change of a task, reservation, conversation or agent activity goes through here
(R16): the next status comes from the lifecycle table (an illegal change raises), the row is
appended to the event log, the owning agent's used capacity follows from R7, and a task that
goes back to the queue or is canceled leaves its agent (OWNERLESS).
"""

from __future__ import annotations

from typing import Protocol

from sim.domain.lifecycle import (
    ACTIVITY,
    CONVERSATION,
    OWNERLESS,
    RESERVATION,
    TASK,
    Activity,
    ActivityCause,
    Event,
    slot_delta,
)
from sim.engine.clock import Clock
from sim.engine.entities import Conversation, Owner, Reservation, Task
from sim.engine.eventlog import EVENT_CODE, NONE, EventLog


class Worker(Protocol):
    """An agent as its activity changes (R5, A1)."""

    index: int
    activity: Activity


class Recorder:
    def __init__(self, clock: Clock, log: EventLog, activity_names: dict[Activity, str]) -> None:
        self.clock = clock
        self.log = log
        self._activity_detail = {
            activity: log.detail_code(name) for activity, name in activity_names.items()
        }

    def _row(self, event: Event, task: int, conversation: int, agent: int, detail: str) -> None:
        self.log.append(
            self.clock.now, EVENT_CODE[event], task, conversation, agent,
            self.log.detail_code(detail),
        )

    # tasks ---------------------------------------------------------------------------------

    def task_created(self, task: Task, detail: str) -> None:
        self._row(Event.TASK_CREATED, task.id, task.conversation.id, NONE, detail)

    def task(self, task: Task, event: Event, detail: str = "") -> None:
        old = task.status
        task.status = new = TASK.next(old, event)
        owner = task.agent
        self._row(event, task.id, task.conversation.id, _index(owner), detail)
        if new in OWNERLESS:
            task.agent = None
        delta = slot_delta(old, new)
        if delta:
            assert owner is not None, f"task {task.id} changes capacity without an owner"
            owner.slots_changed(delta)

    # reservations --------------------------------------------------------------------------

    def reservation_created(self, reservation: Reservation) -> None:
        self.task(reservation.task, Event.RESERVATION_CREATED)

    def reservation(self, reservation: Reservation, event: Event, detail: str = "") -> None:
        reservation.status = RESERVATION.next(reservation.status, event)
        task = reservation.task
        if event in TASK.triggers:
            self.task(task, event, detail)
        else:
            self._row(event, task.id, task.conversation.id, reservation.agent.index, detail)

    # conversations and messages ------------------------------------------------------------

    def conversation_created(self, conversation: Conversation, detail: str) -> None:
        self._row(Event.CONVERSATION_CREATED, NONE, conversation.id, NONE, detail)

    def conversation(
        self, conversation: Conversation, event: Event, detail: str = "",
        agent: Owner | None = None,
    ) -> None:
        conversation.status = CONVERSATION.next(conversation.status, event)
        task = conversation.task
        self._row(event, NONE if task is None else task.id, conversation.id, _index(agent), detail)

    def message(
        self, event: Event, conversation: Conversation, task: Task | None,
        agent: Owner | None, detail: str = "",
    ) -> None:
        self._row(event, NONE if task is None else task.id, conversation.id, _index(agent), detail)

    def work_started(self, agent: Owner, task: Task, kind: str) -> None:
        self._row(Event.WORKER_WORK_STARTED, task.id, task.conversation.id, agent.index, kind)

    # agents --------------------------------------------------------------------------------

    def activity(self, agent: Worker, cause: ActivityCause) -> None:
        old = agent.activity
        agent.activity = new = ACTIVITY.next(old, cause)
        if new is not old:
            self.log.append(
                self.clock.now, EVENT_CODE[Event.WORKER_ACTIVITY_UPDATE], NONE, NONE,
                agent.index, self._activity_detail[new],
            )


def _index(agent: Owner | Worker | None) -> int:
    return NONE if agent is None else agent.index
