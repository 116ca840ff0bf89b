"""The state a run starts from (`initial:` in a scenario): a backlog of pending tasks.

    initial:
      pending: {billing: 40, tech: 12, age: {dist: uniform, low: 0s, high: 6h}}

`pending` gives, per skill, how many tasks wait in the queue at time 0 (each in its own new
conversation), and `age`, how long ago each was created (default 0 s): the TTL counts from
that creation, and a task's response time too. Every other key of `pending` is a skill.
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


class Initial(_Model):
    pending: Pending = Pending()


def youngest(age: Distribution) -> float:
    """The least age the distribution can draw."""
    if isinstance(age, Constant):
        return age.value
    if isinstance(age, Uniform):
        return age.low
    if isinstance(age, Empirical):
        return min(age.values)
    return 0.0


def initial_problems(data: dict[str, Any], skills: set[str], default_ttl: float
                     ) -> list[tuple[Loc, str]]:
    """Pending skills no agent serves, and ages the TTL would already have canceled (on a
    validated scenario's dump, or a raw file tree: what does not parse is left to the
    schema's own messages)."""
    pending = (data.get("initial") or {}).get("pending") if isinstance(
        data.get("initial"), dict) else None
    if not isinstance(pending, dict):
        return []
    where: Loc = ("initial", "pending")
    problems: list[tuple[Loc, str]] = [
        ((*where, skill), f"{skill!r} is not a skill of any agent group (skills: "
         f"{', '.join(sorted(skills))}); every key of pending but '{AGE}' is a skill")
        for skill in pending if skill != AGE and str(skill) not in skills]
    flex = data.get("flex")
    ttl = _seconds(flex.get("task_ttl", default_ttl) if isinstance(flex, dict) else
                   default_ttl)
    least = _least(pending.get(AGE))
    if least is not None and ttl is not None and least >= ttl:
        problems.append(((*where, AGE), "every age it draws is at least flex.task_ttl "
                         f"({format_duration(ttl)}), but a task that old was canceled by "
                         "the TTL and is no longer pending; ages must be able to fall below "
                         "the TTL"))
    return problems


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
