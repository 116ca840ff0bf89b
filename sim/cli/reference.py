"""docs/reference.md's generated tables: every scenario setting (from the JSON Schema that
`ccsim schema` prints, so the same descriptions and defaults) and every option of every
command (click's own help records, so the same text as `--help`).

    python -m sim.cli.reference docs/reference.md

rewrites the blocks between the <!-- fields -->, <!-- distributions --> and <!-- options -->
markers; tests/test_reference.py checks the page is in step.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from sim.cli import COMMANDS
from sim.domain.diagrams import rewrite
from sim.domain.schema import scenario_json_schema

Row = tuple[str, str, str]
DISTRIBUTIONS = ("Exponential", "LogNormal", "Gamma", "Uniform", "Constant", "Empirical")


def field_rows(schema: dict[str, Any]) -> list[Row]:
    """(dotted key, default, description) for every setting, sections before their fields."""
    return list(_fields(schema, "", schema["$defs"]))


def _fields(node: dict[str, Any], prefix: str, defs: dict[str, Any]) -> Iterator[Row]:
    required = set(node.get("required", ()))
    for name, prop in node["properties"].items():
        key, section = f"{prefix}{name}", _section(prop, defs)
        if section is None:
            yield key, "required" if name in required else _shown(prop.get("default")), \
                prop["description"]
            continue
        yield key, "required" if name in required else "", prop["description"]
        yield from _fields(section, f"{key}.NAME." if prop.get("type") == "array" else
                           f"{key}.", defs)


def _section(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    """The definition of a nested mapping (or of a list's items), None for a value."""
    ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
    found = defs[ref.rsplit("/", 1)[1]] if ref else None
    return found if found is not None and "properties" in found else None


def distribution_rows(schema: dict[str, Any]) -> list[Row]:
    rows = []
    for model in DISTRIBUTIONS:
        properties = schema["$defs"][model]["properties"]
        kind = properties["dist"]["const"]
        rows.append((f"dist: {kind}", "", properties["dist"]["description"]))
        rows += [(f"{kind}.{name}", _shown(prop.get("default")) if "default" in prop else
                  "required", prop["description"])
                 for name, prop in properties.items() if name != "dist"]
    return rows


def _shown(value: Any) -> str:
    """A default as a scenario file would write it."""
    if isinstance(value, list) and value and all(item == value[0] for item in value):
        return f"{len(value)} x {_shown(value[0])}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(item) for item in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else json.dumps(value) if value == "" else f"{value}"


def option_rows() -> Iterator[tuple[str, list[tuple[str, ...]]]]:
    """Per command: its summary and (options, help as `--help` prints it)."""
    from sim.cli import main

    top = click.Context(main, info_name="ccsim", **main.context_settings)  # -h, --help
    for name, (module, summary) in COMMANDS.items():
        command: click.Command = importlib.import_module(module).command
        context = click.Context(command, info_name=name, parent=top)
        records = [param.get_help_record(context) for param in command.get_params(context)
                   if isinstance(param, click.Option)]  # arguments: the command's own help
        yield f"`ccsim {name}`: {summary}", [(f"`{opts}`", text)
                                             for opts, text in filter(None, records)]


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    lines = [header, tuple("---" for _ in header), *rows]
    return "\n".join("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
                     for cells in lines)


def _coded(rows: list[Row]) -> list[tuple[str, ...]]:
    """Keys and defaults as code; `required` and no default (a section) as words."""
    return [(f"`{key}`", f"`{default}`" if default not in ("", "required") else default, text)
            for key, default, text in rows]


def render(document: str) -> str:
    schema = scenario_json_schema()
    fields = table(_coded(field_rows(schema)), ("setting", "default", "what it is"))
    distributions = table(_coded(distribution_rows(schema)),
                          ("parameter", "default", "what it is"))
    options = "\n\n".join(f"### {title}\n\n" + table(rows, ("option", "what it does"))
                          for title, rows in option_rows())
    for marker, text in (("fields", fields), ("distributions", distributions),
                         ("options", options)):
        document = _block(marker)(document, text)
    return document


def _block(marker: str) -> Callable[[str, str], str]:
    pattern = re.compile(rf"(<!-- {marker} -->\n)(?:.*?\n)?(<!-- /{marker} -->)", re.DOTALL)
    return lambda document, text: pattern.sub(lambda m: m[1] + text + "\n" + m[2], document)


if __name__ == "__main__":
    sys.exit(rewrite(sys.argv[1:], render))
