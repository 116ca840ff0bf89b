"""JSON Schema of scenario files, for editors: what YAML may say, not how Python stores it."""

from __future__ import annotations

from typing import Any

from sim.domain.durations import format_duration
from sim.domain.field_help import FIELD_HELP
from sim.domain.scenario import Scenario

DURATION_SYNTAX = "a duration: 30s, 2m, 4h, 14d, 1h30m, or a number of seconds"
DURATION: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": r"^\s*((\d+(\.\d+)?|\.\d+)\s*[wdhms]\s*)+$",
         "description": DURATION_SYNTAX},
        {"type": "number", "minimum": 0, "description": "seconds"},
    ],
}


def scenario_json_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ccsim scenario"
    patched: dict[str, Any] = _patch(schema)
    _describe("Scenario", patched)
    for model, definition in patched["$defs"].items():
        _describe(model, definition)
    return patched


def _describe(model: str, definition: dict[str, Any]) -> None:
    """Each property's description: its line of FIELD_HELP."""
    for field, node in definition.get("properties", {}).items():
        node["description"] = FIELD_HELP[f"{model}.{field}"]


def _patch(node: Any) -> Any:
    """Durations accept text; where a distribution goes, a plain duration means a constant."""
    if isinstance(node, dict):
        if node.get("x-duration"):
            return {**DURATION, **{k: format_duration(v) for k, v in node.items()
                                   if k == "default"}}  # 28d, not 2419200.0
        patched = {key: _patch(value) for key, value in node.items()}
        if "discriminator" in patched and patched["discriminator"].get("propertyName") == "dist":
            union = {k: v for k, v in patched.items() if k != "default"}
            return {"anyOf": [DURATION, union], **(
                {"default": patched["default"]} if "default" in patched else {})}
        return patched
    if isinstance(node, list):
        return [_patch(item) for item in node]
    return node
