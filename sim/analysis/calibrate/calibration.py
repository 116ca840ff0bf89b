"""Calibrate a scenario to an observed log: every fitting module in turn, then the commented
YAML, validated like any scenario file."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.analysis.calibrate import behaviour
from sim.analysis.calibrate.arrivals import fit_arrivals
from sim.analysis.calibrate.customers import fit_customers
from sim.analysis.calibrate.flexsettings import fit_flex
from sim.analysis.calibrate.groups import Group, duty_intervals, fit_groups
from sim.analysis.calibrate.rebuild import Observed
from sim.analysis.calibrate.scenario_yaml import render
from sim.analysis.calibrate.settings import Settings
from sim.domain.durations import format_duration
from sim.domain.scenario import Scenario
from sim.domain.scenario_file import parse_scenario


class CalibrationError(ValueError):
    """An export that says too little to calibrate a scenario (one line, why)."""


@dataclass
class Calibration:
    observed: Observed
    settings: Settings
    groups: list[Group]
    text: str  # the commented scenario file
    scenario: Scenario
    warnings: list[str] = field(default_factory=list)

    def group_of(self) -> dict[str, str]:
        """Observed agent name -> the group it was put in."""
        return {agent: group.name for group in self.groups for agent in group.agents}


def _frame_settings(observed: Observed, name: str, sources: list[str],
                    settings: Settings) -> None:
    settings.fitted(("name",), name, "")
    settings.fitted(("description",), f"Calibrated by ccsim calibrate from "
                    f"{', '.join(sources)}", "")
    settings.fitted(("start",), observed.start.isoformat(timespec="minutes"),
                    "local midnight of the first day observed (the calendar's weekdays)")
    settings.fitted(("horizon",), format_duration(round(observed.horizon)),
                    "the window observed, so the back-test simulates the same span")
    settings.fitted(("warmup",), "0s", "the observed center was already running: KPIs of "
                    "the export count from its first event, so the simulation's do too "
                    "(its first day starts empty; lengthen this to measure it settled)")
    settings.fitted(("replications",), 5, "")


def calibrate(observed: Observed, name: str, sources: list[str],
              group_by: str | None = None) -> Calibration:
    if not observed.workers:
        raise CalibrationError("no worker in the export (no reservation or activity event): "
                               "agent groups cannot be inferred")
    settings = Settings()
    warnings: list[str] = []
    _frame_settings(observed, name, sources, settings)
    frame = observed.frame
    fit_flex(frame, settings)
    fit_arrivals(observed, settings)
    groups = fit_groups(observed, group_by, settings, warnings)
    offers = behaviour.offers(frame)
    sent = behaviour.replies(frame)
    duty = duty_intervals(frame, observed.horizon)
    for index, group in enumerate(groups):
        behaviour.fit_reservations(index, group, offers, settings)
        behaviour.fit_handling(index, group, frame, sent, duty, settings)
        behaviour.fit_research(index, group, frame, settings)
    fit_customers(frame, sent, observed.horizon, settings)
    header = [f"{name}: calibrated by `ccsim calibrate` from {len(frame):,} log rows rebuilt "
              f"from {', '.join(sources)}.",
              "Check it with `ccsim validate`, then compare it with what was observed: "
              "`ccsim backtest` (or `ccsim calibrate --check`).", *warnings]
    text = render(settings, header)
    scenario = parse_scenario(text, f"{name}.yaml")
    return Calibration(observed, settings, groups, text, scenario, warnings)
