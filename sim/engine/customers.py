"""Customers and their conversations: new emails (C1), replies (C2) and what a reply does to
the conversation it belongs to (R8, R12, R13, R15)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count

from sim.domain.demand import ArrivalPlan, arrival_parts
from sim.domain.distributions import uniforms
from sim.domain.lifecycle import IllegalTransition
from sim.domain.scenario import Scenario
from sim.domain.streams import Streams
from sim.engine import codes
from sim.engine.behaviour import duration
from sim.engine.clock import Agenda, Call
from sim.engine.codes import INBOUND, T_ASSIGNED, T_COMPLETED
from sim.engine.entities import Candidate, Conversation, Task
from sim.engine.recorder import Recorder
from sim.engine.router import Router


class Customers:
    def __init__(self, scenario: Scenario, skills: list[str], agenda: Agenda,
                 recorder: Recorder, router: Router, streams: Streams,
                 remember: bool = False) -> None:
        self.scenario = scenario
        self.skills = skills
        self.agenda = agenda
        self.recorder = recorder
        self.router = router
        self.streams = streams
        chances = scenario.customers.reply_probability
        self.replies_when = {True: chances.resolved, False: chances.awaiting}
        # Both kinds of reply decision share one stream, so that changing one probability
        # does not move the other's draws; it is drawn unless neither needs a draw.
        drawn = any(0 < p < 1 for p in self.replies_when.values())
        self._uniform = uniforms(streams.generator("customers.reply")) if drawn else None
        self.reply_delay = duration(scenario.customers.reply_delay, streams,
                                    "customers.reply_delay")
        self.previous_agent = scenario.flex.reactivation_routing == "previous-agent"
        self._conversation_ids = count(1)
        self._task_ids = count(1)
        self._queue_details: dict[tuple[int, int], int] = {}
        details = recorder.details
        self._inbound_detail = details.inbound
        self._closed = (details.resolved, details.window, details.unanswered)
        # Only scripted runs look conversations up by id; a long run must not keep them all.
        self.known: dict[int, Conversation] | None = {} if remember else None
        # Conversations not closed yet: what a run's end state carries on. A list in which
        # each knows its place (`slot`), a closed one's place taken by the last: a dict
        # would read a cold entry for every close, and resize as it churns.
        self.open: list[Conversation] = []
        self._parts: Iterator[ArrivalPlan] = iter(())
        self._times: list[float] = []
        self._skills: list[int] = []
        self._priorities: list[int] = []
        self._next = 0
        self._arrives: Call = self._arrive  # bound once, not on every arrival
        self._inbound: Call = self.inbound

    # C1: new conversations -----------------------------------------------------------------

    def start(self) -> None:
        scenario = self.scenario
        self._parts = arrival_parts(
            scenario.arrivals, scenario.start, scenario.horizon,
            self.streams.generator("arrivals.count"),
            self.streams.generator("arrivals.time"),
            self.streams.generator("arrivals.skill"),
            self.streams.generator("arrivals.priority"),
        )
        if self._next_part():
            self.agenda.at(self._times[0], self._arrives, None)

    def _next_part(self) -> bool:
        """Take the next week of arrivals (C1); False when there are none left."""
        for part in self._parts:
            if len(part.times):
                self._times = part.times.tolist()
                self._skills = part.skills.tolist()  # small ints: no object per arrival
                self._priorities = part.priorities.tolist()
                self._next = 0
                return True
        return False

    def _arrive(self, _: None) -> None:
        i = self._next
        self.new_conversation(self._skills[i], self._priorities[i], codes.NEW)
        self._next = i = i + 1
        if i < len(self._times):
            self.agenda.at(self._times[i], self._arrives, None)
        elif self._next_part():
            self.agenda.at(self._times[0], self._arrives, None)

    def new_conversation(self, skill: int, priority: int, kind: int) -> Conversation:
        conversation = self._conversation(skill, priority)
        task = self._task_for(conversation, None, self.agenda.now)
        self.recorder.thread_opened(conversation, task, self._inbound_detail[kind],
                                    self._queue_detail(task))
        self.router.submit(task)
        self.router.start_ttl(task)
        return conversation

    def pending_at_start(self, skill: int, priority: int, age: float) -> None:
        """A task waiting at time 0 in its own new conversation, created `age` ago: logged
        then (oldest first, so the log stays in time order), its TTL counted from then."""
        conversation = self._conversation(skill, priority)
        task = self._task_for(conversation, None, -age)
        self.recorder.thread_opened_at(-age, conversation, task,
                                       self._inbound_detail[codes.NEW], self._queue_detail(task))
        self.router.submit(task)
        self.router.start_ttl_left(task, self.scenario.flex.task_ttl - age)

    def reset_ids(self, conversation: int, task: int) -> None:
        """Number new conversations and tasks from these on (after carried ones)."""
        self._conversation_ids = count(conversation)
        self._task_ids = count(task)

    def _conversation(self, skill: int, priority: int) -> Conversation:
        conversation = Conversation(next(self._conversation_ids), skill, priority)
        self.keep_open(conversation)
        if self.known is not None:
            self.known[conversation.id] = conversation
        return conversation

    def _task_for(self, conversation: Conversation, preferred: Candidate | None,
                  created_at: float) -> Task:
        task = Task(next(self._task_ids), conversation, created_at, preferred)
        conversation.task = task
        conversation.task_id = task.id
        return task

    def _new_task(self, conversation: Conversation, preferred: Candidate | None = None) -> None:
        task = self._task_for(conversation, preferred, self.agenda.now)
        self.recorder.task_created(task, self._queue_detail(task))
        self.router.submit(task)
        self.router.start_ttl(task)

    def _queue_detail(self, task: Task) -> int:
        key = (task.skill, task.priority)
        code = self._queue_details.get(key)
        if code is None:
            code = self._queue_details[key] = self.recorder.details.code(
                f"{self.skills[task.skill]}:{task.priority}")
        return code

    # C2: replies ---------------------------------------------------------------------------

    def replied(self, task: Task, resolved: bool) -> None:
        """The agent sent a reply; the customer may answer it after a delay."""
        probability = self.replies_when[resolved]
        if probability >= 1 if self._uniform is None else self._uniform() < probability:
            self.agenda.after(self.reply_delay(), self._inbound, task.conversation)

    def inbound(self, conversation: Conversation) -> None:
        """A customer email in an existing conversation (R8, R12, R15)."""
        task = conversation.task
        kind = INBOUND[conversation.status][T_COMPLETED if task is None else task.status][
            0 if task is None else task.wrap_reason]
        if kind < 0:
            raise IllegalTransition(f"inbound email to conversation {conversation.id} whose "
                                    "task's status no rule covers")
        if kind == codes.FOLLOW_UP:
            self.new_conversation(conversation.skill, conversation.priority, kind)
            return
        if kind == codes.REACTIVATION:
            self._reactivate(conversation)
            return
        assert task is not None
        owner = task.agent
        self.recorder.message(codes.MESSAGE_INBOUND, conversation, task.code,
                              -1 if owner is None else owner.code, self._inbound_detail[kind])
        if kind == codes.APPENDED and task.status == T_ASSIGNED:
            assert owner is not None
            owner.customer_replied(task)

    # Leave and reactivation (R11, R12, R13) ------------------------------------------------

    def left(self, task: Task, agent: Candidate) -> None:
        conversation = task.conversation
        conversation.left_by = agent
        self.recorder.conversation(conversation, codes.CONVERSATION_INACTIVE, agent=agent)
        conversation.window = self.agenda.fixed(self.scenario.flex.leave.window,
                                                self._window_closed, conversation)

    def _window_closed(self, conversation: Conversation) -> None:
        conversation.window = None
        self._close(conversation, self._closed[1])

    def _reactivate(self, conversation: Conversation) -> None:
        assert conversation.window is not None
        conversation.window.cancel()
        conversation.window = None
        self.recorder.conversation(conversation, codes.CONVERSATION_REACTIVATED)
        self.recorder.message(codes.MESSAGE_INBOUND, conversation, -1, -1,
                              self._inbound_detail[codes.REACTIVATION])
        preferred = conversation.left_by if self.previous_agent else None
        self._new_task(conversation, preferred)

    # closing (R6, R14) ---------------------------------------------------------------------

    def resolved(self, task: Task) -> None:
        """R14: the task was completed after End; its conversation closes."""
        self._close(task.conversation, self._closed[0])

    def task_canceled(self, task: Task) -> None:
        """R6: the task's TTL ran out; its conversation closes unanswered."""
        self._close(task.conversation, self._closed[2])

    def _close(self, conversation: Conversation, detail: int) -> None:
        self.recorder.conversation(conversation, codes.CONVERSATION_CLOSED, detail)
        conversation.task = None  # nothing refers to the finished task any more
        conversation.left_by = None
        self._forget(conversation)

    def keep_open(self, conversation: Conversation) -> None:
        conversation.slot = len(self.open)
        self.open.append(conversation)

    def _forget(self, conversation: Conversation) -> None:
        slot = conversation.slot
        assert self.open[slot] is conversation, f"conversation {conversation.id} is not open"
        last = self.open.pop()
        if last is not conversation:
            self.open[slot] = last
            last.slot = slot
        conversation.slot = -1
