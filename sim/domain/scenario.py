"""The scenario: every setting of DESIGN.md section 2 as typed, validated, frozen objects.

Defaults are the platform's (Flex/TaskRouter) where it has one; elsewhere they are the
modelling choices documented in docs/model.md. A scenario states only what differs.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sim.domain.distributions import Constant, Distribution, Duration, Exponential, LogNormal
from sim.domain.durations import DAY, HOUR, MINUTE, SECOND, format_duration
from sim.domain.initial import Initial, initial_problems
from sim.domain.numbers import Flag, Real, Whole, at_most

Probability = Annotated[Real, Field(ge=0, le=1)]
Count = Annotated[Whole, Field(ge=0)]
MAX_AGENTS_PER_GROUP = 10_000
MAX_PER_DAY = 10_000_000
AgentCount = Annotated[Count, at_most(
    MAX_AGENTS_PER_GROUP, "agents in a group: each agent is simulated one by one, and far "
    "more than any team would exhaust memory and time")]
Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", max_length=64)]

HIPAA_REFUSAL = (
    "email in Twilio Flex is not a HIPAA eligible service and must not be used in "
    "workflows subject to HIPAA; this scenario is refused (R17)"
)


def _made(factory: Any, **constraints: Any) -> Any:
    """A field whose default is made fresh for each scenario; the schema still shows it."""
    return Field(default_factory=factory, json_schema_extra={"default": factory()},
                 **constraints)


def _bounded(low: float, high: float, what: str) -> Any:
    def check(seconds: float) -> float:
        if not low <= seconds <= high:
            raise PydanticCustomError(
                "duration_range",
                "{what} must be between {low} and {high}",
                {"what": what, "low": format_duration(low), "high": format_duration(high)},
            )
        return seconds

    return AfterValidator(check)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


ALL_DAYS = tuple(Weekday)
_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")


def seconds_of_day(clock: str) -> float:
    """Seconds since midnight of an `HH:MM` time (`24:00` is the end of the day)."""
    match = _CLOCK.match(clock)
    if match is None:
        raise ValueError(f"{clock!r} is not a time of day HH:MM")
    return int(match[1]) * HOUR + int(match[2]) * MINUTE


def _clock_time(value: object) -> str:
    if not isinstance(value, str) or not _CLOCK.match(value):
        raise PydanticCustomError(
            "clock_time", "expected a time of day as quoted \"HH:MM\", got {value}",
            {"value": repr(value)},
        )
    hours, minutes = int(value[:2]), int(value[3:])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise PydanticCustomError(
            "clock_time", "{value} is not a time of day (00:00 to 24:00)",
            {"value": repr(value)},
        )
    return value


ClockTime = Annotated[str, BeforeValidator(_clock_time)]


class Shift(Model):
    """Weekly working hours; the default is around the clock, every day."""

    days: list[Weekday] = _made(lambda: list(ALL_DAYS), min_length=1)
    start: ClockTime = "00:00"
    end: ClockTime = "24:00"

    @field_validator("days")
    @classmethod
    def _no_repeats(cls, days: list[Weekday]) -> list[Weekday]:
        if len(set(days)) != len(days):
            raise PydanticCustomError("repeated_day", "a day is listed twice")
        return days

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: str, info: ValidationInfo) -> str:
        start = info.data.get("start")
        if start is not None and seconds_of_day(end) <= seconds_of_day(start):
            raise PydanticCustomError(
                "shift_order",
                "shift ends at {end} but starts at {start}; the end must be later "
                "(shifts do not cross midnight; use 24:00 for the end of the day)",
                {"end": end, "start": start},
            )
        return end


class Absence(Model):
    """Whole days off: each day an agent on duty starts an absence with this probability."""

    probability_per_day: Probability = 0.0
    duration: Distribution = Constant(dist="constant", value=DAY)


class ReservationBehaviour(Model):
    """How an agent answers an offer (R3): after response_time, accept or reject."""

    response_time: Distribution = Exponential(dist="exponential", mean=30 * SECOND)
    reject_probability: Probability = 0.0


class Research(Model):
    """Emails that need research before the first reply (A3). Whether an email needs it, and
    for how long, is decided once, by the group of the agent who first accepts it."""

    probability: Probability = 0.0
    duration: Distribution = Exponential(dist="exponential", mean=DAY)
    # R10: what a pause expiry does to research this group's agents began. `keep`: what was
    # found stays in the thread, so the next agent only does what is left (nothing when it
    # was finished); `restart`: it is lost and the next agent starts again from zero.
    after_expiry: Literal["keep", "restart"] = "keep"


class Handling(Model):
    compose: Distribution = LogNormal(dist="lognormal", median=8 * MINUTE, sigma=0.5)
    research: Research = Research()
    resolve_probability: Probability = 0.5
    leave_probability: Probability = 1.0
    hold_for_reply: Duration = 2 * HOUR
    wrapup: Distribution = Constant(dist="constant", value=1 * MINUTE)


class AgentGroup(Model):
    name: Name
    count: AgentCount
    capacity: Annotated[Whole, Field(ge=1, le=100)] = 1
    skills: list[Name] = Field(min_length=1)
    shift: Shift = Shift()
    absence: Absence = Absence()
    reservation: ReservationBehaviour = ReservationBehaviour()
    handling: Handling = Handling()


class Pause(Model):
    enabled: Flag = False
    expiry: Annotated[Duration, _bounded(1 * DAY, 14 * DAY, "pause expiry")] = 14 * DAY


class Leave(Model):
    enabled: Flag = False
    window: Annotated[Duration, _bounded(1 * SECOND, 90 * DAY, "leave window")] = 90 * DAY


class Flex(Model):
    reservation_timeout: Annotated[
        Duration, _bounded(1 * SECOND, 24 * HOUR, "reservation timeout")
    ] = 2 * MINUTE
    timeout_activity: Name = "Unavailable"
    timeout_recovery: Duration = 5 * MINUTE
    task_ttl: Annotated[Duration, _bounded(1 * SECOND, 14 * DAY, "task TTL")] = 24 * HOUR
    pause: Pause = Pause()
    leave: Leave = Leave()
    reactivation_routing: Literal["any", "previous-agent"] = "any"

    @field_validator("timeout_activity")
    @classmethod
    def _distinct(cls, name: str) -> str:
        # The log must tell a missed reservation from the end of a shift (docs/model.md).
        if name.lower() in ("available", "offline"):
            raise PydanticCustomError(
                "timeout_activity",
                "the timeout activity must be an unavailable activity other than Offline "
                "(Offline is the off-shift activity), e.g. Unavailable",
            )
        return name


def _shares(shares: dict[Any, float]) -> dict[Any, float]:
    if any(share < 0 for share in shares.values()):
        raise PydanticCustomError("share", "shares must be >= 0")
    total = sum(shares.values())
    if abs(total - 1) > 1e-6:
        raise PydanticCustomError(
            "share_sum", "shares sum to {total}; they must sum to 1", {"total": f"{total:g}"}
        )
    return shares


def _weights(weights: list[float]) -> list[float]:
    if any(weight < 0 for weight in weights) or sum(weights) <= 0:
        raise PydanticCustomError("weights", "weights must be >= 0 and not all 0")
    return weights


WeekdayWeights = Annotated[
    list[Real], Field(min_length=7, max_length=7), AfterValidator(_weights)
]
HourWeights = Annotated[
    list[Real], Field(min_length=24, max_length=24), AfterValidator(_weights)
]


class Arrivals(Model):
    """New conversations per day x weekday weight, spread over the day by the hour weights."""

    per_day: Annotated[Real, Field(ge=0), at_most(
        MAX_PER_DAY, "new conversations a day: each one is simulated one by one, and more "
        "would exhaust memory")]
    weekday_weights: WeekdayWeights = _made(lambda: [1.0] * 7)
    hour_weights: HourWeights = _made(lambda: [1.0] * 24)
    skills: Annotated[dict[Name, Real], Field(min_length=1), AfterValidator(_shares)]
    priorities: Annotated[
        dict[Annotated[Whole, Field(ge=0, le=1_000_000)], Real],
        Field(min_length=1),
        AfterValidator(_shares),
    ] = _made(lambda: {0: 1.0})


class ReplyProbability(Model):
    awaiting: Probability = 0.6
    resolved: Probability = 0.05


class Customers(Model):
    reply_probability: ReplyProbability = ReplyProbability()
    reply_delay: Distribution = LogNormal(dist="lognormal", median=2 * HOUR, sigma=1.0)


class Kpis(Model):
    service_level_threshold: Annotated[Duration, Field(gt=0)] = 4 * HOUR
    # Response KPIs count tasks created at least this long (and at least the threshold)
    # before the horizon; one still unanswered at the horizon counts as never answered.
    follow_up: Duration = 1 * DAY


class Compliance(Model):
    hipaa: Flag = False

    @field_validator("hipaa")
    @classmethod
    def _refuse_hipaa(cls, hipaa: bool) -> bool:
        if hipaa:
            raise PydanticCustomError("hipaa", HIPAA_REFUSAL)
        return hipaa


def _start(value: object) -> object:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return value


def _naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        raise PydanticCustomError(
            "timezone", "start is local time of the contact center; drop the time zone"
        )
    return value


class Scenario(Model):
    name: Name
    description: str = ""
    seed: Annotated[Whole, Field(ge=0, lt=2**63)] = 1
    start: Annotated[dt.datetime, BeforeValidator(_start), AfterValidator(_naive)] = (
        dt.datetime(2026, 1, 5)  # a Monday
    )
    horizon: Annotated[Duration, _bounded(1 * HOUR, 3650 * DAY, "horizon")] = 28 * DAY
    warmup: Duration = 0.0
    replications: Annotated[Whole, Field(ge=1, le=10_000)] = 5
    flex: Flex = Flex()
    arrivals: Arrivals
    customers: Customers = Customers()
    agents: list[AgentGroup] = Field(min_length=1)
    kpis: Kpis = Kpis()
    compliance: Compliance = Compliance()
    initial: Initial = Initial()  # the state at time 0 (sim.domain.initial)

    @field_validator("warmup")
    @classmethod
    def _warmup_before_horizon(cls, warmup: float, info: ValidationInfo) -> float:
        horizon = info.data.get("horizon")
        if horizon is not None and warmup >= horizon:
            raise PydanticCustomError("warmup", "warmup ({warmup}) must be shorter than the "
                                      "horizon ({horizon})", {
                                          "warmup": format_duration(warmup),
                                          "horizon": format_duration(horizon)})
        return warmup

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        problems = cross_problems(self)
        if problems:
            raise PydanticCustomError(
                "cross_checks", "; ".join(message for _, message in problems),
                {"problems": problems},
            )
        return self

    def group(self, name: str) -> AgentGroup:
        for group in self.agents:
            if group.name == name:
                return group
        raise KeyError(name)

    @property
    def skills(self) -> list[str]:
        """Every skill, in a stable order: arrival skills first, then agents' extras."""
        names = list(self.arrivals.skills)
        for group in self.agents:
            names += [skill for skill in group.skills if skill not in names]
        return names


Loc = tuple[str | int, ...]


def cross_problems(scenario: Scenario) -> list[tuple[Loc, str]]:
    """Problems that involve several sections; each with the location it is reported at."""
    return cross_problems_of(scenario.model_dump(by_alias=True))


def cross_problems_of(data: Any) -> list[tuple[Loc, str]]:
    """The cross-section checks on plain data (a validated scenario's dump, or a raw file
    tree whose other fields may still be wrong)."""
    problems: list[tuple[Loc, str]] = []
    seen: set[object] = set()
    groups = [g for g in data.get("agents") or [] if isinstance(g, dict)]
    for index, group in enumerate(groups):
        name, skills = group.get("name"), group.get("skills") or []
        if name in seen:
            problems.append((("agents", index, "name"), f"agent group {name!r} repeats"))
        seen.add(name)
        if len(set(map(str, skills))) != len(skills):
            problems.append((("agents", index, "skills"), "a skill is listed twice"))
    served = {str(skill) for group in groups for skill in group.get("skills") or []}
    for skill in (data.get("arrivals") or {}).get("skills") or {}:
        if str(skill) not in served:
            problems.append((("arrivals", "skills", skill), f"no agent group has skill {skill!r}"))
    defaults = Flex()
    return problems + initial_problems(data, served, {
        "task_ttl": defaults.task_ttl, "pause.expiry": defaults.pause.expiry,
        "leave.window": defaults.leave.window})
