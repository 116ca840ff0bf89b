"""Help that reads well: every scenario setting and every option has one line, the same in
`ccsim schema`, `--help` and docs/reference.md; durations read as durations; the top-level
help is not cut off; the KPI tables fit a terminal of 80 columns without cutting a KPI name.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from pydantic import BaseModel
from rich.console import Console

from sim import cli
from sim.analysis.catalogue import KPI_NAMES
from sim.cli import COMMANDS, output, reference
from sim.domain.distributions import Constant, Empirical, Exponential, Gamma, LogNormal, Uniform
from sim.domain.durations import parse_duration
from sim.domain.field_help import FIELD_HELP
from sim.domain.scenario import Scenario
from sim.domain.schema import DURATION, scenario_json_schema
from tests.invoke import ccsim, no_crash

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = 80


def models(model: type[BaseModel], seen: dict[str, type[BaseModel]]) -> dict[str, type[BaseModel]]:
    """Every model a scenario is made of, by name (what FIELD_HELP's keys start with)."""
    seen[model.__name__] = model
    for field in model.model_fields.values():
        for inner in re.findall(r"\w+", str(field.annotation)):
            found = getattr(importlib.import_module(model.__module__), inner, None)
            if isinstance(found, type) and issubclass(found, BaseModel) and inner not in seen:
                models(found, seen)
    return seen


ALL_MODELS = {**models(Scenario, {}), **{m.__name__: m for m in (
    Exponential, LogNormal, Gamma, Uniform, Constant, Empirical)}}


# scenario settings -------------------------------------------------------------------------

def test_every_setting_has_one_line_and_no_line_is_stale() -> None:
    fields = {f"{name}.{info.alias or field}" for name, model in ALL_MODELS.items()
              for field, info in model.model_fields.items()}  # as files write them
    assert "Shift.days" in fields and "LogNormal.sigma" in fields  # the walk reached them
    assert fields - set(FIELD_HELP) == set(), "settings without a line in FIELD_HELP"
    assert set(FIELD_HELP) - fields == set(), "lines for settings that do not exist"
    for key, text in FIELD_HELP.items():
        assert text and "\n" not in text and len(text) <= 100, key


def schema_properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [(f"Scenario.{name}", node) for name, node in schema["properties"].items()]
    for model, definition in schema["$defs"].items():
        found += [(f"{model}.{name}", node)
                  for name, node in definition.get("properties", {}).items()]
    return found


def test_the_schema_describes_every_property_with_its_line() -> None:
    properties = schema_properties(scenario_json_schema())
    assert len(properties) == len(FIELD_HELP)
    for key, node in properties:
        assert node["description"] == FIELD_HELP[key], key


def test_ccsim_schema_prints_the_descriptions() -> None:
    result = ccsim("schema")
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["$defs"]["Flex"]["properties"]["task_ttl"]["description"] == \
        FIELD_HELP["Flex.task_ttl"]


def duration_nodes(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        here = [node] if node.get("anyOf") == DURATION["anyOf"] else []
        return here + [found for value in node.values() for found in duration_nodes(value)]
    if isinstance(node, list):
        return [found for item in node for found in duration_nodes(item)]
    return []


def test_durations_in_the_schema_are_shown_as_durations() -> None:
    schema = scenario_json_schema()
    assert schema["properties"]["horizon"]["default"] == "28d"
    assert schema["$defs"]["Flex"]["properties"]["reservation_timeout"]["default"] == "2m"
    defaults = [node["default"] for node in duration_nodes(schema) if "default" in node]
    assert len(defaults) >= 10
    for default in defaults:
        assert isinstance(default, str) and not re.fullmatch(r"[\d.]+", default), default
    assert parse_duration(schema["$defs"]["Pause"]["properties"]["expiry"]["default"]) == \
        Scenario.model_fields["flex"].default.pause.expiry


def test_defaults_made_per_scenario_are_in_the_schema_too() -> None:
    arrivals = scenario_json_schema()["$defs"]["Arrivals"]["properties"]
    assert arrivals["weekday_weights"]["default"] == [1.0] * 7
    assert arrivals["priorities"]["default"] == {"0": 1.0}


def test_reference_md_is_in_step() -> None:
    document = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert reference.render(document) == document, (
        "run: python -m sim.cli.reference docs/reference.md")


def test_reference_md_lists_every_setting_with_its_default() -> None:
    rows = {key: (default, text) for key, default, text in
            reference.field_rows(scenario_json_schema())}
    assert rows["horizon"] == ("28d", FIELD_HELP["Scenario.horizon"])
    assert rows["agents.NAME.shift.start"] == ("00:00", FIELD_HELP["Shift.start"])
    assert rows["arrivals.per_day"][0] == "required"
    assert rows["arrivals.hour_weights"][0] == "24 x 1.0"
    document = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    for key, (_, text) in rows.items():
        assert f"| `{key}` |" in document and text in document, key


# command options ---------------------------------------------------------------------------

def command_options() -> list[tuple[str, click.Option]]:
    found = []
    for name, (module, _) in COMMANDS.items():
        command: click.Command = importlib.import_module(module).command
        found += [(name, p) for p in command.params if isinstance(p, click.Option)]
    return found


def flat(text: str) -> str:
    """Text without its whitespace: --help wraps lines (also after a hyphen)."""
    return "".join(text.split())


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_option_has_a_one_line_help_shown_by_help_and_in_reference_md(name: str) -> None:
    result = CliRunner().invoke(cli.main, [name, "--help"], terminal_width=COLUMNS)
    assert result.exit_code == 0, result.output
    document = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    options = [option for command, option in command_options() if command == name]
    assert options or name in ("validate", "schema")
    for option in options:
        assert option.help and "\n" not in option.help.strip(), (name, option.opts)
        assert flat(option.help) in flat(result.output), (name, option.opts)
        assert option.help.replace("|", "\\|") in document, (name, option.opts)


def test_top_level_help_shows_each_summary_whole_at_80_columns() -> None:
    result = CliRunner().invoke(cli.main, ["--help"], terminal_width=COLUMNS)
    assert result.exit_code == 0, result.output
    commands = result.output.split("Commands:\n", 1)[1]
    assert "..." not in commands
    for name, (_, summary) in COMMANDS.items():
        assert re.search(rf"^  {name}\s+{re.escape(summary)}$", result.output, re.M), name
    assert max(map(len, result.output.splitlines())) <= COLUMNS


# tables at 80 columns ----------------------------------------------------------------------

BASE = """\
name: a_center_with_a_long_name
seed: 5
horizon: 2d
warmup: 6h
replications: 2
arrivals:
  per_day: 100
  skills: {billing: 0.6, sales: 0.4}
agents:
  - {name: billing_team, count: 3, capacity: 2, skills: [billing]}
  - {name: sales_team, count: 2, capacity: 2, skills: [sales]}
"""
SWEEP = """\
{name: narrow, base: base.yaml, replications: 2,
 grid: {flex.reservation_timeout: [30s, 45s], agents.billing_team.count: [2, 3, 4]}}
"""


def at_80_columns(*args: str | Path) -> str:
    """What a command prints on a terminal of 80 columns."""
    console = Console(width=COLUMNS, record=True, force_terminal=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(output, "stdout", console)
        patch.setattr(output, "stderr", Console(stderr=True, width=COLUMNS))
        result = CliRunner().invoke(cli.main, [str(arg) for arg in args])
    no_crash(result)
    assert result.exit_code == 0, result.output
    return console.export_text()


def fits(text: str, kpis: list[str]) -> None:
    assert "…" not in text
    assert max(map(len, text.splitlines())) <= COLUMNS
    for name in kpis:
        assert re.search(rf"│ {name}\s+│", text), name


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    found = tmp_path_factory.mktemp("narrow")
    (found / "base.yaml").write_text(BASE, encoding="utf-8")
    (found / "sweep.yaml").write_text(SWEEP, encoding="utf-8")
    other = BASE.replace("a_center_with_a_long_name", "the_same_center_with_more_agents")
    (found / "other.yaml").write_text(other.replace("count: 3", "count: 5"), encoding="utf-8")
    return found


def test_run_tables_fit_80_columns(folder: Path) -> None:
    text = at_80_columns("run", folder / "base.yaml", "--out", folder / "run", "-w", "1",
                         "--no-events", "--no-figures")
    fits(text, list(KPI_NAMES))
    assert "KPIs by skill" in text and "KPIs by agent group" in text


def test_sweep_tables_fit_80_columns(folder: Path) -> None:
    text = at_80_columns("sweep", folder / "sweep.yaml", "--out", folder / "sweep", "-w", "1",
                         "--no-events", "--no-figures")
    fits(text, list(KPI_NAMES))
    assert len(re.findall(r"^point \d: ", text, re.M)) == 6
    shown = set(re.findall(r"┃ (point \d) ", text))
    assert shown == {f"point {index}" for index in range(6)}  # the overview, split to fit


def test_compare_table_fits_80_columns(folder: Path) -> None:
    text = at_80_columns("compare", folder / "base.yaml", folder / "other.yaml", "--out",
                         folder / "compare", "-w", "1", "--no-figures", *(
                             arg for name in KPI_NAMES for arg in ("--kpi", name)))
    fits(text, list(KPI_NAMES))
    assert "(mean, 95% CI), continued" in text  # the difference column in a table of its own
