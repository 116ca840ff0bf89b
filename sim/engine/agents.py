"""Agents: shifts and activity, capacity slots, one pair of hands, and how they handle email.

An agent holds several tasks (capacity slots, R7) but composes replies and wraps up one at a
time, in a work queue, only while on duty (A2). Work that spans a shift end finishes in the
next shift: the finish time comes from the duty calendar, so nothing is interrupted.
"""

from __future__ import annotations

import math
from typing import Final, TypeVar, cast

from sim.domain.calendar import DutyCalendar
from sim.domain.lifecycle import PauseExpiry, may_leave, may_pause
from sim.domain.scenario import Flex
from sim.engine import codes
from sim.engine.behaviour import COMPOSE, WRAPUP, GroupBehaviour
from sim.engine.clock import Agenda, Timer
from sim.engine.codes import A_AVAILABLE, A_OFFLINE
from sim.engine.customers import Customers
from sim.engine.entities import Candidate, Task
from sim.engine.recorder import Recorder
from sim.engine.router import Router

Item = TypeVar("Item")


class Crew:
    """What the agents of one group share: the engine's parts, the group's settings and its
    draws. Held once per group, not copied into every agent: an agent is then 256 bytes
    rather than 392, and a center of 2000 agents touches that much less memory for every
    task (docs/architecture.md). The compiled agent reads these attributes directly, where
    it would read a GroupBehaviour's by name."""

    def __init__(self, behaviour: GroupBehaviour, flex: Flex, agenda: Agenda,
                 recorder: Recorder, router: Router, customers: Customers) -> None:
        self.flex = flex
        self.agenda = agenda
        self.recorder = recorder
        self.router = router
        self.customers = customers
        details = recorder.details
        self.work_detail = (details.compose, details.wrapup)
        self.leave_enabled = flex.leave.enabled
        self.cause_detail = {PauseExpiry.RESEARCHING: details.code(PauseExpiry.RESEARCHING),
                             PauseExpiry.OFF_DUTY: details.code(PauseExpiry.OFF_DUTY),
                             PauseExpiry.NO_SLOT: details.code(PauseExpiry.NO_SLOT)}
        self.behaviour = behaviour
        self.work_time = behaviour.work_times
        self.response_time = behaviour.response_time
        self.rejects = behaviour.rejects
        self.needs_research, self.research_time = (behaviour.needs_research,
                                                   behaviour.research_time)
        self.resolves, self.leaves = behaviour.resolves, behaviour.leaves
        self.hold_for_reply = behaviour.group.handling.hold_for_reply

    def behaving(self, behaviour: GroupBehaviour) -> Crew:
        """The same crew, drawing as `behaviour` says."""
        return Crew(behaviour, self.flex, self.agenda, self.recorder, self.router,
                    self.customers)


class Agent(Candidate):
    def __init__(self, index: int, name: str, skills: tuple[int, ...], calendar: DutyCalendar,
                 crew: Crew) -> None:
        self.index = index
        self.code: object = index
        self.skills = skills
        # The fields in the order they are laid out, those read or written for every task
        # first, so that they span as few cache lines as can be (the name comes last: only
        # messages read it).
        self.capacity = crew.behaviour.group.capacity
        self.calendar = calendar
        self.crew = crew
        self.activity = A_OFFLINE
        self.load = 0  # tasks holding a slot (R7); changed only through slots_changed
        self.last_reserved = -math.inf
        self.version = 0
        self.listed = False
        self.listed_key = -math.inf
        self.first_offer: Task | None = None
        self.more_offers: list[Task] | None = None
        # Short FIFOs as lists, None while empty (they mostly are): a deque is 760 bytes even
        # when empty, an empty list 56, and reading whether it is empty would bring one
        # more object into the cache for every slot taken or freed.
        self.resumes: list[Task] | None = None  # paused tasks ready to resume (R9)
        self.work: list[tuple[int, Task]] | None = None
        # The piece of work in the hands (None: the hands are free): its task, kind, when
        # the hands start it and its seconds of on-duty work. The kind, start and seconds
        # are read only by a run's end state (a piece that would finish after the horizon is
        # on no agenda); four fields rather than a tuple, since they are set for every piece.
        self.doing: Task | None = None
        self.doing_kind = 0
        self.doing_start = 0.0
        self.doing_work = 0.0
        self.recovery: Timer | None = None
        self._shift = 0  # the next duty interval's index (A1)
        self.name = name

    @property
    def behaviour(self) -> GroupBehaviour:
        return self.crew.behaviour

    def behave(self, behaviour: GroupBehaviour) -> None:
        """Draw from now on as `behaviour` says (its group's, unless a test swaps it)."""
        self.crew = self.crew.behaving(behaviour)

    # eligibility (R2, R5, R7, R9) --------------------------------------------------------

    def refresh(self) -> None:
        eligible = (self.activity == A_AVAILABLE and self.load < self.capacity
                    and self.resumes is None)
        if eligible == self.listed and self.last_reserved == self.listed_key:
            return
        self.version += 1
        self.listed = eligible
        self.listed_key = self.last_reserved
        if eligible:
            self.crew.router.list_agent(self)

    def slots_changed(self, delta: int) -> None:
        self.load = load = self.load + delta
        assert 0 <= load <= self.capacity, f"{self.name} holds {load} tasks"
        if delta < 0 and self.resumes is not None:
            self._try_resume()
            self.refresh()
            return
        # refresh(), inlined: this runs for every slot taken or freed
        eligible = (self.activity == A_AVAILABLE and load < self.capacity
                    and self.resumes is None)
        if eligible != self.listed or self.last_reserved != self.listed_key:
            self.version += 1
            self.listed = eligible
            self.listed_key = self.last_reserved
            if eligible:
                self.crew.router.list_agent(self)

    # shifts and activity (A1, R5) --------------------------------------------------------

    def start(self) -> None:
        """Only the next shift boundary is on the agenda at any time, not the horizon's."""
        starts = self.calendar.starts
        if self.activity != A_OFFLINE:  # on duty when an earlier run ended (sim.engine.carry)
            self._carried_duty()
        elif starts:
            self.crew.agenda.first_at(starts[0], self.index, self._shift_start, None)

    def _carried_duty(self) -> None:
        """Still on duty at time 0 by this calendar: its shift goes on; if not, it ends now."""
        starts, now = self.calendar.starts, self.crew.agenda.now
        if starts and starts[0] <= now:
            self.crew.agenda.first_at(self.calendar.ends[0], self.index, self._shift_end, None)
            self.refresh()
        else:
            self._shift = -1  # so that the shift end schedules the first start
            self.crew.agenda.first_at(now, self.index, self._shift_end, None)

    def take_up_queued(self) -> None:
        """Start on the work queue (a state set at time 0 with nothing in the hands yet)."""
        if self.doing is None and self.work is not None:
            self._next_work()

    def carry_on(self, kind: int, task: Task, work: float, started: bool) -> None:
        """Take up again work an earlier run left in these hands, `work` seconds still to
        do; `started`: its worker.work.started row is in the log already."""
        self._begin(kind, task, work, started)

    def _shift_start(self, _: None) -> None:
        self.crew.agenda.first_at(self.calendar.ends[self._shift], self.index, self._shift_end,
                             None)
        self.crew.recorder.activity(self, codes.SHIFT_START)
        self._try_resume()
        self.refresh()

    def _shift_end(self, _: None) -> None:
        self._shift += 1
        if self._shift < len(self.calendar.starts):
            self.crew.agenda.first_at(self.calendar.starts[self._shift], self.index,
                                 self._shift_start, None)
        if self.recovery is not None:
            self.recovery.cancel()
            self.recovery = None
        self.crew.recorder.activity(self, codes.SHIFT_END)
        for task in sorted(self.offers(), key=lambda offered: offered.id):
            self.crew.router.withdraw(task)
        self.refresh()

    def missed(self) -> None:
        """R5: a reservation timed out; unavailable until timeout_recovery has passed."""
        self.crew.recorder.activity(self, codes.RESERVATION_MISSED)
        if self.recovery is not None:
            self.recovery.cancel()
        crew = self.crew
        self.recovery = crew.agenda.fixed(crew.flex.timeout_recovery, self._recovered, None)
        self.refresh()

    def _recovered(self, _: None) -> None:
        self.recovery = None
        self.crew.recorder.activity(self, codes.RECOVERED)
        self.refresh()

    # offers (R3) -------------------------------------------------------------------------

    def plan_response(self, timeout: float) -> tuple[float, int]:
        """When and how this agent answers an offer; no answer by `timeout` is a miss."""
        response = self.crew.response_time()
        rejects = self.crew.rejects()
        if response >= timeout:
            return timeout, codes.RESERVATION_TIMEOUT
        return response, codes.RESERVATION_REJECTED if rejects else codes.RESERVATION_ACCEPTED

    def accepted(self, task: Task) -> None:
        """A3: research first for some emails (paused if Pause is on), then compose."""
        if task.research_left is None:
            # How long this email's research takes (0: none), decided once per email (A3).
            task.research_left = task.research_total = (
                self.crew.research_time() if self.crew.needs_research() else 0.0)
        if task.research_left <= 0:
            self._queue(COMPOSE, task)
        elif may_pause(self.crew.flex.pause.enabled, codes.TASK_STATUSES[task.status]):
            self._pause(task, task.research_left)
        else:
            self.crew.agenda.after(task.research_left, self._researched_holding, task)

    def _researched_holding(self, task: Task) -> None:
        task.research_left = 0.0
        self._queue(COMPOSE, task)

    # pause (R9, R10) ---------------------------------------------------------------------

    def _pause(self, task: Task, research: float) -> None:
        self.crew.recorder.task(task, codes.TASK_PAUSED, self.crew.recorder.details.research)
        task.pause_expiry = self.crew.agenda.fixed(self.crew.flex.pause.expiry, self._pause_expired,
                                              task)
        task.research_began = self.crew.agenda.now
        task.research = self.crew.agenda.timer(research, self._research_done, task)

    def _research_done(self, task: Task) -> None:
        task.research = None
        task.research_left = 0.0
        self.resumes = _pushed(self.resumes, task)
        self._try_resume()
        self.refresh()

    def _try_resume(self) -> None:
        while (resumes := self.resumes) is not None and self.activity != A_OFFLINE and (
                self.load < self.capacity):
            task = resumes.pop(0)
            self.resumes = resumes or None
            assert task.pause_expiry is not None
            task.pause_expiry.cancel()
            task.pause_expiry = None
            self.crew.recorder.task(task, codes.TASK_RESUMED)
            self._queue(COMPOSE, task)

    def _pause_expired(self, task: Task) -> None:
        task.pause_expiry = None
        cause = self._expiry_cause(task)
        self._keep_or_restart_research(task)
        self.crew.recorder.task(task, codes.TASK_PAUSE_EXPIRED, self.crew.cause_detail[cause])
        task.declined_by = None  # back in the queue, open to any agent
        self.crew.router.submit(task)
        self.crew.router.start_ttl(task)
        self.refresh()

    def _expiry_cause(self, task: Task) -> PauseExpiry:
        """Why the pause ran out: still researching, or done but off duty, or no free slot."""
        if task.research is not None:
            return PauseExpiry.RESEARCHING
        return PauseExpiry.OFF_DUTY if self.activity == A_OFFLINE else PauseExpiry.NO_SLOT

    def _keep_or_restart_research(self, task: Task) -> None:
        if task.research is not None:
            task.research.cancel()
            task.research = None
            assert task.research_left is not None
            elapsed = self.crew.agenda.now - task.research_began
            task.research_left = max(0.0, task.research_left - elapsed)
        else:
            assert self.resumes is not None, f"{task.id} is not ready to resume"
            self.resumes.remove(task)
            self.resumes = self.resumes or None
        if self.crew.behaviour.group.handling.research.after_expiry == "restart":
            task.research_left = task.research_total

    # hands (A2) --------------------------------------------------------------------------

    def _queue(self, kind: int, task: Task) -> None:
        if self.doing is not None:
            self.work = _pushed(self.work, (kind, task))
        else:
            self._take_up(kind, task)

    def _next_work(self) -> None:
        """The hands finished a piece of work: the next, first come first served."""
        if (work := self.work) is not None:
            kind, task = work.pop(0)
            self.work = work or None
            self._take_up(kind, task)
        else:
            self.doing = None

    def _take_up(self, kind: int, task: Task) -> None:
        self._begin(kind, task, self.crew.work_time[kind](), False)

    def _begin(self, kind: int, task: Task, work: float, started: bool) -> None:
        """The hands take up `work` seconds of on-duty work; `started`: already begun (its
        worker.work.started row was written by an earlier run)."""
        now = self.crew.agenda.now
        start, finish = self.calendar.span(now, work)
        self._doing(kind, task, start, work)
        if not started:
            if start > now:  # off duty: the hands take it up when the next duty starts
                if start != math.inf:
                    self.crew.agenda.at(start, self._work_started_later, (kind, task, finish))
                return
            self.crew.recorder.work_started(self, task, self.crew.work_detail[kind])
        if finish != math.inf:  # at(finish), with its arithmetic: now + (finish - now)
            self.crew.agenda.at_time(now + (finish - now), WORK_DONE[kind], task)

    def _doing(self, kind: int, task: Task, start: float, work: float) -> None:
        self.doing, self.doing_kind, self.doing_start, self.doing_work = task, kind, start, work

    def _work_started_later(self, work: tuple[int, Task, float]) -> None:
        kind, task, finish = work
        self.crew.recorder.work_started(self, task, self.crew.work_detail[kind])
        if finish != math.inf:
            self.crew.agenda.at(finish, WORK_DONE[kind], task)

    # after a reply (A3, R11, R14) --------------------------------------------------------

    def _reply_sent(self, task: Task) -> None:
        self.crew.recorder.message(codes.MESSAGE_OUTBOUND, task.conversation, task.code, self.code)
        task.replies_sent += 1
        resolved = self.crew.resolves()
        self.crew.customers.replied(task, resolved)
        if resolved:
            self._wrapup(task, codes.WRAP_END)
        elif may_leave(self.crew.leave_enabled, task.replies_sent) and self.crew.leaves():
            self._wrapup(task, codes.WRAP_LEAVE)
            self.crew.customers.left(task, self)
        else:
            task.hold = self.crew.agenda.fixed(self.crew.hold_for_reply, hold_over, task)
        self._next_work()

    def customer_replied(self, task: Task) -> None:
        """R8: a reply joined this assigned task; if the agent was waiting for it, answer."""
        if task.hold is not None:
            task.hold.cancel()
            task.hold = None
            self._queue(COMPOSE, task)

    def _hold_over(self, task: Task) -> None:
        """No reply within hold_for_reply: End, at once or when the agent is back on duty."""
        now = self.crew.agenda.now
        resume_at = self.calendar.next_start(now)
        if resume_at > now:
            task.hold = None if resume_at == math.inf else self.crew.agenda.timer_at(
                resume_at, self._hold_over, task)
            return
        task.hold = None
        self._wrapup(task, codes.WRAP_END)

    def _wrapup(self, task: Task, reason: int) -> None:
        task.wrap_reason = reason
        self.crew.recorder.task(task, codes.TASK_WRAPUP, self.crew.recorder.details.wrap[reason])
        self._queue(WRAPUP, task)

    def _completed(self, task: Task) -> None:
        self.crew.recorder.task(task, codes.TASK_COMPLETED)
        if task.wrap_reason == codes.WRAP_END:
            self.crew.customers.resolved(task)
        self._next_work()


def _pushed(fifo: list[Item] | None, item: Item) -> list[Item]:
    """`fifo` with `item` at its end (an agent's FIFOs are None while empty)."""
    if fifo is None:
        return [item]
    fifo.append(item)
    return fifo


# What the agenda calls when a piece of work is done, by kind (A2): one function for every
# agent, which finds the agent through the task it holds, rather than a bound method per
# agent (one more object, touched cold at every completion in a large center).
def _reply_done(task: Task) -> None:
    cast(Agent, task.agent)._reply_sent(task)


def _wrapup_done(task: Task) -> None:
    cast(Agent, task.agent)._completed(task)


WORK_DONE: Final = (_reply_done, _wrapup_done)


def hold_over(task: Task) -> None:
    """A task held for a reply long enough (A3): likewise, one function for every agent."""
    cast(Agent, task.agent)._hold_over(task)
