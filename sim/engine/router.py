"""TaskRouter: queues per skill, eligible agents per skill, reservations and their timers.

Cost per task does not grow with the number of agents or the queue length: queues and agent
pools are heaps with lazy deletion (sim.engine.pools), and a dispatch only looks at the
skills something happened to since the last one.
"""

from __future__ import annotations

from typing import Protocol

from sim.domain.scenario import Flex
from sim.engine import codes
from sim.engine.clock import Agenda, Call
from sim.engine.codes import TTL_RUNS_IN
from sim.engine.entities import Candidate, Task
from sim.engine.pools import AgentPool, TaskQueue
from sim.engine.recorder import Recorder


class ConversationsDesk(Protocol):
    def task_canceled(self, task: Task) -> None: ...


class Router:
    def __init__(self, agenda: Agenda, recorder: Recorder, flex: Flex, skill_count: int
                 ) -> None:
        self.agenda = agenda
        self.recorder = recorder
        self.timeout = flex.reservation_timeout
        self.ttl = flex.task_ttl
        self._ttl_line = agenda.line(flex.task_ttl)
        self.queues = [TaskQueue() for _ in range(skill_count)]
        self.pools = [AgentPool() for _ in range(skill_count)]
        self.conversations: ConversationsDesk | None = None
        self._dirty: set[int] = set()
        self._dispatch_scheduled = False
        # Methods the agenda calls, bound once rather than on every task.
        self._dispatches: Call = self._dispatch
        self._responds: Call = self._respond
        self._expires: Call = self._ttl_expired
        details = recorder.details
        self._declined, self._shift_end, self._ttl = (
            details.declined, details.shift_end, details.ttl)

    # what changes the match ----------------------------------------------------------------

    def submit(self, task: Task) -> None:
        """A task enters (or re-enters) its queue as pending (R1)."""
        self.queues[task.skill].push(task)
        self._touch(task.skill)

    def start_ttl(self, task: Task) -> None:
        """R6: created, or back from a pause expiry; rejections do not restart it."""
        task.ttl = self._ttl_line.add(self._expires, task)

    def start_ttl_left(self, task: Task, left: float) -> None:
        """R6 for a task pending at time 0, created before it: `left` of its TTL remains."""
        task.ttl = self.agenda.timer(left, self._ttl_expired, task)

    def list_agent(self, agent: Candidate) -> None:
        """The agent became eligible, or its last-reserved time changed (R2)."""
        for skill in agent.skills:
            self.pools[skill].add(agent)
            self._touch(skill)

    def _touch(self, skill: int) -> None:
        self._dirty.add(skill)
        if not self._dispatch_scheduled:
            # Matching waits for the end of the instant, so that every agent and task that
            # changed at this time competes under R1/R2, not in the order they were touched.
            self._dispatch_scheduled = True
            self.agenda.after(0.0, self._dispatches, None)

    # matching ------------------------------------------------------------------------------

    def _dispatch(self, _: None) -> None:
        """Match tasks to agents in R1 order, each to its longest-idle eligible agent that has
        not declined it (R2, R4). A task that only its decliners could take waits while they
        take the other tasks they can; what is left then goes back to its longest-idle
        decliner, who by then has no other task it could take (R4)."""
        self._dispatch_scheduled = False
        dirty, self._dirty = self._dirty, set()
        declined_only: list[Task] = []
        if len(dirty) == 1:
            self._match_one_skill(dirty.pop(), declined_only)
        else:
            while (task := self._best_matchable(dirty)) is not None:
                self.queues[task.skill].pop()
                agent = self._choose(task)
                if agent is None:
                    declined_only.append(task)
                else:
                    self._reserve(task, agent)
        for task in declined_only:  # in R1 order, as they were taken out
            agent = self.pools[task.skill].top()
            if agent is None:
                self.queues[task.skill].push(task)
            else:
                self._reserve(task, agent)

    def _match_one_skill(self, skill: int, declined_only: list[Task]) -> None:
        """The same matching, when only one skill changed (the common case)."""
        queue, pool = self.queues[skill], self.pools[skill]
        while (task := queue.peek()) is not None and pool.top() is not None:
            queue.pop()
            agent = self._choose(task)
            if agent is None:
                declined_only.append(task)
            else:
                self._reserve(task, agent)

    def _best_matchable(self, skills: set[int]) -> Task | None:
        """The first task in R1 order, over the given skills, that has an eligible agent."""
        best = None
        for skill in skills:
            task = self.queues[skill].peek()
            if task is None or self.pools[skill].top() is None:
                continue
            if best is None or (-task.priority, task.created_at, task.id) < (
                -best.priority, best.created_at, best.id
            ):
                best = task
        return best

    def _choose(self, task: Task) -> Candidate | None:
        preferred = task.preferred
        if preferred is not None and preferred.listed and task.skill in preferred.skills:
            return preferred
        return self.pools[task.skill].choose(task)

    # reservations --------------------------------------------------------------------------

    def _reserve(self, task: Task, agent: Candidate) -> None:
        task.offer = task.agent = agent
        task.offer_number += 1
        task.offer_status = codes.R_PENDING
        agent.last_reserved = self.agenda.now
        agent.hold_offer(task)
        self.recorder.task(task, codes.RESERVATION_CREATED)
        delay, outcome = agent.plan_response(self.timeout)
        self.agenda.after(delay, self._responds, (task, task.offer_number, outcome))

    def _respond(self, response: tuple[Task, int, int]) -> None:
        task, number, outcome = response
        if task.offer_number != number or task.offer is None:
            return  # withdrawn at a shift end or canceled by the TTL meanwhile
        if outcome == codes.RESERVATION_ACCEPTED:
            self._accept(task)
        else:
            self._decline(task, outcome, self._declined if outcome ==
                          codes.RESERVATION_REJECTED else 0)

    def _accept(self, task: Task) -> None:
        agent = self._close(task)
        self.recorder.reservation(task, agent, codes.RESERVATION_ACCEPTED)
        assert task.ttl is not None
        task.ttl.cancel()
        task.ttl = None
        agent.accepted(task)

    def withdraw(self, task: Task) -> None:
        """A1: the agent's shift ended with this offer unanswered; it counts as a reject."""
        self._decline(task, codes.RESERVATION_REJECTED, self._shift_end)

    def _decline(self, task: Task, outcome: int, detail: int) -> None:
        agent = self._close(task)
        self.recorder.reservation(task, agent, outcome, detail)
        if task.declined_by is None:
            task.declined_by = set()
        task.declined_by.add(agent.index)
        if task.preferred is agent:
            task.preferred = None  # R4, R12: the preference ends once the agent declines
        if outcome == codes.RESERVATION_TIMEOUT:
            agent.missed()
        self.submit(task)

    def _close(self, task: Task) -> Candidate:
        agent = task.offer
        assert agent is not None
        agent.drop_offer(task)
        task.offer = None
        return agent

    # time to live --------------------------------------------------------------------------

    def _ttl_expired(self, task: Task) -> None:
        assert TTL_RUNS_IN[task.status], "a TTL that outlived its task's assignment"
        if task.offer is not None:
            agent = self._close(task)
            self.recorder.reservation(task, agent, codes.RESERVATION_CANCELED, self._ttl)
        self.recorder.task(task, codes.TASK_CANCELED, self._ttl)
        task.ttl = None
        assert self.conversations is not None
        self.conversations.task_canceled(task)
