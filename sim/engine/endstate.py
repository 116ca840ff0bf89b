"""The state a replication ended in (sim.domain.carried.EndState), read off the live model.

Nothing here is kept while the run goes: at the end, the open conversations come from
Customers.open, their tasks from them, the work in each agent's hands from the agent, and
every timer's due time from where it waits (SimPy's queue or its DelayLine). The calls still
on SimPy's queue are recognised by what they call; one no table here knows is a bug, and
raises rather than being dropped.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sim.domain.carried import (
    Call,
    CarriedAgent,
    CarriedConversation,
    CarriedTask,
    CarriedWork,
    EndState,
)
from sim.engine import codes
from sim.engine.agents import WORK_DONE, Agent
from sim.engine.clock import Timer, _Call, _fire, _nothing
from sim.engine.entities import Conversation, Owner, Task
from sim.engine.parts import Parts

RESPONSE, REPLY, RESEARCHED, SKIP = "response", "reply", "researched", "skip"
# status names by code, as plain strings (an enum's .value is a property look-up)
TASK = tuple(status.value for status in codes.TASK_STATUSES)
RESERVATION = tuple(status.value for status in codes.RESERVATION_STATUSES)
CONVERSATION = tuple(status.value for status in codes.CONVERSATION_STATUSES)
ACTIVITY = tuple(activity.value for activity in codes.ACTIVITIES)


class EndStateError(RuntimeError):
    """Something on the agenda that no rule of the end state covers."""


def end_state(replication: Parts) -> EndState:
    return _Reader(replication).state()


class _Reader:
    def __init__(self, replication: Parts) -> None:
        self.r = replication
        self.end = replication.env.now
        self.dues: dict[Timer, float] = {}
        self.calls: dict[str, list[tuple[float, Any]]] = {RESPONSE: [], REPLY: [],
                                                          RESEARCHED: []}
        self.names: dict[Owner | None, str | None] = {a: a.name for a in replication.agents}
        self.names[None] = None
        self._read_agenda()

    # the agenda ----------------------------------------------------------------------------

    def _kinds(self) -> dict[object, str]:
        r = self.r
        kinds: dict[object, str] = {r.router._responds: RESPONSE, r.customers._inbound: REPLY,
                                    r.customers._arrives: SKIP, r.router._dispatches: SKIP,
                                    _nothing: SKIP}
        kinds |= {line._fires: SKIP for line in r.agenda._lines.values()}
        # the hands' work: read from the agent itself (Agent.doing)
        kinds |= {done: SKIP for done in WORK_DONE}
        for agent in r.agents:
            kinds[agent._researched_holding] = RESEARCHED
            kinds[agent._work_started_later] = SKIP
        return kinds

    def _read_agenda(self) -> None:
        kinds = self._kinds()
        for time, call in self.r.agenda.pending():
            if not isinstance(call, _Call) and not getattr(call, "callbacks", None):
                continue  # the stop of `run(until)`: SimPy leaves it queued, with no callback
            fn, arg = getattr(call, "fn", None), getattr(call, "arg", None)
            if fn is _fire and isinstance(arg, Timer):  # its due time, for whoever holds it
                self.dues[arg] = time
                continue
            kind = kinds.get(fn)
            if kind is None:
                raise EndStateError(f"a call of {fn!r} at t={time} that the end state does "
                                    "not know how to carry")
            if kind != SKIP:
                self.calls[kind].append((time, arg))
        for line in self.r.agenda._lines.values():
            for due, timer in line._queue:
                if not timer.cancelled:
                    self.dues[timer] = due

    def _name(self, agent: Owner | None) -> str | None:
        return self.names[agent]

    def due_in(self, timer: Timer | None) -> float | None:
        if timer is None or timer.cancelled:
            return None
        return self.dues[timer] - self.end

    # the state -----------------------------------------------------------------------------

    def state(self) -> EndState:
        r = self.r
        busy = {work[1] for agent in r.agents for work in _hands(agent)}
        conversations = {c.id: c for c in r.customers.open}
        for _, conversation in self.calls[REPLY]:
            conversations.setdefault(conversation.id, conversation)
        # A task still wrapping up after Leave is no longer its conversation's latest once
        # the customer has written again: it is carried for the hands that hold it.
        tasks = {c.task.id: c.task for c in conversations.values() if c.task is not None}
        tasks |= {task.id: task for task in busy}
        for task in tasks.values():
            conversations.setdefault(task.conversation.id, task.conversation)
        ordered = sorted(conversations.values(), key=lambda c: c.id)
        researching = {task for _, task in self.calls[RESEARCHED]}
        start = r.scenario.start + dt.timedelta(seconds=self.end)
        return EndState(
            ended_at=start.isoformat(), at=self.end, segment=r.segment,
            next_conversation=_peek(r.customers._conversation_ids),
            next_task=_peek(r.customers._task_ids),
            agents=tuple(self._agent(agent) for agent in r.agents),
            conversations=tuple(self._conversation(c) for c in ordered),
            tasks=tuple(self._task(t, t in busy or t in researching)
                        for _, t in sorted(tasks.items())),
            responses=self._responses(), replies=self._ids(REPLY),
            researched=self._ids(RESEARCHED))

    def _agent(self, agent: Agent) -> CarriedAgent:
        return CarriedAgent(
            name=agent.name, activity=ACTIVITY[agent.activity],
            last_reserved=None if agent.last_reserved == -math.inf
            else agent.last_reserved - self.end,
            recovery_in=self.due_in(agent.recovery),
            doing=self._doing(agent),
            queued=tuple(CarriedWork(kind=kind, task=task.id, started=False)
                         for kind, task in agent.work or ()),
            resumes=tuple(task.id for task in agent.resumes or ()))

    def _doing(self, agent: Agent) -> CarriedWork | None:
        if agent.doing is None:
            return None
        kind, task, start, work = (agent.doing_kind, agent.doing, agent.doing_start,
                                   agent.doing_work)
        if start >= self.end:
            return CarriedWork(kind=kind, task=task.id, remaining=work, started=False)
        done = agent.calendar.on_duty(start, self.end)
        return CarriedWork(kind=kind, task=task.id, remaining=max(0.0, work - done))

    def _conversation(self, c: Conversation) -> CarriedConversation:
        return CarriedConversation(
            id=c.id, skill=self.r.skills[c.skill], priority=c.priority,
            status=CONVERSATION[c.status],
            task=None if c.task is None else c.task.id, task_id=c.task_id,
            left_by=self._name(c.left_by), window_in=self.due_in(c.window))

    def _task(self, t: Task, handled: bool) -> CarriedTask:
        hold = self.due_in(t.hold)
        if hold is None and t.status == codes.T_ASSIGNED and not handled:
            hold = 0.0  # its hold ran out off duty, with no duty left in the horizon (A3)
        names = self.r.log.agent_names
        return CarriedTask(
            id=t.id, conversation=t.conversation.id, created=t.created_at - self.end,
            status=TASK[t.status], agent=self._name(t.agent),
            offer=self._name(t.offer), offer_number=t.offer_number,
            offer_status=RESERVATION[t.offer_status],
            declined_by=tuple(names[i] for i in sorted(t.declined_by or ())),
            preferred=self._name(t.preferred), ttl_in=self.due_in(t.ttl),
            pause_expiry_in=self.due_in(t.pause_expiry), research_in=self.due_in(t.research),
            research_left=t.research_left, research_total=t.research_total,
            research_began=t.research_began - self.end, hold_in=hold,
            replies_sent=t.replies_sent, wrap_reason=t.wrap_reason)

    def _responses(self) -> tuple[Call, ...]:
        live = [(time, task, outcome) for time, (task, number, outcome)
                in self.calls[RESPONSE] if task.offer_number == number and task.offer]
        return tuple(Call(due_in=time - self.end, what=task.id,
                          outcome=codes.EVENTS[outcome].value)
                     for time, task, outcome in sorted(live, key=lambda c: (c[0], c[1].id)))

    def _ids(self, kind: str) -> tuple[Call, ...]:
        return tuple(Call(due_in=time - self.end, what=arg.id)
                     for time, arg in sorted(self.calls[kind], key=lambda c: (c[0], c[1].id)))


def _hands(agent: Agent) -> list[tuple[int, Task]]:
    doing = [] if agent.doing is None else [(agent.doing_kind, agent.doing)]
    return [*doing, *(agent.work or ())]




def _peek(counter: object) -> int:
    """The next value of an itertools.count, without taking it."""
    return int(repr(counter).removeprefix("count(").removesuffix(")"))
