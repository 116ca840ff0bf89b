"""Sweep files: a base scenario, a grid of dotted keys to values, and replications.

Every grid point is built by applying its settings to the base scenario's YAML with the same
machinery as `--set`, and validated before anything runs; a bad value is reported at its
place in the sweep file. Overrides (`--set` options, e.g. a shorter horizon for a quick look)
apply to the base first, checked as they are on the scenario file itself.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from sim.domain.carried import Carried
from sim.domain.numbers import Whole
from sim.domain.scenario import Name, Scenario
from sim.domain.scenario_file import load_scenario, scenario_name
from sim.domain.schema_errors import schema_problems
from sim.domain.source_text import read_source
from sim.domain.yaml_tree import (
    Loc,
    Problem,
    ScenarioError,
    apply_overrides,
    assign,
    read_tree,
)

MAX_POINTS = 1_000  # without --force; a sweep is read, run and plotted point by point
NOT_GRID_KEYS = {
    "seed": "every point runs on the same seeds (common random numbers), which is what makes "
            "the differences paired; to see more seeds, raise replications",
    "replications": "every point runs the sweep's replications (its `replications:` or -r, "
                    "raised by --target-halfwidth); it is not a setting to compare",
}


class SweepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name | None = None
    description: str = ""
    base: str
    grid: Annotated[dict[str, Annotated[list[Any], Field(min_length=1)]], Field(min_length=1)]
    replications: Annotated[Whole, Field(ge=1, le=10_000)] | None = None
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
    # continued from an earlier run's end (`--from`): by point, by replication, the state
    # each starts from (sim.analysis.continuation.continued_plan)
    carried: tuple[tuple[Carried, ...], ...] = ()
    continued_from: str = ""
    continued_digest: str = ""  # of the end states read: part of the sweep's identity

    def describe(self, point: Point) -> str:
        return ", ".join(f"{key}={point.settings[key]}" for key in self.keys)


def load_sweep(path: str | Path, kpi_names: tuple[str, ...], force: bool = False,
               overrides: Iterable[str] = ()) -> Sweep:
    """Read a sweep file and build every grid point; ScenarioError lists every problem.
    A grid of more than MAX_POINTS points is refused unless `force`."""
    path = Path(path)
    return parse_sweep(read_source(path), path, kpi_names, force, overrides)


def parse_sweep(text: str, path: Path, kpi_names: tuple[str, ...], force: bool = False,
                overrides: Iterable[str] = ()) -> Sweep:
    """A sweep from its text; `path` names it in messages, and `base:` is found relative to
    the folder it is in (as for a file there); `overrides` apply to the base."""
    tree = read_tree(text, str(path))
    try:
        spec = SweepSpec.model_validate(tree)
    except ValidationError as error:
        raise ScenarioError(schema_problems(error, tree, str(path), {}, SweepSpec)) from None
    problems = [_located(tree, ("kpis", i), f"unknown KPI {name!r}", path)
                for i, name in enumerate(spec.kpis) if name not in kpi_names]
    problems += _grid_key_problems(spec, tree, path, force)
    base_path = (path.parent / spec.base).resolve()
    if not base_path.exists():
        problems.append(_located(tree, ("base",), f"no scenario file at {base_path}", path))
    elif not base_path.is_file():
        problems.append(_located(tree, ("base",), f"{base_path} is not a file", path))
    if problems:
        raise ScenarioError(problems)
    base_tree = _overridden_base(base_path, list(overrides), spec, tree, path)
    points = _points(spec, tree, base_tree, path)
    replications = spec.replications or points[0].scenario.replications
    return Sweep(spec.name or scenario_name(path.stem, "sweep"), path, base_path,
                 tuple(spec.grid), tuple(points), replications, tuple(spec.kpis),
                 _base_point(points, base_tree))


def _overridden_base(base_path: Path, overrides: list[str], spec: SweepSpec,
                     tree: CommentedMap, path: Path) -> CommentedMap:
    """The base scenario's tree with the overrides applied; an override of a swept key
    would be silently undone at every point, so it is refused."""
    swept = [_located(tree, ("grid", key), f"--set {option}: {key} is swept; an override "
                      "cannot also set it", path)
             for option in overrides for key in spec.grid
             if option.partition("=")[0].strip() == key.strip()]
    if swept:
        raise ScenarioError(swept)
    if overrides:
        _check_overrides(base_path, overrides)
    base_tree = read_tree(read_source(base_path), str(base_path))
    if "name" not in base_tree:
        base_tree["name"] = scenario_name(base_path.stem)
    apply_overrides(base_tree, overrides)
    return base_tree


def _check_overrides(base_path: Path, overrides: list[str]) -> None:
    """Overrides checked on the file itself, so a clash names the override and the setting;
    the base's own problems are left to the points (a grid may be what makes it valid)."""
    try:
        load_scenario(base_path, overrides)
    except ScenarioError as error:
        naming = [p for p in error.problems if "--set" in f"{p.source} {p.message}"]
        if naming:
            raise ScenarioError(naming) from None


def _grid_key_problems(spec: SweepSpec, tree: CommentedMap, path: Path,
                       force: bool) -> list[Problem]:
    problems = [_located(tree, ("grid", key), f"{key} cannot be swept: "
                         f"{NOT_GRID_KEYS[key.strip()]}", path)
                for key in spec.grid if key.strip() in NOT_GRID_KEYS]
    size = math.prod(len(values) for values in spec.grid.values())
    if size > MAX_POINTS and not force:
        shape = " x ".join(str(len(values)) for values in spec.grid.values())
        problems.append(_located(tree, ("grid",), f"the grid has {size:,} points ({shape}), "
                                 f"over the limit of {MAX_POINTS:,}; narrow it, or pass "
                                 "--force to run it anyway", path))
    return problems


def _points(spec: SweepSpec, tree: CommentedMap, base: CommentedMap, path: Path) -> list[Point]:
    keys = list(spec.grid)
    problems: set[Problem] = set()
    points: list[Point] = []
    chosen: dict[int, tuple[int, ...]] = {}  # point -> the index of each of its values
    for index, positions in enumerate(itertools.product(*(range(len(spec.grid[k]))
                                                          for k in keys))):
        settings = {key: spec.grid[key][at] for key, at in zip(keys, positions, strict=True)}
        candidate = copy.deepcopy(base)
        found: list[Problem] = []
        set_paths = _assigned(candidate, settings, found)
        try:
            scenario = Scenario.model_validate(candidate)
        except ValidationError as error:
            found += schema_problems(error, candidate, str(path), set_paths)
        if not found:
            points.append(Point(index, settings, scenario))
            chosen[index] = positions
        for problem in found:
            problems.add(_grid_problem(tree, keys, positions, settings, problem, path))
    if not problems:
        problems.update(_identical_points(points, chosen, keys, tree, path))
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: (p.line or 0, p.column or 0, str(p))))
    return points


def _assigned(tree: CommentedMap, settings: dict[str, Any], found: list[Problem]
              ) -> dict[Loc, str]:
    """Apply a point's settings as they were written (a quoted "3" stays text, to be
    refused); returns tree locations -> grid key, as `--set` does with its options."""
    set_paths: dict[Loc, str] = {}
    for key, value in settings.items():
        try:
            set_paths[assign(tree, key, copy.deepcopy(value))] = key
        except ValueError as error:
            found.append(Problem(f"--set {key}", str(error)))
    return set_paths


def _identical_points(points: list[Point], chosen: dict[int, tuple[int, ...]],
                      keys: list[str], tree: CommentedMap, path: Path) -> list[Problem]:
    """Values that resolve to the same scenario (60 and 1m) would run one point twice and
    report a difference of zero as a finding."""
    first: dict[str, Point] = {}
    problems = []
    for point in points:
        text = json.dumps(point.scenario.model_dump(mode="json"), sort_keys=True)
        earlier = first.setdefault(text, point)
        if earlier is point:
            continue
        mine, theirs = chosen[point.index], chosen[earlier.index]
        at = next(i for i, (a, b) in enumerate(zip(mine, theirs, strict=True)) if a != b)
        value, other = point.settings[keys[at]], earlier.settings[keys[at]]
        same = (f"{value!r} is listed twice" if value == other else
                f"{value!r} gives the same scenario as {other!r}")
        problems.append(_located(tree, ("grid", keys[at], mine[at]),
                                 f"{same}; every point of a grid must differ", path))
    return problems


def _grid_problem(tree: CommentedMap, keys: list[str], positions: tuple[int, ...],
                  settings: dict[str, Any], problem: Problem, path: Path) -> Problem:
    """Where in the sweep file a point's problem comes from: a key that reaches nothing is
    reported at the key, a bad value at that value, anything else at the grid with the point."""
    key = problem.source.removeprefix("--set ")
    if not problem.source.startswith("--set ") or key not in keys:
        return _located(tree, ("grid",), f"point {settings}: {problem.path}: {problem.message}",
                        path)
    if not problem.path:  # the key itself reaches nothing (an unknown agent group)
        return _located(tree, ("grid", key), problem.message, path)
    return _located(tree, ("grid", key, positions[keys.index(key)]), problem.message, path)


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


def _base_point(points: list[Point], base: CommentedMap) -> int:
    """The point whose settings equal the base scenario's own, else the first point."""
    try:
        unchanged = Scenario.model_validate(base)
    except ValidationError:
        return 0  # the base is valid only with the grid's settings: no point equals it
    for point in points:
        if point.scenario.model_dump() == unchanged.model_dump():
            return point.index
    return 0
