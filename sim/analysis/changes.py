"""What a scenario changes: its settings that differ from the defaults, or from another
scenario, as dotted keys in the `--set` spelling (agent groups by name). The report shows
these so a reader sees what was chosen without reading the fully resolved file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sim.domain.scenario import AgentGroup, Scenario

# Said in the report's heading, not as settings.
NAMING = frozenset({"name", "description"})


@dataclass(frozen=True)
class Change:
    key: str  # dotted, as `--set` spells it: flex.pause.enabled, agents.tier1.count
    value: str
    other: str  # the default (or the other scenario's value); "" where it has none


def from_defaults(scenario: Scenario) -> list[Change]:
    """The settings where `scenario` differs from one that states only what is required
    (its name, arrivals and agent groups' sizes and skills), i.e. from every default."""
    return between(scenario, bare(scenario))


def between(scenario: Scenario, other: Scenario) -> list[Change]:
    """The settings where `scenario` differs from `other`, in the file's order."""
    return [c for c in _walk(scenario, other, "") if c.key not in NAMING]


def bare(model: BaseModel) -> Any:
    """The same kind of object built from its required fields only: the defaults for all
    the rest."""
    fields = type(model).model_fields
    return type(model)(**{name: _bare_value(getattr(model, name))
                          for name, field in fields.items() if field.is_required()})


def _bare_value(value: Any) -> Any:
    if _nested(value):
        return bare(value)
    if isinstance(value, list):
        return [_bare_value(item) for item in value]
    return value


def _walk(model: BaseModel, other: BaseModel, prefix: str) -> list[Change]:
    found: list[Change] = []
    for name in type(model).model_fields:
        mine, theirs = getattr(model, name), getattr(other, name)
        key = f"{prefix}{name}"
        if _nested(mine) and type(theirs) is type(mine):
            found += _walk(mine, theirs, f"{key}.")
        elif _groups(mine) and _groups(theirs):
            found += _walk_groups(mine, theirs, f"{key}.")
        elif mine != theirs:
            found.append(Change(key, text(model, name), text(other, name)))
    return found


def _walk_groups(mine: list[AgentGroup], theirs: list[AgentGroup], prefix: str
                 ) -> list[Change]:
    """Agent groups paired by name; a group only one side has is one change."""
    by_name = {group.name: group for group in theirs}
    found: list[Change] = []
    for group in mine:
        if group.name in by_name:
            found += _walk(group, by_name[group.name], f"{prefix}{group.name}.")
        else:
            found.append(Change(f"{prefix}{group.name}", "added", ""))
    names = {group.name for group in mine}
    found += [Change(f"{prefix}{g.name}", "removed", "") for g in theirs if g.name not in names]
    return found


def _nested(value: Any) -> bool:
    """A section to look into; a distribution is one setting (its kind and parameters)."""
    return isinstance(value, BaseModel) and "dist" not in type(value).model_fields


def _groups(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(item, AgentGroup) for item in value)


def text(model: BaseModel, name: str) -> str:
    """A setting's value as the scenario file would spell it (durations as 2m, 4h)."""
    return spell(model.model_dump(mode="json", include={name})[name])


def spell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) and "dist" in value:
        parameters = ", ".join(f"{k}={spell(v)}" for k, v in value.items() if k != "dist")
        return f"{value['dist']}({parameters})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {spell(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(spell(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)
