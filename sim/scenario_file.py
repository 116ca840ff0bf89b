"""Scenario files: YAML 1.2 in, every problem out as `file:line:col: dotted.path: message`.

Reading goes: compose the YAML node graph (syntax errors, every duplicate key), load it with
positions, apply `--set dotted.key=value` overrides, validate with the schema, and map each
schema error back to where it was written. Agent groups are addressed by name in dotted paths
(`agents.tier1.count`), the same way `--set` reaches them.
"""

from __future__ import annotations

import copy
import difflib
import io
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from sim.distributions import DISTRIBUTION_NAMES
from sim.scenario import Scenario, cross_problems_of

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, and where it was written."""

    source: str
    message: str
    path: str = ""
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else (
            f"{where}: {self.message}")


class ScenarioError(ValueError):
    """A scenario that cannot be used; carries every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Read, override and validate a scenario file; raises ScenarioError with all problems."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError([Problem(str(path), f"cannot read file: {error}")]) from None
    return parse_scenario(text, str(path), overrides, default_name=path.stem)


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
        raise ScenarioError(_unique(problems)) from None
    if problems:
        raise ScenarioError(_unique(problems))
    return scenario


def scenario_name(stem: str) -> str:
    """A valid scenario name from a file name: `baseline.v2` -> `baseline-v2`."""
    name = re.sub(r"[^A-Za-z0-9_-]", "-", stem)[:64]
    return name if name[:1].isalpha() else f"scenario-{name}"[:64]


def _raw_cross_problems(tree: CommentedMap, source: str,
                        set_paths: dict[Loc, str]) -> list[Problem]:
    """Cross-section checks on the raw tree, so they are reported with field problems."""
    try:
        found = cross_problems_of(tree)
    except (AttributeError, KeyError, TypeError, IndexError):
        return []  # too malformed to check; the schema problems say why
    return [_locate(loc, message, tree, source, set_paths) for loc, message in found]


def _unique(problems: list[Problem]) -> list[Problem]:
    return sorted(set(problems), key=lambda p: (p.source, p.line or 0, p.column or 0, p.path,
                                                 p.message))


# YAML -------------------------------------------------------------------------------------

def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = True  # found and reported all at once by _duplicates
    return yaml


def read_tree(text: str, source: str, problems: list[Problem] | None = None) -> CommentedMap:
    """The YAML document as nested mappings that remember where each key was written.

    Duplicate keys go into `problems` when it is given (the first value is kept, so the rest
    can still be checked); otherwise they are raised at once."""
    yaml = _yaml()
    try:
        root = yaml.compose(io.StringIO(text))
    except MarkedYAMLError as error:
        raise ScenarioError([_syntax_problem(error, source)]) from None
    if root is None:
        raise ScenarioError([Problem(source, "the file is empty; a scenario is a mapping")])
    duplicates = list(_duplicates(root, (), source))
    if duplicates and problems is None:
        raise ScenarioError(duplicates)
    if problems is not None:
        problems += duplicates
    tree = yaml.load(io.StringIO(text))
    if not isinstance(tree, CommentedMap):
        raise ScenarioError([Problem(source, "a scenario must be a mapping of settings",
                                     line=1, column=1)])
    return tree


def _syntax_problem(error: MarkedYAMLError, source: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    message = ": ".join(part for part in (error.context, error.problem) if part)
    if mark is None:
        return Problem(source, f"YAML syntax error: {message}")
    return Problem(source, f"YAML syntax error: {message}", line=mark.line + 1,
                   column=mark.column + 1)


def _duplicates(node: Node, path: tuple[str, ...], source: str) -> Iterable[Problem]:
    if isinstance(node, MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value)
            if name in first:
                yield Problem(source, f"duplicate key {name!r} (first written on line "
                              f"{first[name]})", ".".join((*path, name)),
                              key.start_mark.line + 1, key.start_mark.column + 1)
            else:
                first[name] = key.start_mark.line + 1
            yield from _duplicates(value, (*path, name), source)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicates(item, (*path, _item_name(item, index)), source)


def _item_name(node: Node, index: int) -> str:
    """A list item's name in dotted paths: its `name` (agent groups), else its index."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if key.value == "name" and isinstance(value.value, str):
                return value.value
    return str(index)


# --set overrides --------------------------------------------------------------------------

def apply_overrides(tree: CommentedMap, overrides: Iterable[str],
                    problems: list[Problem] | None = None) -> dict[Loc, str]:
    """Apply `dotted.key=value` (value read as YAML); returns tree locations -> the option.

    Options that cannot be applied go into `problems` when it is given, else are raised."""
    found: list[Problem] = []
    applied: dict[Loc, str] = {}
    for option in overrides:
        try:
            applied[_override(tree, option)] = option
        except ValueError as error:
            found.append(Problem(f"--set {option}", str(error)))
    if found and problems is None:
        raise ScenarioError(found)
    if problems is not None:
        problems += found
    return applied


def _override(tree: CommentedMap, option: str) -> Loc:
    key, sep, text = option.partition("=")
    if not sep or not key.strip():
        raise ValueError("expected dotted.key=value")
    try:
        value = YAML(typ="safe").load(io.StringIO(text))
    except MarkedYAMLError as error:
        raise ValueError(f"cannot read value: {error.problem}") from None
    parts = key.strip().split(".")
    node: Any = tree
    loc: list[str | int] = []
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            index = _group_index(node, part)
            loc.append(index)
            if last:
                node[index] = value
            else:
                node = node[index]
            continue
        if not isinstance(node, dict):
            raise ValueError(f"{'.'.join(parts[:depth])} is not a mapping")
        loc.append(part)
        if last:
            node[part] = value
        else:
            node = node.setdefault(part, CommentedMap())
    return tuple(loc)


def _group_index(items: list[Any], part: str) -> int:
    names = [item.get("name") for item in items if isinstance(item, dict)]
    if part in names:
        return names.index(part)
    if part.isdigit() and int(part) < len(items):
        return int(part)
    raise ValueError(f"no agent group named {part!r} (groups: {', '.join(map(str, names))})")


# schema errors ----------------------------------------------------------------------------

def schema_problems(
    error: ValidationError, tree: CommentedMap, source: str, set_paths: dict[Loc, str],
    root: type[BaseModel] = Scenario,
) -> list[Problem]:
    problems: list[Problem] = []
    for detail in error.errors():
        ctx = detail.get("ctx") or {}
        if detail["type"] == "cross_checks":
            for loc, message in ctx["problems"]:
                problems.append(_locate(tuple(loc), message, tree, source, set_paths))
            continue
        loc = tuple(detail["loc"])
        message = _message(detail, loc, root)
        if detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "dist")
        problems.append(_locate(loc, message, tree, source, set_paths))
    return sorted(problems, key=lambda p: (p.source, p.line or 0, p.column or 0, p.path))


def _message(detail: Any, loc: Loc, root: type[BaseModel]) -> str:
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    if kind == "missing":
        return "required setting is missing"
    if kind == "extra_forbidden":
        return _unknown_key(loc, root)
    if kind == "union_tag_invalid":
        return (f"unknown distribution {ctx.get('tag')!r}; expected one of "
                f"{', '.join(DISTRIBUTION_NAMES)}" + _did_you_mean(
                    str(ctx.get("tag")), DISTRIBUTION_NAMES))
    if kind == "union_tag_not_found":
        return f"a distribution needs 'dist' (one of {', '.join(DISTRIBUTION_NAMES)})"
    message = str(detail["msg"]).removeprefix("Value error, ")
    if kind not in _SAYS_WHAT_IT_GOT and not isinstance(detail.get("input"), dict | list):
        message += f" (got {detail.get('input')!r})"
    return message[:1].lower() + message[1:]


# Messages of these errors already name the offending value, or it would add nothing.
_SAYS_WHAT_IT_GOT = frozenset({"value_error", "shift_order", "clock_time", "hipaa",
                               "share_sum", "timeout_activity", "warmup", "repeated_day"})


def _unknown_key(loc: Loc, root: type[BaseModel]) -> str:
    name = str(loc[-1])
    model = _model_at(loc[:-1], root)
    known = sorted(_keys(model)) if model is not None else []
    return f"unknown key {name!r}" + _did_you_mean(name, known)


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_at(loc: Loc, root: type[BaseModel]) -> type[BaseModel] | None:
    """The schema class that validates the mapping at `loc` (union tags are in the loc)."""
    current: Any = root
    for part in loc:
        current = _step(current, part)
        if current is None:
            return None
    return _as_model(current)


def _step(annotation: Any, part: str | int) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    model = _as_model(annotation)
    if model is not None:
        field = model.model_fields.get(str(part))
        return None if field is None else field.annotation
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list and isinstance(part, int):
        return args[0]
    if origin is dict:
        return args[1]
    if origin in (typing.Union, types.UnionType):
        for member in args:
            member_model = _as_model(member)
            if member_model is not None and part in _tags(member_model):
                return member_model
    return None


def _as_model(annotation: Any) -> type[BaseModel] | None:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _tags(model: type[BaseModel]) -> tuple[str, ...]:
    field = model.model_fields.get("dist")
    return typing.get_args(field.annotation) if field is not None else ()


def _locate(
    loc: Loc, message: str, tree: CommentedMap, source: str, set_paths: dict[Loc, str]
) -> Problem:
    """Turn a schema location into the file position and the dotted path a user writes."""
    node: Any = tree
    names: list[str] = []
    line, column = 1, 1
    walked: list[str | int] = []
    for index, part in enumerate(loc):
        if part == "[key]" or (isinstance(node, dict) and isinstance(part, str)
                               and part in DISTRIBUTION_NAMES and node.get("dist") == part):
            continue  # a union tag or dict-key marker: not written in the file
        walked.append(part)
        position = _position(node, part)
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            item = node[part]
            names.append(str(item["name"]) if isinstance(item, dict) and isinstance(
                item.get("name"), str) else str(part))
            node = item
        elif isinstance(node, dict) and part in node:
            names.append(str(part))
            node = node[part]
        else:
            names.append(str(part))
            node = None
        option = set_paths.get(tuple(walked))
        if option is not None:
            rest = [str(p) for p in loc[index + 1:] if p != "[key]"]
            return Problem(f"--set {option}", message, ".".join(names + rest))
        if position is not None:
            line, column = position
    return Problem(source, message, ".".join(names), line, column)


def _position(node: Any, part: str | int) -> tuple[int, int] | None:
    """1-based line and column where a key or item was written; None if it was not."""
    try:
        if isinstance(node, CommentedSeq) and isinstance(part, int):
            found = node.lc.item(part)
        elif isinstance(node, CommentedMap):
            found = node.lc.key(part)
        else:
            return None
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    if found is None or found[0] is None:
        return None
    return found[0] + 1, found[1] + 1


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
    data = scenario.model_dump(mode="json")
    data["arrivals"]["priorities"] = {int(k): v for k, v in data["arrivals"]["priorities"].items()}
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
