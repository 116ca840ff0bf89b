"""Agents: shifts and activity, capacity slots, one pair of hands, and how they handle email.

An agent holds several tasks (capacity slots, R7) but composes replies and wraps up one at a
time, in a work queue, only while on duty (A2). Work that spans a shift end finishes in the
next shift: the finish time comes from the duty calendar, so nothing is interrupted.
"""

from __future__ import annotations

import math
from collections import deque
from enum import Enum

from sim.domain.calendar import DutyCalendar
from sim.domain.distributions import Sampler, uniforms
from sim.domain.lifecycle import (
    Activity,
    ActivityCause,
    Event,
    PauseExpiry,
    WrapReason,
    may_leave,
    may_pause,
)
from sim.domain.scenario import AgentGroup, Flex
from sim.domain.streams import Streams
from sim.engine.clock import Clock, Timer
from sim.engine.customers import Customers
from sim.engine.entities import Reservation, Task
from sim.engine.recorder import Recorder
from sim.engine.router import Router


class Work(Enum):
    COMPOSE = "compose"
    WRAPUP = "wrapup"


class GroupBehaviour:
    """The draws that make one agent group's decisions, each on its own named stream."""

    def __init__(self, group: AgentGroup, streams: Streams) -> None:
        def stream(purpose: str) -> str:
            return f"agents.{group.name}.{purpose}"

        handling = group.handling
        self.group = group
        self.response_time = group.reservation.response_time.sampler(
            streams.generator(stream("response_time")))
        self.reject = uniforms(streams.generator(stream("reject")))
        self.compose = handling.compose.sampler(streams.generator(stream("compose")))
        self.research = uniforms(streams.generator(stream("research")))
        self.research_time = handling.research.duration.sampler(
            streams.generator(stream("research_time")))
        self.resolve = uniforms(streams.generator(stream("resolve")))
        self.leave = uniforms(streams.generator(stream("leave")))
        self.wrapup = handling.wrapup.sampler(streams.generator(stream("wrapup")))
        self.duration: dict[Work, Sampler] = {Work.COMPOSE: self.compose,
                                              Work.WRAPUP: self.wrapup}


class Agent:
    def __init__(
        self,
        index: int,
        name: str,
        skills: tuple[int, ...],
        behaviour: GroupBehaviour,
        calendar: DutyCalendar,
        flex: Flex,
        clock: Clock,
        recorder: Recorder,
        router: Router,
        customers: Customers,
    ) -> None:
        self.index = index
        self.name = name
        self.skills = skills
        self.capacity = behaviour.group.capacity
        self.behaviour = behaviour
        self.calendar = calendar
        self.flex = flex
        self.clock = clock
        self.recorder = recorder
        self.router = router
        self.customers = customers
        self.activity = Activity.OFFLINE
        self.load = 0  # tasks holding a slot (R7); changed only through slots_changed
        self.last_reserved = -math.inf
        self.version = 0
        self.listed = False
        self.listed_key = -math.inf
        self.reservations: set[Reservation] = set()
        self.resumes: deque[Task] = deque()  # paused tasks ready to resume (R9)
        self.work: deque[tuple[Work, Task]] = deque()
        self.busy = False
        self.recovery: Timer | None = None

    # eligibility (R2, R5, R7, R9) --------------------------------------------------------

    def refresh(self) -> None:
        eligible = (self.activity is Activity.AVAILABLE and self.load < self.capacity
                    and not self.resumes)
        if eligible == self.listed and self.last_reserved == self.listed_key:
            return
        self.version += 1
        self.listed = eligible
        self.listed_key = self.last_reserved
        if eligible:
            self.router.list_agent(self)

    def slots_changed(self, delta: int) -> None:
        self.load += delta
        assert 0 <= self.load <= self.capacity, f"{self.name} holds {self.load} tasks"
        if delta < 0:
            self._try_resume()
        self.refresh()

    # shifts and activity (A1, R5) --------------------------------------------------------

    def start(self) -> None:
        for begin, end in zip(self.calendar.starts, self.calendar.ends, strict=True):
            self.clock.at(begin, self._shift_start)
            self.clock.at(end, self._shift_end)

    def _shift_start(self) -> None:
        self.recorder.activity(self, ActivityCause.SHIFT_START)
        self._try_resume()
        self.refresh()

    def _shift_end(self) -> None:
        if self.recovery is not None:
            self.recovery.cancel()
            self.recovery = None
        self.recorder.activity(self, ActivityCause.SHIFT_END)
        for reservation in sorted(self.reservations, key=lambda r: r.task.id):
            self.router.withdraw(reservation)
        self.refresh()

    def missed(self) -> None:
        """R5: a reservation timed out; unavailable until timeout_recovery has passed."""
        self.recorder.activity(self, ActivityCause.RESERVATION_MISSED)
        if self.recovery is not None:
            self.recovery.cancel()
        self.recovery = self.clock.after_fixed(self.flex.timeout_recovery, self._recovered)
        self.refresh()

    def _recovered(self) -> None:
        self.recovery = None
        self.recorder.activity(self, ActivityCause.RECOVERED)
        self.refresh()

    # offers (R3) -------------------------------------------------------------------------

    def plan_response(self, timeout: float) -> tuple[float, Event]:
        """When and how this agent answers an offer; no answer by `timeout` is a miss."""
        response = self.behaviour.response_time()
        rejects = self.behaviour.reject() < self.behaviour.group.reservation.reject_probability
        if response >= timeout:
            return timeout, Event.RESERVATION_TIMEOUT
        return response, Event.RESERVATION_REJECTED if rejects else Event.RESERVATION_ACCEPTED

    def accepted(self, task: Task) -> None:
        """A3: research first for some emails (paused if Pause is on), then compose."""
        if task.research_left is None:
            task.research_left = task.research_total = self._research_need()
        if task.research_left <= 0:
            self._queue(Work.COMPOSE, task)
        elif may_pause(self.flex.pause.enabled, task.status):
            self._pause(task, task.research_left)
        else:
            self.clock.after(task.research_left, self._researched_holding, task)

    def _research_need(self) -> float:
        """How long this email's research takes (0: none), decided once per email."""
        research = self.behaviour.group.handling.research
        if self.behaviour.research() >= research.probability:
            return 0.0
        return self.behaviour.research_time()

    def _researched_holding(self, task: Task) -> None:
        task.research_left = 0.0
        self._queue(Work.COMPOSE, task)

    # pause (R9, R10) ---------------------------------------------------------------------

    def _pause(self, task: Task, research: float) -> None:
        self.recorder.task(task, Event.TASK_PAUSED, "research")
        task.pause_expiry = self.clock.after_fixed(self.flex.pause.expiry, self._pause_expired,
                                                    task)
        task.research_began = self.clock.now
        task.research = self.clock.after(research, self._research_done, task)

    def _research_done(self, task: Task) -> None:
        task.research = None
        task.research_left = 0.0
        self.resumes.append(task)
        self._try_resume()
        self.refresh()

    def _try_resume(self) -> None:
        while self.resumes and self.activity is not Activity.OFFLINE and (
            self.load < self.capacity
        ):
            task = self.resumes.popleft()
            assert task.pause_expiry is not None
            task.pause_expiry.cancel()
            task.pause_expiry = None
            self.recorder.task(task, Event.TASK_RESUMED)
            self._queue(Work.COMPOSE, task)

    def _pause_expired(self, task: Task) -> None:
        task.pause_expiry = None
        cause = self._expiry_cause(task)
        self._keep_or_restart_research(task)
        self.recorder.task(task, Event.TASK_PAUSE_EXPIRED, cause)
        task.declined_by.clear()  # back in the queue, open to any agent
        self.router.submit(task)
        self.router.start_ttl(task)
        self.refresh()

    def _expiry_cause(self, task: Task) -> str:
        """Why the pause ran out: still researching, or done but off duty, or no free slot."""
        if task.research is not None:
            return PauseExpiry.RESEARCHING
        return PauseExpiry.OFF_DUTY if self.activity is Activity.OFFLINE else (
            PauseExpiry.NO_SLOT)

    def _keep_or_restart_research(self, task: Task) -> None:
        if task.research is not None:
            task.research.cancel()
            task.research = None
            assert task.research_left is not None
            elapsed = self.clock.now - task.research_began
            task.research_left = max(0.0, task.research_left - elapsed)
        else:
            self.resumes.remove(task)
        if self.behaviour.group.handling.research.after_expiry == "restart":
            task.research_left = task.research_total

    # hands (A2) --------------------------------------------------------------------------

    def _queue(self, kind: Work, task: Task) -> None:
        self.work.append((kind, task))
        if not self.busy:
            self._next_work()

    def _next_work(self) -> None:
        if not self.work:
            self.busy = False
            return
        self.busy = True
        kind, task = self.work.popleft()
        now = self.clock.now
        start = self.calendar.next_start(now)
        finish = self.calendar.finish(start, self.behaviour.duration[kind]())
        if start > now:  # off duty: the hands take it up when the next duty starts
            if start != math.inf:
                self.clock.at(start, self._work_started, kind, task, finish)
        else:
            self._work_started(kind, task, finish)

    def _work_started(self, kind: Work, task: Task, finish: float) -> None:
        self.recorder.work_started(self, task, kind.value)
        if finish != math.inf:
            self.clock.at(finish, self._work_done, kind, task)

    def _work_done(self, kind: Work, task: Task) -> None:
        if kind is Work.COMPOSE:
            self._reply_sent(task)
        else:
            self._completed(task)
        self._next_work()

    # after a reply (A3, R11, R14) --------------------------------------------------------

    def _reply_sent(self, task: Task) -> None:
        handling = self.behaviour.group.handling
        self.recorder.message(Event.MESSAGE_OUTBOUND, task.conversation, task, self)
        task.replies_sent += 1
        resolved = self.behaviour.resolve() < handling.resolve_probability
        self.customers.replied(task, resolved)
        if resolved:
            self._wrapup(task, WrapReason.END)
        elif may_leave(self.flex.leave.enabled, task.replies_sent) and (
            self.behaviour.leave() < handling.leave_probability
        ):
            self._wrapup(task, WrapReason.LEAVE)
            self.customers.left(task, self)
        else:
            task.hold = self.clock.after_fixed(handling.hold_for_reply, self._hold_over, task)

    def customer_replied(self, task: Task) -> None:
        """R8: a reply joined this assigned task; if the agent was waiting for it, answer."""
        if task.hold is not None:
            task.hold.cancel()
            task.hold = None
            self._queue(Work.COMPOSE, task)

    def _hold_over(self, task: Task) -> None:
        """No reply within hold_for_reply: End, at once or when the agent is back on duty."""
        resume_at = self.calendar.next_start(self.clock.now)
        if resume_at > self.clock.now:
            task.hold = None if resume_at == math.inf else self.clock.at(
                resume_at, self._hold_over, task)
            return
        task.hold = None
        self._wrapup(task, WrapReason.END)

    def _wrapup(self, task: Task, reason: WrapReason) -> None:
        task.wrap_reason = reason
        self.recorder.task(task, Event.TASK_WRAPUP, reason.value)
        self._queue(Work.WRAPUP, task)

    def _completed(self, task: Task) -> None:
        self.recorder.task(task, Event.TASK_COMPLETED)
        if task.wrap_reason is WrapReason.END:
            self.customers.resolved(task)
