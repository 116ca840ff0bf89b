"""Sweep files: a base scenario, a grid of dotted keys to values, and replications.

Every grid point is built by applying its settings to the base scenario's YAML with the same
machinery as `--set`, and validated before anything runs; a bad value is reported at its
place in the sweep file.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from sim.domain.scenario import Name, Scenario
from sim.domain.schema_errors import schema_problems
from sim.domain.yaml_tree import Problem, ScenarioError, apply_overrides, read_tree


class SweepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name | None = None
    description: str = ""
    base: str
    grid: Annotated[dict[str, Annotated[list[Any], Field(min_length=1)]], Field(min_length=1)]
    replications: Annotated[int, Field(ge=1, le=10_000)] | None = None
    kpis: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class Point:
    index: int
    settings: dict[str, Any]  # dotted key -> value as written in the sweep file
    scenario: Scenario


@dataclass(frozen=True)
class Sweep:
    name: str
    source: Path
    base_path: Path
    keys: tuple[str, ...]
    points: tuple[Point, ...]
    replications: int
    kpis: tuple[str, ...]
    base_point: int  # the point paired differences are taken against

    def describe(self, point: Point) -> str:
        return ", ".join(f"{key}={point.settings[key]}" for key in self.keys)


def load_sweep(path: str | Path, kpi_names: tuple[str, ...]) -> Sweep:
    """Read a sweep file and build every grid point; ScenarioError lists every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError([Problem(str(path), f"cannot read file: {error}")]) from None
    tree = read_tree(text, str(path))
    try:
        spec = SweepSpec.model_validate(tree)
    except ValidationError as error:
        raise ScenarioError(schema_problems(error, tree, str(path), {}, SweepSpec)) from None
    problems = [_located(tree, ("kpis", i), f"unknown KPI {name!r}", path)
                for i, name in enumerate(spec.kpis) if name not in kpi_names]
    base_path = (path.parent / spec.base).resolve()
    if not base_path.exists():
        problems.append(_located(tree, ("base",), f"no scenario file at {base_path}", path))
    if problems:
        raise ScenarioError(problems)
    base_tree = read_tree(base_path.read_text(encoding="utf-8"), str(base_path))
    if "name" not in base_tree:
        base_tree["name"] = base_path.stem
    points = _points(spec, tree, base_tree, path)
    replications = spec.replications or points[0].scenario.replications
    return Sweep(spec.name or path.stem, path, base_path, tuple(spec.grid), tuple(points),
                 replications, tuple(spec.kpis), _base_point(points, base_tree))


def _points(spec: SweepSpec, tree: CommentedMap, base: CommentedMap, path: Path) -> list[Point]:
    keys = list(spec.grid)
    problems: set[Problem] = set()
    points = []
    for index, combination in enumerate(itertools.product(*spec.grid.values())):
        settings = dict(zip(keys, combination, strict=True))
        options = {f"{key}={_yaml_value(value)}": key for key, value in settings.items()}
        candidate = copy.deepcopy(base)
        found: list[Problem] = []
        set_paths = apply_overrides(candidate, list(options), found)
        try:
            points.append(Point(index, settings, Scenario.model_validate(candidate)))
        except ValidationError as error:
            found += schema_problems(error, candidate, str(path), set_paths)
        for problem in found:
            problems.add(_grid_problem(tree, spec, settings, options, problem, path))
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: (p.line or 0, p.column or 0, str(p))))
    return points


def _grid_problem(tree: CommentedMap, spec: SweepSpec, settings: dict[str, Any],
                  options: dict[str, str], problem: Problem, path: Path) -> Problem:
    """Where in the sweep file a point's problem comes from: a key that reaches nothing is
    reported at the key, a bad value at that value, anything else at the grid with the point."""
    option = problem.source.removeprefix("--set ")
    key = options.get(option)
    if key is None:
        return _located(tree, ("grid",), f"point {settings}: {problem.path}: {problem.message}",
                        path)
    if not problem.path:  # the key itself reaches nothing (an unknown agent group)
        return _located(tree, ("grid", key), problem.message, path)
    index = spec.grid[key].index(settings[key])
    return _located(tree, ("grid", key, index), problem.message, path)


def _located(tree: CommentedMap, loc: tuple[str | int, ...], message: str,
             path: Path) -> Problem:
    node: Any = tree
    line = column = 1
    names = []
    for part in loc:
        if isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, column = (x + 1 for x in node.lc.item(part))
            node = node[part]
        elif isinstance(node, CommentedMap) and part in node:
            line, column = (x + 1 for x in node.lc.key(part))
            node = node[part]
        names.append(str(part))
    return Problem(str(path), message, ".".join(names), line, column)


def _yaml_value(value: Any) -> str:
    """A grid value as --set text (flow YAML), so it is read back as written."""
    return value if isinstance(value, str) else json.dumps(value)


def _base_point(points: list[Point], base: CommentedMap) -> int:
    """The point whose settings equal the base scenario's own, else the first point."""
    unchanged = Scenario.model_validate(base)
    for point in points:
        if point.scenario.model_dump() == unchanged.model_dump():
            return point.index
    return 0
