"""The calibrated scenario as a commented YAML file: above each setting, what it was fitted
from and how well, or why it could not be inferred (then its value is the default)."""

from __future__ import annotations

import io
import itertools
import textwrap
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from sim.analysis.calibrate.settings import Path, Settings, dotted

ORDER = ("name", "description", "seed", "start", "horizon", "warmup", "replications", "flex",
         "arrivals", "customers", "agents", "kpis")
WIDTH = 96


def _flow(value: Any) -> Any:
    """Lists of scalars and small mappings (distributions, shifts) on one line."""
    if isinstance(value, dict):
        mapping = CommentedMap((key, _flow(item)) for key, item in value.items())
        if all(not isinstance(item, dict | list) or _scalars(item) for item in value.values()):
            mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        items = CommentedSeq(_flow(item) for item in value)
        if _scalars(value):
            items.fa.set_flow_style()
        return items
    if isinstance(value, str) and len(value) == 5 and value[2] == ":":
        return DoubleQuotedScalarString(value)  # "08:00": YAML 1.1 readers see a number
    return value


def _scalars(value: list[Any] | dict[Any, Any]) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return all(not isinstance(item, dict | list) for item in items)


def _container(root: CommentedMap, path: Path) -> CommentedMap:
    """The mapping that holds the last part of `path`, made on the way."""
    node: Any = root
    for part, following in itertools.pairwise(path):
        if isinstance(part, int):
            while len(node) <= part:
                node.append(CommentedMap())
            node = node[part]
            continue
        if part not in node:
            node[part] = CommentedSeq() if isinstance(following, int) else CommentedMap()
        node = node[part]
    assert isinstance(node, CommentedMap)
    return node


def _indent(path: Path) -> int:
    """The column a key at `path` is written at (block mappings, lists indented by 2)."""
    return 2 * sum(1 for part in path[:-1] if isinstance(part, str)) + 2 * sum(
        1 for part in path[:-1] if isinstance(part, int))


def tree(settings: Settings) -> CommentedMap:
    root = CommentedMap()
    ordered = sorted(settings.values, key=lambda p: (ORDER.index(str(p[0]))
                                                      if p[0] in ORDER else len(ORDER)))
    for path in ordered:
        holder = _container(root, path)
        key = path[-1]
        holder[key] = _flow(settings.values[path])
        note = settings.notes.get(path)
        if note:
            lines = textwrap.wrap(note, WIDTH - _indent(path) - 2)
            holder.yaml_set_comment_before_after_key(key, before="\n".join(lines),
                                                     indent=_indent(path))
    return root


def render(settings: Settings, header: list[str]) -> str:
    yaml = YAML(typ="rt")
    yaml.width = 4096  # notes are comments, wrapped here; values stay on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    for line in header:
        for part in textwrap.wrap(line, WIDTH - 2) or [""]:
            stream.write(f"# {part}\n".replace("# \n", "#\n"))
    missing = settings.not_inferred()
    if missing:
        stream.write("# Not inferred from the export (the defaults are written, said so at "
                     "each):\n")
        for path, _ in missing:
            stream.write(f"#   {dotted(path)}\n")
    stream.write("\n")
    yaml.dump(tree(settings), stream)
    return stream.getvalue()
