"""Build and run one replication of a scenario."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator

import simpy

from sim.domain.calendar import (
    DutyCalendar,
    Interval,
    absent_days,
    duty_intervals,
    working_days,
)
from sim.domain.carried import Carried, EndState
from sim.domain.distributions import uniforms
from sim.domain.lifecycle import Activity
from sim.domain.scenario import HIPAA_REFUSAL, AgentGroup, Scenario
from sim.domain.streams import Streams
from sim.engine import codes
from sim.engine.agents import Agent, Crew
from sim.engine.backlog import backlog
from sim.engine.behaviour import GroupBehaviour
from sim.engine.carry import CarryError, restore
from sim.engine.clock import Agenda
from sim.engine.customers import Customers
from sim.engine.endstate import end_state
from sim.engine.eventlog import EventLog
from sim.engine.opening import opening
from sim.engine.recorder import Recorder
from sim.engine.router import Router

# How often a run with a progress callback reports: a chunk of simulated time per call of
# env.run, cheap against the events of a day, and often enough to show a long run moving.
PROGRESS_EVERY = 86_400.0
Reached = Callable[[float], None]  # told the simulated time (seconds) a run has reached


class ComplianceError(ValueError):
    """R17: the scenario may not be simulated at all."""


def agent_names(scenario: Scenario) -> list[str]:
    return [f"{group.name}-{i + 1}" for group in scenario.agents for i in range(group.count)]


class Replication:
    """One replication: its agenda, streams, router, agents and customers.

    `remember=True` keeps every conversation addressable by id, for scripted tests that send
    replies themselves (`send_reply`); long runs leave it off.
    """

    def __init__(
        self,
        scenario: Scenario,
        replication: int = 0,
        seed: int | None = None,
        remember: bool = False,
        carried: Carried | None = None,
    ) -> None:
        # Setting up makes the agents, their calendars and the arrivals, objects that live
        # to the end: the collector would walk them, and everything else alive in the
        # process, again and again for nothing (about thirty collections, a full one among
        # them, for 2000 agents: as long as the setting up itself, or longer).
        with _fewer_collections():
            self._set_up(scenario, replication, seed, remember, carried)

    def _set_up(self, scenario: Scenario, replication: int, seed: int | None, remember: bool,
                carried: Carried | None) -> None:
        if scenario.compliance.hipaa:
            raise ComplianceError(HIPAA_REFUSAL)
        self.scenario = scenario
        self.env = simpy.Environment()
        self.agenda = Agenda(self.env)
        self.segment = 0 if carried is None else carried.state.segment + 1
        self.streams = Streams(scenario.seed if seed is None else seed, replication,
                               self.segment)
        self.skills = scenario.skills
        self.log = EventLog(replication, agent_names(scenario), scenario.start)
        self.recorder = Recorder(self.agenda, self.log, {
            Activity.AVAILABLE: "Available",
            Activity.OFFLINE: "Offline",
            Activity.TIMEOUT: scenario.flex.timeout_activity,
        })
        self.router = Router(self.agenda, self.recorder, scenario.flex, len(self.skills))
        self.customers = Customers(scenario, self.skills, self.agenda, self.recorder,
                                   self.router, self.streams, remember)
        self.router.conversations = self.customers
        self.agents = self._build_agents()
        if carried is None and scenario.initial.start_from is not None:
            raise CarryError(f"initial.from {scenario.initial.start_from}: the state to go on "
                             "from is read by ccsim run, compare and sweep (sim.run, ...)")
        if carried is None and scenario.initial.held:
            carried = opening(scenario, self.skills, self.streams)
        if carried is not None:  # what an earlier run left, before anything new
            restore(self, carried)
        # The backlog before anything at time 0: its rows are dated before it, oldest first.
        for age, skill, priority in backlog(scenario, self.skills, self.streams):
            self.customers.pending_at_start(skill, priority, age)
        if carried is not None and len(self.log):
            self.log.sort_by_time()  # the backlog's rows among those of the work held
        for agent in self.agents:
            agent.start()  # first, so agents on duty at t=0 are Available before any email
        self.customers.start()

    def _build_agents(self) -> list[Agent]:
        agents: list[Agent] = []
        names = iter(self.log.agent_names)
        for group in self.scenario.agents:
            crew = Crew(GroupBehaviour(group, self.streams), self.scenario.flex, self.agenda,
                        self.recorder, self.router, self.customers)
            skills = tuple(self.skills.index(skill) for skill in group.skills)
            for calendar in self._calendars(group):
                agents.append(Agent(len(agents), next(names), skills, calendar, crew))
        return agents

    def _calendars(self, group: AgentGroup) -> list[DutyCalendar]:
        scenario = self.scenario
        absence = group.absence
        uniform = uniforms(self.streams.generator(f"agents.{group.name}.absence"))
        length = absence.duration.sampler(
            self.streams.generator(f"agents.{group.name}.absence_length"))
        workdays = working_days(group.shift, scenario.start, scenario.horizon)
        calendars = []
        # Agents on the same duty share one calendar (it is only read): the cache then holds
        # one where it would hold one per agent, each read at every piece of work.
        shared: dict[tuple[Interval, ...], DutyCalendar] = {}
        for _ in range(group.count):
            off = absent_days(workdays, absence.probability_per_day, uniform, length)
            duty = tuple(duty_intervals(group.shift, scenario.start, scenario.horizon, off))
            calendar = shared.get(duty)
            if calendar is None:
                calendar = shared[duty] = DutyCalendar(list(duty))
            calendars.append(calendar)
        return calendars

    # scripted runs -------------------------------------------------------------------------

    def send_new(self, at: float, skill: str, priority: int = 0) -> None:
        """A new conversation at `at` (in addition to, or instead of, generated arrivals)."""
        skill_index = self.skills.index(skill)
        self.agenda.at(at, lambda _: self.customers.new_conversation(
            skill_index, priority, codes.NEW), None)

    def send_reply(self, at: float, conversation: int) -> None:
        """A customer email at `at` in an existing conversation (needs remember=True)."""
        assert self.customers.known is not None, "Replication(remember=True) to send replies"
        known = self.customers.known
        self.agenda.at(at, lambda _: self.customers.inbound(known[conversation]), None)

    # running -------------------------------------------------------------------------------

    def run(self, until: float | None = None, progress: Reached | None = None) -> EventLog:
        """Simulate to `until` (default: the horizon). With `progress`, in chunks of
        PROGRESS_EVERY, telling it the time reached after each; the log is the same: a stop
        at t only pauses the event queue (SimPy's stop event is one more entry in it, and
        the entries keep their order), so no event moves."""
        end = self.scenario.horizon if until is None else until
        with _fewer_collections():
            if progress is None:
                self.env.run(until=end)
                return self.log
            while self.env.now < end:
                self.env.run(until=min(self.env.now + PROGRESS_EVERY, end))
                progress(self.env.now)
        return self.log

    def end_state(self) -> EndState:
        """Where everything stands now (after `run`): what `ccsim run --from` carries on."""
        return end_state(self)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while simulating. Tasks, conversations,
    reservations and timers refer to each other, so collection is needed, but each full
    pass walks every live object: with the default thresholds a 1000-agent center spends a
    third of its time there (benchmarks/engine_scaling.py)."""
    previous = gc.get_threshold()
    gc.set_threshold(200_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def run_replication(scenario: Scenario, replication: int = 0, seed: int | None = None) -> EventLog:
    """Run one replication; `.to_frame()` on the result gives the event log DataFrame."""
    return Replication(scenario, replication, seed).run()
