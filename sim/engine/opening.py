"""Work agents already hold at time 0 (`initial.assigned`, `.paused`,
`.inactive_conversations`), written as the state a run carries on from (sim.domain.carried),
so sim.engine.carry sets it up the way it continues any run.

Each task begins `age` before 0 with the rows that led to its status (created, offered and
accepted at once; then paused for research, or answered and left), at that time, after one
activity row putting each agent holding work Available; its agent is chosen by
sim.domain.initial.placements. What is still to do is drawn on streams of its own: the
research a paused task needs, whether and when the customer of a left conversation answers
(its reply delay counted from 0), and the replies to the assigned tasks, when the agent takes
them up.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import count
from typing import Any

from sim.domain.carried import (
    Call,
    Carried,
    CarriedAgent,
    CarriedConversation,
    CarriedTask,
    CarriedWork,
    EndState,
    History,
)
from sim.domain.distributions import uniforms
from sim.domain.initial import Group, Pending, placements
from sim.domain.lifecycle import Event, Inbound, WrapReason
from sim.domain.scenario import Scenario
from sim.domain.streams import Streams
from sim.engine import codes
from sim.engine.backlog import age_below, priorities_of
from sim.engine.behaviour import COMPOSE, duration

Row = tuple[float, str, int, int, str | None, str]
OPENED = (Event.CONVERSATION_CREATED, Event.MESSAGE_INBOUND, Event.TASK_CREATED,
          Event.RESERVATION_CREATED, Event.RESERVATION_ACCEPTED)
ANSWERED_AND_LEFT = (Event.WORKER_WORK_STARTED, Event.MESSAGE_OUTBOUND, Event.TASK_WRAPUP,
                     Event.CONVERSATION_INACTIVE, Event.WORKER_WORK_STARTED,
                     Event.TASK_COMPLETED)


def opening(scenario: Scenario, skills: list[str], streams: Streams) -> Carried:
    return _Opening(scenario, skills, streams).carried()


class _Opening:
    def __init__(self, scenario: Scenario, skills: list[str], streams: Streams) -> None:
        self.scenario = scenario
        self.skills = skills
        self.streams = streams
        self.ids = count(1)
        self.rows: list[Row] = []
        self.conversations: list[CarriedConversation] = []
        self.tasks: list[CarriedTask] = []
        self.replies: list[Call] = []
        self.queued: dict[str, list[CarriedWork]] = {}
        self.last: dict[str, float] = {}
        self.groups = {f"{g.name}-{i + 1}": g for g in scenario.agents for i in range(g.count)}
        # streams of their own, taken when first needed
        self._research_times: dict[str, Callable[[], float]] = {}
        self._uniform: Callable[[], float] | None = None
        self._delay: Callable[[], float] | None = None

    def carried(self) -> Carried:
        initial, flex = self.scenario.initial, self.scenario.flex
        assigned = [(next(self.ids), *item) for item in
                    self._items("assigned", initial.assigned, None)]
        for age, skill, priority, agent in self._items("paused", initial.paused,
                                                       (flex.pause.expiry, "flex.pause.expiry")):
            self._paused(next(self.ids), 0.0 - age, skill, priority, agent,
                         flex.pause.expiry - age)
        for age, skill, priority, agent in self._items(
                "inactive_conversations", initial.inactive_conversations,
                (flex.leave.window, "flex.leave.window")):
            self._left(next(self.ids), 0.0 - age, skill, priority, agent,
                       flex.leave.window - age)
        # A paused or left task held its agent's slot for an instant: an assigned task of the
        # same agent is accepted after the last of those, so no instant holds more than its
        # capacity (which the assigned tasks alone may fill).
        moments = dict(self.last)
        for number, age, skill, priority, agent in assigned:
            self._assigned(number, 0.0 - age, skill, priority, agent,
                           max(0.0 - age, moments.get(agent, -math.inf)))
        next_id = next(self.ids)
        state = EndState(ended_at=self.scenario.start.isoformat(), next_conversation=next_id,
                         next_task=next_id, agents=self._agents(),
                         conversations=tuple(self.conversations), tasks=tuple(self.tasks),
                         replies=tuple(self.replies))
        return Carried(state=state, history=self._history(), source="initial")

    def _items(self, section: str, part: Pending, limit: tuple[float, str] | None
               ) -> list[tuple[float, str, int, str]]:
        """(age, skill, priority, agent) of each, per skill in the skills' order."""
        counts = {skill: n for skill in self.skills if (n := part.counts.get(skill, 0))}
        if not counts:
            return []
        chosen = placements(self._group_tuples(), counts, slots=section == "assigned")
        assert not isinstance(chosen, str), chosen  # validation refused what does not fit
        draw = part.age.sampler(self.streams.generator(f"initial.{section}.age"))
        priorities = priorities_of(self.scenario, self.streams, sum(counts.values()), section)
        return [(float(draw()) if limit is None else age_below(draw, *limit, section),
                 skill, next(priorities), agent)
                for skill in counts for agent in chosen[skill]]

    def _group_tuples(self) -> list[Group]:
        return [(g.name, g.count, g.capacity, tuple(g.skills)) for g in self.scenario.agents]

    # one item each -------------------------------------------------------------------------

    def _opened(self, number: int, at: float, skill: str, priority: int, agent: str,
                accepted: float | None = None) -> None:
        """Rows of a new conversation whose task `agent` accepted then (default: at once)."""
        accepted = at if accepted is None else accepted
        details = (Inbound.NEW.value, Inbound.NEW.value, f"{skill}:{priority}", "", "")
        for event, detail in zip(OPENED, details, strict=True):
            task = -1 if event in OPENED[:2] else number
            owner = agent if event in OPENED[3:] else None
            when = accepted if event in OPENED[3:] else at
            self.rows.append((when, event.value, task, number, owner, detail))
        self.last[agent] = max(self.last.get(agent, -math.inf), accepted)

    def _task(self, number: int, at: float, status: str, agent: str | None,
              **more: Any) -> None:
        self.tasks.append(CarriedTask(
            id=number, conversation=number, created=at, status=status, agent=agent,
            offer_number=1, offer_status="accepted", **more))

    def _conversation(self, number: int, skill: str, priority: int, **more: Any) -> None:
        self.conversations.append(CarriedConversation(
            id=number, skill=skill, priority=priority, task=number, task_id=number, **more))

    def _assigned(self, number: int, at: float, skill: str, priority: int, agent: str,
                  accepted: float) -> None:
        self._opened(number, at, skill, priority, agent, accepted)
        self._task(number, at, "assigned", agent, research_left=0.0)
        self._conversation(number, skill, priority, status="active")
        self.queued.setdefault(agent, []).append(
            CarriedWork(kind=COMPOSE, task=number, started=False))

    def _paused(self, number: int, at: float, skill: str, priority: int, agent: str,
                expiry_in: float) -> None:
        self._opened(number, at, skill, priority, agent)
        self.rows.append((at, Event.TASK_PAUSED.value, number, number, agent, "research"))
        research = self._research(agent)
        self._task(number, at, "paused", agent, pause_expiry_in=expiry_in,
                   research_in=research, research_left=research, research_total=research)
        self._conversation(number, skill, priority, status="active")

    def _left(self, number: int, at: float, skill: str, priority: int, agent: str,
              window_in: float) -> None:
        self._opened(number, at, skill, priority, agent)
        details = ("compose", "", WrapReason.LEAVE.value, "", "wrapup", "")
        for event, detail in zip(ANSWERED_AND_LEFT, details, strict=True):
            self.rows.append((at, event.value, number, number, agent, detail))
        self._task(number, at, "completed", None, replies_sent=1,
                   wrap_reason=codes.WRAP_LEAVE)
        self._conversation(number, skill, priority, status="inactive", left_by=agent,
                           window_in=window_in)
        if self._answers():
            self.replies.append(Call(due_in=self._reply_delay(), what=number))

    # draws ---------------------------------------------------------------------------------

    def _research(self, agent: str) -> float:
        group = self.groups[agent]
        draw = self._research_times.get(group.name)
        if draw is None:
            draw = self._research_times[group.name] = duration(
                group.handling.research.duration, self.streams,
                f"initial.paused.{group.name}.research")
        return float(draw())

    def _answers(self) -> bool:
        chance = self.scenario.customers.reply_probability.awaiting
        if not 0 < chance < 1:
            return chance >= 1
        if self._uniform is None:
            self._uniform = uniforms(self.streams.generator(
                "initial.inactive_conversations.reply"))
        return bool(self._uniform() < chance)

    def _reply_delay(self) -> float:
        if self._delay is None:
            self._delay = duration(self.scenario.customers.reply_delay, self.streams,
                                   "initial.inactive_conversations.reply_delay")
        return float(self._delay())

    # the result ----------------------------------------------------------------------------

    def _agents(self) -> tuple[CarriedAgent, ...]:
        holding = sorted(set(self.last), key=list(self.groups).index)
        return tuple(CarriedAgent(name=name, activity="available",
                                  last_reserved=self.last[name],
                                  queued=tuple(self.queued.get(name, ())))
                     for name in holding)

    def _history(self) -> History:
        """The rows in time order, after one Available row per agent holding work."""
        first = min((row[0] for row in self.rows), default=0.0)
        available = [(first, Event.WORKER_ACTIVITY_UPDATE.value, -1, -1, name, "Available")
                     for name in sorted(self.last, key=list(self.groups).index)]
        rows = available + sorted(self.rows, key=lambda row: row[0])
        columns = list(zip(*rows, strict=True)) if rows else [()] * 6
        return History(time=columns[0], event=columns[1], task=columns[2],
                       conversation=columns[3], agent=columns[4], detail=columns[5])
