"""JSON Schema of scenario files, for editors: what YAML may say, not how Python stores it."""

from __future__ import annotations

from typing import Any

from sim.domain.scenario import Scenario

DURATION: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": r"^\s*((\d+(\.\d+)?|\.\d+)\s*[wdhms]\s*)+$"},
        {"type": "number", "minimum": 0},
    ],
    "description": "a duration: 30s, 2m, 4h, 14d, 1h30m, or a number of seconds",
}


def scenario_json_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ccsim scenario"
    patched: dict[str, Any] = _patch(schema)
    return patched


def _patch(node: Any) -> Any:
    """Durations accept text; where a distribution goes, a plain duration means a constant."""
    if isinstance(node, dict):
        if node.get("x-duration"):
            return {**DURATION, **{k: v for k, v in node.items() if k == "default"}}
        patched = {key: _patch(value) for key, value in node.items()}
        if "discriminator" in patched and patched["discriminator"].get("propertyName") == "dist":
            union = {k: v for k, v in patched.items() if k != "default"}
            return {"anyOf": [DURATION, union], **(
                {"default": patched["default"]} if "default" in patched else {})}
        return patched
    if isinstance(node, list):
        return [_patch(item) for item in node]
    return node
