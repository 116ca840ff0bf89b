"""Why a KPI has no value in a scenario, and what to change to get one (the CLI and the
report print this instead of a bare "-"); and whether the scenario can give it one at all,
which a precision goal needs before it runs."""

from __future__ import annotations

from collections.abc import Callable

from sim.analysis.catalogue import BY_NAME
from sim.domain.durations import format_duration
from sim.domain.scenario import Scenario

_PAUSE = {"pause_expiry_rate", "pause_expiry_researching_rate", "pause_expiry_off_duty_rate",
          "pause_expiry_no_slot_rate"}
_LEAVE = {"reactivation_rate", "reactivation_same_agent_rate", "reactivation_delay_mean"}
_OFFERS = {"reservation_timeout_rate", "reservation_reject_rate"}
_COHORT = {"declined_task_rate", "declines_per_task", "reassigned_to_other_agent_rate",
           "unanswered_rate", "first_response_time_p50", "first_response_time_p90",
           "first_response_time_mean_answered", "service_level", "wait_to_accept_p90",
           "wait_to_accept_mean_accepted"}
_DUTY = {"slot_occupancy", "agent_utilization"}


def why_undefined(kpi: str, scenario: Scenario) -> str:
    """A sentence: why `kpi` has no value in this scenario and what would give it one."""
    return cannot_estimate(kpi, scenario) or _FAMILIES[_family(kpi)][1](scenario)


def cannot_estimate(kpi: str, scenario: Scenario) -> str | None:
    """Why no run of this scenario can give `kpi` a value, whatever its draws (a feature
    off, a window too short for what the KPI follows); None when some run can. A precision
    goal on such a KPI is refused before anything runs."""
    return _FAMILIES[_family(kpi)][0](scenario, scenario.horizon - scenario.warmup)


def _family(kpi: str) -> str:
    if kpi not in BY_NAME:
        raise KeyError(kpi)
    return next((family for family, names in _MEMBERS.items() if kpi in names), "other")


def _d(seconds: float) -> str:
    return format_duration(seconds)


def _pause(scenario: Scenario, window: float) -> str | None:
    expiry = scenario.flex.pause.expiry
    if not scenario.flex.pause.enabled:
        return "Pause is off (flex.pause.enabled: false)"
    if not any(group.handling.research.probability > 0 for group in scenario.agents):
        return "no email needs research (handling.research.probability is 0), so none is paused"
    if expiry >= window:
        return (f"a pause can take flex.pause.expiry ({_d(expiry)}) to end, longer than the "
                f"measured window ({_d(window)}): lengthen the horizon or shorten the expiry")
    return None


def _leave(scenario: Scenario, window: float) -> str | None:
    leave = scenario.flex.leave
    if not leave.enabled:
        return "Leave is off (flex.leave.enabled: false)"
    if not any(group.handling.leave_probability > 0 and group.handling.resolve_probability < 1
               for group in scenario.agents):
        return ("no agent chooses Leave (handling.leave_probability is 0 or every reply "
                "resolves the email)")
    if leave.window >= window:
        return (f"a Leave can take flex.leave.window ({_d(leave.window)}) to end, longer than "
                f"the measured window ({_d(window)}): lengthen the horizon or shorten the "
                "window")
    return None


def _offers(scenario: Scenario, window: float) -> str | None:
    timeout = scenario.flex.reservation_timeout
    if timeout >= window:
        return (f"the reservation timeout ({_d(timeout)}) is not shorter than the measured "
                f"window ({_d(window)})")
    return _duty(scenario, window)


def _cohort(scenario: Scenario, window: float) -> str | None:
    kpis = scenario.kpis
    follow = max(kpis.follow_up, kpis.service_level_threshold)
    if follow >= window:
        return (f"response KPIs follow tasks for kpis.follow_up ({_d(kpis.follow_up)}, at "
                f"least the service-level threshold), longer than the measured window "
                f"({_d(window)}): lengthen the horizon or shorten the follow-up")
    return None


def _duty(scenario: Scenario, window: float) -> str | None:
    if all(group.count == 0 for group in scenario.agents):
        return "every agent group has count 0"
    return None


def _never(scenario: Scenario, window: float) -> str | None:
    return None


def _pause_unlucky(scenario: Scenario) -> str:
    return (f"no pause began between warm-up and {_d(scenario.flex.pause.expiry)} (the "
            "expiry) before the horizon; lengthen the horizon")


_MEMBERS = {"pause": _PAUSE, "leave": _LEAVE, "offers": _OFFERS, "cohort": _COHORT,
            "duty": _DUTY}
Cannot = Callable[[Scenario, float], str | None]  # why no run can have a value, or None
Unlucky = Callable[[Scenario], str]  # why a run that could have one had none
_FAMILIES: dict[str, tuple[Cannot, Unlucky]] = {
    "pause": (_pause, _pause_unlucky),
    "leave": (_leave, lambda s: "no Leave began early enough to end by the horizon, or none "
                                "was reactivated"),
    "offers": (_offers, lambda s: "no offer was made in the measured window (no agent on "
                                  "duty with the skill?)"),
    "cohort": (_cohort, lambda s: "no task of the response cohort (or none offered) in the "
                                  "measured window"),
    "duty": (_duty, lambda s: "no agent was on duty in the measured window (shifts, "
                              "absences, counts)"),
    "other": (_never, lambda s: "nothing to measure in the measured window"),
}
