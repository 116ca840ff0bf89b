"""Start a replication from the state an earlier one ended in (sim.domain.carried).

The earlier log's rows about the carried conversations go first in the new log, at their
(negative) times; then every conversation, task, agent and timer is set up as it stood, with
each timer due after the time it had left. Statuses are set as they were, not moved through
the tables: the rows that led to them are the history already written.
"""

from __future__ import annotations

import math
from enum import StrEnum

from sim.domain.carried import Carried, CarriedAgent, CarriedConversation, CarriedTask
from sim.engine import codes
from sim.engine.agents import Agent, hold_over
from sim.engine.entities import Conversation, Task
from sim.engine.eventlog import EVENT_NAMES, NONE, pack
from sim.engine.parts import Parts


class CarryError(ValueError):
    """The carried state does not fit the scenario it is to continue in."""


def problems(carried: list[Carried], agents: dict[str, int], skills: set[str]) -> list[str]:
    """Why these states (of one run's replications) cannot continue with these agents
    (name: capacity) and the skills the scenario's groups serve."""
    source = carried[0].source if carried else ""
    return [f"{problem} in the state carried from {source}{advice}"
            for problem, advice in (*_missing(carried, agents), *_overloaded(carried, agents),
                                    *_unserved(carried, skills))]


def _missing(carried: list[Carried], agents: dict[str, int]) -> list[tuple[str, str]]:
    missing = sorted(set().union(*(_needed(c) for c in carried)) - set(agents), key=_order)
    return [(_some("agent", missing), " but not in the scenario; keep every agent that took "
             "part in an open conversation")] if missing else []


def _overloaded(carried: list[Carried], agents: dict[str, int]) -> list[tuple[str, str]]:
    loads: dict[str, int] = {}
    for c in carried:
        for name, load in _loads(c.state.tasks).items():
            loads[name] = max(load, loads.get(name, 0))
    return [(f"agent {name} holds {load} tasks", f", but has capacity {agents[name]}")
            for name, load in sorted(loads.items()) if name in agents and load > agents[name]]


def _unserved(carried: list[Carried], skills: set[str]) -> list[tuple[str, str]]:
    unserved = sorted({conversation.skill for c in carried
                       for conversation in c.state.conversations} - skills)
    return [(_some("skill", unserved), " but no agent of the scenario serves them")
            ] if unserved else []


def _needed(carried: Carried) -> set[str]:
    """The agents a state names: owners, offers, preferences, decliners, leavers, history."""
    state = carried.state
    needed = {name for task in state.tasks for name in (task.agent, task.offer, task.preferred,
                                                        *task.declined_by) if name}
    needed |= {c.left_by for c in state.conversations if c.left_by}
    return needed | {name for name in carried.history.agent if name}


def _order(name: str) -> tuple[str, int]:
    group, _, number = name.rpartition("-")
    return (group, int(number)) if number.isdigit() else (name, 0)


def _some(kind: str, names: list[str], shown: int = 5) -> str:
    """`agent a-1 is` / `agents a-1, a-2 and 3 more are`."""
    if len(names) == 1:
        return f"{kind} {names[0]} is"
    listed = ", ".join(names[:shown])
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"{kind}s {listed}{more} are"


def _loads(tasks: tuple[CarriedTask, ...]) -> dict[str, int]:
    holds = {status.value for status, held in zip(codes.TASK_STATUSES, codes.HOLDS,
                                                  strict=True) if held}
    loads: dict[str, int] = {}
    for task in tasks:
        if task.agent and task.status in holds:
            loads[task.agent] = loads.get(task.agent, 0) + 1
    return loads


def restore(r: Parts, carried: Carried) -> None:
    """Set `r` (built, not started) up as `carried` says; raises CarryError if it cannot."""
    agents = {a.name: a.capacity for a in r.agents}
    found = problems([carried], agents, set(r.skills))
    if found:
        raise CarryError("; ".join(found))
    _Restore(r, carried).run()


class _Restore:
    def __init__(self, r: Parts, carried: Carried) -> None:
        self.r = r
        self.carried = carried
        self.agents = {agent.name: agent for agent in r.agents}
        self.conversations: dict[int, Conversation] = {}
        self.tasks: dict[int, Task] = {}

    def run(self) -> None:
        state = self.carried.state
        self._history()
        customers = self.r.customers
        customers.reset_ids(state.next_conversation, state.next_task)
        for c in state.conversations:
            self.conversations[c.id] = self._conversation(c)
        for t in state.tasks:
            self.tasks[t.id] = self._task(t)
        for c in state.conversations:
            self.conversations[c.id].task = self.tasks.get(c.task) if c.task else None
        for a in state.agents:
            if a.name in self.agents:
                self._agent(a)
        for t in state.tasks:
            self._timers(t)
        self._calls()

    def _history(self) -> None:
        h, log = self.carried.history, self.r.log
        index = {name: i for i, name in enumerate(log.agent_names)}
        rows = log.buffer
        for row in zip(h.time, h.event, h.task, h.conversation, h.agent, h.detail,
                       strict=True):
            time, event, task, conversation, agent, detail = row
            rows += pack(time, EVENT_NAMES.index(event), task, conversation,
                         NONE if agent is None else index[agent], log.detail_code(detail))

    def _conversation(self, c: CarriedConversation) -> Conversation:
        r = self.r
        conversation = Conversation(c.id, r.skills.index(c.skill), c.priority)
        conversation.status = _position(codes.CONVERSATION_STATUSES, c.status)
        conversation.task_id = c.task_id
        conversation.left_by = self._agent_named(c.left_by)
        if c.window_in is not None:
            conversation.window = r.agenda.timer(c.window_in, r.customers._window_closed,
                                                 conversation)
        if conversation.status != codes.C_CLOSED:
            r.customers.keep_open(conversation)
        if r.customers.known is not None:
            r.customers.known[c.id] = conversation
        return conversation

    def _task(self, t: CarriedTask) -> Task:
        task = Task(t.id, self.conversations[t.conversation], t.created,
                    self._agent_named(t.preferred))
        task.status = _position(codes.TASK_STATUSES, t.status)
        task.agent = self._agent_named(t.agent)
        task.offer = self._agent_named(t.offer)
        task.offer_number = t.offer_number
        task.offer_status = _position(codes.RESERVATION_STATUSES, t.offer_status)
        if t.declined_by:
            task.declined_by = {self.agents[name].index for name in t.declined_by}
        task.research_left = t.research_left
        task.research_total = t.research_total
        task.research_began = t.research_began
        task.replies_sent = t.replies_sent
        task.wrap_reason = t.wrap_reason
        if task.offer is not None:
            task.offer.hold_offer(task)
        if task.agent is not None and codes.HOLDS[task.status]:
            self.r.agents[task.agent.index].load += 1
        if task.status == codes.T_PENDING:
            self.r.router.submit(task)
        return task

    def _agent(self, a: CarriedAgent) -> None:
        agent = self.agents[a.name]
        agent.activity = _position(codes.ACTIVITIES, a.activity)
        agent.last_reserved = -math.inf if a.last_reserved is None else a.last_reserved
        if a.recovery_in is not None:
            agent.recovery = self.r.agenda.timer(a.recovery_in, agent._recovered, None)
        agent.resumes = [self.tasks[i] for i in a.resumes] or None
        agent.work = [(w.kind, self.tasks[w.task]) for w in a.queued] or None
        if a.doing is not None:
            agent.carry_on(a.doing.kind, self.tasks[a.doing.task], a.doing.remaining,
                           a.doing.started)
        agent.take_up_queued()

    def _timers(self, t: CarriedTask) -> None:
        task, agenda = self.tasks[t.id], self.r.agenda
        owner = None if task.agent is None else self.r.agents[task.agent.index]
        if t.ttl_in is not None:
            task.ttl = agenda.timer(t.ttl_in, self.r.router._ttl_expired, task)
        if owner is None:
            return
        if t.pause_expiry_in is not None:
            task.pause_expiry = agenda.timer(t.pause_expiry_in, owner._pause_expired, task)
        if t.research_in is not None:
            task.research = agenda.timer(t.research_in, owner._research_done, task)
        if t.hold_in is not None:
            task.hold = agenda.timer(t.hold_in, hold_over, task)

    def _calls(self) -> None:
        state, r = self.carried.state, self.r
        for call in state.responses:
            task = self.tasks[call.what]
            r.agenda.after(call.due_in, r.router._responds, (
                task, task.offer_number, EVENT_NAMES.index(call.outcome)))
        for call in state.replies:
            r.agenda.after(call.due_in, r.customers._inbound, self.conversations[call.what])
        for call in state.researched:
            task = self.tasks[call.what]
            assert task.agent is not None
            r.agenda.after(call.due_in, self.r.agents[task.agent.index]._researched_holding,
                           task)

    def _agent_named(self, name: str | None) -> Agent | None:
        return None if name is None else self.agents[name]


def _position(members: tuple[StrEnum, ...], value: str) -> int:
    return [member.value for member in members].index(value)
