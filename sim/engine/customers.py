"""Customers and their conversations: new emails (C1), replies (C2) and what a reply does to
the conversation it belongs to (R8, R12, R13, R15)."""

from __future__ import annotations

from itertools import count

from sim.domain.demand import ArrivalPlan, sample_arrivals
from sim.domain.distributions import uniforms
from sim.domain.lifecycle import Event, Inbound, TaskStatus, classify_inbound
from sim.domain.scenario import Scenario
from sim.domain.streams import Streams
from sim.engine.clock import Clock
from sim.engine.entities import Candidate, Conversation, Task
from sim.engine.recorder import Recorder
from sim.engine.router import Router


class Customers:
    def __init__(
        self,
        scenario: Scenario,
        skills: list[str],
        clock: Clock,
        recorder: Recorder,
        router: Router,
        streams: Streams,
        remember: bool = False,
    ) -> None:
        self.scenario = scenario
        self.skills = skills
        self.clock = clock
        self.recorder = recorder
        self.router = router
        self.streams = streams
        customers = scenario.customers
        self.reply_probability = customers.reply_probability
        self.reply = uniforms(streams.generator("customers.reply"))
        self.reply_delay = customers.reply_delay.sampler(
            streams.generator("customers.reply_delay"))
        self.previous_agent = scenario.flex.reactivation_routing == "previous-agent"
        self._conversation_ids = count(1)
        self._task_ids = count(1)
        self._queue_details: dict[tuple[int, int], str] = {}
        # Only scripted runs look conversations up by id; a long run must not keep them all.
        self.known: dict[int, Conversation] | None = {} if remember else None
        self.plan: ArrivalPlan | None = None

    # C1: new conversations -----------------------------------------------------------------

    def start(self) -> None:
        scenario = self.scenario
        self.plan = sample_arrivals(
            scenario.arrivals, scenario.start, scenario.horizon,
            self.streams.generator("arrivals.count"),
            self.streams.generator("arrivals.time"),
            self.streams.generator("arrivals.skill"),
            self.streams.generator("arrivals.priority"),
        )
        if len(self.plan.times):
            self.clock.at(float(self.plan.times[0]), self._arrive, 0)

    def _arrive(self, i: int) -> None:
        plan = self.plan
        assert plan is not None
        self.new_conversation(int(plan.skills[i]), int(plan.priorities[i]), Inbound.NEW)
        if i + 1 < len(plan.times):
            self.clock.at(float(plan.times[i + 1]), self._arrive, i + 1)

    def new_conversation(self, skill: int, priority: int, kind: Inbound) -> Conversation:
        conversation = Conversation(next(self._conversation_ids), skill, priority)
        if self.known is not None:
            self.known[conversation.id] = conversation
        self.recorder.conversation_created(conversation, kind.value)
        self.recorder.message(Event.MESSAGE_INBOUND, conversation, None, None, kind.value)
        self._new_task(conversation)
        return conversation

    def _new_task(self, conversation: Conversation, preferred: Candidate | None = None) -> None:
        task = Task(next(self._task_ids), conversation, conversation.skill,
                    conversation.priority, self.clock.now, preferred=preferred)
        conversation.task = task
        self.recorder.task_created(task, self._queue_detail(task))
        self.router.submit(task)
        self.router.start_ttl(task)

    def _queue_detail(self, task: Task) -> str:
        key = (task.skill, task.priority)
        if key not in self._queue_details:
            self._queue_details[key] = f"{self.skills[task.skill]}:{task.priority}"
        return self._queue_details[key]

    # C2: replies ---------------------------------------------------------------------------

    def replied(self, task: Task, resolved: bool) -> None:
        """The agent sent a reply; the customer may answer it after a delay."""
        chance = self.reply_probability
        probability = chance.resolved if resolved else chance.awaiting
        if self.reply() < probability:
            self.clock.after(self.reply_delay(), self.inbound, task.conversation)

    def inbound(self, conversation: Conversation) -> None:
        """A customer email in an existing conversation (R8, R12, R15)."""
        task = conversation.task
        assert task is not None
        kind = classify_inbound(conversation.status, task.status, task.wrap_reason)
        if kind is Inbound.FOLLOW_UP:
            self.new_conversation(conversation.skill, conversation.priority, kind)
            return
        if kind is Inbound.REACTIVATION:
            self._reactivate(conversation)
            return
        self.recorder.message(Event.MESSAGE_INBOUND, conversation, task, task.agent, kind.value)
        if kind is Inbound.APPENDED and task.status is TaskStatus.ASSIGNED:
            assert task.agent is not None
            task.agent.customer_replied(task)

    # Leave and reactivation (R11, R12, R13) ------------------------------------------------

    def left(self, task: Task, agent: Candidate) -> None:
        conversation = task.conversation
        conversation.left_by = agent
        self.recorder.conversation(conversation, Event.CONVERSATION_INACTIVE, agent=agent)
        conversation.window = self.clock.after_fixed(
            self.scenario.flex.leave.window, self._window_closed, conversation)

    def _window_closed(self, conversation: Conversation) -> None:
        conversation.window = None
        self.recorder.conversation(conversation, Event.CONVERSATION_CLOSED, "window")

    def _reactivate(self, conversation: Conversation) -> None:
        assert conversation.window is not None
        conversation.window.cancel()
        conversation.window = None
        self.recorder.conversation(conversation, Event.CONVERSATION_REACTIVATED)
        self.recorder.message(Event.MESSAGE_INBOUND, conversation, None, None,
                              Inbound.REACTIVATION.value)
        preferred = conversation.left_by if self.previous_agent else None
        self._new_task(conversation, preferred)

    # closing (R6, R14) ---------------------------------------------------------------------

    def resolved(self, task: Task) -> None:
        """R14: the task was completed after End; its conversation closes."""
        self.recorder.conversation(task.conversation, Event.CONVERSATION_CLOSED, "resolved")

    def task_canceled(self, task: Task) -> None:
        """R6: the task's TTL ran out; its conversation closes unanswered."""
        self.recorder.conversation(task.conversation, Event.CONVERSATION_CLOSED, "unanswered")
