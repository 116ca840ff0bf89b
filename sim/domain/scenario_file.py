"""Scenario files: YAML 1.2 in, every problem out as `file:line:col: dotted.path: message`.

Reading goes: compose the YAML node graph (syntax errors, every duplicate key), load it with
positions, apply `--set dotted.key=value` overrides, validate with the schema, and map each
schema error back to where it was written (sim.domain.yaml_tree, sim.domain.schema_errors).
"""

from __future__ import annotations

import copy
import dataclasses
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from sim.domain.scenario import Scenario, cross_problems_of
from sim.domain.schema_errors import schema_problems
from sim.domain.source_text import read_source
from sim.domain.yaml_tree import (
    Loc,
    Problem,
    ScenarioError,
    apply_overrides,
    locate,
    read_tree,
)

__all__ = ["Problem", "ScenarioError", "dump_scenario", "load_scenario", "merged",
           "parse_scenario", "scenario_name"]


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Read, override and validate a scenario file; raises ScenarioError with all problems.
    A relative `initial.from` is taken from the file's folder (and kept absolute)."""
    path = Path(path)
    scenario = parse_scenario(read_source(path), str(path), overrides, default_name=path.stem)
    folder = scenario.initial.start_from
    if folder is None or Path(folder).is_absolute():
        return scenario
    initial = scenario.initial.model_copy(update={
        "start_from": str((path.parent / folder).resolve())})
    return scenario.model_copy(update={"initial": initial})


def parse_scenario(
    text: str, source: str = "<scenario>", overrides: Iterable[str] = (),
    default_name: str | None = None,
) -> Scenario:
    problems: list[Problem] = []
    tree = read_tree(text, source, problems)
    if default_name is not None and "name" not in tree:
        tree["name"] = scenario_name(default_name)
    set_paths = apply_overrides(tree, overrides, problems)
    try:
        scenario = Scenario.model_validate(tree)
    except ValidationError as error:
        problems += schema_problems(error, tree, source, set_paths)
        if not any(str(p.path).startswith(("agents", "arrivals")) and "skill" in p.message
                   for p in problems):
            problems += _raw_cross_problems(tree, source, set_paths)
        raise ScenarioError(_unique(_naming_overrides(problems, set_paths))) from None
    if problems:
        raise ScenarioError(_unique(problems))
    return scenario


def _naming_overrides(problems: list[Problem], set_paths: dict[Loc, str]) -> list[Problem]:
    """A file setting that clashes with an override (the file's warm-up against a shorter
    --set horizon) is reported where the file wrote it; the message then also names the
    override, or the user looks at an unchanged file and cannot see what went wrong."""
    keys = {option.partition("=")[0].strip(): option for option in set_paths.values()}
    out = []
    for problem in problems:
        words = set(re.findall(r"[a-z_]+", problem.message))
        clashing = [f"{key} from --set {option}" for key, option in keys.items()
                    if not problem.source.startswith("--set")
                    and key.rsplit(".", 1)[-1] in words]
        if clashing:
            problem = dataclasses.replace(
                problem, message=f"{problem.message} ({'; '.join(clashing)})")
        out.append(problem)
    return out


def scenario_name(stem: str, kind: str = "scenario") -> str:
    """A valid name from a file name: `baseline.v2` -> `baseline-v2`, `..` -> `scenario---`.
    Results folders are named after it, so it never climbs out of `results/`."""
    name = re.sub(r"[^A-Za-z0-9_-]", "-", stem)[:64]
    return name if name[:1].isalpha() else f"{kind}-{name}"[:64]


def _raw_cross_problems(tree: CommentedMap, source: str,
                        set_paths: dict[Loc, str]) -> list[Problem]:
    """Cross-section checks on the raw tree, so they are reported with field problems."""
    groups = tree.get("agents")
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        return []  # no groups to check against; the schema problem says what agents must be
    try:
        found = cross_problems_of(tree)
    except (AttributeError, KeyError, TypeError, IndexError):
        return []  # too malformed to check; the schema problems say why
    return [locate(loc, message, tree, source, set_paths) for loc, message in found]


def _unique(problems: list[Problem]) -> list[Problem]:
    return sorted(set(problems), key=lambda p: (p.source, p.line or 0, p.column or 0, p.path,
                                                 p.message))


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of a scenario tree with `changes` merged in, mapping by mapping (lists and
    values are replaced), for building scenarios in code."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# writing ----------------------------------------------------------------------------------

def dump_scenario(scenario: Scenario) -> str:
    """The fully resolved scenario (every default written out) as YAML that reads back equal."""
    data = scenario.model_dump(mode="json", by_alias=True)  # initial.from, as files write it
    data["arrivals"]["priorities"] = {int(k): v for k, v in data["arrivals"]["priorities"].items()}
    if scenario.initial.empty:
        # An empty start, as before initial states existed: the resolved text (and its hash,
        # which regress baselines record) stays what it was.
        del data["initial"]
    yaml = YAML(typ="rt")
    yaml.width = 100
    stream = io.StringIO()
    stream.write("# Resolved by ccsim: every setting, defaults included.\n")
    yaml.dump(_flow_lists(data), stream)
    return stream.getvalue()


def _flow_lists(value: Any) -> Any:
    """Short lists of scalars (weights, days, skills) on one line; the rest in block style."""
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _flow_lists(item)
        return mapping
    if isinstance(value, list):
        items = CommentedSeq(_flow_lists(item) for item in value)
        if all(not isinstance(item, dict | list) for item in value):
            items.fa.set_flow_style()
        return items
    if isinstance(value, str) and _CLOCK_TEXT.match(value):
        return DoubleQuotedScalarString(value)  # YAML 1.1 readers would see 08:00 as 480
    return value


_CLOCK_TEXT = re.compile(r"^\d{2}:\d{2}$")
