"""Scenario YAML as a tree that remembers where each key was written, `--set` overrides
applied to it, and problems located in it as `file:line:col: dotted.path: message`.

Agent groups are addressed by name in dotted paths (`agents.tier1.count`), the same way
`--set` reaches them.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import Node

from sim.domain.distributions import DISTRIBUTION_NAMES
from sim.domain.problems import Problem, ScenarioError, syntax_problem
from sim.domain.yaml_scan import MAX_DEPTH, path_at, scan

__all__ = ["Loc", "Problem", "ScenarioError", "apply_overrides", "assign", "locate",
           "read_tree", "read_value"]

Loc = tuple[str | int, ...]


# reading -------------------------------------------------------------------------------------

class _Unreadable(ConstructorError):
    """A value that cannot be built; its message needs no "syntax error" before it."""


class _Constructor(RoundTripConstructor):
    """Values YAML recognises but Python cannot build (2026-13-45, an integer of 5,000
    digits) are reported where they are written, like a syntax error."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as error:
            reason = str(error).split(";")[0]  # drop Python's advice on its own limits
            raise _Unreadable(None, None, f"cannot read this value: {reason}",
                              node.start_mark) from None


def _yaml(typ: str = "rt") -> YAML:
    yaml = YAML(typ=typ)
    yaml.allow_duplicate_keys = True  # found and reported all at once by the scan
    if typ == "rt":
        yaml.Constructor = _Constructor
    return yaml


def read_tree(text: str, source: str, problems: list[Problem] | None = None) -> CommentedMap:
    """The YAML document as nested mappings that remember where each key was written.

    The text is scanned first (sim.domain.yaml_scan): limits, syntax, duplicate keys and keys
    that are not names. Those go into `problems` when it is given (the first value of a
    duplicate is kept, so the rest can still be checked); otherwise they are raised at once."""
    found = scan(text, source)
    if found and problems is None:
        raise ScenarioError(found)
    if problems is not None:
        problems += found
    tree = _load(_yaml(), text, source)
    if tree is None:
        raise ScenarioError([Problem(source, "the file is empty; a scenario is a mapping")])
    if not isinstance(tree, CommentedMap):
        raise ScenarioError([Problem(source, "a scenario must be a mapping of settings",
                                     line=1, column=1)])
    return tree


def _load(yaml: YAML, text: str, source: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a reused anchor is legal YAML; say nothing
        try:
            return yaml.load(io.StringIO(text))
        except _Unreadable as error:
            line, column = error.problem_mark.line + 1, error.problem_mark.column + 1
            raise ScenarioError([Problem(source, str(error.problem), path_at(text, line, column),
                                         line, column)]) from None
        except MarkedYAMLError as error:
            raise ScenarioError([syntax_problem(error, source)]) from None


def read_value(text: str) -> Any:
    """A `--set` value: YAML, within the same limits as a file; ValueError says why not."""
    try:
        scan(text, "value")
        return _load(_yaml("safe"), text, "value")
    except ScenarioError as error:
        raise ValueError("; ".join(_without_source(p) for p in error.problems)) from None


def _without_source(problem: Problem) -> str:
    return problem.message if not problem.path else f"{problem.path}: {problem.message}"


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
    return assign(tree, key, read_value(text))


def assign(tree: CommentedMap, key: str, value: Any) -> Loc:
    """Set the setting at a dotted key (agent groups by name), making the mappings on the
    way; returns its location in the tree. ValueError if the key cannot be reached."""
    parts = key.strip().split(".")
    if len(parts) > MAX_DEPTH:
        raise ValueError(f"a key of more than {MAX_DEPTH} parts reaches no setting")
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
        if option is None and position is None:
            option = _created_by(set_paths, tuple(walked))
        if option is not None:
            rest = [str(p) for p in loc[index + 1:] if p != "[key]"]
            return Problem(f"--set {option}", message, ".".join(names + rest))
        if position is not None:
            line, column = position
    return Problem(source, message, ".".join(names), line, column)


def _created_by(set_paths: dict[Loc, str], walked: Loc) -> str | None:
    """The option that wrote a mapping the file does not have (`--set a.b.c=1` makes `a`)."""
    for loc, option in set_paths.items():
        if loc[:len(walked)] == walked:
            return option
    return None


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
