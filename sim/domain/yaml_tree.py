"""Scenario YAML as a tree that remembers where each key was written, `--set` overrides
applied to it, and problems located in it as `file:line:col: dotted.path: message`.

Agent groups are addressed by name in dotted paths (`agents.tier1.count`), the same way
`--set` reaches them.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from sim.domain.distributions import DISTRIBUTION_NAMES

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


# reading -------------------------------------------------------------------------------------

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


def locate(
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
