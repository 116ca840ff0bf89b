"""`ccsim schema`: the JSON Schema of scenario files, for editor completion."""

from __future__ import annotations

import json

import click

from sim.domain.schema import scenario_json_schema


@click.command(name="schema")
def command() -> None:
    """Print the JSON Schema of scenario files."""
    click.echo(json.dumps(scenario_json_schema(), indent=2))
