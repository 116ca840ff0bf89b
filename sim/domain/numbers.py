"""Numbers and switches that mean what they say: `true` is not 1 and `"3"` is not 3.

YAML reads `count: true` as a boolean and `count: "3"` as text; a lax schema would turn them
into 1 and 3 without a word. These types refuse them, say why, and state absolute limits
with the reason for them.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError


def _number(value: object) -> object:
    if isinstance(value, bool):
        raise PydanticCustomError("strict_number", "expected a number, got {value} (true or "
                                  "false)", {"value": str(value).lower()})
    if isinstance(value, str):
        raise PydanticCustomError("strict_number", "expected a number, got the text {value}; "
                                  "write numbers without quotes", {"value": repr(value)})
    return value


def _whole(value: object) -> object:
    value = _number(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)  # 1e6 is a float in YAML; 1e30 would overflow pydantic's parser
    return value


def _flag(value: object) -> object:
    if not isinstance(value, bool):
        raise PydanticCustomError("strict_flag", "expected true or false, got {value}",
                                  {"value": repr(value)})
    return value


def _shown(value: float) -> str:
    return f"{value:,}" if abs(value) < 1e15 else f"{float(value):.3g}"


Real = Annotated[float, BeforeValidator(_number)]
Whole = Annotated[int, BeforeValidator(_whole)]
Flag = Annotated[bool, BeforeValidator(_flag)]


def at_most(limit: float, reason: str) -> Any:
    """A ceiling on a number, with the reason it exists in the message."""
    def check(value: float) -> float:
        if value > limit:
            raise PydanticCustomError("limit", "at most {limit} {reason} (got {value})",
                                      {"limit": f"{limit:,}", "reason": reason,
                                       "value": _shown(value)})
        return value

    return AfterValidator(check)
