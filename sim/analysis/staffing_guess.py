"""The analytic first guess a staffing search starts from: the scenario read as one pooled
M/M/c queue (Erlang C), or M/M/c+M (Erlang A) for the share the TTL cancels.

Agents are the servers. A task occupies one for the tighter of its hands work (compose and
wrap-up) and its slot time (offer response, research without Pause, hands work, the hold for
a reply) divided by the agent's capacity; arrivals are new conversations times the tasks each
one makes; agents count by the share of the week they are on duty. Skills, shifts and the
daily pattern are pooled away, so outside M/M/c the guess is only where the search begins:
the simulation decides. For an M/M/c scenario (capacity 1, around the clock, instant accept,
no replies, exponential handling) it is exact: the service level is P(W + X <= threshold),
X the part of the service before the reply (theory.response_level): Erlang C's P(W <= t)
when the reply goes out on acceptance, the time in system when it ends the service.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.analysis import theory
from sim.analysis.staffing_targets import Goal
from sim.domain.durations import DAY, WEEK
from sim.domain.scenario import AgentGroup, Scenario, seconds_of_day

OCCUPANCY = 0.85  # for a KPI without a formula: staff so agents are busy 85% of the time
_PERCENTILE = {"first_response_time_p50": 0.5, "first_response_time_p90": 0.9}


@dataclass(frozen=True)
class Load:
    rate: float  # tasks per second
    hold: float  # seconds a task occupies an agent
    before_reply: float  # mean seconds of that before the first reply
    before_accept: float  # mean seconds an offer waits for the agent's answer
    patience: float  # the task TTL

    @property
    def erlangs(self) -> float:
        return self.rate * self.hold


def load_of(scenario: Scenario) -> Load:
    groups = [group for group in scenario.agents if group.count > 0] or scenario.agents
    weights = [float(group.count) or 1.0 for group in groups]

    def mean(value: Callable[[AgentGroup], float]) -> float:
        return sum(w * value(g) for w, g in zip(weights, groups, strict=True)) / sum(weights)

    tasks = 1 / max(1e-9, 1 - mean(_replies_per_task(scenario)))
    daily = scenario.arrivals.per_day * sum(scenario.arrivals.weekday_weights) / 7
    research = mean(_research) / tasks  # the first task of a conversation only
    slot = 0.0 if scenario.flex.pause.enabled else mean(  # a paused task holds no slot
        lambda g: _research(g) / g.capacity) / tasks
    return Load(daily * tasks / DAY, mean(_hold) + slot, mean(_before_reply) + research,
                mean(lambda g: g.reservation.response_time.expected()), scenario.flex.task_ttl)


def _replies_per_task(scenario: Scenario) -> Callable[[AgentGroup], float]:
    replies = scenario.customers.reply_probability
    return lambda g: (g.handling.resolve_probability * replies.resolved
                      + (1 - g.handling.resolve_probability) * replies.awaiting)


def _research(group: AgentGroup) -> float:
    research = group.handling.research
    return research.probability * research.duration.expected()


def _hands(group: AgentGroup) -> float:
    return group.handling.compose.expected() + group.handling.wrapup.expected()


def _hold(group: AgentGroup) -> float:
    """The tighter of an agent's two limits: its one pair of hands, or its slots, which a
    task holds for its hands work and also while the offer waits and while it is held open
    for the customer's reply."""
    slot = (group.reservation.response_time.expected() + _hands(group)
            + (1 - group.handling.resolve_probability) * group.handling.hold_for_reply)
    return max(_hands(group), slot / group.capacity)


def _before_reply(group: AgentGroup) -> float:
    return group.reservation.response_time.expected() + group.handling.compose.expected()


def on_duty(group: AgentGroup) -> float:
    """Share of the week an agent of the group is on shift and not absent."""
    shift = group.shift
    hours = len(shift.days) * (seconds_of_day(shift.end) - seconds_of_day(shift.start))
    absent = group.absence.probability_per_day * group.absence.duration.expected() / DAY
    return hours / WEEK / (1 + absent)


def servers_for(goal: Goal, load: Load, threshold: float) -> int:
    """On-duty agents the formulas say `goal` needs (the occupancy rule without one)."""
    if load.rate <= 0 or load.hold <= 0:
        return 1
    met = _formula(goal, load, threshold)
    first = 1 if goal.kpi == "unanswered_rate" else math.floor(load.erlangs) + 1
    last = first + 10 * math.ceil(math.sqrt(load.erlangs)) + 100
    if met is not None:
        for servers in range(first, last + 1):
            if met(servers):
                return servers
    return max(1, math.ceil(load.erlangs / OCCUPANCY))


def _formula(goal: Goal, load: Load, threshold: float) -> Callable[[int], bool] | None:
    lam, hold, value = load.rate, load.hold, goal.value
    if goal.kpi == "service_level":
        return lambda c: theory.response_level(c, lam, hold, threshold,
                                               load.before_reply) >= value
    if goal.kpi in _PERCENTILE:
        q = _PERCENTILE[goal.kpi]
        return lambda c: theory.response_level(c, lam, hold, value, load.before_reply) >= q
    if goal.kpi == "wait_to_accept_p90":
        return lambda c: theory.response_level(c, lam, hold, value, load.before_accept) >= 0.9
    if goal.kpi == "unanswered_rate":
        return lambda c: theory.erlang_a_abandonment(c, lam, hold, load.patience) <= value
    if goal.kpi == "queued_tasks_mean":
        return lambda c: theory.erlang_c(c, lam * hold) * lam * hold / (c - lam * hold) <= value
    return None


def first_guess(scenario: Scenario, goals: Sequence[Goal], groups: Sequence[str]
                ) -> dict[str, int]:
    """Counts of the varied groups meeting every goal by the formulas: the on-duty agents
    needed, less those of the groups that do not vary, shared out in proportion to the
    varied groups' counts in the scenario (evenly when they are all 0)."""
    load = load_of(scenario)
    threshold = scenario.kpis.service_level_threshold
    needed = max(servers_for(goal, load, threshold) for goal in goals)
    fixed = sum(g.count * on_duty(g) for g in scenario.agents if g.name not in groups)
    varied = [scenario.group(name) for name in groups]
    shares = [float(g.count) for g in varied] if any(g.count for g in varied) else [
        1.0] * len(varied)
    rest = max(0.0, needed - fixed)
    return {g.name: math.ceil(rest * share / sum(shares) / max(on_duty(g), 1e-9) - 1e-9)
            for g, share in zip(varied, shares, strict=True)}
