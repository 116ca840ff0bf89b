"""A replication's parts, as what reads its end state and what restores one see them
(sim.engine.endstate, sim.engine.carry): sim.engine.model's Replication is one."""

from __future__ import annotations

from typing import Protocol

import simpy

from sim.domain.scenario import Scenario
from sim.engine.agents import Agent
from sim.engine.clock import Agenda
from sim.engine.customers import Customers
from sim.engine.eventlog import EventLog
from sim.engine.router import Router


class Parts(Protocol):
    scenario: Scenario
    env: simpy.Environment
    agenda: Agenda
    skills: list[str]
    segment: int
    log: EventLog
    router: Router
    customers: Customers
    agents: list[Agent]
