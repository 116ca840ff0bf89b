"""Replay an event log through the lifecycle tables and check the model's invariants.

Independent of the engine's own bookkeeping: everything here is rebuilt from the log, so a
bug that the engine's runtime checks miss still shows up as a violation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.analysis.eventarrays import EventArrays
from sim.domain.lifecycle import (
    CONVERSATION,
    HOLDS_CAPACITY,
    OWNERLESS,
    TASK,
    ConversationStatus,
    Event,
    TaskStatus,
)
from sim.engine.eventlog import EVENT_NAMES, EventLog


@dataclass
class Audit:
    """What the replay found: final statuses and every broken invariant."""

    task_status: dict[int, TaskStatus] = field(default_factory=dict)
    conversation_status: dict[int, ConversationStatus] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def at_horizon(events: pd.DataFrame | EventLog) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where every task and conversation of one replication's log stands at its end: frames
    (task, status, open) and (conversation, status, open); open ones have not reached a
    terminal status of their table. Nothing created is left out."""
    result = audit(events, None)
    tasks = pd.DataFrame({"task": list(result.task_status),
                          "status": [s.value for s in result.task_status.values()]})
    conversations = pd.DataFrame({
        "conversation": list(result.conversation_status),
        "status": [s.value for s in result.conversation_status.values()]})
    terminal_tasks = {s.value for s in TASK.terminal}
    terminal_conversations = {s.value for s in CONVERSATION.terminal}
    return (tasks.assign(open=~tasks["status"].isin(terminal_tasks)),
            conversations.assign(open=~conversations["status"].isin(terminal_conversations)))


def audit(events: pd.DataFrame | EventLog | EventArrays,
          capacity: dict[str, int] | None) -> Audit:
    """Check one replication's log; `capacity` maps agent name to its slot count (None: do
    not check capacity)."""
    log = EventArrays.of(events)
    result = Audit()
    if len(log.time) and np.any(np.diff(log.time) < 0):
        result.violations.append("time decreases somewhere in the log")
    replay = _Replay(result, capacity)
    names = [Event(name) for name in EVENT_NAMES]
    agents = [*log.agents, None]  # code -1: no agent
    columns = zip(log.event.tolist(), log.task.tolist(), log.conversation.tolist(),
                  log.agent.tolist(), log.time.tolist(), log.detail.tolist(), strict=True)
    for event, task, conversation, agent, time, detail in columns:
        replay.step(names[event], task, conversation, agents[agent], time, log.details[detail])
    return result


class _Replay:
    def __init__(self, result: Audit, capacity: dict[str, int] | None) -> None:
        self.result = result
        self.capacity = capacity
        self.owner: dict[int, str | None] = {}
        self.load: dict[str, int] = defaultdict(int)
        self.available: dict[str, bool] = defaultdict(bool)
        self.working_on: dict[str, int | None] = {}  # A2: the task an agent's hands are on

    def fail(self, time: float, message: str) -> None:
        if len(self.result.violations) < 50:
            self.result.violations.append(f"t={time:.3f}: {message}")

    def step(self, event: Event, task: int, conversation: int, agent: str | None,
             time: float, detail: str) -> None:
        if event is Event.WORKER_ACTIVITY_UPDATE:
            assert agent is not None
            self.available[agent] = detail == "Available"
            return None
        if event is Event.TASK_CREATED:
            return self._created(task, time)
        if event is Event.CONVERSATION_CREATED:
            self.result.conversation_status[conversation] = CONVERSATION.initial
            return None
        if event in CONVERSATION.triggers:
            return self._conversation(event, conversation, time)
        if event is Event.WORKER_WORK_STARTED:
            return self._work_started(task, agent, time)
        if event is Event.MESSAGE_OUTBOUND:
            self._work_done(task, agent, time)
            return self._outbound(task, time)
        if event in TASK.triggers:
            if event is Event.TASK_COMPLETED:
                self._work_done(task, agent, time)
            return self._task(event, task, agent, time)
        return None

    def _work_started(self, task: int, agent: str | None, time: float) -> None:
        assert agent is not None
        if self.working_on.get(agent) is not None:
            self.fail(time, f"agent {agent} takes up task {task} while working on task "
                            f"{self.working_on[agent]} (A2: one pair of hands)")
        self.working_on[agent] = task

    def _work_done(self, task: int, agent: str | None, time: float) -> None:
        if agent is None or self.working_on.get(agent) != task:
            self.fail(time, f"task {task}: work finished by {agent} that its hands did not "
                            "take up (A2)")
            return
        self.working_on[agent] = None

    def _created(self, task: int, time: float) -> None:
        if task in self.result.task_status:
            self.fail(time, f"task {task} created twice")
        self.result.task_status[task] = TASK.initial
        self.owner[task] = None

    def _conversation(self, event: Event, conversation: int, time: float) -> None:
        status = self.result.conversation_status.get(conversation)
        if status is None or (status, event) not in CONVERSATION.edges:
            self.fail(time, f"conversation {conversation}: illegal {event.value} from {status}")
            return
        self.result.conversation_status[conversation] = CONVERSATION.edges[(status, event)]

    def _outbound(self, task: int, time: float) -> None:
        status = self.result.task_status.get(task)
        if status is not TaskStatus.ASSIGNED:
            self.fail(time, f"task {task}: reply sent while {status} (R14: not in wrap-up)")

    def _task(self, event: Event, task: int, agent: str | None, time: float) -> None:
        status = self.result.task_status.get(task)
        if status is None or (status, event) not in TASK.edges:
            self.fail(time, f"task {task}: illegal {event.value} from {status}")
            return
        new = TASK.edges[(status, event)]
        if event is Event.RESERVATION_CREATED:
            self.owner[task] = agent
            if agent is None or not self.available[agent]:
                self.fail(time, f"task {task} offered to {agent}, who is not Available (R2)")
        owner = self.owner[task]
        if owner is not None:
            self.load[owner] += (new in HOLDS_CAPACITY) - (status in HOLDS_CAPACITY)
            if self.capacity is not None and self.load[owner] > self.capacity.get(owner, 0):
                self.fail(time, f"agent {owner} holds {self.load[owner]} tasks "
                                f"(capacity {self.capacity.get(owner)})")
        if new in OWNERLESS:
            self.owner[task] = None
        self.result.task_status[task] = new
