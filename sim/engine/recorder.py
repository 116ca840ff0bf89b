"""The one door through which statuses change: look up the table, apply, log, count slots.

Every status change of a task, reservation, conversation or agent activity goes through here
(R16): the next status comes from the lifecycle table (derived as integer tables in
sim.engine.codes; an illegal change raises), the row is appended to the event log, the
owning agent's used capacity follows from R7, and a task that goes back to the queue or is
canceled leaves its agent (OWNERLESS).
"""

from __future__ import annotations

from sim.domain.lifecycle import Activity
from sim.engine import codes
from sim.engine.clock import Agenda
from sim.engine.codes import (
    ACTIVITY_NEXT,
    CLEARS_OWNER,
    CONVERSATION_NEXT,
    RESERVATION_NEXT,
    SLOT_DELTA,
    TASK_NEXT,
)
from sim.engine.entities import Conversation, Owner, Task
from sim.engine.eventlog import NONE, EventLog, pack, pack3


class Details:
    """The codes of the detail texts the engine writes, registered once."""

    def __init__(self, log: EventLog, activity_names: dict[Activity, str]) -> None:
        code = log.detail_code
        self.none = code("")
        self.inbound = tuple(code(kind.value) for kind in codes.INBOUNDS)
        self.wrap = tuple(code(reason.value if reason else "") for reason in codes.WRAP_REASONS)
        self.research, self.ttl = code("research"), code("ttl")
        self.declined, self.shift_end = code("declined"), code("shift-end")
        self.resolved, self.window = code("resolved"), code("window")
        self.unanswered = code("unanswered")
        self.compose, self.wrapup = code("compose"), code("wrapup")
        self.activity = tuple(code(activity_names[activity]) for activity in codes.ACTIVITIES)
        self.code = code


class Recorder:
    __slots__ = ("_rows", "agenda", "details", "log")

    def __init__(self, agenda: Agenda, log: EventLog, activity_names: dict[Activity, str]
                 ) -> None:
        self.agenda = agenda
        self.log = log
        self._rows = log.buffer
        self.details = Details(log, activity_names)

    def row(self, event: int, task: int, conversation: int, agent: int, detail: int) -> None:
        self._rows += pack(self.agenda.stamp, event, task, conversation, agent, detail)

    # tasks ---------------------------------------------------------------------------------

    def task_created(self, task: Task, detail: int) -> None:
        self._rows += pack(self.agenda.stamp, codes.TASK_CREATED, task.code,
                           task.conversation.code, NONE, detail)

    def task(self, task: Task, event: int, detail: int = 0) -> None:
        old = task.status
        new = TASK_NEXT[old][event]
        if new < 0:
            raise codes.illegal("task", codes.TASK_STATUSES[old], codes.EVENTS[event])
        task.status = new
        owner = task.agent
        self._rows += pack(self.agenda.stamp, event, task.code, task.conversation.code,
                           NONE if owner is None else owner.code, detail)
        if CLEARS_OWNER[new]:
            task.agent = None
        delta = SLOT_DELTA[old][new]
        if delta:
            assert owner is not None, f"task {task.id} changes capacity without an owner"
            owner.slots_changed(delta)

    # reservations --------------------------------------------------------------------------

    def reservation(self, task: Task, agent: Owner, event: int, detail: int = 0) -> None:
        """An offer's outcome: the reservation table, then the task's (a cancel leaves the
        task's status to the task.canceled that follows it, R6)."""
        new = RESERVATION_NEXT[task.offer_status][event]
        if new < 0:
            raise codes.illegal("reservation", codes.RESERVATION_STATUSES[task.offer_status],
                                codes.EVENTS[event])
        task.offer_status = new
        if event == codes.RESERVATION_CANCELED:
            self._rows += pack(self.agenda.stamp, event, task.code, task.conversation.code,
                               agent.code, detail)
        else:
            self.task(task, event, detail)

    # conversations and messages ------------------------------------------------------------

    def thread_opened(self, conversation: Conversation, task: Task, inbound: int,
                      queue: int) -> None:
        """A new conversation (R1, R15): conversation.created, its first message.inbound and
        its task.created, written as one three-row record."""
        self.thread_opened_at(self.agenda.now, conversation, task, inbound, queue)

    def thread_opened_at(self, now: float, conversation: Conversation, task: Task,
                         inbound: int, queue: int) -> None:
        """The same, at `now`: before time 0 for the backlog a run starts with."""
        at: object = now  # boxed once for the three rows
        conversation_id = conversation.code
        self._rows += pack3(at, codes.CONVERSATION_CREATED, NONE, conversation_id, NONE,
                            inbound, at, codes.MESSAGE_INBOUND, NONE, conversation_id, NONE,
                            inbound, at, codes.TASK_CREATED, task.code, conversation_id, NONE,
                            queue)

    def conversation_created(self, conversation: Conversation, detail: int) -> None:
        self._rows += pack(self.agenda.stamp, codes.CONVERSATION_CREATED, NONE, conversation.code,
                           NONE, detail)

    def conversation(self, conversation: Conversation, event: int, detail: int = 0,
                     agent: Owner | None = None) -> None:
        new = CONVERSATION_NEXT[conversation.status][event]
        if new < 0:
            raise codes.illegal("conversation", codes.CONVERSATION_STATUSES[
                conversation.status], codes.EVENTS[event])
        conversation.status = new
        self._rows += pack(self.agenda.stamp, event, conversation.task_id, conversation.code,
                           NONE if agent is None else agent.code, detail)

    def message(self, event: int, conversation: Conversation, task: object, agent: object,
                detail: int = 0) -> None:
        """`task`, `agent`: a task's and an agent's `code` (or NONE)."""
        self._rows += pack(self.agenda.stamp, event, task, conversation.code, agent, detail)

    # agents --------------------------------------------------------------------------------

    def work_started(self, agent: Owner, task: Task, kind: int) -> None:
        self._rows += pack(self.agenda.stamp, codes.WORKER_WORK_STARTED, task.code,
                           task.conversation.code, agent.code, kind)

    def activity(self, agent: Owner, cause: int) -> None:
        old = agent.activity
        new = ACTIVITY_NEXT[old][cause]
        if new < 0:
            raise codes.illegal("activity", codes.ACTIVITIES[old], codes.CAUSES[cause])
        agent.activity = new
        if new != old:
            self._rows += pack(self.agenda.stamp, codes.WORKER_ACTIVITY_UPDATE, NONE, NONE,
                               agent.code, self.details.activity[new])
