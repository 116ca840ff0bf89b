"""The state a run starts from (`initial:` in a scenario): work already in the center at 0.

    initial:
      pending: {billing: 40, tech: 12, age: {dist: uniform, low: 0s, high: 6h}}
      assigned: {billing: 10, age: 30m}
      paused: {tech: 3, age: {dist: uniform, low: 1h, high: 1d}}
      inactive_conversations: {billing: 25, age: {dist: uniform, low: 0s, high: 2d}}

Each section gives, per skill, how many there are at time 0, and `age` (default 0 s), how
long before 0 each began: `pending` tasks wait in the queue, created `age` ago (the TTL and
the response time count from then); `assigned` tasks are held by an agent, created and
accepted `age` ago, their reply not yet written; `paused` tasks were paused for research
`age` ago (the pause expiry counts from then); `inactive_conversations` were left by their
agent (Leave) `age` ago (the window counts from then). Every other key is a skill. Assigned
and paused tasks go to agents serving their skill, spread evenly (`placements`); a run
continued from another's end (`ccsim run --from`) takes all of this from that run instead.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from sim.domain.distributions import Constant, Distribution, Empirical, Uniform
from sim.domain.durations import DurationError, format_duration, parse_duration
from sim.domain.numbers import Whole, at_most

MAX_PENDING = 1_000_000
PendingCount = Annotated[Whole, Field(ge=0), at_most(
    MAX_PENDING, "pending tasks of a skill: each one is simulated one by one")]
AGE = "age"
Loc = tuple[str | int, ...]
_AGE: TypeAdapter[Distribution] = TypeAdapter(Distribution)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Pending(_Model):
    """Tasks waiting at time 0: a count per skill (the extra keys) and their age."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)
    __pydantic_extra__: dict[str, PendingCount] = Field(init=False)

    age: Distribution = Constant(dist="constant", value=0.0)

    @property
    def counts(self) -> dict[str, int]:
        """Pending tasks by skill, as the file lists them."""
        return dict(self.model_extra or {})


class Assigned(Pending):
    """Tasks an agent holds at time 0, the reply not yet written: a count per skill."""


class Paused(Pending):
    """Tasks paused for research at time 0 (needs flex.pause.enabled)."""


class Inactive(Pending):
    """Conversations an agent left (Leave) before time 0 (needs flex.leave.enabled)."""


class Initial(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              populate_by_name=True)

    pending: Pending = Pending()
    assigned: Assigned = Assigned()
    paused: Paused = Paused()
    inactive_conversations: Inactive = Inactive()
    # `from:` in a file: a results folder whose end state the run continues from (ccsim run
    # --from); relative to the scenario file's folder, written out absolute once resolved
    start_from: str | None = Field(default=None, alias="from")

    @property
    def empty(self) -> bool:
        """An empty start: no section lists a skill and nothing to continue from."""
        return self.start_from is None and not any(part.counts for part in (
            self.pending, self.assigned, self.paused, self.inactive_conversations))

    @property
    def conversations(self) -> int:
        """Conversations there at time 0, in all sections (each has one of its own)."""
        return sum(sum(part.counts.values()) for part in (
            self.pending, self.assigned, self.paused, self.inactive_conversations))

    @property
    def held(self) -> bool:
        """Whether any agent holds something at time 0 (assigned, paused or left)."""
        return any(any(part.counts.values()) for part in (
            self.assigned, self.paused, self.inactive_conversations))


SECTIONS = ("pending", "assigned", "paused", "inactive_conversations")
OVER = {"pending": "a task that old was canceled by the TTL and is no longer pending",
        "paused": "a pause that old has expired and its task is back in the queue",
        "inactive_conversations": "a conversation left that long ago was closed by its "
                                  "window"}
Group = tuple[str, int, int, tuple[str, ...]]  # name, count, capacity, skills


def placements(groups: list[Group], counts: dict[str, int], slots: bool
               ) -> dict[str, list[str]] | str:
    """The agent (`group-i`) of each task, per skill in the given order: every task to the
    agent serving its skill that holds the fewest so far (ties in scenario order); with
    `slots`, within each agent's capacity. A problem's text where they do not fit."""
    agents = [(f"{name}-{i + 1}", capacity, skills) for name, count, capacity, skills
              in groups for i in range(count)]
    held = {name: 0 for name, _, _ in agents}
    chosen: dict[str, list[str]] = {}
    for skill, n in counts.items():
        serving = [(name, capacity) for name, capacity, skills in agents if skill in skills]
        chosen[skill] = []
        for _ in range(n):
            free = [(held[a], i, a) for i, (a, c) in enumerate(serving)
                    if not slots or held[a] < c]
            if not free:
                return (f"{n} {skill} tasks do not fit: the agents serving {skill} have "
                        f"{sum(c for _, c in serving)} slots in all")
            agent = min(free)[2]
            held[agent] += 1
            chosen[skill].append(agent)
    return chosen


def youngest(age: Distribution) -> float:
    """The least age the distribution can draw."""
    if isinstance(age, Constant):
        return age.value
    if isinstance(age, Uniform):
        return age.low
    if isinstance(age, Empirical):
        return min(age.values)
    return 0.0


def initial_problems(data: dict[str, Any], skills: set[str], defaults: dict[str, float]
                     ) -> list[tuple[Loc, str]]:
    """Skills no agent serves, ages the state could not have (a pending task older than the
    TTL was canceled, a pause older than its expiry expired, a Leave older than its window
    closed), paused or left work with Pause or Leave off, and assigned tasks beyond the
    agents' slots (on a validated scenario's dump, or a raw file tree: what does not parse
    is left to the schema's own messages). `defaults`: flex's, by dotted key (task_ttl,
    pause.expiry, leave.window)."""
    initial = data.get("initial")
    if not isinstance(initial, dict):
        return []
    problems: list[tuple[Loc, str]] = []
    for section in SECTIONS:
        part = initial.get(section)
        if isinstance(part, dict):
            problems += _section_problems(section, part, data, skills, defaults)
    assigned = initial.get("assigned")
    if isinstance(assigned, dict) and not problems:
        problems += _slot_problems(data, assigned)
    given = [section for section in SECTIONS if isinstance(initial.get(section), dict)
             and any(_count(n) for k, n in initial[section].items() if k != AGE)]
    if initial.get("from") is not None and given:
        problems.append((("initial", "from"), f"from and {', '.join(given)} both give the "
                         "state at time 0; give one of them"))
    return problems


def _section_problems(section: str, part: dict[str, Any], data: dict[str, Any],
                      skills: set[str], defaults: dict[str, float]) -> list[tuple[Loc, str]]:
    where: Loc = ("initial", section)
    problems: list[tuple[Loc, str]] = [
        ((*where, skill), f"{skill!r} is not a skill of any agent group (skills: "
         f"{', '.join(sorted(skills))}); every key of {section} but '{AGE}' is a skill")
        for skill in part if skill != AGE and str(skill) not in skills]
    needs = _needs(section, data, defaults)
    if needs is None:
        return problems
    limit, what, switch = needs
    if switch is not None and any(_count(n) for k, n in part.items() if k != AGE):
        problems.append((where, f"{section} needs {switch}: true"))
    least = _least(part.get(AGE))
    if least is not None and limit is not None and least >= limit:
        problems.append(((*where, AGE), f"every age it draws is at least {what} "
                         f"({format_duration(limit)}), but {OVER[section]}; ages must be "
                         "able to fall below it"))
    return problems


def _needs(section: str, data: dict[str, Any], defaults: dict[str, float]
           ) -> tuple[float | None, str, str | None] | None:
    """The age limit of a section, its setting's name, and the switch it needs (if off)."""
    flex = data.get("flex") if isinstance(data.get("flex"), dict) else {}
    assert isinstance(flex, dict)
    if section == "pending":
        return _seconds(flex.get("task_ttl", defaults["task_ttl"])), "flex.task_ttl", None
    name = {"paused": "pause", "inactive_conversations": "leave"}.get(section)
    if name is None:
        return None
    setting = flex.get(name) if isinstance(flex.get(name), dict) else {}
    assert isinstance(setting, dict)
    field = "expiry" if name == "pause" else "window"
    limit = _seconds(setting.get(field, defaults[f"{name}.{field}"]))
    switch = None if setting.get("enabled") is True else f"flex.{name}.enabled"
    return limit, f"flex.{name}.{field}", switch


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _slot_problems(data: dict[str, Any], assigned: dict[str, Any]) -> list[tuple[Loc, str]]:
    groups = _groups(data)
    counts = {str(k): _count(n) for k, n in assigned.items() if k != AGE}
    if groups is None:
        return []
    found = placements(groups, counts, slots=True)
    return [(("initial", "assigned"), found)] if isinstance(found, str) else []


def _groups(data: dict[str, Any]) -> list[Group] | None:
    try:
        return [(str(g["name"]), int(g.get("count", 1)), int(g.get("capacity", 1)),
                 tuple(str(skill) for skill in g["skills"])) for g in data["agents"]]
    except (KeyError, TypeError, ValueError):
        return None


def _seconds(value: object) -> float | None:
    try:
        return parse_duration(value)
    except (DurationError, ValueError, TypeError):
        return None


def _least(age: object) -> float | None:
    if age is None:
        return None
    try:
        return youngest(_AGE.validate_python(age))
    except ValidationError:
        return None
