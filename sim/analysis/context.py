"""What a KPI needs beyond the event log: the measured window, how long a task is followed
up, the agents' capacities and groups, and the longest an offer, a pause or a Leave can wait
for its outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.domain.scenario import Scenario


@dataclass(frozen=True)
class Context:
    warmup: float
    horizon: float
    service_level_threshold: float
    capacity: dict[str, int]  # agent name -> slots
    reservation_timeout: float = 0.0
    pause_expiry: float = 0.0
    leave_window: float = 0.0
    # Response KPIs follow tasks created at least this long before the horizon (docs/kpis.md).
    follow_up: float = 0.0
    groups: dict[str, str] = field(default_factory=dict)  # agent name -> group (default: prefix)
    skills: tuple[str, ...] = ()  # the order views list skills in (default: as they appear)

    @classmethod
    def of(cls, scenario: Scenario) -> Context:
        capacity, groups = {}, {}
        for group in scenario.agents:
            for i in range(group.count):
                capacity[f"{group.name}-{i + 1}"] = group.capacity
                groups[f"{group.name}-{i + 1}"] = group.name
        flex = scenario.flex
        return cls(scenario.warmup, scenario.horizon, scenario.kpis.service_level_threshold,
                   capacity, flex.reservation_timeout, flex.pause.expiry, flex.leave.window,
                   scenario.kpis.follow_up, groups, tuple(scenario.skills))

    @property
    def cohort_end(self) -> float:
        """Tasks created before this are the response cohort (created at or after warm-up)."""
        return self.horizon - max(self.follow_up, self.service_level_threshold)

    def group_of(self, agent: str) -> str:
        return self.groups.get(agent) or agent.rsplit("-", 1)[0]

