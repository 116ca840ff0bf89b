"""Schema errors (pydantic) as problems a user can act on: plain messages, the unknown key's
closest known name, and the place in the file where the setting was written."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap

from sim.domain.distributions import DISTRIBUTION_NAMES
from sim.domain.scenario import Scenario
from sim.domain.yaml_tree import Loc, Problem, locate


def schema_problems(
    error: ValidationError, tree: CommentedMap, source: str, set_paths: dict[Loc, str],
    root: type[BaseModel] = Scenario,
) -> list[Problem]:
    problems: list[Problem] = []
    for detail in error.errors():
        ctx = detail.get("ctx") or {}
        if detail["type"] == "cross_checks":
            for loc, message in ctx["problems"]:
                problems.append(locate(tuple(loc), message, tree, source, set_paths))
            continue
        key = detail.get("input")
        if detail["type"] == "invalid_key" and not isinstance(key, str | int | float):
            continue  # a list, mapping or nothing as a key: the scan reported it in place
        loc = tuple(detail["loc"])
        message = _message(detail, loc, root)
        if detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "dist")
        problems.append(locate(loc, message, tree, source, set_paths))
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
    tag = getattr(getattr(detail.get("input"), "tag", None), "value", None)
    if tag is not None:  # !!python/object and the like: kept as data, never run
        return (f"the YAML tag {tag.replace('tag:yaml.org,2002:', '!!')} means nothing to "
                "ccsim; write the plain value")
    message = str(detail["msg"]).removeprefix("Value error, ")
    if kind not in _SAYS_WHAT_IT_GOT and not isinstance(detail.get("input"), dict | list):
        message += f" (got {detail.get('input')!r})"
    return message[:1].lower() + message[1:]


# Messages of these errors already name the offending value, or it would add nothing.
_SAYS_WHAT_IT_GOT = frozenset({"value_error", "strict_number", "strict_flag", "limit",
                               "shift_order", "clock_time", "hipaa", "share_sum",
                               "timeout_activity", "warmup", "repeated_day"})


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
