"""Scenario files: YAML 1.2 in, every problem out as `file:line:col: dotted.path: message`.

Reading goes: compose the YAML node graph (syntax errors, every duplicate key), load it with
positions, apply `--set dotted.key=value` overrides, validate with the schema, and map each
schema error back to where it was written. Agent groups are addressed by name in dotted paths
(`agents.tier1.count`), the same way `--set` reaches them.
"""

from __future__ import annotations

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
from sim.scenario import Scenario

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
    tree = read_tree(text, source)
    if default_name is not None and "name" not in tree:
        tree["name"] = default_name
    set_paths = apply_overrides(tree, overrides)
    try:
        return Scenario.model_validate(tree)
    except ValidationError as error:
        raise ScenarioError(schema_problems(error, tree, source, set_paths)) from None


# YAML -------------------------------------------------------------------------------------

def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = True  # found and reported all at once by _duplicates
    return yaml


def read_tree(text: str, source: str) -> CommentedMap:
    """The YAML document as nested mappings that remember where each key was written."""
    yaml = _yaml()
    try:
        root = yaml.compose(io.StringIO(text))
    except MarkedYAMLError as error:
        raise ScenarioError([_syntax_problem(error, source)]) from None
    if root is None:
        raise ScenarioError([Problem(source, "the file is empty; a scenario is a mapping")])
    duplicates = list(_duplicates(root, (), source))
    if duplicates:
        raise ScenarioError(duplicates)
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

def apply_overrides(tree: CommentedMap, overrides: Iterable[str]) -> dict[Loc, str]:
    """Apply `dotted.key=value` (value read as YAML); returns tree locations -> the option."""
    problems: list[Problem] = []
    applied: dict[Loc, str] = {}
    for option in overrides:
        try:
            applied[_override(tree, option)] = option
        except ValueError as error:
            problems.append(Problem(f"--set {option}", str(error)))
    if problems:
        raise ScenarioError(problems)
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
    error: ValidationError, tree: CommentedMap, source: str, set_paths: dict[Loc, str]
) -> list[Problem]:
    problems: list[Problem] = []
    for detail in error.errors():
        ctx = detail.get("ctx") or {}
        if detail["type"] == "cross_checks":
            for loc, message in ctx["problems"]:
                problems.append(_locate(tuple(loc), message, tree, source, set_paths))
            continue
        loc = tuple(detail["loc"])
        message = _message(detail, loc)
        if detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "dist")
        problems.append(_locate(loc, message, tree, source, set_paths))
    return sorted(problems, key=lambda p: (p.source, p.line or 0, p.column or 0, p.path))


def _message(detail: Any, loc: Loc) -> str:
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    if kind == "missing":
        return "required setting is missing"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
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


def _unknown_key(loc: Loc) -> str:
    name = str(loc[-1])
    model = _model_at(loc[:-1])
    known = sorted(_keys(model)) if model is not None else []
    return f"unknown key {name!r}" + _did_you_mean(name, known)


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The schema class that validates the mapping at `loc` (union tags are in the loc)."""
    current: Any = Scenario
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
    for part in loc:
        if isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, column = node.lc.item(part)[0] + 1, node.lc.item(part)[1] + 1
            item = node[part]
            names.append(str(item["name"]) if isinstance(item, dict) and isinstance(
                item.get("name"), str) else str(part))
            node = item
        elif isinstance(node, CommentedMap) and part in node:
            line, column = node.lc.key(part)[0] + 1, node.lc.key(part)[1] + 1
            names.append(str(part))
            node = node[part]
        elif part == "[key]" or (isinstance(node, dict) and isinstance(part, str)
                                 and part in DISTRIBUTION_NAMES and node.get("dist") == part):
            continue  # a union tag or dict-key marker: not written in the file
        else:
            names.append(str(part))
            node = None
        walked.append(part)
        option = set_paths.get(tuple(walked))
        if option is not None:
            return Problem(f"--set {option}", message, ".".join(names + [
                str(p) for p in loc[len(walked):] if p != "[key]"]))
    return Problem(source, message, ".".join(names), line, column)


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
