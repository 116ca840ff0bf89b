"""What a KPI needs beyond the event log: the measured window, the agents' capacities, and
the longest an offer, a pause or a Leave can wait for its outcome."""

from __future__ import annotations

from dataclasses import dataclass

from sim.domain.scenario import Scenario


@dataclass(frozen=True)
class Context:
    """What the log alone does not say: the measured window, the agents' capacities, and the
    longest an offer, a pause or a Leave can wait for its outcome."""

    warmup: float
    horizon: float
    service_level_threshold: float
    capacity: dict[str, int]
    reservation_timeout: float = 0.0
    pause_expiry: float = 0.0
    leave_window: float = 0.0

    @classmethod
    def of(cls, scenario: Scenario) -> Context:
        capacity = {f"{group.name}-{i + 1}": group.capacity
                    for group in scenario.agents for i in range(group.count)}
        flex = scenario.flex
        return cls(scenario.warmup, scenario.horizon, scenario.kpis.service_level_threshold,
                   capacity, flex.reservation_timeout, flex.pause.expiry, flex.leave.window)
